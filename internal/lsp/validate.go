package lsp

import (
	"context"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// A change is validated at once (after Config.Debounce, when one is set)
// and cancels the validations of the versions before it: their results
// could never be published, and on two cores they would slow the one that
// can. So the diagnostics of a pause in typing come one validation after
// its last keystroke.

// maxValidations bounds the validations of one document at a time: a
// cancelled one may take a moment to notice.
const maxValidations = 2

// schedule supersedes the document's validations under way and starts
// its current version's; s.mu is held.
func (s *server) schedule(d *document) {
	if s.stopped || d.closed {
		return
	}
	if d.cancel != nil {
		d.cancel()
	}
	d.ctx, d.cancel = context.WithCancel(s.ctx)
	if s.cfg.Debounce <= 0 {
		s.start(d)
		return
	}
	if d.timer == nil {
		d.timer = time.AfterFunc(s.cfg.Debounce, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.start(d)
		})
		return
	}
	d.timer.Reset(s.cfg.Debounce)
}

// end stops the document's debounce and validations, for good; s.mu is
// held.
func (d *document) end() {
	d.closed = true
	if d.timer != nil {
		d.timer.Stop()
	}
	if d.cancel != nil {
		d.cancel()
	}
}

// stopAll stops every debounce and validation; no validation starts after
// it.
func (s *server) stopAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	for _, d := range s.docs {
		d.end()
	}
}

// start runs a validation of the document's current version, unless two
// are under way: then the first to end starts it. s.mu is held.
func (s *server) start(d *document) {
	if d.closed || s.stopped {
		return
	}
	if d.running >= maxValidations {
		d.rerun = true
		return
	}
	d.running++
	opts, ok := s.cfg.Bootstraps[d.path]
	if !ok {
		opts = s.cfg.Default
	}
	s.wg.Add(1)
	go s.validate(d.ctx, d, d.text, d.version, opts)
}

// validate checks one version of the document and publishes the result
// unless the document changed meanwhile: a stale version is never
// published.
func (s *server) validate(ctx context.Context, d *document, text string, version int32, opts bootstrap.Options) {
	defer s.wg.Done()
	if beforeLoad != nil {
		beforeLoad(ctx, version)
	}
	var res *bootstrap.Result
	var err error
	// The tree of the version before, once the validation holding it is
	// done with it: this one parses only what the edit changed (it waits
	// for a superseded validation to notice, a moment, rather than race
	// it for the cores with a full parse).
	select {
	case prev := <-d.parsed:
		var next *bootstrap.Parsed
		res, next, err = bootstrap.LoadNext(ctx, d.path, []byte(text), opts, prev)
		d.parsed <- next
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err == nil && afterLoad != nil {
		afterLoad(version)
	}
	if err != nil && cancelledLoad != nil {
		cancelledLoad(version)
	}
	var diags []bootstrap.Diagnostic
	var clusters []string
	if err == nil {
		for _, x := range res.Diagnostics {
			if x.File == d.path {
				diags = append(diags, x)
			}
		}
		clusters = clusterNames(res.Bootstrap)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	d.running--
	if err == nil && (len(clusters) > 0 || res.Valid()) {
		d.clusters = clusters
	}
	if err == nil && d.version == version && !d.closed && !s.stopped {
		d.lspDiags = toLSP(text, diags)
		s.publish(d.uri, &version, d.lspDiags)
	}
	if d.rerun {
		d.rerun = false
		s.start(d)
	}
}

// Hooks for tests: beforeLoad runs before each validation's Load,
// afterLoad after each that was not cancelled, cancelledLoad after each
// that was.
var (
	beforeLoad    func(ctx context.Context, version int32)
	afterLoad     func(version int32)
	cancelledLoad func(version int32)
)
