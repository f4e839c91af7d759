//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// interruptible is the child of TestCtrlCInMakeDevStopsOnlyTheReloader: a
// command that ends with status 0 on Ctrl-C, through the CLI's own
// interruptContext, as `watch` does.
const interruptible = "ENVOY_RELOADER_TEST_INTERRUPTIBLE"

func init() {
	if os.Getenv(interruptible) != "1" {
		return
	}
	ctx, stop := interruptContext(context.Background())
	defer stop()
	fmt.Printf("ready %d\n", os.Getpid())
	<-ctx.Done()
	fmt.Println("interrupted")
	os.Exit(0)
}

// openPty returns a new pseudo-terminal's master and its terminal.
func openPty(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR, 0)
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// terminalOutput collects what a terminal shows and waits for a pattern.
type terminalOutput struct {
	mu      sync.Mutex
	text    strings.Builder
	changed chan struct{}
}

func (o *terminalOutput) read(f *os.File) {
	buf := make([]byte, 4096)
	for {
		n, err := f.Read(buf)
		o.mu.Lock()
		o.text.Write(buf[:n])
		o.mu.Unlock()
		select {
		case o.changed <- struct{}{}:
		default:
		}
		if err != nil {
			return
		}
	}
}

func (o *terminalOutput) await(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		o.mu.Lock()
		m := re.FindStringSubmatch(o.text.String())
		text := o.text.String()
		o.mu.Unlock()
		if m != nil {
			return m
		}
		select {
		case <-o.changed:
		case <-deadline:
			t.Fatalf("the terminal never showed %s:\n%s", re, text)
		}
	}
}

// Ctrl-C in `make dev` stops the reloader alone: make exits 0 and nothing
// is left running, whether make's output goes to the terminal or through a
// pipe (make dev | tee log, make dev 2>&1 | tee log). The reloader's place
// is taken by a child of this test that handles SIGINT as the CLI does.
func TestCtrlCInMakeDevStopsOnlyTheReloader(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	script := filepath.Join(envoytest.RepoRoot(t), "examples", "compose", "foreground.sh")
	makefile := filepath.Join(t.TempDir(), "Makefile")
	child := os.Args[0] + " -test.run=^$"
	if err := os.WriteFile(makefile, []byte("dev:\n\t@bash "+script+" "+child+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, shell string }{
		{"on the terminal", "make -s -f " + makefile + " dev; echo exit=$?"},
		{"stdout through a pipe", "make -s -f " + makefile + " dev | cat; echo exit=${PIPESTATUS[0]}"},
		{"stdout and stderr through a pipe", "make -s -f " + makefile + " dev 2>&1 | cat; echo exit=${PIPESTATUS[0]}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			master, tty := openPty(t)
			cmd := exec.Command("bash", "-c", tt.shell)
			cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
			cmd.Env = append(os.Environ(), interruptible+"=1")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			out := &terminalOutput{changed: make(chan struct{}, 1)}
			go out.read(master)
			pid, _ := strconv.Atoi(out.await(t, regexp.MustCompile(`ready (\d+)`))[1])
			t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
			if _, err := master.Write([]byte{0x03}); err != nil { // Ctrl-C
				t.Fatal(err)
			}
			if status := out.await(t, regexp.MustCompile(`exit=(\d+)`))[1]; status != "0" {
				t.Errorf("make exited %s after Ctrl-C, want 0", status)
			}
			out.await(t, regexp.MustCompile(`interrupted`))
			if err := syscall.Kill(pid, 0); err != syscall.ESRCH {
				t.Errorf("the reloader's stand-in (pid %d) still runs after make ended: %v", pid, err)
			}
		})
	}
}
