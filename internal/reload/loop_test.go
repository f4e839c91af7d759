package reload

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"

	"go.uber.org/goleak"

	"github.com/envoy-reloader/envoy-reloader/watch"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const validYAML = `admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
static_resources:
  clusters:
  - name: %s
    connect_timeout: 1s
`

func config(name string) string { return strings.Replace(validYAML, "%s", name, 1) }

// gatedReloader records reloads and holds each until the test releases it.
type gatedReloader struct {
	file    string
	gate    chan struct{}
	started chan string

	mu        sync.Mutex
	active    int
	maxActive int
}

func newGatedReloader(file string) *gatedReloader {
	return &gatedReloader{file: file, gate: make(chan struct{}), started: make(chan string, 10)}
}

func (r *gatedReloader) Reload(ctx context.Context, _ *bootstrap.Result) (restart.Outcome, error) {
	r.mu.Lock()
	r.active++
	r.maxActive = max(r.maxActive, r.active)
	r.mu.Unlock()
	content, _ := os.ReadFile(r.file)
	r.started <- string(content)
	select {
	case <-r.gate:
	case <-ctx.Done():
	}
	r.mu.Lock()
	r.active--
	r.mu.Unlock()
	return restart.Outcome{}, nil
}

type loopHarness struct {
	events     chan Event
	notices    chan Notice
	dispatched chan watch.Batch
}

// waitDispatchedAfter waits until a batch read after since, holding file,
// has been handed to the Envoy.
func (h *loopHarness) waitDispatchedAfter(t *testing.T, since time.Time, file string) {
	t.Helper()
	for {
		b := receive(t, h.dispatched)
		if !b.Ready.Before(since) && slices.Contains(b.Changed, file) {
			return
		}
	}
}

func startLoop(t *testing.T, file string, reloader Reloader) *loopHarness {
	t.Helper()
	h := &loopHarness{events: make(chan Event, 100), notices: make(chan Notice, 100), dispatched: make(chan watch.Batch, 1000)}
	e := &Envoy{Pipeline: &Pipeline{Bootstrap: file}}
	if reloader != nil {
		e.Pipeline.Reloader = reloader
	}
	l := &Loop{
		Envoys:       []*Envoy{e},
		WatchOptions: watch.Options{Debounce: 50 * time.Millisecond},
		Report:       func(ev Event) { h.events <- ev },
		Notify:       func(n Notice) { h.notices <- n },
		dispatched: func(b watch.Batch) {
			select {
			case h.dispatched <- b:
			default: // a test that does not look must not hold the loop
			}
		},
	}
	runLoop(t, l)
	if ev := h.nextEvent(t); ev.Event != "start" {
		t.Fatalf("first event %+v, want the start", ev)
	}
	if n := h.nextNotice(t); n.Event != "watching" {
		t.Fatalf("notice %+v, want watching", n)
	}
	return h
}

func (h *loopHarness) nextEvent(t *testing.T) Event   { t.Helper(); return receive(t, h.events) }
func (h *loopHarness) nextNotice(t *testing.T) Notice { t.Helper(); return receive(t, h.notices) }

// runLoop runs l until the test ends, and then fails the test if Run
// returned an error or did not return within receive's timeout.
func runLoop(t *testing.T, l *Loop) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- l.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := receive(t, done); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("nothing within 5s")
		var zero T
		return zero
	}
}

