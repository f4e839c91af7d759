package bootstrap

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// corpusDir holds real Envoy configs from envoyproxy/examples; it sits beside
// the repository in development and in CI, and is never copied into it.
const corpusDir = "../../../shared/corpus/envoy-examples"

// readManifest lists the corpus files its MANIFEST marks as bootstraps.
func readManifest() ([]string, error) {
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var files []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, path, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if ok && kind == "bootstrap" {
			files = append(files, filepath.Join(corpusDir, strings.TrimSpace(path)))
		}
	}
	return files, sc.Err()
}

// corpusBootstraps is readManifest for tests: a missing corpus skips the
// test, except in CI, where it must be present.
func corpusBootstraps(tb testing.TB) []string {
	tb.Helper()
	files, err := readManifest()
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("the corpus must be present in CI: %v", err)
		}
		tb.Skipf("corpus not present (%v)", err)
	}
	return files
}

func TestCorpusBootstrapsAreValid(t *testing.T) {
	files := corpusBootstraps(t)
	if len(files) != 62 {
		t.Errorf("MANIFEST lists %d bootstraps, want 62", len(files))
	}
	for _, file := range files {
		requireValidBootstrap(t, file)
	}
}

// requireValidBootstrap fails the test for each error in file and when it
// decoded no resources at all.
func requireValidBootstrap(t *testing.T, file string) {
	t.Helper()
	res, err := LoadFile(file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.Diagnostics {
		if d.Severity == SeverityError {
			t.Errorf("%s", d)
		}
	}
	if res.Bootstrap.GetStaticResources() == nil && res.Bootstrap.GetDynamicResources() == nil {
		t.Errorf("%s: decoded no resources", file)
	}
}
