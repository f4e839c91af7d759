package reload

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"

	"github.com/envoy-reloader/envoy-reloader/watch"
)

// unreachableReloader fails every reload before its signal, as a target
// that does not answer does.
type unreachableReloader struct{ attempts chan struct{} }

func (r *unreachableReloader) Reload(context.Context, *bootstrap.Result) (restart.Outcome, error) {
	r.attempts <- struct{}{}
	return restart.Outcome{}, fmt.Errorf("the target does not answer: %w", restart.ErrUnreachable)
}

// A target that stays down is tried again after waits that double up to
// the maximum, with one notice for the whole retry, not one per attempt.
func TestRetryBacksOffWithOneNotice(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("a"))
	target := &unreachableReloader{attempts: make(chan struct{}, 100)}
	delays := make(chan time.Duration, 100)
	notices := make(chan Notice, 100)
	l := &Loop{
		Envoys: []*Envoy{{
			Pipeline:       &Pipeline{Bootstrap: file, Reloader: target},
			RetryDelay:     time.Millisecond,
			MaxRetryDelay:  8 * time.Millisecond,
			retryScheduled: func(d time.Duration) { delays <- d },
		}},
		WatchOptions: watch.Options{Debounce: 20 * time.Millisecond},
		Report:       func(Event) {},
		Notify:       func(n Notice) { notices <- n },
	}
	runLoop(t, l)
	if n := receive(t, notices); n.Event != "watching" {
		t.Fatalf("notice %+v, want watching", n)
	}
	writeFile(t, file, config("b"))
	var got []time.Duration
	for range 6 {
		receive(t, target.attempts)
		got = append(got, receive(t, delays))
	}
	want := []time.Duration{1, 2, 4, 8, 8, 8}
	for i := range want {
		want[i] *= time.Millisecond
	}
	if !slices.Equal(got, want) {
		t.Errorf("waits between attempts %v, want %v", got, want)
	}
	var retryNotices int
	for len(notices) > 0 {
		if n := <-notices; n.Event == "retry" {
			retryNotices++
		}
	}
	if retryNotices != 1 {
		t.Errorf("%d retry notices over 6 attempts, want 1", retryNotices)
	}
}

// A Loop without Report runs (it panicked on its first report).
func TestLoopRunsWithoutReport(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("a"))
	target := &unreachableReloader{attempts: make(chan struct{}, 100)}
	notices := make(chan Notice, 100)
	l := &Loop{Envoys: []*Envoy{{Pipeline: &Pipeline{Bootstrap: file, Reloader: target}}}, WatchOptions: watch.Options{Debounce: 20 * time.Millisecond},
		Notify: func(n Notice) { notices <- n }}
	runLoop(t, l) // which fails the test if Run returns an error
	if n := receive(t, notices); n.Event != "watching" {
		t.Fatalf("notice %+v, want watching", n)
	}
	writeFile(t, file, config("b"))
	receive(t, target.attempts) // the save reached the target: nothing panicked on the way
}
