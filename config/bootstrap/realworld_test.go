package bootstrap

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRealWorldBootstrapsAreValid loads bootstraps from other public projects
// (testdata/realworld/MANIFEST says where each comes from), each run by a
// current Envoy in its project's CI: none may be rejected. Warnings are
// allowed; the Envoy Gateway ones name SDS files that exist only in its pods.
func TestRealWorldBootstrapsAreValid(t *testing.T) {
	dir := filepath.Join("testdata", "realworld")
	f, err := os.Open(filepath.Join(dir, "MANIFEST"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, _, _ := strings.Cut(line, "\t")
		files = append(files, name)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(files) < 15 {
		t.Errorf("MANIFEST lists %d bootstraps; issue 11 asks for at least 15", len(files))
	}
	for _, name := range files {
		requireValidBootstrap(t, filepath.Join(dir, name))
	}
	t.Logf("%d real-world bootstraps checked", len(files))
}
