package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Every command rejects an output format it does not know, with exit 2,
// instead of printing text (status did).
func TestEveryCommandRejectsAnUnknownLogFormat(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{"status"}, {"check"}, {"restart"}, {"init"}, {"version"}, {"watch"}, {}} {
		t.Run(strings.Join(append([]string{"cmd"}, args...), " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, append(args, "--log-format", "xml")...)
			if code != 2 || !strings.Contains(errOut, `--log-format: unknown format "xml"`) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and the format named", code, out, errOut)
			}
		})
	}
}

// stuckAfterInterrupt is the child of TestSecondInterruptEndsAStuckCommand:
// a command whose work ignores its context once interrupted.
const stuckAfterInterrupt = "ENVOY_RELOADER_TEST_STUCK"

func TestMain(m *testing.M) {
	if os.Getenv(stuckAfterInterrupt) == "1" {
		ctx, stop := interruptContext(context.Background())
		defer stop()
		os.Stdout.WriteString("ready\n")
		<-ctx.Done()
		os.Stdout.WriteString("interrupted\n")
		select {} // stuck, as a reload blocked on a call that ignores ctx
	}
	os.Exit(m.Run())
}

// The first Ctrl-C asks the command to finish; a second one ends it even
// when it is stuck.
func TestSecondInterruptEndsAStuckCommand(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), stuckAfterInterrupt+"=1")
	out := &lineWaiter{lines: make(chan string, 4)}
	cmd.Stdout = out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	out.expect(t, "ready")
	must(t, cmd.Process.Signal(os.Interrupt))
	out.expect(t, "interrupted")
	must(t, cmd.Process.Signal(os.Interrupt))
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGINT {
			t.Fatalf("after the second SIGINT: %v, want death by SIGINT", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a second SIGINT did not end the stuck command")
	}
}

// lineWaiter hands each line written to it to expect.
type lineWaiter struct {
	buf   []byte
	lines chan string
}

func (w *lineWaiter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.lines <- string(w.buf[:i])
		w.buf = w.buf[i+1:]
	}
}

func (w *lineWaiter) expect(t *testing.T, line string) {
	t.Helper()
	select {
	case got := <-w.lines:
		if got != line {
			t.Fatalf("child said %q, want %q", got, line)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("child did not say %q", line)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
