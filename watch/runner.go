package watch

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

const probePrefix = ".envoy-reloader-probe-"

// runner is the state of one Run; only Run's goroutine touches it.
type runner struct {
	w   *Watcher
	src eventSource
	set *watchSet

	states  map[string]fileState // last delivered content of each file
	missing map[string]bool      // files last delivered as missing
	sigs    map[string]statSig   // last stat of polled files
	watched map[string]bool      // directories given to the event source
	polled  map[string]bool      // directories polled instead

	// pending holds each file of the coming batch with the time its own
	// changes are over, unless more come; the batch is due at the latest.
	pending    map[string]time.Time
	first      time.Time
	timer      *time.Timer
	earlyTimer *time.Timer // see early.go
	ready      *Batch
	readySeen  map[string]fileState

	// prev is the event handled before the current one, and completing
	// says the current one completes a save (see completesSave).
	prev       fsnotify.Event
	completing bool
	rechecking bool // apply is checking files of newly watched directories

	probes     map[string]string // probe file -> its directory
	probeTimer *time.Timer
	ticker     *time.Ticker
}

func newRunner(w *Watcher, src eventSource) *runner {
	return &runner{
		w: w, src: src,
		states: map[string]fileState{}, missing: map[string]bool{}, sigs: map[string]statSig{},
		watched: map[string]bool{}, polled: map[string]bool{}, pending: map[string]time.Time{},
		probes: map[string]string{},
	}
}

func (r *runner) loop(ctx context.Context) error {
	r.apply(r.w.takeNext())
	if r.w.opts.PollAuto && r.src != nil {
		r.startProbes()
	}
	if len(r.probes) == 0 {
		r.w.markReady()
	}
	var events <-chan fsnotify.Event
	var errs <-chan error
	if r.src != nil {
		events, errs = r.src.Events(), r.src.Errors()
	}
	for {
		var out chan Batch
		var batch Batch
		if r.ready != nil {
			out, batch = r.w.batches, *r.ready
		}
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			r.handle(ev)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			r.sourceError(err)
		case <-timerC(r.timer):
			r.fire()
		case <-timerC(r.earlyTimer):
			r.hintEarly()
		case <-timerC(r.probeTimer):
			r.probesTimedOut()
		case <-tickerC(r.ticker):
			r.poll()
		case <-r.w.nextSeen:
			if set := r.w.takeNext(); set != nil {
				r.apply(set)
			}
		case out <- batch:
			r.delivered()
		}
	}
}

func timerC(t *time.Timer) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func tickerC(t *time.Ticker) <-chan time.Time {
	if t == nil {
		return nil
	}
	return t.C
}

func (r *runner) stop() {
	for probe := range r.probes {
		_ = os.Remove(probe)
	}
	for _, t := range []*time.Timer{r.timer, r.earlyTimer, r.probeTimer} {
		if t != nil {
			t.Stop()
		}
	}
	if r.ticker != nil {
		r.ticker.Stop()
	}
}

// apply makes set the watched set; files not seen before get their current
// content as the baseline.
func (r *runner) apply(set *watchSet) {
	if set == nil {
		return
	}
	r.set = set
	for _, f := range r.allFiles() {
		if _, known := r.states[f]; !known {
			r.states[f] = readState(f)
		}
	}
	if r.src == nil {
		for _, d := range r.neededDirs() {
			r.polled[d] = true
		}
	}
	r.rechecking = true
	r.ensureWatches()
	r.rechecking = false
	r.resetPolling()
}

// allFiles are the exact files plus the current matches of the patterns.
func (r *runner) allFiles() []string {
	files := slices.Clone(r.set.files)
	for _, p := range r.set.patterns {
		matches, _ := filepath.Glob(p)
		for _, m := range matches {
			if !slices.Contains(files, m) && !strings.HasPrefix(filepath.Base(m), probePrefix) {
				files = append(files, m)
			}
		}
	}
	return files
}

// neededDirs are the directories of the watched files, and of their
// symlink targets: a write through a symlink lands in the target's directory.
func (r *runner) neededDirs() []string {
	var dirs []string
	for _, f := range r.set.files {
		dirs = append(dirs, filepath.Dir(f))
		if target, ok := resolved(f); ok {
			dirs = append(dirs, filepath.Dir(target))
		}
	}
	for _, p := range r.set.patterns {
		dirs = append(dirs, filepath.Dir(p))
	}
	slices.Sort(dirs)
	return slices.Compact(dirs)
}

