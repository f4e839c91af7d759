package watch

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Editors' and tools' ways of saving a file, each of which must reload once.

// savePattern sets up a bootstrap file (returning the path to watch) and
// later saves new content into it the way one editor or tool does.
type savePattern struct {
	name  string
	setup func(t *testing.T, dir string) string
	save  func(t *testing.T, file, content string)
}

func plainSetup(t *testing.T, dir string) string {
	f := filepath.Join(dir, "envoy.yaml")
	writeFile(t, f, "v1\n")
	return f
}

var savePatterns = []savePattern{
	{"write in place", plainSetup, func(t *testing.T, file, content string) {
		writeFile(t, file, content)
	}},
	{"truncate then write", plainSetup, func(t *testing.T, file, content string) {
		f, err := os.OpenFile(file, os.O_WRONLY, 0)
		must(t, err)
		must(t, f.Truncate(0))
		must(t, f.Sync())
		_, err = f.WriteAt([]byte(content), 0)
		must(t, err)
		must(t, f.Close())
	}},
	{"temp file renamed over", plainSetup, func(t *testing.T, file, content string) {
		tmp := file + ".tmp.12345"
		writeFile(t, tmp, content)
		must(t, os.Rename(tmp, file))
	}},
	{"vim backup rename", plainSetup, func(t *testing.T, file, content string) {
		must(t, os.Rename(file, file+"~"))
		writeFile(t, file, content)
		must(t, os.Remove(file+"~"))
	}},
	{"JetBrains safe write", plainSetup, func(t *testing.T, file, content string) {
		tmp, old := file+"___jb_tmp___", file+"___jb_old___"
		writeFile(t, tmp, content)
		must(t, os.Rename(file, old))
		must(t, os.Rename(tmp, file))
		must(t, os.Remove(old))
	}},
	{"sed -i", plainSetup, func(t *testing.T, file, content string) {
		old, err := os.ReadFile(file)
		must(t, err)
		script := fmt.Sprintf("s/%s/%s/", strings.TrimSpace(string(old)), strings.TrimSpace(content))
		if out, err := exec.Command("sed", "-i", script, file).CombinedOutput(); err != nil {
			t.Fatalf("sed: %v %s", err, out)
		}
	}},
	{"delete then create 300ms later", plainSetup, func(t *testing.T, file, content string) {
		must(t, os.Remove(file))
		time.Sleep(300 * time.Millisecond) // the gap is the save pattern under test
		writeFile(t, file, content)
	}},
	{"configmap symlink swap", func(t *testing.T, dir string) string {
		must(t, os.Mkdir(filepath.Join(dir, "..v1"), 0o755))
		writeFile(t, filepath.Join(dir, "..v1", "envoy.yaml"), "v1\n")
		must(t, os.Symlink("..v1", filepath.Join(dir, "..data")))
		must(t, os.Symlink("..data/envoy.yaml", filepath.Join(dir, "envoy.yaml")))
		return filepath.Join(dir, "envoy.yaml")
	}, func(t *testing.T, file, content string) {
		dir := filepath.Dir(file)
		old, err := os.Readlink(filepath.Join(dir, "..data"))
		must(t, err)
		version := fmt.Sprintf("..v%d", time.Now().UnixNano())
		must(t, os.Mkdir(filepath.Join(dir, version), 0o755))
		writeFile(t, filepath.Join(dir, version, "envoy.yaml"), content)
		must(t, os.Symlink(version, filepath.Join(dir, "..data_tmp")))
		must(t, os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")))
		must(t, os.RemoveAll(filepath.Join(dir, old)))
	}},
	{"git checkout", func(t *testing.T, dir string) string {
		f := plainSetup(t, dir)
		git(t, dir, "init", "-q", "-b", "main")
		git(t, dir, "add", "envoy.yaml")
		git(t, dir, "commit", "-q", "-m", "v1")
		git(t, dir, "checkout", "-q", "-b", "next")
		writeFile(t, f, savedContent)
		git(t, dir, "commit", "-q", "-am", "v2")
		git(t, dir, "checkout", "-q", "main")
		return f
	}, func(t *testing.T, file, content string) {
		if content != savedContent {
			t.Fatalf("the git branch holds %q", savedContent)
		}
		git(t, filepath.Dir(file), "checkout", "-q", "next")
	}},
	{"directory removed and recreated", func(t *testing.T, dir string) string {
		sub := filepath.Join(dir, "conf")
		must(t, os.Mkdir(sub, 0o755))
		f := filepath.Join(sub, "envoy.yaml")
		writeFile(t, f, "v1\n")
		return f
	}, func(t *testing.T, file, content string) {
		sub := filepath.Dir(file)
		must(t, os.RemoveAll(sub))
		must(t, os.Mkdir(sub, 0o755))
		writeFile(t, file, content)
	}},
}

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+dir)
	cmd.Stdin = strings.NewReader("")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func runSavePatterns(t *testing.T, opts Options) {
	for _, p := range savePatterns {
		t.Run(p.name, func(t *testing.T) {
			file := p.setup(t, t.TempDir())
			h := start(t, []string{file}, nil, opts)
			p.save(t, file, savedContent)
			if got := h.expectReloads(); len(got) != 1 || got[0] != savedContent {
				t.Fatalf("reloads saw %q, want exactly one with %q", got, savedContent)
			}
			// The watch survives for the next save.
			writeFile(t, file, "v3\n")
			if got := h.expectReloads(); len(got) != 1 || got[0] != "v3\n" {
				t.Fatalf("after the pattern, reloads saw %q, want one with v3", got)
			}
		})
	}
}

func TestSavePatternsWithEvents(t *testing.T) {
	runSavePatterns(t, Options{})
}

func TestSavePatternsWithPolling(t *testing.T) {
	runSavePatterns(t, Options{PollInterval: 20 * time.Millisecond})
}
