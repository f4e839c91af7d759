package docker

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Before the signal, the reloader establishes that Envoy in the target will
// read the bytes that were validated. A bind mount of a single file pins the
// inode the host path had when the container started: a save that renames
// (vim's and emacs's defaults, JetBrains' safe write, sed -i, git checkout)
// gives the host path a new inode that the container never sees. Docker's
// archive API (docker cp) resolves the path on the host side and so returns
// the new bytes: it cannot see this. Two kinds of evidence can, without any
// tool in the image:
//
//  1. A direct read in the container's own mount namespace, through
//     /proc/<pid>/root/<path>, where <pid> is the container's init process
//     as the Engine reports it. This is what Envoy will open, so a digest
//     that differs is proof. It needs the Engine on this machine, in this
//     PID namespace, and the right to read that process's root (root, or
//     the container running as our own user). Preferred whenever it works.
//  2. The host file of a single-file mount: created (statx btime) after
//     the container started, or with another inode than when this reloader
//     first saw the container instance. A bind mount never follows a
//     rename, so such a file is not what the container reads. Only trusted where the Engine
//     is known to run on this machine (its init process is visible here):
//     Docker Desktop shares files into a VM through its own file system,
//     where inodes mean something else.
//
// Anything else is "could not verify": a warning, never a blocked reload.
// docker exec (cat / sha256sum) is not used: distroless images and the
// scratch stand-in have no such tool, and an exec costs tens of
// milliseconds per reload where (1) costs well under one.

// fileID is a file's identity on this machine.
type fileID struct{ dev, ino uint64 }

func statID(path string) (fileID, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // Dev is int32 on some platforms
}

// bindMount is a bind mount of a container: Source here, Destination inside.
type bindMount struct {
	Source, Destination string
}

// spec is the mount as a -v flag, for messages.
func (m bindMount) spec() string { return m.Source + ":" + m.Destination }

// envoyPathOf maps a host path to where the container sees it, through the
// bind mount with the longest matching source; ok is false when no mount
// covers it.
func envoyPathOf(mounts []bindMount, host string) (string, bindMount, bool) {
	var best bindMount
	found := false
	for _, m := range mounts {
		src := filepath.Clean(m.Source)
		if (host == src || strings.HasPrefix(host, src+string(filepath.Separator))) && (!found || len(src) > len(best.Source)) {
			best, found = bindMount{Source: src, Destination: m.Destination}, true
		}
	}
	if !found {
		return "", bindMount{}, false
	}
	return filepath.Join(best.Destination, strings.TrimPrefix(host, best.Source)), best, true
}

// mountOf returns the bind mount through which the container reads envoyPath.
func mountOf(mounts []bindMount, envoyPath string) (bindMount, bool) {
	var best bindMount
	found := false
	for _, m := range mounts {
		dst := filepath.Clean(m.Destination)
		if (envoyPath == dst || strings.HasPrefix(envoyPath, dst+"/")) && (!found || len(dst) > len(best.Destination)) {
			best, found = m, true
		}
	}
	return best, found
}

// isSingleFile reports whether a mount binds one file (not a directory).
func (m bindMount) isSingleFile() bool {
	fi, err := os.Stat(m.Source)
	return err == nil && fi.Mode().IsRegular()
}

// verdict is what the check found for one file.
type verdict struct {
	stale      *restart.StaleError
	unverified string // why it could not be verified ("" when verified)
}

// freshness checks the files of one container instance.
type freshness struct {
	target string
	mounts []bindMount
	// procRoot is /proc/<pid>/root of the container's init process, or ""
	// when the Engine's processes are not visible here.
	procRoot string
	// seen are the single-file mounts' host inodes when this instance was
	// first seen.
	seen map[string]fileID
	// started is when the container instance started (zero: unknown).
	started time.Time
}

