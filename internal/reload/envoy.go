package reload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"sync"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// Envoy is one Envoy of a Loop: its pipeline, where its files are here,
// and what it runs.
type Envoy struct {
	// Name tells Envoys apart in events; "" for a lone Envoy.
	Name     string
	Pipeline *Pipeline
	// HostPath maps a file the bootstrap references to where it is on this
	// machine (relative paths, container paths); nil keeps paths relative
	// to the bootstrap's directory.
	HostPath func(string) string
	// Follow, when set, runs for as long as the loop and calls changed
	// each time HostPath's answers may have changed (the container was
	// recreated with other mounts): the watch set is mapped again at once.
	Follow func(ctx context.Context, changed func())

	// RetryDelay is the first wait before trying a save again (default
	// 1s); each further try waits twice as long, up to MaxRetryDelay
	// (default 5s).
	RetryDelay, MaxRetryDelay time.Duration
	// retryScheduled, when set (tests), sees each wait chosen.
	retryScheduled func(time.Duration)

	links envoyLinks
	// remap holds one token while a change of HostPath's answers waits.
	remap chan struct{}
	inbox inbox
	// hints say the Envoy's files may hold a whole save before their batch
	// is due (watch's early hint): its checks are made ahead by a goroutine
	// of its own, one hint after the other.
	hints chan struct{}
	// helpers are the Envoy's own goroutines: the checks ahead, and
	// Follow.
	helpers sync.WaitGroup

	// watchMu guards watched, which the loop reads to dispatch batches.
	watchMu sync.Mutex
	watched []string
	// last is the bootstrap as last read, whose referenced files are
	// watched; applied is the last one Envoy runs (or, in a dry run, would
	// run), to say what each reload changes. Both belong to run.
	last    *bootstrap.Result
	applied *bootstrapv3.Bootstrap

	// retryDue fires for a reload that failed before its signal because
	// the target could not be reached; it is tried again until the target
	// answers or a newer save replaces it. Nil when none waits.
	retryDue   <-chan time.Time
	retryFiles []string
	retryDelay time.Duration // 0 when no retry is under way
}

// Retry pacing for a target that does not answer.
const (
	firstRetryDelay = time.Second
	maxRetryDelay   = 5 * time.Second
)

// envoyLinks are what an Envoy needs of the loop it runs in, handed to it
// rather than a pointer to the loop.
type envoyLinks struct {
	report func(Event)
	notice func(Notice)
	// watchChanged makes the watcher follow this Envoy's new files; an
	// error is the watcher's.
	watchChanged func() error
	patterns     []string // watch.extra, for the watching message
	several      bool     // errors name the Envoy when there are several
}

// start validates the bootstrap once and reports it.
func (e *Envoy) start() error {
	start := time.Now()
	res, err := e.loadAtStart()
	if err != nil {
		return err
	}
	first := newEvent("start", start, []string{e.Pipeline.Bootstrap})
	first.Envoy = e.Name
	first.ValidateMs = Millis(time.Since(start))
	first.TotalMs = *first.ValidateMs
	if first.validated(res) {
		e.applied = res.Bootstrap
	}
	e.last = res
	e.watched = e.watchFiles(res)
	e.inbox.ready = make(chan struct{}, 1)
	e.hints = make(chan struct{}, 1)
	e.remap = make(chan struct{}, 1)
	e.links.report(first)
	return nil
}

// startError says which Envoy could not start when there are several.
func (e *Envoy) startError(err error) error {
	if e.links.several {
		return fmt.Errorf("envoy %s: %w", e.Name, err)
	}
	return err
}

// loadAtStart is the first validation, whose failure to read ends Run.
func (e *Envoy) loadAtStart() (*bootstrap.Result, error) {
	res, err := bootstrap.LoadFile(e.Pipeline.Bootstrap, e.Pipeline.Options)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, e.startError(fmt.Errorf("%s: %w", e.Pipeline.Bootstrap, ErrBootstrapMissing))
	case err != nil:
		return nil, e.startError(fmt.Errorf("%w: %w", ErrBootstrapUnreadable, err)) // err names the file
	}
	return res, nil
}

// run reloads this Envoy for each batch handed to it until ctx is done.
func (e *Envoy) run(ctx context.Context) {
	defer e.helpers.Wait()
	if e.Pipeline.Reloader != nil { // a dry run has nothing slow to start
		e.helpers.Go(func() { e.prepareOnHints(ctx) })
	}
	if e.Follow != nil {
		e.helpers.Go(func() { e.Follow(ctx, e.remapDue) })
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.inbox.ready:
			// A token left from a batch already taken finds nothing.
			if b := e.inbox.take(); len(b.Changed)+len(b.Missing) > 0 {
				e.dropHints() // this batch judges the bytes now; a hint of them would only repeat it
				e.stopRetry()
				e.handle(ctx, b)
			}
		case <-e.retryDue:
			e.retryReload(ctx)
		case <-e.remap:
			e.followMounts()
		}
	}
}

// hint says the Envoy's files may already hold a whole save.
func (e *Envoy) hint() {
	select {
	case e.hints <- struct{}{}:
	default: // one waiting hint covers any number
	}
}

// prepareOnHints makes the checks of a save ahead of its batch, for each
// hint in turn, until ctx ends.
func (e *Envoy) prepareOnHints(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.hints:
			e.Pipeline.Prepare(ctx)
		}
	}
}

func (e *Envoy) dropHints() {
	select {
	case <-e.hints:
	default:
	}
}

func (e *Envoy) notify(event, level, msg string) {
	e.links.notice(Notice{Event: event, Envoy: e.Name, Time: time.Now(), Level: level, Path: e.Pipeline.Bootstrap, Message: msg})
}

