package reload

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// heldReloader holds each reload of one Envoy until released, when hold is
// set; otherwise it confirms at once.
type heldReloader struct {
	hold    chan struct{}
	started chan struct{}
}

func (r *heldReloader) Reload(ctx context.Context, _ *bootstrap.Result) (restart.Outcome, error) {
	if r.started != nil {
		r.started <- struct{}{}
	}
	if r.hold != nil {
		select {
		case <-r.hold:
		case <-ctx.Done():
			return restart.Outcome{}, ctx.Err()
		}
	}
	epoch := uint32(1)
	return restart.Outcome{Epoch: &epoch}, nil
}

// stack runs a Loop of Envoys named after their bootstraps in dir; every
// bootstrap references dir/ca.pem or its own cert, as its text says.
type stack struct {
	events     chan Event
	notices    chan Notice
	dispatched chan watch.Batch
}

func startStack(t *testing.T, envoys []*Envoy, patterns ...string) *stack {
	t.Helper()
	s := &stack{events: make(chan Event, 100), notices: make(chan Notice, 100), dispatched: make(chan watch.Batch, 100)}
	l := &Loop{
		Envoys:       envoys,
		Patterns:     patterns,
		WatchOptions: watch.Options{Debounce: 30 * time.Millisecond},
		Report:       func(ev Event) { s.events <- ev },
		Notify:       func(n Notice) { s.notices <- n },
		dispatched:   func(b watch.Batch) { s.dispatched <- b },
	}
	runLoop(t, l)
	for range envoys {
		if ev := receive(t, s.events); ev.Event != "start" {
			t.Fatalf("event %+v, want a start", ev)
		}
	}
	for range envoys {
		if n := receive(t, s.notices); n.Event != "watching" {
			t.Fatalf("notice %+v, want watching", n)
		}
	}
	return s
}

// next returns the next reload event.
func (s *stack) next(t *testing.T) Event {
	t.Helper()
	return receive(t, s.events)
}

// quiet fails when a reload event comes within d: d is how long a wrong
// extra reload would take to show, well past the debounce.
func (s *stack) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case ev := <-s.events:
		t.Fatalf("unexpected reload of %s: %+v", ev.Envoy, ev)
	case <-time.After(d):
	}
}

func newEnvoy(t *testing.T, dir, name, caFile string, r Reloader) *Envoy {
	t.Helper()
	file := filepath.Join(dir, name+".yaml")
	writeFile(t, file, envoytest.HTTPConfig(9901, name, 10000, caFile))
	return &Envoy{Name: name, Pipeline: &Pipeline{Bootstrap: file, Reloader: r}}
}

func TestSeveralEnvoysReloadOnlyWhatChanged(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "shared-ca.pem"), "ca v1\n")
	writeFile(t, filepath.Join(dir, "own-ca.pem"), "own v1\n")
	front := newEnvoy(t, dir, "front", "shared-ca.pem", &heldReloader{})
	service1 := newEnvoy(t, dir, "service1", "shared-ca.pem", &heldReloader{})
	service2 := newEnvoy(t, dir, "service2", "own-ca.pem", &heldReloader{})
	s := startStack(t, []*Envoy{front, service1, service2})

	// One bootstrap: only its Envoy.
	writeFile(t, service1.Pipeline.Bootstrap, envoytest.HTTPConfig(9901, "service1-v2", 10000, "shared-ca.pem"))
	if ev := s.next(t); ev.Envoy != "service1" || ev.Result != ResultOK || len(ev.Files) != 1 {
		t.Fatalf("reload %+v, want service1 alone", ev)
	}
	s.quiet(t, 300*time.Millisecond)

	// A file two bootstraps reference: both, each once, naming the file.
	writeFile(t, filepath.Join(dir, "shared-ca.pem"), "ca v2\n")
	var got []string
	for range 2 {
		ev := s.next(t)
		if ev.Result != ResultOK || !slices.Equal(ev.Files, []string{filepath.Join(dir, "shared-ca.pem")}) {
			t.Fatalf("reload %+v", ev)
		}
		got = append(got, ev.Envoy)
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"front", "service1"}) {
		t.Fatalf("reloaded %v, want front and service1", got)
	}
	s.quiet(t, 300*time.Millisecond)
}

