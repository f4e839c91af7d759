package restart

import (
	"crypto/sha256"
	"os"
	"path/filepath"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// wantFiles are the files of res Envoy reads after the signal:
// the bootstrap with the digest that was validated, and each referenced
// file that exists here with the digest of its bytes now (the validator
// does not read them; the watcher's batch just did change them).
func (h *HotRestart) wantFiles(res *bootstrap.Result) []WantFile {
	files := []WantFile{{HostPath: AbsPath(res.File), Digest: res.Digest, Bootstrap: true}}
	for _, ref := range res.ReferencedFiles {
		host := h.hostPath(res.File, ref.Path)
		data, err := os.ReadFile(host)
		if err != nil {
			continue // not here: nothing saved here can be stale
		}
		w := WantFile{HostPath: AbsPath(host), Digest: sha256.Sum256(data)}
		if filepath.IsAbs(ref.Path) {
			w.EnvoyPath = ref.Path
		}
		files = append(files, w)
	}
	return files
}

// AbsPath is p absolute, with symlinks in its directory resolved as the
// Engine resolves a bind mount's source.
func AbsPath(p string) string {
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(abs)); err == nil {
		return filepath.Join(dir, filepath.Base(abs))
	}
	return abs
}

// hostPath maps a referenced file here by h.HostPath, or by the default
// rule when it is unset.
func (h *HotRestart) hostPath(bootstrapFile, p string) string {
	if h.HostPath != nil {
		return h.HostPath(p)
	}
	return HostPaths{Bootstrap: bootstrapFile}.Host(p)
}
