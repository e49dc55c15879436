package serve

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"strings"
	"syscall"

	"github.com/storage-agent/storage-agent/isolation/serve/execio"
)

// checksumHashes are the coreutils checksum commands served in the worker,
// so that clients can verify a transfer without a shell.
var checksumHashes = map[string]func() hash.Hash{
	"md5sum":    md5.New,
	"sha1sum":   sha1.New,
	"sha256sum": sha256.New,
	"sha512sum": sha512.New,
}

// runChecksum prints "<hex>  <path>" per file like coreutils (" *" with
// -b), reads stdin for "-" or no file, reports each failure on stderr as
// "<cmd>: <path>: <reason>" and exits 1 if any file failed.
func runChecksum(x *execio.IO, name string, args []string) int {
	newHash := checksumHashes[name]
	mark := " "
	var files []string
	opts := true
	for _, a := range args {
		switch {
		case opts && a == "--":
			opts = false
		case opts && (a == "-b" || a == "--binary"):
			mark = "*"
		case opts && (a == "-t" || a == "--text"):
			mark = " "
		case opts && strings.HasPrefix(a, "-") && a != "-":
			fmt.Fprintf(x.Stderr, "%s: unrecognized option '%s'; supported here: -b, -t, --\n", name, a)
			return 1
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 {
		files = []string{"-"}
	}
	status := 0
	buf := make([]byte, execio.BufSize)
	for _, f := range files {
		h := newHash()
		if err := hashFile(x, h, f, buf); err != nil {
			fmt.Fprintf(x.Stderr, "%s: %s: %s\n", name, f, execio.ErrText(err))
			status = 1
			continue
		}
		line := hex.EncodeToString(h.Sum(nil)) + " " + mark + f
		if strings.ContainsAny(f, "\\\n\r") {
			// coreutils escapes such names and flags the line with a
			// leading backslash, so that -c can parse it back.
			r := strings.NewReplacer("\\", "\\\\", "\n", "\\n", "\r", "\\r")
			line = "\\" + hex.EncodeToString(h.Sum(nil)) + " " + mark + r.Replace(f)
		}
		if _, err := fmt.Fprintln(x.Out, line); err != nil {
			return 1
		}
	}
	if x.Out.Flush() != nil {
		return 1
	}
	return status
}

// hashFile feeds a session file ("-" is stdin) into h.
func hashFile(x *execio.IO, h hash.Hash, p string, buf []byte) error {
	if p == "-" {
		_, err := io.CopyBuffer(h, x.In, buf)
		return err
	}
	m, rel, err := x.Tree.Resolve(p)
	if err != nil {
		return err
	}
	if m == nil {
		return syscall.EISDIR
	}
	f, err := m.Root.Open(rel)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
	return err
}
