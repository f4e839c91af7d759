package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Process is a local hot restarter that someone else started, for Envoy
// run without Docker: by PID, or by a PID file read again at every reload.
type Process struct {
	PID     int
	PIDFile string
}

// Describe names the target for messages.
func (p *Process) Describe() string {
	if p.PIDFile != "" {
		return "process in " + p.PIDFile
	}
	return fmt.Sprintf("process %d", p.PID)
}

func (p *Process) pid() (int, error) {
	if p.PIDFile == "" {
		return p.PID, nil
	}
	b, err := os.ReadFile(p.PIDFile)
	if err != nil {
		return 0, fmt.Errorf("read PID file: %w", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("PID file %s holds %q, not a process ID", p.PIDFile, strings.TrimSpace(string(b)))
	}
	return pid, nil
}

// Signal sends sig to the process.
func (p *Process) Signal(_ context.Context, sig syscall.Signal) error {
	pid, err := p.pid()
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, sig); err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return fmt.Errorf("%s is not running", p.Describe())
		}
		return fmt.Errorf("signal %s: %w", p.Describe(), err)
	}
	return nil
}

// Check reports whether the process exists; its PID is the instance.
func (p *Process) Check(context.Context) (string, error) {
	pid, err := p.pid()
	if err != nil {
		return "", err
	}
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return "", fmt.Errorf("%s is not running", p.Describe())
	}
	return strconv.Itoa(pid), nil
}

// Watchdog fails once the process is gone.
func (p *Process) Watchdog(time.Time) restart.Watchdog {
	return func(context.Context) error {
		pid, err := p.pid()
		if err != nil {
			return err
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return &restart.StoppedError{Target: p.Describe(), Status: "exited", ExitCode: -1}
		}
		return nil
	}
}

// LogsSince has nothing to offer: a local process logs to its own terminal.
func (p *Process) LogsSince(context.Context, time.Time, int) []string { return nil }
