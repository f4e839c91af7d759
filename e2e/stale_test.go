package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// These tests prove that "✓ live" means Envoy runs the saved bytes, through
// what a user would look at: the body the listener serves (curl), and the
// bootstrap Envoy reports in /config_dump.

// httpConfig is a container bootstrap whose listener (10000) answers body.
func httpConfig(body, caFile string) string {
	return strings.ReplaceAll(envoytest.HTTPConfig(9901, body, 10000, caFile), "127.0.0.1", "0.0.0.0")
}

// runMounted runs the stand-in on dir/envoy.yaml (written by the caller)
// with the given -v flags and Envoy command (nil: the image's). With
// copyIn, the bootstrap is not mounted: the directory is copied into the
// container (docker create + docker cp + docker start).
func runMounted(t *testing.T, dir string, vols []string, cmd []string, copyIn bool) *envoyContainer {
	t.Helper()
	name := uniqueName("envoy-e2e-stale")
	c := &envoyContainer{name: name, dir: dir, config: filepath.Join(dir, "envoy.yaml")}
	startPublished(t, name, func(ports []string) [][]string {
		args := append([]string{"--name", name}, ownLabels(t)...)
		args = append(args, ports...)
		for _, v := range vols {
			args = append(args, "-v", v)
		}
		args = append(append(args, imageOf(t)), cmd...)
		if copyIn {
			return [][]string{append([]string{"create"}, args...), {"cp", dir + "/.", name + ":/etc/envoy"}, {"start", name}}
		}
		return [][]string{append([]string{"run", "-d"}, args...)}
	})
	c.connect(t)
	return c
}

// body is what the listener serves, read as curl does, on a new connection.
func (c *envoyContainer) body(t *testing.T) string {
	t.Helper()
	body, _ := c.serve(t)
	return body
}

// dumpDiff compares /config_dump's bootstrap with the saved text.
func (c *envoyContainer) dumpDiff(t *testing.T, saved string) []string {
	t.Helper()
	loaded, err := c.admin.LoadedBootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	res := bootstrap.Load("saved.yaml", []byte(saved), bootstrap.Options{})
	return restart.LoadedDiff(res.Bootstrap, loaded, nil)
}

// saveRenaming saves as vim does by default: the new bytes go to a new
// file that replaces the old one by a rename (a new inode).
func saveRenaming(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp-new")
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// saveInPlace saves as nano does: the same file, truncated and rewritten.
func saveInPlace(t *testing.T, path, content string) { writeFile(t, path, content) }

func assertConfirmed(t *testing.T, c *envoyContainer, ev map[string]any, epoch int, saved, body string) {
	t.Helper()
	if ev["result"] != "ok" || num(ev, "epoch") != float64(epoch) {
		t.Fatalf("reload: %v", ev)
	}
	// The new epoch is LIVE before its parent stops accepting: it asks the
	// parent to close its listeners once its own workers run (Envoy's
	// source/server/server.cc, "closing and draining listeners"), so a
	// new connection in between may still reach the old epoch.
	if !c.logSeen(t, "closing and draining listeners", epoch, 5*time.Second) {
		t.Logf("no parent of epoch %d logged closing its listeners within 5s", epoch)
	}
	if got := c.body(t); got != body {
		t.Fatalf("the listener serves %q, want %q", got, body)
	}
	if d := c.dumpDiff(t, saved); len(d) != 0 {
		t.Fatalf("confirmed, but /config_dump's bootstrap differs from the saved one in %v", d)
	}
}

func assertStale(t *testing.T, c *envoyContainer, ev map[string]any, saved, body string, mentions ...string) {
	t.Helper()
	if ev["result"] != "stale" {
		t.Fatalf("reload: %v", ev)
	}
	if _, signalled := ev["signal_ms"]; signalled || c.hups(t) != 0 || c.epoch(t) != 0 {
		t.Fatalf("a stale save was signalled: %v, %d SIGHUPs, epoch %d", ev, c.hups(t), c.epoch(t))
	}
	msg, _ := ev["error"].(string)
	for _, m := range append([]string{"-v ./envoy:/etc/envoy", "docker compose up -d --force-recreate", "docker rm -f"}, mentions...) {
		if !strings.Contains(msg, m) {
			t.Errorf("the message lacks %q: %s", m, msg)
		}
	}
	if got := c.body(t); got != body {
		t.Fatalf("the listener serves %q, want the old %q", got, body)
	}
	if d := c.dumpDiff(t, saved); len(d) == 0 {
		t.Fatal("/config_dump's bootstrap equals the save, yet the result is stale")
	}
}

// (a) A single-file mount and a save in place: the container sees it.
func TestSingleFileMountInPlaceSaveIsConfirmed(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, []string{filepath.Join(dir, "envoy.yaml") + ":/etc/envoy/envoy.yaml"}, nil, false)
		r := startReloader(t, c, "")
		// Warned once at start, by watch and by status.
		if w := r.saw("mount_warning"); len(w) != 1 || !strings.Contains(w[0]["message"].(string), "single-file bind mount") {
			t.Errorf("watch's start warnings: %v", w)
		}
		if code, out := runReloaderOnce(t, dir, "status"); code != 0 || strings.Count(out, "single-file bind mount") != 1 || !strings.Contains(out, "-v ./envoy:/etc/envoy") {
			t.Errorf("status: exit %d:\n%s", code, out)
		}
		saved := httpConfig("v2\n", "")
		saveInPlace(t, c.config, saved)
		assertConfirmed(t, c, r.wait(t, "reload"), 1, saved, "v2\n")
	})
}

