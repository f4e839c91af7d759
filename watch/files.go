package watch

import (
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// fileState is what the watcher last delivered (or saw at start) of a file.
type fileState struct {
	exists bool
	hash   [sha256.Size]byte
}

// readState hashes a file's content; a missing file is a state of its own.
func readState(path string) fileState {
	f, err := os.Open(path)
	if err != nil {
		return fileState{}
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		// A directory or an unreadable file: treat like a missing one.
		return fileState{}
	}
	st := fileState{exists: true}
	h.Sum(st.hash[:0])
	return st
}

// statSig is what polling compares between two looks at a file: content
// changes move mtime or ctime or size, and replacements change the inode.
type statSig struct {
	exists bool
	size   int64
	mtime  time.Time
	ctime  int64
	inode  uint64
}

func readSig(path string) statSig {
	fi, err := os.Stat(path) // follows symlinks, so a ConfigMap swap changes the inode
	if err != nil {
		return statSig{}
	}
	sig := statSig{exists: true, size: fi.Size(), mtime: fi.ModTime()}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		sig.inode = st.Ino
		sig.ctime = st.Ctim.Nano()
	}
	return sig
}

// linkNames lists the names in path's directory that path's symlink chain
// passes through, e.g. "..data" for a Kubernetes ConfigMap file whose
// "envoy.yaml -> ..data/envoy.yaml" and "..data -> ..2024_01_01_00_00_00.1".
// A change to any of them changes what the file reads as.
func linkNames(path string) []string {
	dir := filepath.Dir(path)
	var names []string
	current := path
	for range 16 { // bounded, in case of symlink loops
		fi, err := os.Lstat(current)
		if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			break
		}
		target, err := os.Readlink(current)
		if err != nil || filepath.IsAbs(target) {
			break
		}
		next := filepath.Join(filepath.Dir(current), target)
		rel, err := filepath.Rel(dir, next)
		if err != nil {
			break
		}
		first := rel
		if i := indexSep(rel); i >= 0 {
			first = rel[:i]
		}
		if first == ".." || first == "." {
			break
		}
		names = append(names, first)
		// Follow the first component if it is itself a symlink (..data).
		current = filepath.Join(dir, first)
		if first == rel {
			current = next
		}
	}
	return names
}

func indexSep(p string) int {
	for i := range len(p) {
		if os.IsPathSeparator(p[i]) {
			return i
		}
	}
	return -1
}

// resolved returns where a symlinked file really lives, when it is a
// symlink whose target exists.
func resolved(path string) (string, bool) {
	target, err := filepath.EvalSymlinks(path)
	if err != nil || target == path {
		return "", false
	}
	abs, err := filepath.Abs(target)
	return abs, err == nil
}

// existingAncestor returns the nearest ancestor of dir that exists.
func existingAncestor(dir string) (string, bool) {
	for d := filepath.Dir(dir); ; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.IsDir() {
			return d, true
		}
		if d == filepath.Dir(d) {
			return "", false
		}
	}
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
