package scp

import (
	"bufio"
	"errors"
	"fmt"
	"strings"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
)

// The legacy scp protocol (`scp -O`, the remote end runs `scp -t` to
// receive or `scp -f` to send) is served here in Go, through the session's
// file tree, so every name a client sends is resolved inside the worker.
// The wire format follows OpenSSH's scp.c: control lines ("C0644 12 name",
// "D0755 0 name", "E", "T<mtime> 0 <atime> 0"), each answered with a single
// byte 0 (ok) or 1 followed by an error line.

// errSCPProtocol marks a stream that breaks the protocol; the transfer ends.
var errSCPProtocol = errors.New("protocol error")

// scpMaxLine bounds a control line (OpenSSH's own buffer is 2 KiB).
const scpMaxLine = 4096

// scpOpts are the flags OpenSSH's client puts on the remote command.
type scpOpts struct {
	sink, source bool // -t, -f
	recursive    bool // -r
	preserve     bool // -p: modes and times
	targetDir    bool // -d: the target must be a directory
	args         []execio.Word
}

func parseSCPArgs(words []execio.Word) (scpOpts, error) {
	var o scpOpts
	i := 0
	for ; i < len(words); i++ {
		w := words[i].Text
		if w == "--" {
			i++
			break
		}
		if !strings.HasPrefix(w, "-") || w == "-" {
			break
		}
		for _, c := range w[1:] {
			switch c {
			case 't':
				o.sink = true
			case 'f':
				o.source = true
			case 'r':
				o.recursive = true
			case 'p':
				o.preserve = true
			case 'd':
				o.targetDir = true
			case 'v', 'q':
			default:
				return o, fmt.Errorf("unknown option -%c (the server side of scp takes -t, -f, -r, -p, -d, -v)", c)
			}
		}
	}
	o.args = words[i:]
	if o.sink == o.source {
		return o, errors.New("exactly one of -t (receive) and -f (send) is required; use the scp client")
	}
	if len(o.args) == 0 {
		return o, errors.New("no file named")
	}
	return o, nil
}

// scpConn is one scp transfer in either direction.
type scpConn struct {
	x    *execio.IO
	o    scpOpts
	buf  []byte
	errs int // non-fatal errors reported to the peer; any makes the exit 1
}

// Run serves `scp -t ...` or `scp -f ...` and returns the exit status.
func Run(x *execio.IO, words []execio.Word) int {
	o, err := parseSCPArgs(words[1:])
	if err != nil {
		fmt.Fprintf(x.Stderr, "scp: %v\n", err)
		return 1
	}
	c := &scpConn{x: x, o: o, buf: make([]byte, execio.BufSize)}
	if o.sink {
		err = c.sinkMain()
	} else {
		err = c.sourceMain()
	}
	if err != nil {
		c.runErr("%v", err)
		return 1
	}
	if c.errs > 0 {
		return 1
	}
	return 0
}

// runErr reports a non-fatal error to the peer, which prints it.
func (c *scpConn) runErr(format string, args ...any) {
	c.errs++
	fmt.Fprintf(c.x.Out, "\x01scp: "+format+"\n", args...)
	_ = c.x.Out.Flush()
}

// ack tells the peer the last step went well.
func (c *scpConn) ack() error {
	if err := c.x.Out.WriteByte(0); err != nil {
		return err
	}
	return c.x.Out.Flush()
}

// response reads the peer's answer to the last step: nil, an error the
// peer reported (counted), or a fatal error.
func (c *scpConn) response() error {
	if err := c.x.Out.Flush(); err != nil {
		return err
	}
	b, err := c.x.In.ReadByte()
	if err != nil {
		return fmt.Errorf("lost connection: %w", err)
	}
	switch b {
	case 0:
		return nil
	case 1, 2:
		line, err := c.readLine()
		if err != nil {
			return err
		}
		c.errs++
		if b == 2 {
			return fmt.Errorf("peer gave up: %s: %w", line, errSCPProtocol)
		}
		return errPeerRefused
	}
	return fmt.Errorf("unexpected response byte %#x: %w", b, errSCPProtocol)
}

// errPeerRefused means the peer answered a step with an error line.
var errPeerRefused = errors.New("refused by the peer")

// readLine reads one control line without its newline.
func (c *scpConn) readLine() (string, error) {
	var sb strings.Builder
	for {
		frag, err := c.x.In.ReadSlice('\n')
		sb.Write(frag)
		if sb.Len() > scpMaxLine {
			return "", fmt.Errorf("control line too long: %w", errSCPProtocol)
		}
		if err == nil {
			return strings.TrimSuffix(sb.String(), "\n"), nil
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			if sb.Len() > 0 {
				return "", fmt.Errorf("truncated control line: %w", errSCPProtocol)
			}
			return "", err
		}
	}
}