// stopRetry ends a retry under way: a newer save replaces it.
func (e *Envoy) stopRetry() {
	e.retryDue = nil // a nil channel is never ready; the timer is left to the collector
	e.retryDelay = 0
}

// scheduleRetry tries files again later: the first time after RetryDelay,
// with one notice, then after twice the previous wait, up to MaxRetryDelay.
func (e *Envoy) scheduleRetry(files []string) {
	first, most := cmp.Or(e.RetryDelay, firstRetryDelay), cmp.Or(e.MaxRetryDelay, maxRetryDelay)
	if e.retryDelay == 0 {
		e.retryDelay = first
		e.notify("retry", "warn", "the target does not answer; the latest save will be applied once it does")
	} else {
		e.retryDelay = min(2*e.retryDelay, most)
	}
	if e.retryScheduled != nil {
		e.retryScheduled(e.retryDelay)
	}
	e.retryFiles = files
	e.retryDue = time.After(e.retryDelay)
}

// retryReload tries the latest save again; only its outcome, once the
// target answers, is reported.
func (e *Envoy) retryReload(ctx context.Context) {
	e.retryDue = nil // it fired; the retry itself goes on until it succeeds or fails for good
	ev := e.Pipeline.Run(ctx, e.retryFiles)
	if ctx.Err() != nil {
		return
	}
	if ev.Retry {
		e.scheduleRetry(e.retryFiles)
		return
	}
	e.retryDelay = 0
	ev.Warnings = append(ev.Warnings, "applied on retry, once the target answered again")
	e.finish(ev)
}

func (e *Envoy) handle(ctx context.Context, b watch.Batch) {
	if slices.Contains(b.Missing, absPath(e.Pipeline.Bootstrap)) {
		e.notify("missing", "warn", "the bootstrap was deleted; no reload until it returns")
		return
	}
	ev := e.Pipeline.Run(ctx, b.Files())
	if ctx.Err() != nil && ev.Result == ResultFailed {
		e.notify("interrupted", "warn", "stopped during a reload; Envoy completes or fails its hot restart on its own")
		return
	}
	e.finish(ev)
	if ev.Retry {
		e.scheduleRetry(b.Files())
	}
}

// finish reports a reload attempt and follows what it changed.
func (e *Envoy) finish(ev Event) {
	ev.Envoy = e.Name
	if (ev.Result == ResultOK || ev.Result == ResultDryRun) && ev.Bootstrap != nil {
		if e.applied != nil {
			for _, c := range bootstrap.Diff(e.applied, ev.Bootstrap.Bootstrap) {
				ev.Changes = append(ev.Changes, c.String())
			}
		}
		e.applied = ev.Bootstrap.Bootstrap
	}
	e.links.report(ev)
	if ev.Bootstrap != nil {
		e.last = ev.Bootstrap
		e.setWatched()
	}
}

// setWatched watches the last bootstrap's files where they are now, and
// says whether that moved any of them.
func (e *Envoy) setWatched() (moved bool) {
	files := e.watchFiles(e.last)
	e.watchMu.Lock()
	moved = !slices.Equal(files, e.watched)
	e.watched = files
	e.watchMu.Unlock()
	if err := e.links.watchChanged(); err != nil {
		e.notify("watch_error", "warn", err.Error())
	}
	return moved
}

// watchedNow are the files of this Envoy the watcher follows, absolute.
func (e *Envoy) watchedNow() []string {
	e.watchMu.Lock()
	defer e.watchMu.Unlock()
	return e.watched
}

// remapDue says HostPath's answers may have changed; Follow calls it.
func (e *Envoy) remapDue() {
	select {
	case e.remap <- struct{}{}:
	default: // one pending remap covers any number of changes
	}
}

// followMounts follows a change of where the referenced files are here.
func (e *Envoy) followMounts() {
	if e.setWatched() {
		e.notify("remapped", "info", "the container's mounts changed: "+watchingMessage(e.watchedNow(), e.links.patterns))
	}
}

// watchFiles are the bootstrap and the files it references, on this
// machine, absolute as the watcher reports them.
func (e *Envoy) watchFiles(res *bootstrap.Result) []string {
	files := []string{absPath(e.Pipeline.Bootstrap)}
	hostPath := e.HostPath
	if hostPath == nil {
		hostPath = restart.HostPaths{Bootstrap: e.Pipeline.Bootstrap}.Host
	}
	for _, ref := range res.ReferencedFiles {
		if p := hostPath(ref.Path); p != "" && !slices.Contains(files, absPath(p)) {
			files = append(files, absPath(p))
		}
	}
	return files
}

// inbox merges the batches handed to one Envoy while it is busy, so that
// it sees exactly one more, never a queue.
type inbox struct {
	mu      sync.Mutex
	pending watch.Batch
	ready   chan struct{} // holds one token while pending is not empty
}

func (b *inbox) put(part watch.Batch) {
	b.mu.Lock()
	for _, f := range part.Changed {
		b.pending.Missing = slices.DeleteFunc(b.pending.Missing, func(m string) bool { return m == f })
		if !slices.Contains(b.pending.Changed, f) {
			b.pending.Changed = append(b.pending.Changed, f)
		}
	}
	for _, f := range part.Missing {
		b.pending.Changed = slices.DeleteFunc(b.pending.Changed, func(c string) bool { return c == f })
		if !slices.Contains(b.pending.Missing, f) {
			b.pending.Missing = append(b.pending.Missing, f)
		}
	}
	b.mu.Unlock()
	select {
	case b.ready <- struct{}{}:
	default: // a token is already waiting for the merged batch
	}
}

func (b *inbox) take() watch.Batch {
	b.mu.Lock()
	defer b.mu.Unlock()
	batch := b.pending
	b.pending = watch.Batch{}
	return batch
}
