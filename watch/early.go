package watch

import (
	"slices"
	"sync"
	"time"
)

// Early hints let a consumer start slow work on a save before its batch is
// due. A write in place waits the whole debounce, because nothing tells
// when a writer that may reopen the file is done; but most such saves are
// one write, final long before the debounce ends. So once a burst has
// been quiet for Options.Early, its files are hinted: the consumer may
// check them ahead, and must still judge by the batch, which can only come
// later and say otherwise. A save by rename is whole at once: it is hinted
// at its rename, so that the checks run while the settle passes.
type earlyHints struct {
	mu    sync.Mutex
	files []string
	token chan struct{} // holds one token while files is not empty
}

func (h *earlyHints) put(files []string) {
	h.mu.Lock()
	for _, f := range files {
		if !slices.Contains(h.files, f) {
			h.files = append(h.files, f)
		}
	}
	h.mu.Unlock()
	select {
	case h.token <- struct{}{}:
	default: // a token already waits for the merged files
	}
}

// Early delivers a token when files may hold a whole save although their
// batch is not due yet (Options.Early); TakeEarly returns them. Hints that
// come while the consumer is busy are merged.
func (w *Watcher) Early() <-chan struct{} { return w.early.token }

// TakeEarly returns the files hinted since the last call.
func (w *Watcher) TakeEarly() []string {
	w.early.mu.Lock()
	defer w.early.mu.Unlock()
	files := w.early.files
	w.early.files = nil
	return files
}

// armEarly (re)starts the quiet period after which the pending files are
// hinted, unless the batch itself is due by then.
func (r *runner) armEarly(now, due time.Time) {
	early := r.w.opts.Early
	if early <= 0 || !due.After(now.Add(early)) {
		if r.earlyTimer != nil {
			r.earlyTimer.Stop()
		}
		return
	}
	if r.earlyTimer == nil {
		r.earlyTimer = time.NewTimer(early)
	} else {
		r.earlyTimer.Reset(early)
	}
}

// hintEarly hints the pending files: their burst has been quiet for
// Options.Early.
func (r *runner) hintEarly() {
	if len(r.pending) == 0 || r.ready != nil {
		return
	}
	files := make([]string, 0, len(r.pending))
	for f := range r.pending {
		files = append(files, f)
	}
	slices.Sort(files)
	r.w.log.Debug("early hint", "event", "early", "paths", files)
	r.w.early.put(files)
}
