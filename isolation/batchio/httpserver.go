package batchio

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// shutdownGrace is how long requests in flight get once a server's
// context ends.
const shutdownGrace = 5 * time.Second

// NewHTTPServer returns an http.Server for big bodies: HTTP/1.1 only (Go's
// HTTP/2 server halved download speed here), header and idle timeouts,
// its errors logged at debug level, and each request's connection in its
// context, so that handlers reach their RecordConn (RecordConnOf).
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		// A non-nil empty map keeps net/http from adding HTTP/2 by itself.
		TLSNextProto: map[string]func(*http.Server, *tls.Conn, http.Handler){},
		ConnContext:  WithConn,
	}
}

// ServeHTTP serves srv on ln until ctx ends, then shuts it down, giving
// requests in flight shutdownGrace. With tc it serves TLS over a
// RecordConn per connection, so downloads send many records per syscall.
// A shutdown is not an error.
func ServeHTTP(ctx context.Context, srv *http.Server, ln net.Listener, tc *tls.Config) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownGrace)
		defer cancel()
		_ = srv.Shutdown(sctx)
	})
	defer stop()
	if tc != nil {
		ln = tls.NewListener(NewRecordListener(ln), tc)
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
