package reload

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"github.com/envoy-reloader/envoy-reloader/watch"
)

// Loop ties one watcher to the Envoys it reloads: it validates each once at
// start, then hands every batch of changes to the Envoys whose files it
// holds. Each Envoy reloads on its own goroutine, so one that is slow,
// stopped or unreachable never holds another; within one Envoy attempts
// never overlap, and changes made during one are merged into exactly one
// next attempt.
type Loop struct {
	Envoys []*Envoy
	// WatchOptions configure the watcher the loop creates.
	WatchOptions watch.Options
	// Patterns are extra globs to watch (watch.extra); a change to one
	// reloads every Envoy.
	Patterns []string
	// Report receives each reload attempt, and each Envoy's start as an
	// Event with "event":"start"; Notify receives notices. Calls never
	// overlap, whichever Envoy makes them; either may be nil.
	Report func(Event)
	Notify func(Notice)

	watcher     *watch.Watcher
	absPatterns []string   // Patterns made absolute, to match the watcher's paths
	mu          sync.Mutex // serialises Report, Notify and the watch set
	// dispatched, when set (tests), runs after each batch is handed out.
	dispatched func(watch.Batch)
}

// ErrBootstrapMissing is returned when a bootstrap does not exist at
// start, and ErrBootstrapUnreadable, with the cause, when it cannot be read
// (a directory, no permission).
var (
	ErrBootstrapMissing    = errors.New("the bootstrap does not exist")
	ErrBootstrapUnreadable = errors.New("cannot read the bootstrap")
)

// Run validates every Envoy, then watches and reloads until ctx is done.
func (l *Loop) Run(ctx context.Context) error {
	if len(l.Envoys) == 0 {
		return errors.New("no Envoy to watch")
	}
	for _, e := range l.Envoys {
		e.links = envoyLinks{report: l.report, notice: l.notice, watchChanged: l.followFiles,
			patterns: l.Patterns, several: len(l.Envoys) > 1}
		if err := e.start(); err != nil {
			return err
		}
	}
	for _, p := range l.Patterns {
		l.absPatterns = append(l.absPatterns, absPath(p)) // as the watcher reports paths
	}
	w, err := watch.New(l.watchSet(), l.Patterns, l.WatchOptions)
	if err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	l.watcher = w
	ctx, cancel := context.WithCancel(ctx)
	var running sync.WaitGroup
	defer running.Wait()
	defer cancel()
	for _, e := range l.Envoys {
		running.Go(func() { e.run(ctx) })
	}
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
			for _, e := range l.Envoys {
				e.notify("watching", "info", watchingMessage(e.watchedNow(), l.Patterns))
			}
		case <-w.Early():
			files := w.TakeEarly()
			for _, e := range l.Envoys {
				if l.concerns(e, files) {
					e.hint()
				}
			}
		case b := <-w.Batches():
			l.dispatch(b)
			if l.dispatched != nil {
				l.dispatched(b)
			}
		}
	}
}

// concerns tells whether any of files is one of e's.
func (l *Loop) concerns(e *Envoy, files []string) bool {
	return slices.ContainsFunc(files, l.ownedBy(e))
}

// dispatch hands each Envoy the part of b that concerns it.
func (l *Loop) dispatch(b watch.Batch) {
	for _, e := range l.Envoys {
		mine := l.ownedBy(e)
		part := watch.Batch{Changed: filtered(b.Changed, mine), Missing: filtered(b.Missing, mine)}
		if len(part.Changed)+len(part.Missing) > 0 {
			e.inbox.put(part)
		}
	}
}

// ownedBy tells which files are e's: its own, and those of an extra
// pattern, which every Envoy shares.
func (l *Loop) ownedBy(e *Envoy) func(string) bool {
	watched := e.watchedNow()
	return func(f string) bool {
		return slices.Contains(watched, f) || slices.ContainsFunc(l.absPatterns, func(p string) bool {
			ok, _ := filepath.Match(p, f)
			return ok
		})
	}
}

func filtered(files []string, keep func(string) bool) []string {
	var out []string
	for _, f := range files {
		if keep(f) {
			out = append(out, f)
		}
	}
	return out
}

// watchSet is every Envoy's files, each once.
func (l *Loop) watchSet() []string {
	var all []string
	for _, e := range l.Envoys {
		for _, f := range e.watchedNow() {
			if !slices.Contains(all, f) {
				all = append(all, f)
			}
		}
	}
	return all
}

// followFiles makes the watcher follow the Envoys' current files.
func (l *Loop) followFiles() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.watcher.SetFiles(l.watchSet(), l.Patterns)
}

func (l *Loop) report(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Report != nil {
		l.Report(ev)
	}
}

func (l *Loop) notice(n Notice) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Notify != nil {
		l.Notify(n)
	}
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

// absPath is p made absolute, as the watcher reports paths.
func absPath(p string) string {
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}