// ensureWatches gives the event source every needed directory that exists
// and, for one that does not, its nearest existing ancestor, so that its
// return is seen. A directory that comes back has its files re-checked.
func (r *runner) ensureWatches() {
	if r.src == nil {
		return
	}
	needed := r.neededDirs()
	want := map[string]bool{}
	for _, d := range needed {
		if r.polled[d] {
			continue
		}
		if isDir(d) {
			want[d] = true
		} else if a, ok := existingAncestor(d); ok {
			want[a] = true
		}
	}
	for d := range want {
		if r.watched[d] {
			continue
		}
		if err := r.src.Add(d); err != nil {
			if slices.Contains(needed, d) {
				r.switchToPolling(d, fmt.Sprintf("cannot watch it: %v", err))
			}
			continue
		}
		r.watched[d] = true
		r.log("watching directory", d, "added")
		if r.rechecking {
			r.recheckDir(d)
		} else {
			r.touchDir(d)
		}
	}
	for d := range r.watched {
		if !want[d] {
			_ = r.src.Remove(d) // it may be gone already
			delete(r.watched, d)
		}
	}
}

// touchDir marks every watched file in dir (or resolving into it) as
// possibly changed. A file in dir itself may still be being written (a
// directory removed and recreated); one that resolves into dir through a
// symlink was complete before the link pointed there (a ConfigMap's new
// ..data), so it waits only the settle.
func (r *runner) touchDir(dir string) {
	for _, f := range r.allFiles() {
		target, _ := resolved(f)
		switch {
		case filepath.Dir(f) == dir:
			r.touch(f)
		case filepath.Dir(target) == dir:
			r.mark(f, true)
		}
	}
}

// recheckDir looks again, once the watch on dir is in place, at the files
// whose baseline apply has just read, for a change made in between. An
// unchanged file starts no batch; a changed one is no write in progress
// either, so it waits only the settle.
func (r *runner) recheckDir(dir string) {
	for _, f := range r.allFiles() {
		target, _ := resolved(f)
		if filepath.Dir(f) != dir && filepath.Dir(target) != dir {
			continue
		}
		if st, old := readState(f), r.states[f]; st.exists != old.exists || st.hash != old.hash {
			r.mark(f, true)
		}
	}
}

func (r *runner) log(msg, path, decision string) {
	r.w.log.Debug(msg, "event", "watch", "path", path, "decision", decision)
}

func (r *runner) handle(ev fsnotify.Event) {
	r.completing = completesSave(r.prev, ev)
	defer func() { r.prev, r.completing = ev, false }()
	name := filepath.Clean(ev.Name)
	op := ev.Op.String()
	switch {
	case r.probes[name] != "":
		if ev.Has(fsnotify.Create) {
			dir := r.probes[name]
			r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "probe seen: file events work in "+dir)
			delete(r.probes, name)
			_ = os.Remove(name)
			if len(r.probes) == 0 {
				r.probeTimer.Stop()
				r.probeTimer = nil
				r.w.markReady()
			}
		}
		return
	case strings.HasPrefix(filepath.Base(name), probePrefix):
		r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "probe file (ignored)")
		return
	case r.watched[name] && ev.Has(fsnotify.Remove|fsnotify.Rename):
		r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "watched directory removed: waiting for it to return")
		delete(r.watched, name)
		r.touchDir(name)
		r.ensureWatches()
		return
	case ev.Op == fsnotify.Chmod:
		r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "chmod only (ignored)")
		return
	}
	matched := r.matches(name)
	if len(matched) == 0 {
		if ev.Has(fsnotify.Create|fsnotify.Rename) && r.leadsToNeededDir(name) {
			r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "a watched directory may have returned")
			r.ensureWatches()
			return
		}
		r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", "another file (ignored)")
		return
	}
	decision := "watched file: merged into the pending batch"
	if len(r.pending) == 0 {
		decision = "watched file: starts a batch"
	}
	if r.completing {
		decision += " (renamed into place: the save is complete)"
	}
	for _, f := range matched {
		r.touch(f)
	}
	r.w.log.Debug("file event", "event", "file", "op", op, "path", name, "decision", decision)
}

// matches returns the watched files an event on name may have changed: the
// file itself, a file whose symlink chain passes through name, or a new
// match of a pattern.
func (r *runner) matches(name string) []string {
	dir, base := filepath.Dir(name), filepath.Base(name)
	var out []string
	for _, f := range r.set.files {
		if filepath.Dir(f) != dir {
			continue
		}
		if filepath.Base(f) == base || slices.Contains(linkNames(f), base) {
			out = append(out, f)
		}
	}
	for _, f := range r.set.files {
		if target, ok := resolved(f); ok && target == name && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, p := range r.set.patterns {
		if ok, _ := filepath.Match(p, name); ok && filepath.Dir(p) == dir && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

func (r *runner) leadsToNeededDir(name string) bool {
	for _, d := range r.neededDirs() {
		if d == name || strings.HasPrefix(d, name+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

func (r *runner) sourceError(err error) {
	r.w.log.Warn("file event error", "error", err)
	if errors.Is(err, fsnotify.ErrEventOverflow) {
		// Events were lost: re-check everything.
		for _, f := range r.allFiles() {
			r.touch(f)
		}
	}
}
