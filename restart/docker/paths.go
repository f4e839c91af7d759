package docker

import (
	"context"
	"path"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// HostPathOf implements EnvoyPather through the container's bind mounts:
// several may cover one file (a project mounted at /app and its envoy
// directory at /etc/envoy), so it is Envoy's path that is mapped back.
func (d *Container) HostPathOf(ctx context.Context, envoyPath string) (string, bool) {
	info, err := d.current(ctx)
	if err != nil {
		return "", false
	}
	m, ok := mountOf(bindMounts(info), envoyPath)
	if !ok {
		return "", false
	}
	return restart.AbsPath(hostOf(m, envoyPath)), true
}

// EnvoyPath implements EnvoyPather through the container's bind mounts.
func (d *Container) EnvoyPath(ctx context.Context, host string) (string, bool) {
	info, err := d.current(ctx)
	if err != nil {
		return "", false
	}
	p, _, ok := envoyPathOf(bindMounts(info), restart.AbsPath(host))
	return p, ok
}

// ResolveEnvoyPath implements EnvoyPather: relative to the container's
// working directory, which a start script may have left, so a relative
// path is never sure.
func (d *Container) ResolveEnvoyPath(ctx context.Context, configPath string) (string, bool) {
	if path.IsAbs(configPath) {
		return configPath, true
	}
	wd := "/"
	if info, err := d.current(ctx); err == nil && info.Config != nil && info.Config.WorkingDir != "" {
		wd = info.Config.WorkingDir
	}
	return path.Join(wd, configPath), false
}
