package sftpd_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/storage-agent/storage-agent/isolation/batchio"
	"golang.org/x/crypto/ssh"
)

// BenchmarkSSHChannel measures what x/crypto/ssh costs per GiB through one
// session channel, driven as the daemon drives it: AES-128-GCM, the server
// end over batchio, 1 MiB writes and 256 KiB reads. Both ends run in this
// process, so cpu-s/GiB is the CPU of both, user and kernel. It exists to
// weigh changes to x/crypto/ssh itself (BENCH.md, "What x/crypto/ssh's
// copies cost"): build it once against upstream and once with a replace
// directive pointing at a patched copy (go test -modfile), alternate the
// two binaries, and compare medians; this VM's noise between single runs
// is larger than the effects.
func BenchmarkSSHChannel(b *testing.B) {
	b.Run("server-writes", func(b *testing.B) {
		client, server := sshChannelPair(b)
		streamThrough(b, server, client)
	})
	b.Run("server-reads", func(b *testing.B) {
		client, server := sshChannelPair(b)
		streamThrough(b, client, server)
	})
}

// sshChannelPair opens a session channel between an x/crypto/ssh client
// and server on loopback TCP.
func sshChannelPair(b *testing.B) (client, server ssh.Channel) {
	b.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	signer, err := ssh.NewSignerFromKey(key)
	if err != nil {
		b.Fatal(err)
	}
	ciphers := ssh.Config{Ciphers: []string{"aes128-gcm@openssh.com"}}
	cfg := &ssh.ServerConfig{NoClientAuth: true, Config: ciphers}
	cfg.AddHostKey(signer)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })

	accepted := make(chan ssh.Channel, 1)
	go func() {
		defer close(accepted)
		raw, err := ln.Accept()
		if err != nil {
			return
		}
		b.Cleanup(func() { raw.Close() })
		_, chans, reqs, err := ssh.NewServerConn(batchio.NewConn(raw), cfg)
		if err != nil {
			return
		}
		go ssh.DiscardRequests(reqs)
		for nc := range chans {
			ch, chReqs, err := nc.Accept()
			if err != nil {
				return
			}
			go ssh.DiscardRequests(chReqs)
			accepted <- ch
		}
	}()

	conn, err := ssh.Dial("tcp", ln.Addr().String(), &ssh.ClientConfig{
		User: "bench", HostKeyCallback: ssh.InsecureIgnoreHostKey(), Config: ciphers,
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	client, chReqs, err := conn.OpenChannel("session", nil)
	if err != nil {
		b.Fatal(err)
	}
	go ssh.DiscardRequests(chReqs)
	server, ok := <-accepted
	if !ok {
		b.Fatal("server did not accept the channel")
	}
	return client, server
}

// streamThrough writes 256 MiB per iteration into from and reads it all
// from to, reporting the process's CPU seconds per GiB.
func streamThrough(b *testing.B, from, to ssh.Channel) {
	const perOp = 256 << 20
	b.SetBytes(perOp)
	total := int64(perOp) * int64(b.N)
	read := make(chan error, 1)
	go func() {
		buf := make([]byte, 256<<10)
		for n := int64(0); n < total; {
			m, err := to.Read(buf)
			if err != nil {
				read <- err
				return
			}
			n += int64(m)
		}
		read <- nil
	}()
	chunk := make([]byte, 1<<20)
	b.ResetTimer()
	before := processCPU()
	for range b.N {
		for sent := 0; sent < perOp; sent += len(chunk) {
			if _, err := from.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := <-read; err != nil {
		b.Fatal(err)
	}
	used := processCPU() - before
	b.ReportMetric(used.Seconds()/(float64(total)/(1<<30)), "cpu-s/GiB")
}

// processCPU is the CPU time this process has used, user and system.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
