package sessionfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
)

// escapeMsg is the text of os.Root's (unexported) error for a path that
// leaves the root; it is the only way to tell that refusal apart.
const escapeMsg = "path escapes from parent"

// IsEscape reports whether err is an *os.Root's refusal of a path that
// would lead out of its directory ("..", or a symlink pointing out). The
// refusal may sit under several *fs.PathError layers (MkdirAll wraps its
// stat's), so the chain is walked.
func IsEscape(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == escapeMsg {
			return true
		}
	}
	return false
}

// CopyFile copies the regular file srel of src to the new file drel of dst
// (which must not exist) with permissions perm. Callers Lstat the source
// first; a symlink swapped in since is followed only inside src (os.Root
// resolves every link itself, whatever the open flags say). Between
// *os.File the kernel moves the bytes (copy_file_range where it can).
func CopyFile(src *os.Root, srel string, dst *os.Root, drel string, perm fs.FileMode) error {
	in, err := src.Open(srel)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := dst.OpenFile(drel, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	_, err = io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err // unwrapped: the protocols report the *fs.PathError as it is
}
