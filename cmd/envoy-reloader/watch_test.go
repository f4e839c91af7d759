package main

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
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
	ch := make(chan map[string]any, 100)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("not JSON: %q", sc.Text())
				continue
			}
			ch <- m
		}
	}()
	return ch
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
	defer cmd.Process.Kill()
	events := jsonLines(t, stdout)

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
