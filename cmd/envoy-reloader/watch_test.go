package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// buildBinary builds the CLI once for tests that need a real process.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "envoy-reloader")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// jsonLines reads the process's JSON output into a channel of objects.
func jsonLines(t *testing.T, r io.Reader) <-chan map[string]any {
	t.Helper()
	return envoytest.Events(r, func(line string) { t.Errorf("not JSON: %q", line) })
}

// startDryRun runs `watch --dry-run --log-format json` in dir (on its
// reloader.yaml), killed when the test ends if it still runs.
func startDryRun(t *testing.T, bin, dir string) (*exec.Cmd, <-chan map[string]any) {
	t.Helper()
	cmd := exec.Command(bin, "--dry-run", "--log-format", "json")
	cmd.Dir = dir
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	return cmd, jsonLines(t, stdout)
}

func waitEvent(t *testing.T, ch <-chan map[string]any, event string) map[string]any {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case m, ok := <-ch:
			if !ok {
				t.Fatalf("output ended before a %q event", event)
			}
			if m["event"] == event {
				return m
			}
		case <-timeout:
			t.Fatalf("no %q event", event)
		}
	}
}

func TestWatchDryRunJSONAndSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "envoy.yaml")
	valid := validBootstrap(t)
	if err := os.WriteFile(file, []byte(valid), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte("watch:\n  debounce: 50ms\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd, events := startDryRun(t, bin, dir)

	if start := waitEvent(t, events, "start"); start["result"] != "ok" {
		t.Fatalf("start %v", start)
	}
	waitEvent(t, events, "watching")

	broken := strings.Replace(valid, "connect_timeout", "connect_timout", 1)
	if err := os.WriteFile(file, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, "reload")
	if ev["result"] != "invalid" {
		t.Fatalf("reload %v", ev)
	}
	diags := ev["diagnostics"].([]any)
	if len(diags) != 1 || diags[0].(map[string]any)["line"].(float64) != 28 {
		t.Errorf("diagnostics %v", diags)
	}
	files := ev["files"].([]any)
	if len(files) != 1 || !strings.HasSuffix(files[0].(string), "envoy.yaml") {
		t.Errorf("files %v", files)
	}
	for _, key := range []string{"validate_ms", "total_ms", "time"} {
		if _, ok := ev[key]; !ok {
			t.Errorf("reload event lacks %q: %v", key, ev)
		}
	}
	if _, ok := ev["signal_ms"]; ok {
		t.Errorf("a dry run reports a signal phase: %v", ev)
	}

	if err := os.WriteFile(file, []byte(valid), 0o644); err != nil {
		t.Fatal(err)
	}
	if ev := waitEvent(t, events, "reload"); ev["result"] != "dry-run" {
		t.Fatalf("reload %v", ev)
	}

	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v", err)
		}
		if took := time.Since(sent); took > time.Second {
			t.Errorf("took %s to stop after SIGTERM", took)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("still running 5s after SIGTERM")
	}
}

func TestWatchMissingBootstrapIsUsageError(t *testing.T) {
	code, _, errOut := runCLI(t, t.TempDir(), "watch", "--dry-run", "--bootstrap", "absent.yaml")
	if code != 2 || !strings.Contains(errOut, "absent.yaml") {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

// TestWatchConfigErrorsStopBeforeWatching: each reloader.yaml problem gives
// one clear message and exit status 2 before anything is watched.
func TestWatchConfigErrorsStopBeforeWatching(t *testing.T) {
	tests := []struct {
		name, config, want string
	}{
		{"unknown key", "bootstrap: envoy.yaml\ntarget:\n  contianer: envoy\n", `reloader.yaml:3:3: unknown key "target.contianer"; did you mean "target.container"?`},
		{"bad duration", "bootstrap: envoy.yaml\nwatch:\n  debounce: soon\n", `reloader.yaml:3:13: watch.debounce: "soon" is not a duration (such as 150ms or 2s)`},
		{"unknown signal", "bootstrap: envoy.yaml\ntarget:\n  container: envoy\n  signal: SIGRELOAD\n", `target.signal: unknown signal "SIGRELOAD"`},
		{"container and pid", "bootstrap: envoy.yaml\ntarget:\n  container: envoy\n  pid: 42\n", "target: set only one of container, compose_service, or pid/pid_file"},
		{"missing bootstrap", "bootstrap: nowhere.yaml\ntarget:\n  pid: 42\n", "nowhere.yaml"},
		{"no target", "bootstrap: envoy.yaml\n", "no Envoy to reload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "envoy.yaml"), []byte(validBootstrap(t)), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte(tt.config), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, errOut := runCLI(t, dir, "watch")
			if code != 2 || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want 2 and one line with %q", code, errOut, tt.want)
			}
			if strings.Contains(out, "watching") {
				t.Errorf("it started watching: %q", out)
			}
		})
	}
}

// The spinner shown while a lone Envoy reloads must not hide the checks
// made ahead of a save's batch (it did: every save in place ran the
// container's validate after the debounce instead of during it).
func TestSpinnerKeepsTheChecksMadeAhead(t *testing.T) {
	var r reload.Reloader = spinningReloader{Reloader: &restart.HotRestart{}, p: report.NewPrinter(io.Discard, report.Text)}
	if _, ok := r.(reload.Preparer); !ok {
		t.Fatal("the spinning reloader is no Preparer")
	}
}

// A dry run maps the files the bootstrap references by reloader.yaml's
// paths: too (it ignored them): a certificate the container reads at
// /etc/certs/ca.pem is watched at ./certs/ca.pem here.
func TestWatchDryRunMapsReferencedFilesByPaths(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	ca := filepath.Join(dir, "certs", "ca.pem")
	for path, content := range map[string]string{
		ca:                                  "ca v1\n",
		filepath.Join(dir, "envoy.yaml"):    envoytest.HTTPConfig(9901, "v1", 10000, "/etc/certs/ca.pem"),
		filepath.Join(dir, "reloader.yaml"): "paths:\n  /etc/certs: certs\nwatch:\n  debounce: 50ms\n",
	} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	_, events := startDryRun(t, bin, dir)
	if w := waitEvent(t, events, "watching"); !strings.Contains(w["message"].(string), "1 referenced file") {
		t.Fatalf("watching %v", w)
	}
	if err := os.WriteFile(ca, []byte("ca v2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, "reload")
	if files := ev["files"].([]any); ev["result"] != "dry-run" || len(files) != 1 || files[0] != ca {
		t.Fatalf("reload %v, want a dry run for %s", ev, ca)
	}
}
