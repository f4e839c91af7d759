package restart

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// EnvoyPather is a target that knows where its Envoy sees files of this
// machine: through a container's bind mounts, or as they are for a local
// process.
type EnvoyPather interface {
	// EnvoyPath is where Envoy sees the file host ("", false: it cannot).
	EnvoyPath(ctx context.Context, host string) (string, bool)
	// ResolveEnvoyPath makes Envoy's config_path absolute, as Envoy resolves
	// it: from its working directory. sure is false where that directory
	// cannot be known for certain, so the path proves nothing either way.
	ResolveEnvoyPath(ctx context.Context, configPath string) (resolved string, sure bool)
	// HostPathOf is where the file Envoy reads as envoyPath is here
	// ("", false: it is not mounted from here, or cannot be known).
	HostPathOf(ctx context.Context, envoyPath string) (string, bool)
}

// verifyLoaded proves, after the new epoch is LIVE, that it runs the saved
// config: /server_info names the watched bootstrap as its config_path, and
// /config_dump's bootstrap is the validated one (see LoadedDiff). Both are
// read on fresh connections, as every admin request is.
func (a *attempt) verifyLoaded(ctx context.Context, out *Outcome, res *bootstrap.Result, info *adminv3.ServerInfo) error {
	start := time.Now()
	defer func() { out.Loaded = time.Since(start) }()
	configPath := info.GetCommandLineOptions().GetConfigPath()
	if p := a.paths; p != nil && configPath != "" {
		want, mapped := p.EnvoyPath(ctx, res.File)
		got, sure := p.ResolveEnvoyPath(ctx, configPath)
		hostGot, known := p.HostPathOf(ctx, got)
		switch {
		case known && hostGot == AbsPath(res.File):
			// The very file watched, whichever mount Envoy reads it through.
		case !mapped || !known:
			// No mount covers the file as paths read here: with a local
			// Engine, start refused that already; elsewhere (Docker Desktop
			// names sources in its VM) it is no proof.
			out.Warnings = append(out.Warnings, fmt.Sprintf("could not verify that Envoy's config_path %s is the watched %s: no bind mount of it as seen here", got, res.File))
		case !sure:
			// Resolved against a working directory that may not be
			// Envoy's: no proof either way.
			out.Warnings = append(out.Warnings, fmt.Sprintf("could not verify that Envoy's relative config_path %s is the watched %s", configPath, res.File))
		default:
			return staleAfterLive(fmt.Sprintf("Envoy in %s runs %s, not the watched %s (which it would see as %s)", a.Target.Describe(), got, res.File, want))
		}
	}
	var loaded *bootstrapv3.Bootstrap
	var err error
	if a.loadedRead != nil {
		r := <-a.loadedRead
		loaded, err = r.bootstrap, r.err
	} else {
		loaded, err = a.Confirmer.Admin.LoadedBootstrap(ctx)
	}
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			out.Warnings = append(out.Warnings, fmt.Sprintf("could not verify the loaded config: %v", err))
		}
		return nil
	}
	var overlay *bootstrapv3.Bootstrap
	if y := info.GetCommandLineOptions().GetConfigYaml(); y != "" {
		overlay = bootstrap.Load("--config-yaml", []byte(y), bootstrap.Options{}).Bootstrap
	}
	if diff := LoadedDiff(res.Bootstrap, loaded, overlay); len(diff) > 0 {
		out.StaleFields = diff
		out.Hint = "mount the bootstrap's directory (-v ./envoy:/etc/envoy), not the file, and recreate the container once"
		return staleAfterLive(fmt.Sprintf("epoch %d is live but runs another config than the saved %s: /config_dump's bootstrap differs in %s (Envoy reads %s)",
			Epoch(info), res.File, describeDiff(diff), configPath))
	}
	return nil
}

// staleAfterLive: the new epoch is LIVE but does not run the saved config.
type staleAfterLive string

func (e staleAfterLive) Error() string { return string(e) }

// Is makes errors.Is(err, ErrStale) true.
func (e staleAfterLive) Is(target error) bool { return target == ErrStale }

// loadedBootstrap is one read of /config_dump's bootstrap.
type loadedBootstrap struct {
	bootstrap *bootstrapv3.Bootstrap
	err       error
}

// loadedPrefetch reads /config_dump's bootstrap each time the gauges show
// the new epoch LIVE, beside the /server_info read that then confirms it:
// the two reads wait for Envoy's main thread together rather than one
// after the other. Only the read started with the confirming one is used.
type loadedPrefetch struct {
	ctx    context.Context
	cancel context.CancelFunc
	admin  *Admin
	wg     sync.WaitGroup
	last   chan loadedBootstrap
}

// prefetchLoaded prepares the read when the proof will need it.
func (a *attempt) prefetchLoaded(ctx context.Context) *loadedPrefetch {
	p := &loadedPrefetch{admin: a.Confirmer.Admin}
	if a.res == nil || a.res.Bootstrap == nil {
		return p
	}
	p.ctx, p.cancel = context.WithCancel(ctx)
	return p
}

func (p *loadedPrefetch) start() {
	if p.ctx == nil {
		return
	}
	read := make(chan loadedBootstrap, 1)
	p.last = read
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		b, err := p.admin.LoadedBootstrap(p.ctx)
		read <- loadedBootstrap{b, err}
	}()
}

// stop ends the reads still under way, once the proof is made.
func (p *loadedPrefetch) stop() {
	if p.cancel != nil {
		p.cancel()
	}
	p.wg.Wait()
}
