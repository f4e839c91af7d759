package restart

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
)

// TestWaitPollsTheGauges: Wait reads the epoch and state gauges while the
// new epoch comes up, and the whole /server_info once, when they show it
// LIVE; an Envoy without the gauges is polled whole.
func TestWaitPollsTheGauges(t *testing.T) {
	// What successive /stats reads say: the old epoch, the new one
	// initializing, then LIVE.
	steps := []struct {
		epoch uint32
		state adminv3.ServerInfo_State
	}{{0, adminv3.ServerInfo_LIVE}, {0, adminv3.ServerInfo_LIVE}, {1, adminv3.ServerInfo_INITIALIZING}, {1, adminv3.ServerInfo_INITIALIZING}, {1, adminv3.ServerInfo_LIVE}}
	for _, tc := range []struct {
		name                 string
		gauges               bool
		wantStats, wantInfos int
	}{
		{"gauges", true, len(steps), 1},
		{"no gauges", false, 1, len(steps) - 1}, // the 404 counts as the first step
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			stats, infos := 0, 0
			step := func() int { return min(stats+infos-1, len(steps)-1) }
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				defer mu.Unlock()
				switch r.URL.Path {
				case "/stats":
					stats++
					if !tc.gauges || r.URL.Query().Get("filter") != `^server\.(hot_restart_epoch|state)$` {
						http.NotFound(w, r)
						return
					}
					s := steps[step()]
					fmt.Fprintf(w, `{"stats":[{"name":"server.hot_restart_epoch","value":%d},{"name":"server.state","value":%d}]}`, s.epoch, s.state)
				case "/server_info":
					infos++
					s := steps[step()]
					if tc.gauges {
						s = steps[len(steps)-1] // read only once the gauges say LIVE
					}
					fmt.Fprintf(w, `{"state":%q,"command_line_options":{"restart_epoch":%d}}`, s.state, s.epoch)
				}
			}))
			defer srv.Close()
			admin, err := NewAdmin(srv.URL, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c := &Confirmer{Admin: admin, Interval: time.Millisecond, Timeout: 5 * time.Second}
			info, _, err := c.Wait(context.Background(), 0, nil)
			if err != nil || Epoch(info) != 1 {
				t.Fatalf("Wait: %v, %v; want epoch 1", info, err)
			}
			mu.Lock()
			defer mu.Unlock()
			if stats != tc.wantStats || infos != tc.wantInfos {
				t.Errorf("%d reads of /stats and %d of /server_info; want %d and %d", stats, infos, tc.wantStats, tc.wantInfos)
			}
		})
	}
}

// TestStandInServesTheGauges: the stand-in answers the gauges' query as
// the real Envoy does (TestLoadedMaskOnTheRealEnvoy asks the same).
func TestStandInServesTheGauges(t *testing.T) {
	e := startLocalEnvoy(t)
	epoch, state, err := e.admin.EpochState(context.Background())
	if err != nil || epoch != 0 || state != adminv3.ServerInfo_LIVE {
		t.Fatalf("EpochState: %d, %v, %v; want 0, LIVE", epoch, state, err)
	}
	e.hup(t)
	info, _, err := e.confirmer().Wait(context.Background(), 0, nil)
	if err != nil || Epoch(info) != 1 {
		t.Fatalf("Wait: %v, %v", info, err)
	}
	if epoch, state, err := e.admin.EpochState(context.Background()); err != nil || epoch != 1 || state != adminv3.ServerInfo_LIVE {
		t.Fatalf("after the restart, EpochState: %d, %v, %v; want 1, LIVE", epoch, state, err)
	}
}
