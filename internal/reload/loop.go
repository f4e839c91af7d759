package reload

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// Loop ties the watcher to the pipeline: it validates once at start, then
// makes one reload attempt per batch of changes. Attempts never overlap;
// changes made during one are merged into exactly one next attempt.
type Loop struct {
	Pipeline *Pipeline
	// WatchOptions configure the watcher the loop creates.
	WatchOptions watch.Options
	// Patterns are extra globs to watch (watch.extra).
	Patterns []string
	// HostPath maps a file the bootstrap references to where it is on this
	// machine (relative paths, container paths); nil keeps paths relative
	// to the bootstrap's directory.
	HostPath func(string) string
	// Remap, when it delivers, says HostPath's answers may have changed (the
	// container was recreated with other mounts): the watch set is mapped
	// again at once.
	Remap <-chan struct{}
	// Report receives each reload attempt, and the start as an Event with
	// "event":"start"; Notify receives notices. Both are called from Run's
	// goroutine only; either may be nil.
	Report func(Event)
	Notify func(Notice)

	watcher *watch.Watcher
	// last is the bootstrap as last read, whose referenced files are
	// watched where watched says.
	last    *bootstrap.Result
	watched []string
	// applied is the last bootstrap Envoy runs (or, in a dry run, would
	// run), to say what each reload changes.
	applied *bootstrapv3.Bootstrap

	// retryDue fires for a reload that failed before its signal because
	// the target could not be reached; it is tried again until the target
	// answers or a newer save replaces it. Nil when none waits.
	retryDue   <-chan time.Time
	retryFiles []string
	retryDelay time.Duration // 0 when no retry is under way

	// RetryDelay is the first wait before trying a save again (default
	// 1s); each further try waits twice as long, up to MaxRetryDelay
	// (default 5s).
	RetryDelay, MaxRetryDelay time.Duration
	// retryScheduled, when set (tests), sees each wait chosen.
	retryScheduled func(time.Duration)
}

// Retry pacing for a target that does not answer.
const (
	firstRetryDelay = time.Second
	maxRetryDelay   = 5 * time.Second
)

// ErrBootstrapMissing is returned when the bootstrap does not exist at
// start, and ErrBootstrapUnreadable, with the cause, when it cannot be read
// (a directory, no permission).
var (
	ErrBootstrapMissing    = errors.New("the bootstrap does not exist")
	ErrBootstrapUnreadable = errors.New("cannot read the bootstrap")
)

// Run validates, then watches and reloads until ctx is done.
func (l *Loop) Run(ctx context.Context) error {
	if l.Report == nil {
		l.Report = func(Event) {}
	}
	if l.Notify == nil {
		l.Notify = func(Notice) {}
	}
	start := time.Now()
	res, err := bootstrap.LoadFile(l.Pipeline.Bootstrap, l.Pipeline.Options)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return ErrBootstrapMissing
	case err != nil:
		return fmt.Errorf("%w: %w", ErrBootstrapUnreadable, err)
	}
	first := Event{Event: "start", Time: start, Result: ResultOK, Files: []string{l.Pipeline.Bootstrap},
		Diagnostics: res.Diagnostics, ValidateMs: Millis(time.Since(start)), Bootstrap: res}
	if !res.Valid() {
		first.Result = ResultInvalid
	}
	first.TotalMs = *first.ValidateMs
	if res.Valid() {
		l.applied = res.Bootstrap
	}
	l.last = res
	l.Report(first)

	l.watched = l.watchFiles(res)
	w, err := watch.New(l.watched, l.Patterns, l.WatchOptions)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	l.watcher = w
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.Run(ctx) }()
	ready := w.Ready()
	for {
		select {
		case <-ctx.Done():
			return <-watchErr
		case err := <-watchErr:
			return err
		case <-ready:
			ready = nil
			l.Notify(Notice{Event: "watching", Time: time.Now(), Level: "info", Path: l.Pipeline.Bootstrap,
				Message: watchingMessage(l.watched, l.Patterns)})
		case b := <-w.Batches():
			l.stopRetry()
			l.handle(ctx, b)
		case <-l.retryDue:
			l.retryReload(ctx)
		case <-l.Remap:
			l.remap()
		}
	}
}

// stopRetry ends a retry under way: a newer save replaces it.
func (l *Loop) stopRetry() {
	l.retryDue = nil // a nil channel is never ready; the timer is left to the collector
	l.retryDelay = 0
}

