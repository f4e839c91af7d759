package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/restart/docker"
	"github.com/envoy-reloader/envoy-reloader/restart/local"
)

// adminRequestTimeout bounds one /server_info read.
const adminRequestTimeout = 2 * time.Second

// errNoTarget explains the one setting watch and restart cannot do without.
var errNoTarget = errors.New("no Envoy to reload: set target.container, target.compose_service or target.pid in reloader.yaml (see `envoy-reloader init`), or use --dry-run")

// reloadSetup is what the settings make of the target.
type reloadSetup struct {
	reloader *restart.HotRestart
	hostPath func(string) string
	// follow, when set, runs until ctx ends and calls changed whenever the
	// target's files are mapped anew (a container recreated with other
	// mounts).
	follow func(ctx context.Context, changed func())
	close  func()
	// warnings are said once at start: single-file bind mounts.
	warnings []string
}

// hostPaths maps referenced files here by the settings' paths:, and by the
// container's bind mounts as last seen when paths: is empty; used by dry
// runs too.
func hostPaths(s config.Settings) restart.HostPaths {
	h := restart.HostPaths{Bootstrap: s.BootstrapPath(), Paths: restart.PathMap{}}
	for containerDir, hostDir := range s.Paths {
		h.Paths[containerDir] = s.Resolve(hostDir)
	}
	return h
}

func newReloadSetup(ctx context.Context, s config.Settings) (*reloadSetup, error) {
	if !s.HasTarget() {
		return nil, usageErr(errNoTarget)
	}
	sig, err := s.Signal()
	if err != nil {
		return nil, usageErr(err)
	}
	admin, err := restart.NewAdmin(s.Admin.URL, adminRequestTimeout)
	if err != nil {
		return nil, usageErr(err)
	}
	setup := &reloadSetup{close: func() {}}
	paths := hostPaths(s)
	var target restart.Target
	if s.IsContainer() {
		d, err := docker.New(s.Target.Container, s.Target.ComposeService, s.Target.ComposeProject)
		if err != nil {
			return nil, err
		}
		d.EnvoyCommand = s.Validate.EnvoyCommand
		setup.close = func() { _ = d.Close() }
		// How the container sees the watched bootstrap; a container not
		// found yet is reported at the first reload. The lookup records its
		// mounts, which map the referenced files until it is recreated.
		warnings, err := d.MountCheck(ctx, s.BootstrapPath())
		switch {
		case errors.Is(err, docker.ErrNotWatched):
			d.Close()
			return nil, usageErr(err)
		case err == nil:
			setup.warnings = warnings
		}
		paths.Mounts = d.BindMounts
		setup.follow = d.FollowStarts
		target = d
	} else {
		target = &local.Process{PID: s.Target.PID, PIDFile: s.Resolve(s.Target.PIDFile)}
	}
	setup.hostPath = paths.Host
	setup.reloader = &restart.HotRestart{
		Target:        target,
		Signal:        sig,
		Confirmer:     &restart.Confirmer{Admin: admin, Interval: s.Confirm.Interval, Timeout: s.Confirm.Timeout},
		EnvoyValidate: s.EnvoyValidate(),
		HostPath:      setup.hostPath,
	}
	return setup, nil
}

func describeInfo(url string, epoch uint32, state, uptime, all, version string) string {
	return fmt.Sprintf("%s: epoch %d %s, up %s (all epochs %s), Envoy %s", url, epoch, state, uptime, all, version)
}

// warnStart prints the setup's start warnings, once.
func (s *reloadSetup) warnStart(p *report.Printer, envoy, bootstrap string) {
	for _, w := range s.warnings {
		p.Notice(reload.Notice{Event: "mount_warning", Envoy: envoy, Time: time.Now(), Level: "warn", Path: bootstrap, Message: w})
	}
}