// An invalid save of one Envoy and a valid save of another, at once: each
// is judged on its own.
func TestSeveralEnvoysInvalidBesideValid(t *testing.T) {
	dir := t.TempDir()
	a := newEnvoy(t, dir, "a", "", &heldReloader{})
	b := newEnvoy(t, dir, "b", "", &heldReloader{})
	s := startStack(t, []*Envoy{a, b})
	writeFile(t, a.Pipeline.Bootstrap, "static_resources: {clusters: [{name: x, connect_timout: 1s}]}\n")
	writeFile(t, b.Pipeline.Bootstrap, envoytest.HTTPConfig(9901, "b-v2", 10000, ""))
	results := map[string]Result{}
	for range 2 {
		ev := s.next(t)
		results[ev.Envoy] = ev.Result
	}
	if results["a"] != ResultInvalid || results["b"] != ResultOK {
		t.Fatalf("results %v", results)
	}
}

// An Envoy whose reload hangs (a target that does not answer) holds neither
// the others' reloads nor its own next save: that is merged into exactly one
// more attempt once the hung one ends.
func TestSlowEnvoyHoldsNoOther(t *testing.T) {
	dir := t.TempDir()
	slow := &heldReloader{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	a := newEnvoy(t, dir, "slow", "", slow)
	b := newEnvoy(t, dir, "fast", "", &heldReloader{})
	s := startStack(t, []*Envoy{a, b})

	writeFile(t, a.Pipeline.Bootstrap, envoytest.HTTPConfig(9901, "slow-v2", 10000, ""))
	receive(t, slow.started)
	var last string
	for i := range 3 {
		writeFile(t, b.Pipeline.Bootstrap, envoytest.HTTPConfig(9901, fmt.Sprintf("fast-v%d", i+2), 10000, ""))
		if ev := s.next(t); ev.Envoy != "fast" || ev.Result != ResultOK {
			t.Fatalf("while slow hangs: %+v", ev)
		}
		last = envoytest.HTTPConfig(9901, fmt.Sprintf("slow-v%d", i+3), 10000, "")
		writeFile(t, a.Pipeline.Bootstrap, last)
	}
	// The last save's batch (one read after it) is handed out before the
	// hung attempt ends, so that it is merged rather than an attempt of its
	// own.
	saved := time.Now()
	for b := receive(t, s.dispatched); b.Ready.Before(saved) || !slices.Contains(b.Changed, a.Pipeline.Bootstrap); b = receive(t, s.dispatched) {
	}
	slow.hold <- struct{}{}
	if ev := s.next(t); ev.Envoy != "slow" {
		t.Fatalf("%+v, want the slow Envoy's first reload", ev)
	}
	receive(t, slow.started) // the saves made meanwhile: one more attempt
	slow.hold <- struct{}{}
	if ev := s.next(t); ev.Envoy != "slow" || ev.Result != ResultOK || ev.Bootstrap.Digest != sha256.Sum256([]byte(last)) {
		t.Fatalf("%+v, want one more reload, of the last save", ev)
	}
	s.quiet(t, 300*time.Millisecond)
	if len(slow.started) != 0 {
		t.Fatalf("%d more attempts of the slow Envoy, want none", len(slow.started))
	}
}

// A file of an extra pattern (watch.extra) is every Envoy's: a change to
// it reloads each, and names it.
func TestExtraPatternReloadsEveryEnvoy(t *testing.T) {
	dir := t.TempDir()
	a := newEnvoy(t, dir, "a", "", &heldReloader{})
	b := newEnvoy(t, dir, "b", "", &heldReloader{})
	lua := filepath.Join(dir, "filters", "auth.lua")
	if err := os.MkdirAll(filepath.Dir(lua), 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, lua, "-- v1\n")
	s := startStack(t, []*Envoy{a, b}, filepath.Join(dir, "filters", "*.lua"))
	writeFile(t, lua, "-- v2\n")
	got := map[string]bool{}
	for range 2 {
		ev := s.next(t)
		if ev.Result != ResultOK || !slices.Equal(ev.Files, []string{lua}) {
			t.Fatalf("reload %+v", ev)
		}
		got[ev.Envoy] = true
	}
	if !got["a"] || !got["b"] {
		t.Fatalf("reloaded %v, want a and b", got)
	}
}