// check decides for one file. Direct reads come first; the inode is the
// fallback where the process's root cannot be read.
func (f *freshness) check(w restart.WantFile) verdict {
	envoyPath := w.EnvoyPath
	var m bindMount
	var mounted bool
	if envoyPath == "" {
		envoyPath, m, mounted = envoyPathOf(f.mounts, w.HostPath)
		if !mounted {
			return verdict{unverified: fmt.Sprintf("%s is not bind-mounted into %s", w.HostPath, f.target)}
		}
	} else {
		m, mounted = mountOf(f.mounts, envoyPath)
		if mounted && restart.AbsPath(hostOf(m, envoyPath)) != restart.AbsPath(w.HostPath) {
			if !w.Bootstrap {
				return verdict{} // another file than the one saved here
			}
			// Proof needs the Engine to share this machine's paths: Docker
			// Desktop (WSL2) and remote Engines name sources in their own
			// file system, which differ from ours for the very same file.
			if _, err := os.Stat(hostOf(m, envoyPath)); err != nil && f.procRoot == "" {
				return verdict{unverified: fmt.Sprintf("%s names %s as the source of %s, which is not a path here", f.target, hostOf(m, envoyPath), envoyPath)}
			}
			return verdict{stale: &restart.StaleError{Target: f.target, EnvoyPath: envoyPath, HostPath: w.HostPath,
				Evidence: "it is mounted from " + hostOf(m, envoyPath)}}
		}
		if !mounted && !w.Bootstrap {
			// A file of the image (a CA bundle at the same path as here,
			// say): nothing saved here can reach it, nor is meant to.
			return verdict{}
		}
	}
	if f.procRoot != "" {
		data, err := readInRoot(f.procRoot, envoyPath)
		switch {
		case err == nil && sha256.Sum256(data) == w.Digest:
			return verdict{}
		case err == nil && !sameAsHostNow(w.HostPath, data) && mounted && !m.isSingleFile():
			// A directory mount shares the host's inode: the file changed
			// between the two reads (another save), which the check before
			// the signal catches; no rename can leave it behind.
			return verdict{unverified: envoyPath + " changed while it was being checked"}
		case err == nil && !sameAsHostNow(w.HostPath, data):
			return verdict{stale: &restart.StaleError{Target: f.target, EnvoyPath: envoyPath, HostPath: w.HostPath, Mount: mountSpec(m, mounted),
				Evidence: "read in the container's mount namespace, its bytes differ from the saved ones"}}
		case err == nil:
			// The container reads what the host file holds now: a newer save,
			// caught by the unchanged-since-validated check before the signal.
			return verdict{}
		case errors.Is(err, fs.ErrNotExist) && !mounted:
			return verdict{stale: &restart.StaleError{Target: f.target, EnvoyPath: envoyPath, HostPath: w.HostPath,
				Evidence: "it does not exist in the container"}}
		}
		// Not readable here (permissions): fall back to the inode.
	}
	if !mounted {
		return verdict{unverified: fmt.Sprintf("%s is not bind-mounted into %s", envoyPath, f.target)}
	}
	if !m.isSingleFile() {
		// A directory mount resolves the file's name inside the container at
		// each open, so it always sees the file now in the directory.
		return verdict{}
	}
	if f.seen == nil {
		return verdict{unverified: fmt.Sprintf("cannot read %s inside %s, and Docker's files are not on this machine", envoyPath, f.target)}
	}
	// A host file created after the container started cannot be the one
	// its mount holds: the mount was made at the start, before it existed.
	// This holds even for a change made before this reloader first saw the
	// container (a one-shot `restart`).
	if born, ok := birthTime(m.Source); ok && !f.started.IsZero() && born.After(f.started) {
		return verdict{stale: &restart.StaleError{Target: f.target, EnvoyPath: envoyPath, HostPath: w.HostPath, Mount: m.spec(),
			Evidence: fmt.Sprintf("the host file was created at %s, after the container started at %s",
				born.UTC().Format(time.RFC3339Nano), f.started.UTC().Format(time.RFC3339Nano))}}
	}
	was, ok := f.seen[m.Source]
	now, okNow := statID(m.Source)
	if !ok || !okNow {
		return verdict{unverified: fmt.Sprintf("no record of the inode %s had when %s started", m.Source, f.target)}
	}
	if was != now {
		return verdict{stale: &restart.StaleError{Target: f.target, EnvoyPath: envoyPath, HostPath: w.HostPath, Mount: m.spec(),
			Evidence: fmt.Sprintf("the host file is now inode %d, the mount holds inode %d", now.ino, was.ino)}}
	}
	return verdict{}
}

func mountSpec(m bindMount, mounted bool) string {
	if !mounted {
		return ""
	}
	return m.spec()
}

// recordInodes notes the host inodes of the single-file mounts.
func recordInodes(mounts []bindMount) map[string]fileID {
	seen := map[string]fileID{}
	for _, m := range mounts {
		if id, ok := statID(m.Source); ok {
			seen[m.Source] = id
		}
	}
	return seen
}

// sameAsHostNow reports whether data is what the host file holds now.
func sameAsHostNow(host string, data []byte) bool {
	now, err := os.ReadFile(host)
	return err == nil && sha256.Sum256(now) == sha256.Sum256(data)
}

// hostOf is where the file the container sees at envoyPath, through m, is here.
func hostOf(m bindMount, envoyPath string) string {
	return filepath.Join(filepath.Clean(m.Source), strings.TrimPrefix(envoyPath, filepath.Clean(m.Destination)))
}
