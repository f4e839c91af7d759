package reload

import (
	"context"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/restart"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// countingReloader counts the reloads that would have signalled Envoy.
type countingReloader struct{ calls atomic.Int32 }

func (c *countingReloader) Reload(context.Context, *bootstrap.Result) (restart.Outcome, error) {
	c.calls.Add(1)
	return restart.Outcome{}, nil
}

func mutationsOfTestdata(t *testing.T) []envoytest.Mutation {
	t.Helper()
	valid, err := os.ReadFile("../../cmd/envoy-reloader/testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return append(envoytest.Mutate("valid.yaml", valid), envoytest.Hostile()...)
}

// TestNoMutationReachesEnvoy: through the watch loop, every kind of broken
// bootstrap is reported invalid and none leads to a signal.
func TestNoMutationReachesEnvoy(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, file, config("v1"))
	reloader := &countingReloader{}
	h := startLoop(t, file, reloader)
	cases := mutationsOfTestdata(t)
	for _, m := range cases {
		writeFile(t, file, string(m.Data))
		ev := h.nextEvent(t)
		if ev.Result != ResultInvalid {
			t.Errorf("%s: result %s", m.Name, ev.Result)
		}
	}
	if n := reloader.calls.Load(); n != 0 {
		t.Fatalf("%d broken bootstraps reached the reloader", n)
	}
	// The loop is alive: the next valid save reloads.
	writeFile(t, file, config("v2"))
	if ev := h.nextEvent(t); ev.Result != ResultOK || reloader.calls.Load() != 1 {
		t.Fatalf("after the broken saves: %+v", ev)
	}
	t.Logf("%d broken bootstraps saved through the watch loop: 0 signals", len(cases))
}