// scheduleRetry tries files again later: the first time after RetryDelay,
// with one notice, then after twice the previous wait, up to MaxRetryDelay.
func (l *Loop) scheduleRetry(files []string) {
	first, most := cmp.Or(l.RetryDelay, firstRetryDelay), cmp.Or(l.MaxRetryDelay, maxRetryDelay)
	if l.retryDelay == 0 {
		l.retryDelay = first
		l.Notify(Notice{Event: "retry", Time: time.Now(), Level: "warn", Path: l.Pipeline.Bootstrap,
			Message: "the target does not answer; the latest save will be applied once it does"})
	} else {
		l.retryDelay = min(2*l.retryDelay, most)
	}
	if l.retryScheduled != nil {
		l.retryScheduled(l.retryDelay)
	}
	l.retryFiles = files
	l.retryDue = time.After(l.retryDelay)
}

// retryReload tries the latest save again; only its outcome, once the
// target answers, is reported.
func (l *Loop) retryReload(ctx context.Context) {
	l.retryDue = nil // it fired; the retry itself goes on until it succeeds or fails for good
	ev := l.Pipeline.Run(ctx, l.retryFiles)
	if ctx.Err() != nil {
		return
	}
	if ev.Retry {
		l.scheduleRetry(l.retryFiles)
		return
	}
	l.retryDelay = 0
	ev.Warnings = append(ev.Warnings, "applied on retry, once the target answered again")
	l.finish(ev)
}

func watchingMessage(files, patterns []string) string {
	msg := "watching " + filepath.Base(files[0])
	switch n := len(files) - 1; n {
	case 0:
	case 1:
		msg += " and 1 referenced file"
	default:
		msg += fmt.Sprintf(" and %d referenced files", n)
	}
	if len(patterns) > 0 {
		msg += fmt.Sprintf(" (+%d extra patterns)", len(patterns))
	}
	return msg
}

func (l *Loop) handle(ctx context.Context, b watch.Batch) {
	if slices.Contains(b.Missing, l.absBootstrap()) {
		l.Notify(Notice{Event: "missing", Time: time.Now(), Level: "warn", Path: l.Pipeline.Bootstrap,
			Message: "the bootstrap was deleted; no reload until it returns"})
		return
	}
	ev := l.Pipeline.Run(ctx, b.Files())
	if ctx.Err() != nil && ev.Result == ResultFailed {
		l.Notify(Notice{Event: "interrupted", Time: time.Now(), Level: "warn", Path: l.Pipeline.Bootstrap,
			Message: "stopped during a reload; Envoy completes or fails its hot restart on its own"})
		return
	}
	l.finish(ev)
	if ev.Retry {
		l.scheduleRetry(b.Files())
	}
}

// finish reports a reload attempt and follows what it changed.
func (l *Loop) finish(ev Event) {
	if (ev.Result == ResultOK || ev.Result == ResultDryRun) && ev.Bootstrap != nil {
		if l.applied != nil {
			for _, c := range bootstrap.Diff(l.applied, ev.Bootstrap.Bootstrap) {
				ev.Changes = append(ev.Changes, c.String())
			}
		}
		l.applied = ev.Bootstrap.Bootstrap
	}
	l.Report(ev)
	if ev.Bootstrap != nil {
		l.last = ev.Bootstrap
		l.setWatched()
	}
}

// setWatched watches the last bootstrap's files where they are now, and
// says whether that moved any of them.
func (l *Loop) setWatched() (moved bool) {
	files := l.watchFiles(l.last)
	moved = !slices.Equal(files, l.watched)
	l.watched = files
	if err := l.watcher.SetFiles(files, l.Patterns); err != nil {
		l.Notify(Notice{Event: "watch_error", Time: time.Now(), Level: "warn", Message: err.Error()})
	}
	return moved
}

// remap follows a change of where the referenced files are here.
func (l *Loop) remap() {
	if l.setWatched() {
		l.Notify(Notice{Event: "remapped", Time: time.Now(), Level: "info", Path: l.Pipeline.Bootstrap,
			Message: "the container's mounts changed: " + watchingMessage(l.watched, l.Patterns)})
	}
}

func (l *Loop) absBootstrap() string {
	abs, err := filepath.Abs(l.Pipeline.Bootstrap)
	if err != nil {
		return l.Pipeline.Bootstrap
	}
	return abs
}

// watchFiles are the bootstrap and the files it references, on this machine.
func (l *Loop) watchFiles(res *bootstrap.Result) []string {
	files := []string{l.Pipeline.Bootstrap}
	hostPath := l.HostPath
	if hostPath == nil {
		hostPath = restart.HostPaths{Bootstrap: l.Pipeline.Bootstrap}.Host
	}
	for _, ref := range res.ReferencedFiles {
		if p := hostPath(ref.Path); p != "" {
			files = append(files, p)
		}
	}
	return files
}
