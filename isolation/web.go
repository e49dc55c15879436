package isolation

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"github.com/storage-agent/storage-agent/isolation/unixsock"
	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// opWeb is the control request that carries one webfs file operation; its
// Command field holds the JSON of a webproto.WebRequest, and one stream
// socket goes with it. On that stream the daemon sends the request body (if
// any) and half-closes; the worker (isolation/serve/web) answers with one
// JSON line (a webproto.WebReply) followed by the payload, then closes.
const opWeb = "web"

// Web runs one file operation in the worker. body, if non-nil, is sent
// first (uploads). The returned reader holds the payload; close it.
func (w *Worker) Web(ctx context.Context, req webproto.WebRequest, body io.Reader) (webproto.WebReply, io.ReadCloser, error) {
	cmd, err := json.Marshal(req)
	if err != nil {
		return webproto.WebReply{}, nil, fmt.Errorf("isolation: encode web request: %w", err)
	}
	local, remote, err := unixsock.Pair(unix.SOCK_STREAM)
	if err != nil {
		return webproto.WebReply{}, nil, err
	}
	files := []*os.File{remote}
	// A raw read's bytes come through a pipe: the worker splices file
	// pages into it without copying them, and reading it here is the one
	// copy, as when a web server reads a file itself.
	var pipeR *os.File
	if req.Op == webproto.WebRead {
		var pipeW *os.File
		if pipeR, pipeW, err = newDataPipe(); err != nil {
			local.Close()
			remote.Close()
			return webproto.WebReply{}, nil, err
		}
		files = append(files, pipeW)
	}
	err = w.send(request{Op: opWeb, Command: string(cmd)}, files...)
	unixsock.CloseFiles(files)
	if err != nil {
		local.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		return webproto.WebReply{}, nil, err
	}
	conn, err := unixsock.Conn(local)
	if err != nil {
		return webproto.WebReply{}, nil, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	if body != nil {
		// A write error means the worker answered early (an error): its
		// reply is still readable.
		_ = copyCoalesced(conn, body)
	}
	_ = conn.CloseWrite()
	br := bufio.NewReaderSize(conn, 256<<10)
	line, err := br.ReadSlice('\n')
	if err != nil {
		stop()
		conn.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		if ctx.Err() != nil {
			return webproto.WebReply{}, nil, ctx.Err()
		}
		return webproto.WebReply{}, nil, fmt.Errorf("isolation: web reply: %w: %w", ErrWorkerGone, err)
	}
	var rep webproto.WebReply
	if err := json.Unmarshal(line, &rep); err != nil {
		stop()
		conn.Close()
		if pipeR != nil {
			pipeR.Close()
		}
		return webproto.WebReply{}, nil, fmt.Errorf("isolation: decode web reply: %w", err)
	}
	if pipeR != nil {
		return rep, &webPayload{Reader: batchio.NewSysReader(pipeR), conn: conn, pipe: pipeR, stop: stop}, nil
	}
	return rep, &webPayload{Reader: br, conn: conn, stop: stop}, nil
}

// newDataPipe makes a pipe for a raw read's bytes, with a large buffer so
// the worker can splice well ahead of the reader.
func newDataPipe() (r, w *os.File, err error) {
	r, w, err = os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("isolation: data pipe: %w", err)
	}
	_, _ = unix.FcntlInt(w.Fd(), unix.F_SETPIPE_SZ, webproto.DataPipeSize) // best effort
	return r, w, nil
}

// webPayload is the rest of a web stream after the reply line, or the
// data pipe of a raw read.
type webPayload struct {
	io.Reader
	conn *net.UnixConn
	pipe *os.File // nil unless a raw read
	stop func() bool
}

// Close ends the operation (the worker sees the stream close).
func (p *webPayload) Close() error {
	p.stop()
	if p.pipe != nil {
		p.pipe.Close()
	}
	return p.conn.Close()
}

// coalesceMin is the least a body relay gathers before it writes to the
// worker (the whole rest of the body when that is smaller).
const coalesceMin = 256 << 10

// copyCoalesced relays a request body to the worker in writes of at least
// coalesceMin bytes. An HTTPS body reads one TLS record (16 KiB) at a time;
// relayed as it came, every record woke the worker: 65,536 times per GiB
// uploaded.
func copyCoalesced(dst io.Writer, src io.Reader) error {
	buf := make([]byte, 1<<20)
	for {
		n, err := io.ReadAtLeast(src, buf, coalesceMin)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
		}
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return nil
		case err != nil:
			return err
		}
	}
}
