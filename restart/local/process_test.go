package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// TestProcessByPIDFile: the PID file is read at every call, and what is
// wrong with it is said in its words.
func TestProcessByPIDFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, content, wantErr string
	}{
		{"this process", strconv.Itoa(os.Getpid()) + "\n", ""},
		{"not a number", "envoy\n", `holds "envoy", not a process ID`},
		{"absent", "", "read PID file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
			if tc.content != "" {
				if err := os.WriteFile(file, []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p := &Process{PIDFile: file}
			instance, err := p.Check(context.Background())
			switch {
			case tc.wantErr == "" && (err != nil || instance != strconv.Itoa(os.Getpid())):
				t.Fatalf("Check: %q, %v", instance, err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("Check: %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestProcessGone: a PID with no process is "not running" to Signal, and
// the watchdog says it stopped.
func TestProcessGone(t *testing.T) {
	// PIDs above pid_max never exist.
	p := &Process{PID: 1 << 30}
	if err := p.Signal(context.Background(), 0); err == nil || !strings.Contains(err.Error(), "is not running") {
		t.Fatalf("Signal: %v", err)
	}
	if err := p.Watchdog(time.Now())(context.Background()); !errors.Is(err, restart.ErrTargetStopped) {
		t.Fatalf("Watchdog: %v", err)
	}
}
