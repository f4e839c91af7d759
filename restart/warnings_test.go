package restart

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

func info(epoch uint32, current, all, drain, shutdown time.Duration) *adminv3.ServerInfo {
	return &adminv3.ServerInfo{
		UptimeCurrentEpoch: durationpb.New(current), UptimeAllEpochs: durationpb.New(all),
		CommandLineOptions: &adminv3.CommandLineOptions{RestartEpoch: epoch, DrainTime: durationpb.New(drain), ParentShutdownTime: durationpb.New(shutdown)},
	}
}

func TestDrainWindowWarning(t *testing.T) {
	tests := []struct {
		name   string
		before *adminv3.ServerInfo
		epoch  uint32
		want   string
	}{
		{"first restart has no grandparent", info(0, 0, 0, 600*time.Second, 900*time.Second), 1, ""},
		{"inside the drain window", info(1, 5*time.Second, 60*time.Second, 600*time.Second, 900*time.Second), 2, "ended epoch 0 early"},
		{"after the drain window", info(1, 10*time.Second, 60*time.Second, 2*time.Second, 4*time.Second), 2, ""},
		{"parent shutdown earlier than drain", info(1, 5*time.Second, 60*time.Second, 600*time.Second, 3*time.Second), 2, ""},
	}
	for _, tt := range tests {
		got := drainWindowWarning(tt.before, tt.epoch)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestColdStartWarning(t *testing.T) {
	hot := coldStartWarning(info(0, 30*time.Second, 30*time.Second, 0, 0), info(1, 0, 31*time.Second, 0, 0))
	cold := coldStartWarning(info(0, 30*time.Second, 30*time.Second, 0, 0), info(1, 0, 0, 0, 0))
	young := coldStartWarning(info(0, 0, 0, 0, 0), info(1, 0, 0, 0, 0))
	if hot != "" || !strings.Contains(cold, "started cold") || young != "" {
		t.Errorf("hot %q, cold %q, young %q", hot, cold, young)
	}
}

// fakeAdmin serves a settable ServerInfo, as Envoy's admin would.
func fakeAdmin(t *testing.T) (*Admin, func(*adminv3.ServerInfo)) {
	t.Helper()
	var mu sync.Mutex
	current := &adminv3.ServerInfo{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		b, _ := protojson.Marshal(current)
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	admin, err := NewAdmin(srv.URL, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return admin, func(i *adminv3.ServerInfo) { mu.Lock(); current = i; mu.Unlock() }
}

func TestBeforeForgetsTheEpochsOfARestartedEnvoy(t *testing.T) {
	admin, set := fakeAdmin(t)
	c := &Confirmer{Admin: admin}
	steps := []struct {
		name string
		info *adminv3.ServerInfo
		want uint32
	}{
		{"epoch 5 of an Envoy up an hour", info(5, 10*time.Second, time.Hour, 0, 0), 5},
		{"an old epoch of the same Envoy answers (shared admin socket)", info(4, 100*time.Second, time.Hour+time.Second, 0, 0), 5},
		{"the container restarted: epoch 0, up 3 s in all", info(0, 3*time.Second, 3*time.Second, 0, 0), 0},
		{"its next epoch", info(1, time.Second, 5*time.Second, 0, 0), 1},
	}
	for _, s := range steps {
		set(s.info)
		_, before, err := c.Before(context.Background())
		if err != nil || before != s.want {
			t.Fatalf("%s: before = %d, %v; want %d", s.name, before, err, s.want)
		}
	}
}
