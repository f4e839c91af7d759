package local

import (
	"context"
	"os"
	"path/filepath"
	"strconv"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// HostPathOf implements EnvoyPather: a local Envoy reads this machine's files.
func (p *Process) HostPathOf(_ context.Context, envoyPath string) (string, bool) {
	return restart.AbsPath(envoyPath), true
}

// EnvoyPath implements EnvoyPather: a local Envoy sees this machine's files.
func (p *Process) EnvoyPath(_ context.Context, host string) (string, bool) {
	return restart.AbsPath(host), true
}

// ResolveEnvoyPath implements EnvoyPather: relative to the working
// directory of the restarter, which Envoy inherits.
func (p *Process) ResolveEnvoyPath(_ context.Context, configPath string) (string, bool) {
	if filepath.IsAbs(configPath) {
		return restart.AbsPath(configPath), true
	}
	pid, err := p.pid()
	if err != nil {
		return configPath, true
	}
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return configPath, true
	}
	return restart.AbsPath(filepath.Join(cwd, configPath)), true
}
