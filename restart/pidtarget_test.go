package restart

import (
	"context"
	"fmt"
	"strconv"
	"syscall"
)

// pidTarget is these tests' own local target: a hot restarter by PID, on
// this machine's files. The product's is restart/local.Process, which
// imports this package, so these tests cannot use it.
type pidTarget struct{ PID int }

func (p *pidTarget) Describe() string { return fmt.Sprintf("process %d", p.PID) }

func (p *pidTarget) Signal(_ context.Context, sig syscall.Signal) error {
	if err := syscall.Kill(p.PID, sig); err != nil {
		return fmt.Errorf("signal %s: %w", p.Describe(), err)
	}
	return nil
}

// Check: the PID is the instance.
func (p *pidTarget) Check(context.Context) (string, error) {
	if err := syscall.Kill(p.PID, 0); err != nil {
		return "", fmt.Errorf("%s: %w", p.Describe(), err)
	}
	return strconv.Itoa(p.PID), nil
}

// The tests' configs are named by absolute paths, as Envoy sees them.
func (p *pidTarget) EnvoyPath(_ context.Context, host string) (string, bool) {
	return AbsPath(host), true
}

func (p *pidTarget) ResolveEnvoyPath(_ context.Context, configPath string) (string, bool) {
	return AbsPath(configPath), true
}

func (p *pidTarget) HostPathOf(_ context.Context, envoyPath string) (string, bool) {
	return AbsPath(envoyPath), true
}
