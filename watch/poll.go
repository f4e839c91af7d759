package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// startProbes creates a hidden file in every watched directory; a directory
// whose probe raises no event within the probe timeout is polled instead.
// This catches bind mounts and network file systems that never deliver
// inotify events, which no other file-watching tool detects.
func (r *runner) startProbes() {
	for _, d := range r.neededDirs() {
		if !r.watched[d] {
			continue
		}
		probe := filepath.Join(d, fmt.Sprintf("%s%d", probePrefix, os.Getpid()))
		f, err := os.OpenFile(probe, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			r.switchToPolling(d, fmt.Sprintf("a probe file cannot be created there (%v), so file events cannot be confirmed", err))
			continue
		}
		_ = f.Close()
		r.probes[probe] = d
	}
	if len(r.probes) > 0 {
		r.probeTimer = time.NewTimer(r.w.opts.ProbeTimeout)
	}
}

func (r *runner) probesTimedOut() {
	for probe, d := range r.probes {
		_ = os.Remove(probe)
		delete(r.probes, probe)
		r.switchToPolling(d, fmt.Sprintf("no file event arrived for a probe file within %s (a Docker Desktop, WSL2, NFS or VM share?)", r.w.opts.ProbeTimeout))
	}
	r.probeTimer = nil
	r.w.markReady()
}

// switchToPolling stops relying on file events for dir, says so once, and
// re-checks its files in case a change was missed meanwhile.
func (r *runner) switchToPolling(dir, why string) {
	if r.polled[dir] {
		return
	}
	r.polled[dir] = true
	r.w.log.Warn(fmt.Sprintf("polling %s every %s: %s", dir, r.w.opts.FallbackInterval, why), "event", "poll_fallback", "path", dir)
	r.ensureWatches()
	r.resetPolling()
	r.touchDir(dir)
}

// resetPolling records the stat baseline of every polled file and runs a
// ticker only while some directory is polled, so event-based watching
// costs no CPU while idle.
func (r *runner) resetPolling() {
	if len(r.polled) == 0 {
		return
	}
	for _, f := range r.polledFiles() {
		if _, ok := r.sigs[f]; !ok {
			r.sigs[f] = readSig(f)
		}
	}
	if r.ticker == nil {
		interval := r.w.opts.PollInterval
		if interval <= 0 {
			interval = r.w.opts.FallbackInterval
		}
		r.ticker = time.NewTicker(interval)
	}
}

func (r *runner) polledFiles() []string {
	var out []string
	for _, f := range r.allFiles() {
		if r.polled[filepath.Dir(f)] {
			out = append(out, f)
		}
	}
	return out
}

// poll compares each polled file's stat with the last one; a difference
// counts as an event, and the content hash decides later as usual.
func (r *runner) poll() {
	for _, f := range r.polledFiles() {
		sig := readSig(f)
		if sig != r.sigs[f] {
			r.sigs[f] = sig
			r.w.log.Debug("poll", "event", "poll", "path", f, "decision", "stat changed: merged into the pending batch")
			r.touch(f)
		}
	}
}