// writeFile saves whole, by a rename, as JetBrains' safe write does. The
// loop tests count one event per save; an in-place write can be seen half
// done by a debounce that ends between its truncate and its write (a test
// process descheduled for 50 ms under -race), and an empty save then
// compares equal to that empty half: no event, and the count is off.
// Saves in place are the watch package's tests.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestChangeDuringReloadCausesExactlyOneMore(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	r := newGatedReloader(file)
	h := startLoop(t, file, r)

	writeFile(t, file, config("v2"))
	if got := receive(t, r.started); !strings.Contains(got, "v2") {
		t.Fatalf("first reload saw %q", got)
	}
	// Two more saves while the first reload is in flight: the second comes
	// once the batch of the first is handed to the busy Envoy, and merges in.
	writeFile(t, file, config("v3"))
	h.waitDispatchedAfter(t, time.Now(), file)
	writeFile(t, file, config("v4"))
	h.waitDispatchedAfter(t, time.Now(), file)
	r.gate <- struct{}{}
	if ev := h.nextEvent(t); ev.Result != ResultOK {
		t.Fatalf("first reload: %+v", ev)
	}
	select {
	case got := <-r.started:
		if !strings.Contains(got, "v4") {
			t.Fatalf("second reload saw %q, want the last save", got)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no second reload")
	}
	r.gate <- struct{}{}
	h.nextEvent(t)
	select {
	case got := <-r.started:
		t.Fatalf("a third reload (%q) for saves already applied", got)
	case <-time.After(500 * time.Millisecond):
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.maxActive != 1 {
		t.Errorf("%d reloads ran at once", r.maxActive)
	}
}

func TestInvalidConfigNeverReloads(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	r := newGatedReloader(file)
	h := startLoop(t, file, r)
	writeFile(t, file, config("v1")+"    connect_timout: 2s\n")
	ev := h.nextEvent(t)
	if ev.Result != ResultInvalid || len(ev.Diagnostics) != 1 || ev.Diagnostics[0].Line != 6 {
		t.Fatalf("event %+v", ev)
	}
	if ev.ValidateMs == nil || ev.SignalMs != nil {
		t.Errorf("phases: validate %v signal %v", ev.ValidateMs, ev.SignalMs)
	}
	select {
	case <-r.started:
		t.Fatal("an invalid config was reloaded")
	default:
	}
	// The watch goes on: the next valid save reloads.
	writeFile(t, file, config("v2"))
	if got := receive(t, r.started); !strings.Contains(got, "v2") {
		t.Fatalf("reload saw %q", got)
	}
	r.gate <- struct{}{}
	if ev := h.nextEvent(t); ev.Result != ResultOK {
		t.Fatalf("event %+v", ev)
	}
}

func TestDryRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	h := startLoop(t, file, nil)
	writeFile(t, file, config("v2"))
	ev := h.nextEvent(t)
	if ev.Result != ResultDryRun || ev.Event != "reload" || len(ev.Files) != 1 || ev.SignalMs != nil {
		t.Fatalf("event %+v", ev)
	}
}

func TestDeletedBootstrapWaitsForItsReturn(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	h := startLoop(t, file, nil)
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	if n := h.nextNotice(t); n.Event != "missing" || n.Level != "warn" {
		t.Fatalf("notice %+v", n)
	}
	select {
	case ev := <-h.events:
		t.Fatalf("a reload attempt without a bootstrap: %+v", ev)
	default:
	}
	writeFile(t, file, config("v2"))
	if ev := h.nextEvent(t); ev.Result != ResultDryRun {
		t.Fatalf("event %+v", ev)
	}
}

func TestMissingBootstrapAtStartIsAnError(t *testing.T) {
	l := &Loop{Envoys: []*Envoy{{Pipeline: &Pipeline{Bootstrap: filepath.Join(t.TempDir(), "absent.yaml")}}}}
	if err := l.Run(context.Background()); !errors.Is(err, ErrBootstrapMissing) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("error %v", err)
	}
}

// A bootstrap that exists but cannot be read says why; it was reported as
// "does not exist" whatever the cause.
func TestUnreadableBootstrapAtStartSaysWhy(t *testing.T) {
	l := &Loop{Envoys: []*Envoy{{Pipeline: &Pipeline{Bootstrap: t.TempDir()}}}} // a directory
	err := l.Run(context.Background())
	if !errors.Is(err, ErrBootstrapUnreadable) || errors.Is(err, ErrBootstrapMissing) || !strings.Contains(err.Error(), "is a directory") {
		t.Fatalf("error %v, want the cause (is a directory)", err)
	}
}

func TestReloadSaysWhatChanged(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	h := startLoop(t, file, nil)
	writeFile(t, file, config("v1")+"  - name: added\n    connect_timeout: 1s\n")
	if ev := h.nextEvent(t); strings.Join(ev.Changes, " ") != "+cluster added" {
		t.Fatalf("changes %q", ev.Changes)
	}
	writeFile(t, file, config("v2"))
	if ev := h.nextEvent(t); strings.Join(ev.Changes, " ") != "-cluster added -cluster v1 +cluster v2" {
		t.Fatalf("changes %q", ev.Changes)
	}
}
