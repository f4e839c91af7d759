package envoytest

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// UserEditable are the files a user is invited to edit: the quick start's
// example configs and the root reloader.yaml that points at them. Tests
// never read them from the working tree (a user's edit would fail `make
// test`); they read them with Pristine.
var UserEditable = []string{
	"reloader.yaml",
	"examples/compose/reloader.yaml",
	"examples/compose/envoy/envoy.yaml",
	"examples/compose/envoy/service-envoy.yaml",
}

// Pristine returns a repository file as git has it in its index: as
// committed, or as a developer changing it on purpose staged it (`git
// add`), never the working copy a user edits while trying the quick start.
// path is relative to the repository's root. Outside a git checkout (a
// release tarball) the test is skipped, since no pristine copy exists.
func Pristine(t testing.TB, path string) []byte {
	t.Helper()
	root := RepoRoot(t)
	cmd := exec.Command("git", "show", ":"+filepath.ToSlash(path))
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("no pristine copy of %s (git show :%s: %v: %s): this test reads only what git holds, never the file a user may have edited",
			path, path, err, strings.TrimSpace(stderr.String()))
	}
	return out
}

// PristineTree writes the pristine copies of paths into a new temporary
// directory, at the same relative paths, and returns that directory.
func PristineTree(t testing.TB, paths ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, p := range paths {
		dst := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, Pristine(t, p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// RepoRoot is the repository's root directory: the one holding go.mod,
// found from the test's working directory upwards.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's working directory")
		}
		dir = parent
	}
}
