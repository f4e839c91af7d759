package restart

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// The container's `envoy --mode validate` is the slowest check before the
// signal (an exec: tens to hundreds of milliseconds), the epoch before it
// the slowest admin read. Prepare makes both while the watcher still waits
// out a save's debounce or settle; Reload takes the verdict only for
// byte-identical files, and runs it again otherwise.

// ahead is one validate run ahead of its reload.
type ahead struct {
	key     [sha256.Size]byte // the files it judged (filesKey)
	verdict Validation        // with the instance that judged
	// usable is false when the run failed or a file changed while it ran
	// (the container may have read either version).
	usable bool
}

// aheadRuns holds the latest run ahead of its reload, and the epoch read
// beside it.
type aheadRuns struct {
	mu     sync.Mutex
	latest *ahead
	before *epochAhead
}

// epochAhead is Confirmer.Before made ahead of its reload, beside the
// validate: its whole /server_info is the slowest admin read before the
// signal. Reload takes it only for the same instance and only once two
// fresh reads of the epoch gauge still show that epoch (stillAt).
type epochAhead struct {
	instance string
	info     *adminv3.ServerInfo
	epoch    uint32
	at       time.Time
}

// epochAheadFor is how long an epoch read ahead may serve: a save in
// place is due a debounce after it, at the latest max_wait.
const epochAheadFor = 2 * time.Second

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
	if res == nil || !res.Valid() {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.readEpochAhead(ctx)
	}()
	h.validateAhead(ctx, res)
	<-done
}

// readEpochAhead reads the epoch before the signal ahead of the reload.
func (h *HotRestart) readEpochAhead(ctx context.Context) {
	h.ahead.mu.Lock()
	h.ahead.before = nil
	h.ahead.mu.Unlock()
	var instance string
	if check, ok := h.Target.(Checker); ok {
		var err error
		if instance, err = check.Check(ctx); err != nil {
			return
		}
	}
	if h.instance != "" && instance != h.instance {
		return // a new instance: Reload forgets the old epochs first
	}
	info, epoch, err := h.Confirmer.Before(ctx)
	if err != nil || info == nil {
		return // Reload reads again, and says why
	}
	h.ahead.mu.Lock()
	h.ahead.before = &epochAhead{instance: instance, info: info, epoch: epoch, at: time.Now()}
	h.ahead.mu.Unlock()
}

// epochReadAhead takes the epoch read ahead for this instance, once, with
// its uptimes brought forward to now.
func (h *HotRestart) epochReadAhead(instance string) (*adminv3.ServerInfo, uint32, bool) {
	h.ahead.mu.Lock()
	b := h.ahead.before
	h.ahead.before = nil
	h.ahead.mu.Unlock()
	if b == nil || b.instance != instance || time.Since(b.at) > epochAheadFor {
		return nil, 0, false
	}
	info := proto.Clone(b.info).(*adminv3.ServerInfo)
	age := time.Since(b.at)
	info.UptimeCurrentEpoch = durationpb.New(info.GetUptimeCurrentEpoch().AsDuration() + age)
	info.UptimeAllEpochs = durationpb.New(info.GetUptimeAllEpochs().AsDuration() + age)
	return info, b.epoch, true
}

// validateAhead runs the target's validate ahead, when Reload would run it.
func (h *HotRestart) validateAhead(ctx context.Context, res *bootstrap.Result) {
	o := offersOf(h.Target)
	v := o.validate
	if v == nil || !h.EnvoyValidate {
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
