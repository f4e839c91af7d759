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
	key     [sha256.Size]byte // the files it judged (filesKey)
	verdict Validation        // with the instance that judged
	// usable is false when the run failed or a file changed while it ran
	// (the container may have read either version).
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
// Reload would run it, in the instance running now. It returns when the
// run ends or ctx does. The caller runs one at a time and never beside
// Reload (internal/reload's Pipeline), so a container runs one validate of
// this Envoy at a time.
func (h *HotRestart) Prepare(ctx context.Context, res *bootstrap.Result) {
	o := offersOf(h.Target)
	v := o.validate
	if v == nil || !h.EnvoyValidate || res == nil || !res.Valid() {
		return
	}
	if o.self != nil && o.self.ValidatesOnSignal(ctx) {
		return // the restarter validates on the signal
	}
	a := &ahead{key: filesKey(h.wantFiles(res))}
	verdict, err := v.EnvoyValidate(ctx, true)
	a.verdict = verdict
	a.usable = err == nil && filesKey(h.wantFiles(res)) == a.key && res.Unchanged()
	h.ahead.mu.Lock()
	h.ahead.latest = a
	h.ahead.mu.Unlock()
}

// validatedAhead takes the verdict of a run ahead of these very bytes in
// this very instance, if there is one: once, so that a later reload (a
// retry, a revert to the same bytes) never takes a verdict from before.
func (h *HotRestart) validatedAhead(key [sha256.Size]byte, instance string) (Validation, bool) {
	h.ahead.mu.Lock()
	a := h.ahead.latest
	h.ahead.latest = nil
	h.ahead.mu.Unlock()
	if a == nil || !a.usable || a.key != key || (instance != "" && a.verdict.Instance != instance) {
		return Validation{}, false
	}
	return a.verdict, true
}

// envoyValidate is the target's validate of files: the verdict of a run
// ahead when one judged these very bytes in this instance (ahead), else a
// run now.
func (h *HotRestart) envoyValidate(ctx context.Context, v EnvoyValidator, files []WantFile, instance string) (verdict Validation, took time.Duration, ahead bool, err error) {
	start := time.Now()
	if verdict, found := h.validatedAhead(filesKey(files), instance); found {
		return verdict, time.Since(start), true, nil
	}
	verdict, err = v.EnvoyValidate(ctx, false)
	return verdict, time.Since(start), false, err
}
