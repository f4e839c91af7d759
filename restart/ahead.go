package restart

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// The container's `envoy --mode validate` is the slowest check before the
// signal (an exec: tens to hundreds of milliseconds). Prepare runs it while
// the watcher still waits out a save's debounce; Reload takes its verdict
// only for byte-identical files, and runs it again otherwise.

// ahead is one validate run ahead of its reload.
type ahead struct {
	key  [sha256.Size]byte // the files it judged (filesKey)
	done chan struct{}     // closed when the fields below are set
	ok   bool
	out  []string
	err  error
	// usable is false when a file changed while it ran: the container may
	// have read either version.
	usable bool
}

// aheadRuns holds the latest run ahead of its reload.
type aheadRuns struct {
	mu     sync.Mutex
	latest *ahead
}

// filesKey identifies the bytes of every file Envoy reads for res.
func filesKey(files []WantFile) [sha256.Size]byte {
	h := sha256.New()
	for _, f := range files {
		h.Write([]byte(f.HostPath))
		h.Write(f.Digest[:])
	}
	var key [sha256.Size]byte
	h.Sum(key[:0])
	return key
}

// Prepare runs the target's own validate of res ahead of Reload, when
// Reload would run it. It returns when the run ends or ctx does; a newer
// Prepare replaces an older one's verdict.
func (h *HotRestart) Prepare(ctx context.Context, res *bootstrap.Result) {
	v, ok := h.Target.(EnvoyValidator)
	if !ok || !h.EnvoyValidate || res == nil || !res.Valid() {
		return
	}
	files := h.wantFiles(res)
	a := &ahead{key: filesKey(files), done: make(chan struct{})}
	h.ahead.mu.Lock()
	h.ahead.latest = a
	h.ahead.mu.Unlock()
	defer close(a.done)
	a.ok, a.out, a.err = v.EnvoyValidate(ctx)
	a.usable = a.err == nil && filesKey(h.wantFiles(res)) == a.key && res.Unchanged()
}

// validatedAhead waits for a run ahead of files' exact bytes, if there is
// one, and returns its verdict; found is false when there is none usable.
func (h *HotRestart) validatedAhead(ctx context.Context, key [sha256.Size]byte) (ok bool, out []string, found bool) {
	h.ahead.mu.Lock()
	a := h.ahead.latest
	h.ahead.mu.Unlock()
	if a == nil || a.key != key {
		return false, nil, false
	}
	select {
	case <-a.done:
	case <-ctx.Done():
		return false, nil, false
	}
	return a.ok, a.out, a.usable
}

// envoyValidate is the target's validate of files: the verdict of a run
// ahead when one judged these very bytes (ahead: took is what was left of
// it), else a run now.
func (h *HotRestart) envoyValidate(ctx context.Context, v EnvoyValidator, files []WantFile) (ok bool, out []string, took time.Duration, ahead bool, err error) {
	start := time.Now()
	if ok, out, found := h.validatedAhead(ctx, filesKey(files)); found {
		return ok, out, time.Since(start), true, nil
	}
	ok, out, err = v.EnvoyValidate(ctx)
	return ok, out, time.Since(start), false, err
}