// (b) A single-file mount and a save that renames: the container keeps the
// old inode. No signal; "stale"; the watcher stays up and checks the next save.
func TestSingleFileMountRenameSaveIsStale(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, []string{filepath.Join(dir, "envoy.yaml") + ":/etc/envoy/envoy.yaml"}, nil, false)
		r := startReloader(t, c, "")
		for i, body := range []string{"v2\n", "v3\n"} {
			saved := httpConfig(body, "")
			saveRenaming(t, c.config, saved)
			ev := r.wait(t, "reload")
			assertStale(t, c, ev, saved, "v1\n", c.config+":/etc/envoy/envoy.yaml")
			t.Logf("save %d: %s", i+1, ev["error"])
		}
	})
}

// (c) A directory mount and a save that renames: the container follows.
func TestDirectoryMountRenameSaveIsConfirmed(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, []string{dir + ":/etc/envoy"}, nil, false)
		r := startReloader(t, c, "")
		if w := r.saw("mount_warning"); len(w) != 0 {
			t.Errorf("a directory mount is no trap: %v", w)
		}
		for epoch, body := range []string{"v2\n", "v3\n"} {
			saved := httpConfig(body, "")
			saveRenaming(t, c.config, saved)
			assertConfirmed(t, c, r.wait(t, "reload"), epoch+1, saved, body)
		}
	})
}

// (f) A certificate the bootstrap references, single-file-mounted, replaced
// by a rename: Envoy would read the old one.
func TestSingleFileMountedCertReplacedIsStale(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		certs := filepath.Join(dir, "certs")
		if err := os.Mkdir(certs, 0o755); err != nil {
			t.Fatal(err)
		}
		ca := filepath.Join(certs, "ca.pem")
		writeFile(t, ca, envoytest.CertPEM("old"))
		saved := httpConfig("v1\n", "/etc/certs/ca.pem")
		writeFile(t, filepath.Join(dir, "envoy.yaml"), saved)
		c := runMounted(t, dir, []string{dir + ":/etc/envoy", ca + ":/etc/certs/ca.pem"}, nil, false)
		r := startReloader(t, c, "")
		saveRenaming(t, ca, envoytest.CertPEM("new"))
		ev := r.wait(t, "reload")
		if ev["result"] != "stale" || c.hups(t) != 0 || c.epoch(t) != 0 {
			t.Fatalf("reload: %v (%d SIGHUPs)", ev, c.hups(t))
		}
		if msg, _ := ev["error"].(string); !strings.Contains(msg, "/etc/certs/ca.pem") || !strings.Contains(msg, ca+":/etc/certs/ca.pem") {
			t.Fatalf("the message does not name the certificate's mount: %s", msg)
		}
		if got := c.body(t); got != "v1\n" {
			t.Fatalf("the listener serves %q", got)
		}
	})
}

