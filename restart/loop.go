package restart

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
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// Notice is a message of the loop that is not a reload attempt: the start,
// a deleted bootstrap, a watch problem. Its JSON form carries its own
// "event" value.
type Notice struct {
	Event   string    `json:"event"`
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
	Path    string    `json:"path,omitempty"`
}

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
	// Report receives each reload attempt, and the start as an Event with
	// "event":"start"; Notify receives notices. Both are called from Run's
	// goroutine only; either may be nil.
	Report func(Event)
	Notify func(Notice)

	watcher *watch.Watcher
	// applied is the last bootstrap Envoy runs (or, in a dry run, would
	// run), to say what each reload changes.
	applied *bootstrapv3.Bootstrap

	// retry holds a reload that failed before its signal because the target
	// could not be reached; it is tried again until the target answers or a
	// newer save replaces it.
	retry      *time.Timer
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
	l.Report(first)

	w, err := watch.New(l.watchFiles(res), l.Patterns, l.WatchOptions)
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
				Message: watchingMessage(l.watchFiles(res), l.Patterns)})
		case b := <-w.Batches():
			l.stopRetry()
			l.handle(ctx, b)
		case <-retryC(l.retry):
			l.retryReload(ctx)
		}
	}
}

func retryC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

// stopRetry ends a retry under way: a newer save replaces it.
func (l *Loop) stopRetry() {
	if l.retry != nil {
		l.retry.Stop()
		l.retry = nil
	}
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
	l.retry = time.NewTimer(l.retryDelay)
}

// retryReload tries the latest save again; only its outcome, once the
// target answers, is reported.
func (l *Loop) retryReload(ctx context.Context) {
	l.retry = nil // it fired; the retry itself goes on until it succeeds or fails for good
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
		if err := l.watcher.SetFiles(l.watchFiles(ev.Bootstrap), l.Patterns); err != nil {
			l.Notify(Notice{Event: "watch_error", Time: time.Now(), Level: "warn", Message: err.Error()})
		}
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
	for _, ref := range res.ReferencedFiles {
		p := ref.Path
		if l.HostPath != nil {
			p = l.HostPath(p)
		} else if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(l.Pipeline.Bootstrap), p)
		}
		if p != "" {
			files = append(files, p)
		}
	}
	return files
}
