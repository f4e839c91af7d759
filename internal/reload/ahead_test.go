package reload

import (
	"context"
	"crypto/sha256"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// preparingReloader records what was prepared ahead and what reloaded.
type preparingReloader struct {
	mu       sync.Mutex
	prepared []*bootstrap.Result
	reloaded []*bootstrap.Result
}

func (r *preparingReloader) Prepare(_ context.Context, res *bootstrap.Result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.prepared = append(r.prepared, res)
}

func (r *preparingReloader) Reload(_ context.Context, res *bootstrap.Result) (restart.Outcome, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reloaded = append(r.reloaded, res)
	return restart.Outcome{}, nil
}

// A save in place waits out the debounce; its checks start once the file
// has been quiet for the early hint, and the reload takes that validation
// for the same bytes instead of making its own.
func TestInPlaceSaveIsCheckedAheadOfItsBatch(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	r := &preparingReloader{}
	events, notices := make(chan Event, 10), make(chan Notice, 10)
	l := &Loop{
		Envoys:       []*Envoy{{Pipeline: &Pipeline{Bootstrap: file, Reloader: r}}},
		WatchOptions: watch.Options{Debounce: 300 * time.Millisecond, Early: 20 * time.Millisecond},
		Report:       func(ev Event) { events <- ev },
		Notify:       func(n Notice) { notices <- n },
	}
	runLoop(t, l)
	if ev := receive(t, events); ev.Event != "start" {
		t.Fatalf("%+v", ev)
	}
	if n := receive(t, notices); n.Event != "watching" {
		t.Fatalf("%+v", n)
	}
	saved := config("v2")
	if err := os.WriteFile(file, []byte(saved), 0o644); err != nil { // in place, as nano saves
		t.Fatal(err)
	}
	ev := receive(t, events)
	r.mu.Lock()
	defer r.mu.Unlock()
	if ev.Result != ResultOK || len(r.reloaded) != 1 || len(r.prepared) != 1 {
		t.Fatalf("event %+v; %d prepared, %d reloaded, want 1 and 1", ev, len(r.prepared), len(r.reloaded))
	}
	if r.prepared[0].Digest != sha256.Sum256([]byte(saved)) || r.reloaded[0] != r.prepared[0] {
		t.Fatal("the reload did not take the validation made ahead of the same bytes")
	}
}
