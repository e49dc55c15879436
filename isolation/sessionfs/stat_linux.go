package sessionfs

import (
	"io/fs"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// StatInfo builds a FileInfo from a stat result; Sys returns the
// *syscall.Stat_t so that pkg/sftp reports uid, gid and atime too.
func StatInfo(name string, st *unix.Stat_t) fs.FileInfo {
	return &rawInfo{name: name, st: st}
}

type rawInfo struct {
	name string
	st   *unix.Stat_t
}

func (r *rawInfo) Name() string       { return r.name }
func (r *rawInfo) Size() int64        { return r.st.Size }
func (r *rawInfo) ModTime() time.Time { return time.Unix(r.st.Mtim.Unix()) }
func (r *rawInfo) IsDir() bool        { return r.st.Mode&unix.S_IFMT == unix.S_IFDIR }
func (r *rawInfo) Sys() any           { return toSyscallStat(r.st) }
func (r *rawInfo) Mode() fs.FileMode {
	m := fs.FileMode(r.st.Mode & 0o777)
	switch r.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	if r.st.Mode&unix.S_ISUID != 0 {
		m |= fs.ModeSetuid
	}
	if r.st.Mode&unix.S_ISGID != 0 {
		m |= fs.ModeSetgid
	}
	if r.st.Mode&unix.S_ISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// RootInfo is the FileInfo of "/", the virtual root: a read-only directory
// that holds the mounts.
func RootInfo() fs.FileInfo {
	return NamedInfo("/", fs.ModeDir|0o555, time.Now())
}

// NamedInfo is the FileInfo of a synthetic entry (the virtual root, a
// readlink answer): a name and a mode, no size.
func NamedInfo(name string, mode fs.FileMode, modTime time.Time) fs.FileInfo {
	return namedInfo{name: name, mode: mode, modTime: modTime}
}

// namedInfo is a synthetic entry; see NamedInfo.
type namedInfo struct {
	name    string
	mode    fs.FileMode
	modTime time.Time
}

func (n namedInfo) Name() string       { return n.name }
func (n namedInfo) Size() int64        { return 0 }
func (n namedInfo) Mode() fs.FileMode  { return n.mode }
func (n namedInfo) ModTime() time.Time { return n.modTime }
func (n namedInfo) IsDir() bool        { return n.mode.IsDir() }
func (n namedInfo) Sys() any           { return nil }

// toSyscallStat converts x/sys's stat to the syscall type that pkg/sftp
// inspects for ownership and times.
func toSyscallStat(st *unix.Stat_t) *syscall.Stat_t {
	return &syscall.Stat_t{
		Dev: st.Dev, Ino: st.Ino, Nlink: st.Nlink, Mode: st.Mode, Uid: st.Uid, Gid: st.Gid,
		Rdev: st.Rdev, Size: st.Size, Blksize: st.Blksize, Blocks: st.Blocks,
		Atim: syscall.Timespec{Sec: st.Atim.Sec, Nsec: st.Atim.Nsec},
		Mtim: syscall.Timespec{Sec: st.Mtim.Sec, Nsec: st.Mtim.Nsec},
		Ctim: syscall.Timespec{Sec: st.Ctim.Sec, Nsec: st.Ctim.Nsec},
	}
}