// runReloaderOnce runs the reloader command to its end (it must not run on).
func runReloaderOnce(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, reloaderBin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, string(out)
	case errors.As(err, &exit):
		return exit.ExitCode(), string(out)
	}
	t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	return 0, ""
}

// assertRefusedAtStart: watch and restart exit 2 with one line naming what
// Envoy reads and what is watched.
func assertRefusedAtStart(t *testing.T, c *envoyContainer, envoyReads string) {
	t.Helper()
	writeFile(t, filepath.Join(c.dir, "reloader.yaml"), fmt.Sprintf("bootstrap: envoy.yaml\nadmin:\n  url: http://127.0.0.1:%d\ntarget:\n  container: %s\n", c.adminPort, c.name))
	for _, command := range []string{"watch", "restart"} {
		code, out := runReloaderOnce(t, c.dir, command)
		if code != 2 || !strings.Contains(out, envoyReads) || !strings.Contains(out, c.config) || strings.Count(strings.TrimSpace(out), "\n") != 0 {
			t.Errorf("%s: exit %d, want 2 and one line naming %s and %s:\n%s", command, code, envoyReads, c.config, out)
		}
	}
	if c.hups(t) != 0 {
		t.Fatal("signalled")
	}
}

// (d) The bootstrap copied into the container: edits can never reach it.
func TestCopiedInBootstrapIsRefusedAtStart(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, nil, nil, true)
		assertRefusedAtStart(t, c, "/etc/envoy/envoy.yaml")
	})
}

// (e) Envoy started with -c on another file than the watched one.
func TestOtherConfigFileIsRefusedAtStart(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		writeFile(t, filepath.Join(dir, "other.yaml"), httpConfig("other\n", ""))
		c := runMounted(t, dir, []string{dir + ":/etc/envoy"}, []string{"/usr/local/bin/envoy", "-c", "/etc/envoy/other.yaml",
			"--restart-epoch", "{{epoch}}", "--drain-time-s", "5", "--parent-shutdown-time-s", "10"}, false)
		assertRefusedAtStart(t, c, "/etc/envoy/other.yaml")
	})
}

// TestInitWarnsOfASingleFileMount: init writes the warning into
// reloader.yaml as a comment, with the directory mount to use instead.
func TestInitWarnsOfASingleFileMount(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, []string{filepath.Join(dir, "envoy.yaml") + ":/etc/envoy/envoy.yaml"}, nil, false)
		project := t.TempDir()
		if code, out := runReloaderOnce(t, project, "init", "--container", c.name); code != 0 {
			t.Fatalf("init: exit %d\n%s", code, out)
		}
		b, err := os.ReadFile(filepath.Join(project, "reloader.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), "# warning: the bootstrap is a single-file bind mount") || !strings.Contains(string(b), "-v ./envoy:/etc/envoy") {
			t.Fatalf("reloader.yaml:\n%s", b)
		}
	})
}

// The project mounted at /app and its envoy directory at /etc/envoy, with
// Envoy started on /app/envoy/envoy.yaml: Envoy reads the watched file
// through the wider mount, which is no stale config (found by review: the
// path was compared in the container's terms, through the narrower mount).
func TestBootstrapReadThroughAWiderMountIsConfirmed(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		project := t.TempDir()
		dir := filepath.Join(project, "envoy")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		cmd := []string{"/usr/local/bin/envoy", "-c", "/app/envoy/envoy.yaml", "--restart-epoch", "{{epoch}}", "--drain-time-s", "5", "--parent-shutdown-time-s", "10"}
		c := runMounted(t, dir, []string{project + ":/app", dir + ":/etc/envoy"}, cmd, false)
		r := startReloader(t, c, "")
		saved := httpConfig("v2\n", "")
		saveRenaming(t, c.config, saved)
		assertConfirmed(t, c, r.wait(t, "reload"), 1, saved, "v2\n")
	})
}
