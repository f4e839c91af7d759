package watch

import (
	"path/filepath"
	"slices"
	"time"

	"github.com/fsnotify/fsnotify"
)

// How a burst of changes becomes a batch: when it is due, and what it holds.

// completesSave tells whether ev, on a watched name, is the last step of a
// save by rename. inotify reports a rename within a directory as
// IN_MOVED_FROM of the old name immediately followed by IN_MOVED_TO of the
// new one (fsnotify: Rename, then Create); a file merely created, as vim's
// and emacs's default saves do after moving the original to a backup
// (Rename of the watched name itself, then Create of the backup), is still
// empty and about to be written. So only a Create right after the Rename
// of another name in the same directory is a completed save.
func completesSave(prev, ev fsnotify.Event) bool {
	return ev.Has(fsnotify.Create) && prev.Has(fsnotify.Rename) &&
		filepath.Dir(prev.Name) == filepath.Dir(ev.Name) && filepath.Clean(prev.Name) != filepath.Clean(ev.Name)
}

// touch adds f to the pending batch and (re)arms the timer. Each file's
// changes are over debounce after its last change, or settle after it when
// that change completed a save (the file's earlier events are then moot:
// the rename replaced it whole); the batch is due when every file's
// changes are over, or max wait after its first change.
func (r *runner) touch(f string) { r.mark(f, r.completing) }

// mark is touch with the settle chosen by the caller: complete says f's
// change is known to be whole.
func (r *runner) mark(f string, complete bool) {
	now := time.Now()
	if r.first.IsZero() {
		r.first = now
	}
	r.ready = nil // a batch waiting for the consumer absorbs this change
	delay := r.w.opts.Debounce
	if complete {
		delay = r.w.opts.Settle
	}
	r.pending[f] = now.Add(delay)
	var due time.Time
	for _, d := range r.pending {
		if d.After(due) {
			due = d
		}
	}
	r.armEarly(now, due)
	if complete && r.w.opts.Early > 0 && !due.After(now.Add(r.w.opts.Settle)) {
		// A rename completed the save, and nothing else pending is still
		// being written: the consumer's checks may run during the settle.
		// The quiet timer just armed would hint the same bytes again, and
		// a consumer would run its checks twice (the second run outlasting
		// the settle: about 6 ms of each save by rename).
		r.hintEarly()
		if r.earlyTimer != nil {
			r.earlyTimer.Stop()
		}
	}
	wait := due.Sub(now)
	if r.w.opts.MaxWait > 0 {
		if untilMax := r.first.Add(r.w.opts.MaxWait).Sub(now); untilMax < wait {
			wait = max(untilMax, 0)
		}
	}
	if r.timer == nil {
		r.timer = time.NewTimer(wait)
	} else {
		r.timer.Reset(wait)
	}
}

// fire compares the pending files with their last delivered state and
// readies a batch when something really changed.
func (r *runner) fire() {
	r.ensureWatches() // a symlink swap may have moved a file's target directory
	var b Batch
	seen := make(map[string]fileState, len(r.pending))
	paths := make([]string, 0, len(r.pending))
	for f := range r.pending {
		paths = append(paths, f)
	}
	slices.Sort(paths)
	for _, f := range paths {
		st := readState(f)
		seen[f] = st
		old, known := r.states[f]
		switch {
		case st.exists && (!known || !old.exists || st.hash != old.hash):
			b.Changed = append(b.Changed, f)
		case !st.exists && known && old.exists && !r.missing[f]:
			b.Missing = append(b.Missing, f)
		}
	}
	if len(b.Changed) == 0 && len(b.Missing) == 0 {
		for f := range seen {
			if seen[f].exists {
				delete(r.missing, f) // back with the content it had
			}
			r.w.log.Debug("batch", "event", "batch", "path", f, "decision", "content unchanged (no reload)")
		}
		r.clearPending()
		return
	}
	b.FirstEvent, b.Ready = r.first, time.Now()
	r.ready, r.readySeen = &b, seen
	if r.w.opts.OnBatchReady != nil {
		r.w.opts.OnBatchReady()
	}
}

func (r *runner) delivered() {
	for f, st := range r.readySeen {
		switch {
		case st.exists:
			r.states[f] = st
			delete(r.missing, f)
		case slices.Contains(r.ready.Missing, f):
			r.missing[f] = true // keep the last content as the baseline
		}
	}
	r.clearPending()
}

func (r *runner) clearPending() {
	clear(r.pending)
	r.first = time.Time{}
	r.ready, r.readySeen = nil, nil
	for _, t := range []*time.Timer{r.timer, r.earlyTimer} {
		if t != nil {
			t.Stop()
		}
	}
}
