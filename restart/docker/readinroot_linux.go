package docker

import (
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// errNoResolveInRoot marks a kernel without openat2 (Linux < 5.6).
var errNoResolveInRoot = errors.New("openat2 RESOLVE_IN_ROOT unavailable")

// readInRoot reads p as a process whose root is root would: symlinks in p,
// absolute ones included, resolve inside root (openat2 RESOLVE_IN_ROOT).
// A plain read of root+p would resolve an absolute symlink against this
// process's own root, and so read another file than the container does.
func readInRoot(root, p string) ([]byte, error) {
	dir, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	fd, err := unix.Openat2(int(dir.Fd()), strings.TrimPrefix(p, "/"), &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_CLOEXEC, Resolve: unix.RESOLVE_IN_ROOT,
	})
	if errors.Is(err, unix.ENOSYS) {
		return nil, errNoResolveInRoot
	}
	if err != nil {
		return nil, &os.PathError{Op: "openat2", Path: root + p, Err: err}
	}
	f := os.NewFile(uintptr(fd), root+p)
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, 64<<20))
}

// birthTime is when the file at path was created (statx's btime), where
// the file system records it.
func birthTime(path string) (time.Time, bool) {
	var stx unix.Statx_t
	if err := unix.Statx(unix.AT_FDCWD, path, 0, unix.STATX_BTIME, &stx); err != nil || stx.Mask&unix.STATX_BTIME == 0 {
		return time.Time{}, false
	}
	return time.Unix(stx.Btime.Sec, int64(stx.Btime.Nsec)), true
}
