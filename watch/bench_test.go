package watch

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

func startBench(b *testing.B, opts Options) (*Watcher, string) {
	b.Helper()
	file := filepath.Join(b.TempDir(), "envoy.yaml")
	if err := os.WriteFile(file, []byte("v0\n"), 0o644); err != nil {
		b.Fatal(err)
	}
	w, err := New([]string{file}, nil, opts)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = w.Run(ctx); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	<-w.Ready()
	return w, file
}

// BenchmarkEventToBatchLatency measures how long after a save its batch
// arrives, beyond the debounce window itself (target: under 5 ms).
func BenchmarkEventToBatchLatency(b *testing.B) {
	const debounce = 50 * time.Millisecond
	w, file := startBench(b, Options{Debounce: debounce})
	var beyond time.Duration
	i := 0
	for b.Loop() {
		i++
		written := time.Now()
		if err := os.WriteFile(file, fmt.Appendf(nil, "v%d\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
		<-w.Batches()
		beyond += time.Since(written) - debounce
	}
	b.ReportMetric(float64(beyond.Microseconds())/float64(i)/1000, "ms-beyond-debounce")
}

// BenchmarkRenameSaveToBatchLatency measures how long after a save that
// renames a new file into place its batch arrives, under the default
// debounce (150 ms) and settle (15 ms): the settle, not the debounce.
func BenchmarkRenameSaveToBatchLatency(b *testing.B) {
	w, file := startBench(b, Options{})
	tmp := file + ".tmp"
	var total time.Duration
	i := 0
	for b.Loop() {
		i++
		if err := os.WriteFile(tmp, fmt.Appendf(nil, "v%d\n", i), 0o644); err != nil {
			b.Fatal(err)
		}
		saved := time.Now()
		if err := os.Rename(tmp, file); err != nil {
			b.Fatal(err)
		}
		<-w.Batches()
		total += time.Since(saved)
	}
	b.ReportMetric(float64(total.Microseconds())/float64(i)/1000, "ms-save-to-batch")
}

// BenchmarkIdleCPU measures the CPU the process uses over 10 s of watching
// with nothing changing (target: nothing measurable; no timers tick).
func BenchmarkIdleCPU(b *testing.B) {
	startBench(b, Options{PollAuto: true})
	for b.Loop() {
		before := cpuTime(b)
		time.Sleep(10 * time.Second) // the idle period being measured
		b.ReportMetric(float64((cpuTime(b)-before).Microseconds())/1000, "cpu-ms/10s")
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
