package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoyargv"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// CheckArgv refuses an Envoy command line run cannot hot-restart: no
// binary or no -c, an epoch of its own, or hot restart off or given a new
// identity per process (envoy-hot-restart.md §2: every epoch keeps the
// same --base-id; source/server/options_impl.cc refuses
// --use-dynamic-base-id with an epoch above 0).
func CheckArgv(argv []string) error {
	if len(argv) == 0 {
		return errors.New("no Envoy command: give it after --, as in: envoy-reloader run -- envoy -c envoy.yaml")
	}
	for _, a := range argv[1:] {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--restart-epoch":
			return errors.New("leave --restart-epoch out of the Envoy command: run gives each epoch its number")
		case "--use-dynamic-base-id", "--disable-hot-restart":
			return fmt.Errorf("run hot-restarts Envoy, which %s prevents: give a fixed --base-id instead, or none", name)
		case "--mode":
			return errors.New("leave --mode out of the Envoy command: run serves, and validates with --mode validate itself")
		}
	}
	if ConfigPath(argv) == "" {
		return errors.New("the Envoy command has no -c (--config-path): run watches that bootstrap")
	}
	return nil
}

// ConfigPath is the -c / --config-path of an Envoy command line ("" if none).
func ConfigPath(argv []string) string {
	for i := 1; i < len(argv); i++ {
		a := argv[i]
		switch {
		case (a == "-c" || a == "--config-path") && i+1 < len(argv):
			return argv[i+1]
		case strings.HasPrefix(a, "--config-path="):
			return strings.TrimPrefix(a, "--config-path=")
		}
	}
	return ""
}

// validateTimeout bounds one validate; a real Envoy takes well under a second.
const validateTimeout = 30 * time.Second

// EnvoyValidate runs the same Envoy binary in validate mode with the same
// flags, in Envoy's working directory: it binds no port and does not
// hot-restart, so it is safe beside the running epochs.
func (s *Supervisor) EnvoyValidate(ctx context.Context, _ bool) (restart.Validation, error) {
	ctx, cancel := context.WithTimeout(ctx, validateTimeout)
	defer cancel()
	argv := envoyargv.Validate(s.Argv)
	var out bytes.Buffer
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Dir: s.Dir, Stdout: &out, Stderr: &out,
		SysProcAttr: childAttr(), WaitDelay: time.Second}
	if err := s.spawn.start(cmd); err != nil {
		return restart.Validation{}, fmt.Errorf("run %s: %w", strings.Join(argv, " "), err)
	}
	stop := context.AfterFunc(ctx, func() { _ = cmd.Process.Kill() })
	err := cmd.Wait()
	stop()
	if ctx.Err() != nil {
		return restart.Validation{}, fmt.Errorf("%s: %w", strings.Join(argv, " "), context.Cause(ctx))
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return restart.Validation{}, fmt.Errorf("%s: %w", strings.Join(argv, " "), err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimRight(out.String(), "\n"), "\n") {
		if l != "" {
			lines = append(lines, l)
		}
	}
	return restart.Validation{OK: err == nil, Output: lines, Instance: "run"}, nil
}

// dir is Envoy's working directory, which its relative paths start from.
func (s *Supervisor) dir() string {
	if s.Dir != "" {
		return restart.AbsPath(s.Dir)
	}
	wd, _ := os.Getwd()
	return wd
}

// EnvoyPath implements EnvoyPather: Envoy sees this machine's files.
func (s *Supervisor) EnvoyPath(_ context.Context, host string) (string, bool) {
	return restart.AbsPath(host), true
}

// ResolveEnvoyPath implements EnvoyPather: from the directory it runs in.
func (s *Supervisor) ResolveEnvoyPath(_ context.Context, configPath string) (string, bool) {
	if filepath.IsAbs(configPath) {
		return restart.AbsPath(configPath), true
	}
	return restart.AbsPath(filepath.Join(s.dir(), configPath)), true
}

// HostPathOf implements EnvoyPather: Envoy reads this machine's files.
func (s *Supervisor) HostPathOf(_ context.Context, envoyPath string) (string, bool) {
	return restart.AbsPath(envoyPath), true
}
