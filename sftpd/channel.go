package sftpd

import (
	"fmt"
	"sync"

	"golang.org/x/crypto/ssh"
)

// Messages written to the client's stderr, one line each.
const (
	msgNoShell        = "storage-agent: interactive shells are not available here; use sftp, scp or rsync"
	msgSubsystems     = "storage-agent: subsystem %q is not available here; the only subsystem is sftp (scp and rsync work too)"
	msgNoSFTP         = "storage-agent: the sftp server of this session cannot be reached; try again later"
	msgExecFailure    = "storage-agent: %v"
	rejectChannel     = "storage-agent: only session channels are allowed (no port, X11 or agent forwarding)"
	rejectSessionFull = "storage-agent: this session already has %d open channels over all its connections (session.max-ssh-channels); close one and retry"
	rejectTooMany     = "storage-agent: this connection already has %d open channels (session.max-channels-per-connection); close one or open another connection"
)

// handleChannel serves one channel the client opened, until it closes.
func (c *conn) handleChannel(nc ssh.NewChannel) {
	if nc.ChannelType() != "session" {
		c.log.Info("ssh channel refused", "type", clip(nc.ChannelType()))
		nc.Reject(ssh.Prohibited, rejectChannel)
		return
	}
	if c.channels.Add(1) > int32(c.srv.maxChannels) {
		c.channels.Add(-1)
		nc.Reject(ssh.ResourceShortage, fmt.Sprintf(rejectTooMany, c.srv.maxChannels))
		return
	}
	defer c.channels.Add(-1)
	release, _, ok := c.srv.channels.Acquire(c.sess.ID())
	if !ok {
		nc.Reject(ssh.ResourceShortage, fmt.Sprintf(rejectSessionFull, c.srv.channels.Max()))
		return
	}
	defer release()
	ch, reqs, err := nc.Accept()
	if err != nil {
		c.log.Debug("ssh channel accept failed", "err", err)
		return
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	started := false // only one of subsystem/exec/shell per channel
	// The loop ends when the channel closes; whatever runs it closes it.
	for req := range reqs {
		switch {
		case started && (req.Type == "subsystem" || req.Type == "exec" || req.Type == "shell"):
			req.Reply(false, nil)
		case req.Type == "subsystem":
			started = c.subsystem(ch, req, &wg)
		case req.Type == "exec":
			started = c.exec(ch, req, &wg)
		case req.Type == "shell":
			started = true
			req.Reply(true, nil)
			fmt.Fprintln(ch.Stderr(), msgNoShell)
			exit(ch, 1)
		default:
			// pty-req, env, x11-req, auth-agent-req@openssh.com, signal,
			// window-change, keepalives...: OpenSSH sends some of these
			// routinely and carries on when they are refused, so refuse
			// quietly.
			req.Reply(false, nil)
		}
	}
}

// subsystem starts the sftp relay; it reports whether the channel is now
// taken.
func (c *conn) subsystem(ch ssh.Channel, req *ssh.Request, wg *sync.WaitGroup) bool {
	var p struct{ Name string }
	if err := ssh.Unmarshal(req.Payload, &p); err != nil {
		req.Reply(false, nil)
		return false
	}
	if p.Name != "sftp" {
		fmt.Fprintf(ch.Stderr(), msgSubsystems+"\n", clip(p.Name))
		req.Reply(false, nil)
		return false
	}
	release := c.sess.Hold()
	stream, err := c.sess.OpenSFTP(c.ctx)
	if err != nil {
		release()
		c.log.Warn("sftp stream failed", "err", err)
		fmt.Fprintln(ch.Stderr(), msgNoSFTP)
		req.Reply(false, nil)
		return false
	}
	req.Reply(true, nil) // before relaying: the client waits for it before it speaks sftp
	wg.Go(func() {
		defer release()
		c.relay(ch, stream)
	})
	return true
}

// exec hands a command to the session; it reports whether the channel is now
// taken.
func (c *conn) exec(ch ssh.Channel, req *ssh.Request, wg *sync.WaitGroup) bool {
	var p struct{ Command string }
	if err := ssh.Unmarshal(req.Payload, &p); err != nil {
		req.Reply(false, nil)
		return false
	}
	req.Reply(true, nil)
	wg.Go(func() {
		release := c.sess.Hold()
		defer release()
		code, err := c.sess.Exec(c.ctx, p.Command, ch, ch, ch.Stderr())
		if err != nil {
			c.log.Info("ssh exec refused or failed", "command", clip(p.Command), "err", err)
			fmt.Fprintf(ch.Stderr(), msgExecFailure+"\n", err)
			code = 1
		}
		exit(ch, code)
	})
	return true
}

// exit ends a channel the way sshd does: EOF, exit-status, close.
func exit(ch ssh.Channel, code int) {
	if code < 0 || code > 255 {
		code = 255
	}
	ch.CloseWrite()
	ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)}))
	ch.Close()
}
