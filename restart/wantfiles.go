package restart

import (
	"crypto/sha256"
	"os"
	"path/filepath"
)

// wantFiles are the files of ev's bootstrap Envoy reads after the signal:
// the bootstrap with the digest that was validated, and each referenced
// file that exists here with the digest of its bytes now (the validator
// does not read them; the watcher's batch just did change them).
func (h *HotRestart) wantFiles(ev *Event) []WantFile {
	res := ev.Bootstrap
	files := []WantFile{{HostPath: absPath(res.File), Digest: res.Digest, Bootstrap: true}}
	for _, ref := range res.ReferencedFiles {
		host := ref.Path
		switch {
		case h.HostPath != nil:
			host = h.HostPath(ref.Path)
		case !filepath.IsAbs(host):
			host = filepath.Join(filepath.Dir(res.File), host)
		}
		data, err := os.ReadFile(host)
		if err != nil {
			continue // not here: nothing saved here can be stale
		}
		w := WantFile{HostPath: absPath(host), Digest: sha256.Sum256(data)}
		if filepath.IsAbs(ref.Path) {
			w.EnvoyPath = ref.Path
		}
		files = append(files, w)
	}
	return files
}

// absPath is p absolute, with symlinks in its directory resolved as the
// Engine resolves a bind mount's source.
func absPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}
