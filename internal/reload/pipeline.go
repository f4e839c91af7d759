// Package reload is the reload loop: batches of saved files from watch are
// validated (config/bootstrap), handed to a restart target and confirmed,
// one attempt at a time per Envoy, and reported as one event schema.
//
// Data flows one way: the CLI drives this package, which drives watch,
// config/bootstrap and restart; none of those knows of the loop.
package reload

import (
	"context"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Reloader hot-restarts Envoy with a config validated here and confirms
// it; *restart.HotRestart is the real one.
type Reloader interface {
	Reload(ctx context.Context, res *bootstrap.Result) (restart.Outcome, error)
}

// Pipeline validates a changed bootstrap and, when it is valid, reloads.
type Pipeline struct {
	// Bootstrap is the bootstrap file's path.
	Bootstrap string
	Options   bootstrap.Options
	// Reloader is nil for a dry run.
	Reloader Reloader
}

// Run performs one reload attempt for the changed files.
func (p *Pipeline) Run(ctx context.Context, files []string) (ev Event) {
	start := time.Now()
	ev = Event{Event: "reload", Time: start, Files: files, Diagnostics: []bootstrap.Diagnostic{}}
	defer func() { ev.TotalMs = *Millis(time.Since(start)) }()

	res, err := bootstrap.LoadFile(p.Bootstrap, p.Options)
	ev.ValidateMs = Millis(time.Since(start))
	if err != nil {
		ev.Result, ev.Reason, ev.Error = ResultInvalid, ReasonInvalidConfig, err.Error()
		return ev
	}
	ev.Bootstrap = res
	ev.Diagnostics = res.Diagnostics
	if !res.Valid() {
		ev.Result, ev.Reason = ResultInvalid, ReasonInvalidConfig
		return ev
	}
	if p.Reloader == nil {
		ev.Result = ResultDryRun
		return ev
	}
	out, err := p.Reloader.Reload(ctx, res)
	record(&ev, out, err)
	return ev
}
