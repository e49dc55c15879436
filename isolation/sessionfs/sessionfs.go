package sessionfs

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
)

// FS is the file tree a session's users see: "/" holds exactly the
// session's mounts and nothing else, and every path below a mount is
// resolved through an *os.Root, so even a symlink a user planted cannot
// lead out of its mount. Inside a worker the kernel sandbox around it is
// the second, independent wall. An FS is immutable after Open and safe for
// concurrent use.
type FS struct {
	mounts map[string]*Mount
	names  []string // sorted mount names, the listing of "/"
}

// Mount is one folder of the tree, shown at /<Name>. Its fields are set by
// Open and never change.
type Mount struct {
	Name     string
	ReadOnly bool
	Root     *os.Root // every access below the mount goes through it
}

// Spec is one folder to open: the directory Dir shown at /<Name>.
type Spec struct {
	Name     string // a single path element, validated by the caller
	Dir      string // inside a worker "/<Name>"; on the host the vfolder
	ReadOnly bool
}

// Errors the protocols map to their status codes; check them with errors.Is.
// Both wrap fs.ErrPermission.
var (
	// ErrReadOnly refuses a change below a read-only mount.
	ErrReadOnly = fmt.Errorf("read-only folder: %w", fs.ErrPermission)
	// ErrVirtual refuses a change to "/" itself, which holds only the mounts.
	ErrVirtual = fmt.Errorf("the session root holds only its folders: %w", fs.ErrPermission)
	// ErrCrossDev refuses a rename or link between two mounts: an os.Root
	// cannot reach into another.
	ErrCrossDev = errors.New("rename or link across folders is not supported")
)

// Open opens the tree of mounts. Names must be unique.
func Open(mounts []Spec) (*FS, error) {
	sfs := &FS{mounts: make(map[string]*Mount, len(mounts))}
	for _, m := range mounts {
		if _, dup := sfs.mounts[m.Name]; dup {
			sfs.Close()
			return nil, fmt.Errorf("open mount %q: %w", m.Name, fs.ErrExist)
		}
		root, err := os.OpenRoot(m.Dir)
		if err != nil {
			sfs.Close()
			return nil, fmt.Errorf("open mount %q: %w", m.Name, err)
		}
		sfs.mounts[m.Name] = &Mount{Name: m.Name, ReadOnly: m.ReadOnly, Root: root}
		sfs.names = append(sfs.names, m.Name)
	}
	slices.Sort(sfs.names)
	return sfs, nil
}

// Close closes the mounts' roots. A worker never calls it (its tree lives
// as long as the worker); a tree opened on the host must be closed.
func (s *FS) Close() error {
	var errs []error
	for _, m := range s.mounts {
		errs = append(errs, m.Root.Close())
	}
	return errors.Join(errs...)
}

// Names returns the mount names in sorted order (the listing of "/"). The
// slice is shared: do not modify it.
func (s *FS) Names() []string { return s.names }

// Mount returns the mount named name, or nil if there is none.
func (s *FS) Mount(name string) *Mount { return s.mounts[name] }

// Resolve maps a session path to its mount and the path relative to the
// mount's root ("." for the mount itself). "/" itself yields a nil mount.
// Nothing is touched on disk: the Root resolves the relative path, and
// refuses what leads out of the mount, when it is used.
func (s *FS) Resolve(p string) (*Mount, string, error) {
	p = path.Clean("/" + p)
	if p == "/" {
		return nil, "", nil
	}
	name, rel, _ := strings.Cut(p[1:], "/")
	m, ok := s.mounts[name]
	if !ok {
		return nil, "", &fs.PathError{Op: "resolve", Path: p, Err: fs.ErrNotExist}
	}
	if rel == "" {
		rel = "."
	}
	return m, rel, nil
}

// ResolveWritable is Resolve for operations that modify the tree below a
// mount: "/" is ErrVirtual, a read-only mount ErrReadOnly.
func (s *FS) ResolveWritable(p string) (*Mount, string, error) {
	m, rel, err := s.Resolve(p)
	switch {
	case err != nil:
		return nil, "", err
	case m == nil:
		return nil, "", ErrVirtual
	case m.ReadOnly:
		return nil, "", ErrReadOnly
	}
	return m, rel, nil
}

// ResolvePair resolves the two writable paths of a rename or link, which
// must lie in one mount (else ErrCrossDev).
func (s *FS) ResolvePair(from, to string) (*Mount, string, string, error) {
	src, srcRel, err := s.ResolveWritable(from)
	if err != nil {
		return nil, "", "", err
	}
	dst, dstRel, err := s.ResolveWritable(to)
	if err != nil {
		return nil, "", "", err
	}
	if src != dst {
		return nil, "", "", ErrCrossDev
	}
	return src, srcRel, dstRel, nil
}
