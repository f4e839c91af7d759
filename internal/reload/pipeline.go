// Package reload is the reload loop: batches of saved files from watch are
// validated (config/bootstrap), handed to a restart target and confirmed,
// one attempt at a time per Envoy, and reported as one event schema.
//
// Data flows one way: the CLI drives this package, which drives watch,
// config/bootstrap and restart; none of those knows of the loop.
package reload

import (
	"context"
	"sync"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Reloader hot-restarts Envoy with a config validated here and confirms
// it; *restart.HotRestart is the real one.
type Reloader interface {
	Reload(ctx context.Context, res *bootstrap.Result) (restart.Outcome, error)
}

// Preparer is a Reloader that can run its slow checks of a config ahead of
// Reload (restart.HotRestart: the container's envoy --mode validate).
type Preparer interface {
	Prepare(ctx context.Context, res *bootstrap.Result)
}

// Pipeline validates a changed bootstrap and, when it is valid, reloads.
type Pipeline struct {
	// Bootstrap is the bootstrap file's path.
	Bootstrap string
	Options   bootstrap.Options
	// Reloader is nil for a dry run.
	Reloader Reloader

	// ahead is a validation made before its batch was due (Prepare); Run
	// takes it when the file still holds its bytes. preparing is held for
	// the whole of a Prepare, and Run waits for it: the slow checks of one
	// Envoy never run twice at once, and a run ahead of the batch is used
	// rather than repeated. It guards ahead too.
	preparing sync.Mutex
	ahead     *bootstrap.Result
}

// Prepare validates the bootstrap as it is now and runs the reloader's slow
// checks of it, ahead of the batch that will bring it: a save in place
// waits out the whole debounce, usually long after its bytes were final.
// Run uses what Prepare found only for the very same bytes.
func (p *Pipeline) Prepare(ctx context.Context) {
	p.preparing.Lock()
	defer p.preparing.Unlock()
	res, err := bootstrap.LoadFile(p.Bootstrap, p.Options)
	if err != nil {
		return
	}
	p.ahead = res
	if pr, ok := p.Reloader.(Preparer); ok && res.Valid() {
		pr.Prepare(ctx, res)
	}
}

// load validates the bootstrap, taking the validation made ahead when the
// file holds the same bytes; waited is how long a Prepare under way held it.
func (p *Pipeline) load() (res *bootstrap.Result, waited time.Duration, err error) {
	start := time.Now()
	p.preparing.Lock() // waits for a Prepare under way, and keeps a new one out while loading
	defer p.preparing.Unlock()
	waited = time.Since(start)
	ahead := p.ahead
	p.ahead = nil
	if ahead != nil && ahead.Unchanged() {
		return ahead, waited, nil
	}
	res, err = bootstrap.LoadFile(p.Bootstrap, p.Options)
	return res, waited, err
}

// Run performs one reload attempt for the changed files.
func (p *Pipeline) Run(ctx context.Context, files []string) (ev Event) {
	start := time.Now()
	ev = newEvent("reload", start, files)
	defer func() { ev.TotalMs = *Millis(time.Since(start)) }()

	res, waited, err := p.load()
	validated := time.Since(start)
	ev.ValidateMs = Millis(validated)
	if err != nil {
		ev.Result, ev.Reason, ev.Error = ResultInvalid, ReasonInvalidConfig, err.Error()
		return ev
	}
	if !ev.validated(res) {
		return ev
	}
	if p.Reloader == nil {
		ev.Result = ResultDryRun
		return ev
	}
	out, err := p.Reloader.Reload(ctx, res)
	record(&ev, out, err)
	if out.EnvoyValidateAhead {
		// The wait for the run ahead to end is that phase's, not this
		// tool's validation.
		ev.ValidateMs, ev.EnvoyValidateMs = Millis(validated-waited), Millis(out.EnvoyValidate+waited)
	}
	return ev
}

// diagnosticsOf is res's diagnostics as events carry them: a list in JSON,
// never null.
func diagnosticsOf(res *bootstrap.Result) []bootstrap.Diagnostic {
	if res.Diagnostics == nil {
		return []bootstrap.Diagnostic{}
	}
	return res.Diagnostics
}
