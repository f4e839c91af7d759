package restart

import (
	"strings"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
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
