package e2e

import (
	"os"
	"path/filepath"
	"testing"
)

// savePatterns are editors' saves, reproduced exactly (see watch's tests).
var savePatterns = []struct {
	name string
	save func(t *testing.T, path, content string)
}{
	{"in place (nano, micro, vim backupcopy=yes)", saveInPlace},
	{"temp file renamed over (sed -i, generators)", saveRenaming},
	{"vim's default: original renamed to ~, new file written, backup removed", func(t *testing.T, path, content string) {
		must(t, os.Rename(path, path+"~"))
		writeFile(t, path, content)
		must(t, os.Remove(path+"~"))
	}},
	{"JetBrains safe write", func(t *testing.T, path, content string) {
		writeFile(t, path+"___jb_tmp___", content)
		must(t, os.Rename(path, path+"___jb_old___"))
		must(t, os.Rename(path+"___jb_tmp___", path))
		must(t, os.Remove(path+"___jb_old___"))
	}},
	{"delete and recreate", func(t *testing.T, path, content string) {
		must(t, os.Remove(path))
		writeFile(t, path, content)
	}},
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestEditsSavePatternsThroughADirectoryMount: with the directory mounted,
// each editor's save gives exactly one reload, confirmed, and Envoy runs
// the saved bytes (the listener's body, /config_dump).
func TestEditsSavePatternsThroughADirectoryMount(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v0\n", ""))
		c := runMounted(t, dir, []string{dir + ":/etc/envoy"}, nil, false)
		r := startReloader(t, c, "")
		for i, p := range savePatterns {
			body := p.name + "\n"
			saved := httpConfig(body, "")
			p.save(t, c.config, saved)
			ev := r.wait(t, "reload")
			t.Logf("%s: %v", p.name, ev["result"])
			assertConfirmed(t, c, ev, i+1, saved, body)
		}
		// One more save: had any pattern given a second reload, this epoch
		// would not be the next one.
		saved := httpConfig("last\n", "")
		saveInPlace(t, c.config, saved)
		assertConfirmed(t, c, r.wait(t, "reload"), len(savePatterns)+1, saved, "last\n")
		if got := c.hups(t); got != len(savePatterns)+1 {
			t.Fatalf("%d SIGHUPs for %d saves", got, len(savePatterns)+1)
		}
	})
}
