package fidelity

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
)

// DefaultSources are the harness's bootstraps, found from the repository
// root: the shared corpus beside the repository (its MANIFEST's
// bootstraps), the real-world set in config/bootstrap/testdata/realworld,
// and the repository's own examples.
func DefaultSources(repoRoot string) ([]Source, error) {
	files := []string{
		filepath.Join(repoRoot, "cmd/envoy-reloader/testdata/valid.yaml"),
		filepath.Join(repoRoot, "examples/compose/envoy/envoy.yaml"),
		filepath.Join(repoRoot, "examples/compose/envoy/service-envoy.yaml"),
	}
	rw := filepath.Join(repoRoot, "config/bootstrap/testdata/realworld")
	if f, err := os.Open(filepath.Join(rw, "MANIFEST")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			line := sc.Text()
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			name, _, _ := strings.Cut(line, "\t")
			files = append(files, filepath.Join(rw, name))
		}
		f.Close()
	}
	var existing []string
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			existing = append(existing, f)
		}
	}
	return LoadSources(filepath.Join(repoRoot, "..", "shared", "corpus", "envoy-examples"), existing...)
}
