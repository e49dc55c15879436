package web

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/storage-agent/storage-agent/isolation/webproto"
	"golang.org/x/sys/unix"
)

// A striped tus upload (our extension, "Upload-Stripes: N" on creation)
// splits the file into N stripes of ceil(Length/N) bytes that the client
// sends side by side, each as an ordinary run of PATCHes from its start.
// One browser connection is bound by the browser's own per-request
// pipeline well below what the server and the link can take; several
// connections on one file are not. The bytes go straight to their place
// in one staged file (no concatenation at the end). t-<key>.stripes
// holds each stripe's offset reached, 8 bytes a stripe, written only by
// the PATCH that holds that stripe's lock; the upload is complete, and
// renamed into place, when every stripe is.

// stripeSize is the length of every stripe but the last.
func stripeSize(length int64, n int) int64 {
	return (length + int64(n) - 1) / int64(n)
}

// validStripes reports whether n stripes of length bytes each hold at
// least one byte.
func validStripes(length int64, n int) bool {
	return n >= 2 && n <= webproto.MaxStripes && int64(n-1)*stripeSize(length, n) < length
}

// stripeEnd is where stripe k ends.
func stripeEnd(length int64, n, k int) int64 {
	return min(length, int64(k+1)*stripeSize(length, n))
}

// stripeLock takes an open-file-description lock on stripe k's slot of
// the .stripes file (k == n: the lock that guards completion). OFD locks
// belong to the open file, so two PATCHes in this one worker exclude each
// other as two processes would.
func stripeLock(f *os.File, k int, wait bool) error {
	lk := unix.Flock_t{Type: unix.F_WRLCK, Whence: io.SeekStart, Start: int64(8 * k), Len: 8}
	cmd := unix.F_OFD_SETLK
	if wait {
		cmd = unix.F_OFD_SETLKW
	}
	return unix.FcntlFlock(f.Fd(), cmd, &lk)
}

// readStripes reads every stripe's offset reached.
func readStripes(f *os.File, n int) ([]int64, error) {
	b := make([]byte, 8*n)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("stripe offsets: %w", err)
	}
	offs := make([]int64, n)
	for k := range offs {
		offs[k] = int64(binary.LittleEndian.Uint64(b[8*k:]))
	}
	return offs, nil
}

// writeStripe records stripe k's offset reached.
func writeStripe(f *os.File, k int, off int64) error {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(off))
	_, err := f.WriteAt(b[:], int64(8*k))
	return err
}

// contiguous is how far from 0 the bytes have all arrived: the plain tus
// Upload-Offset of a striped upload.
func contiguous(meta tusMeta, offs []int64) int64 {
	for k, off := range offs {
		if off < stripeEnd(meta.Length, meta.Stripes, k) {
			return off
		}
	}
	return meta.Length
}

// createStripes sizes the staged file and starts every stripe at its
// beginning. Allocating the whole length up front makes a full disk or
// quota refuse the upload now, not after most of it was sent.
func createStripes(f *os.File, p webPath, key string, length int64, n int) error {
	if err := unix.Fallocate(int(f.Fd()), 0, 0, length); err != nil && !errors.Is(err, unix.EOPNOTSUPP) {
		return fmt.Errorf("reserving %d bytes: %w", length, err)
	}
	b := make([]byte, 8*n)
	for k := range n {
		binary.LittleEndian.PutUint64(b[8*k:], uint64(int64(k)*stripeSize(length, n)))
	}
	return p.m.Root.WriteFile(path.Join(uploadsDir, key+".stripes"), b, 0o600)
}

// stripesHead answers HEAD for a striped upload.
func (c *webCall) stripesHead(p webPath, key string, meta tusMeta) error {
	sf, err := p.m.Root.Open(path.Join(uploadsDir, key+".stripes"))
	if err != nil {
		return err
	}
	defer sf.Close()
	offs, err := readStripes(sf, meta.Stripes)
	if err != nil {
		return err
	}
	return c.reply(webproto.WebReply{Offset: contiguous(meta, offs), Length: meta.Length, Stripes: offs})
}

// stripesPatch writes a PATCH's body into the stripe its Upload-Offset
// falls in, which must be where that stripe has reached. Bytes past the
// stripe's end refuse the chunk (413); a cut body keeps what arrived.
func (c *webCall) stripesPatch(p webPath, key string, meta tusMeta) error {
	sf, err := p.m.Root.OpenFile(path.Join(uploadsDir, key+".stripes"), os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer sf.Close()
	at := c.req.Offset
	if at >= meta.Length {
		return c.reply(webproto.WebReply{Status: 409, Error: "Upload-Offset past the upload's length", Length: meta.Length})
	}
	k := int(at / stripeSize(meta.Length, meta.Stripes))
	end := stripeEnd(meta.Length, meta.Stripes, k)
	// One PATCH at a time per stripe, for the reason tusPatch gives.
	if err := stripeLock(sf, k, false); err != nil {
		return c.reply(webproto.WebReply{Status: 409, Error: "another PATCH of this stripe is running", Length: meta.Length})
	}
	offs, err := readStripes(sf, meta.Stripes)
	if err != nil {
		return err
	}
	if offs[k] != at {
		return c.reply(webproto.WebReply{Status: 409, Error: "Upload-Offset is not where its stripe has reached", Offset: offs[k], Length: meta.Length, Stripes: offs})
	}
	f, err := p.m.Root.OpenFile(path.Join(uploadsDir, key+".part"), os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := c.receiveChunk(f, at, end)
	if err != nil {
		return err // the stripe's offset stays where it was
	}
	if err := writeStripe(sf, k, at+n); err != nil {
		return err
	}
	if at+n == end {
		if err := c.finishStripes(p, key, meta, sf); err != nil {
			return err
		}
	}
	return c.reply(webproto.WebReply{Offset: at + n, Length: meta.Length})
}

// finishStripes renames the upload into place if every stripe is
// complete. Two last PATCHes may end at once: the completion lock and a
// check that the .stripes file is still there let only one of them
// rename.
func (c *webCall) finishStripes(p webPath, key string, meta tusMeta, sf *os.File) error {
	if err := stripeLock(sf, meta.Stripes, true); err != nil {
		return fmt.Errorf("completion lock: %w", err)
	}
	mine, err := sf.Stat()
	if err != nil {
		return err
	}
	if now, err := p.m.Root.Lstat(path.Join(uploadsDir, key+".stripes")); err != nil || !os.SameFile(mine, now) {
		return nil // the other last PATCH finished it
	}
	offs, err := readStripes(sf, meta.Stripes)
	if err != nil || contiguous(meta, offs) < meta.Length {
		return err
	}
	return c.tusFinish(p, key, meta.Override)
}
