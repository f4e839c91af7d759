package restart

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// TestLoadedMaskOnTheRealEnvoy: Envoy 1.40 takes the mask of every
// bootstrap field but the node, and answers with the bootstrap alone, a
// small fraction of the full dump.
func TestLoadedMaskOnTheRealEnvoy(t *testing.T) {
	envoy, _ := filepath.Abs("../build/envoy")
	if _, err := os.Stat(envoy); err != nil {
		t.Skip("no real Envoy at build/envoy (make envoy)")
	}
	adminPort := envoytest.FreePort(t)
	config := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, config, envoytest.Config(adminPort, "masked", envoytest.FreePort(t)))
	cmd := exec.Command(envoy, "-c", config, "--base-id", strconv.Itoa(3000+os.Getpid()%1000), "--concurrency", "1", "-l", "error")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	admin, err := NewAdmin("http://127.0.0.1:"+strconv.Itoa(adminPort), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if info, err := admin.ServerInfo(context.Background()); err == nil && info.GetState().String() == "LIVE" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the real Envoy never went LIVE")
		}
		time.Sleep(20 * time.Millisecond) // polling admin, which has no event to wait on
	}
	masked, err := admin.get(context.Background(), "config_dump?mask="+loadedMask)
	if err != nil {
		t.Fatalf("Envoy refused the mask: %v", err)
	}
	full, err := admin.get(context.Background(), "config_dump")
	if err != nil {
		t.Fatal(err)
	}
	if len(masked)*10 > len(full) || strings.Contains(string(masked), `"node"`) {
		t.Errorf("the masked dump is %d bytes of the full %d, or holds the node", len(masked), len(full))
	}
	loaded, err := admin.LoadedBootstrap(context.Background())
	if err != nil || loaded.GetStaticResources().GetClusters()[0].GetName() != "masked" {
		t.Fatalf("LoadedBootstrap: %v, %v", loaded, err)
	}
	// The epoch alone, as Before reads it beside one whole /server_info.
	if epoch, err := admin.EpochStat(context.Background()); err != nil || epoch != 0 {
		t.Fatalf("EpochStat: %d, %v", epoch, err)
	}
	// The epoch and the state, as Wait polls them.
	if epoch, state, err := admin.EpochState(context.Background()); err != nil || epoch != 0 || state.String() != "LIVE" {
		t.Fatalf("EpochState: %d, %v, %v", epoch, state, err)
	}
}

// TestBeforeTakesAHigherEpochSeenOnlyInTheStat: where fresh connections
// reach two Envoys (a shared admin socket), an epoch read only from the
// stat counts, and its whole /server_info is read again; an admin without
// the stat is read whole on every connection.
func TestBeforeTakesAHigherEpochSeenOnlyInTheStat(t *testing.T) {
	for _, tc := range []struct {
		name            string
		stat            string // the stats body; "" answers 404
		infoEpochs      []int  // what successive /server_info reads say
		want            uint32
		wantServerInfos int
	}{
		{"the stat agrees", `{"stats":[{"name":"server.hot_restart_epoch","value":4}]}`, []int{4}, 4, 1},
		{"the stat is higher, then read whole", `{"stats":[{"name":"server.hot_restart_epoch","value":5}]}`, []int{4, 5}, 5, 2},
		{"the stat is higher, never read whole", `{"stats":[{"name":"server.hot_restart_epoch","value":5}]}`, []int{4, 4, 4, 4}, 5, 4},
		{"no stat", "", []int{4, 4, 4}, 4, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			infos := 0
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/stats":
					if tc.stat == "" || r.URL.Query().Get("filter") != `^server\.hot_restart_epoch$` {
						http.NotFound(w, r)
						return
					}
					fmt.Fprint(w, tc.stat)
				case "/server_info":
					mu.Lock()
					epoch := tc.infoEpochs[min(infos, len(tc.infoEpochs)-1)]
					infos++
					mu.Unlock()
					fmt.Fprintf(w, `{"state":"LIVE","command_line_options":{"restart_epoch":%d}}`, epoch)
				}
			}))
			defer srv.Close()
			admin, err := NewAdmin(srv.URL, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c := &Confirmer{Admin: admin, Interval: time.Millisecond, Timeout: time.Second}
			_, before, err := c.Before(context.Background())
			if err != nil || before != tc.want {
				t.Fatalf("Before: %d, %v; want %d", before, err, tc.want)
			}
			if infos != tc.wantServerInfos {
				t.Errorf("%d reads of /server_info, want %d", infos, tc.wantServerInfos)
			}
		})
	}
}

// TestLoadedBootstrapFallsBackToTheFullDump: an Envoy that refuses the
// mask (400, another version's Bootstrap) is read in full.
func TestLoadedBootstrapFallsBackToTheFullDump(t *testing.T) {
	var asked []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		asked = append(asked, r.URL.RawQuery)
		if r.URL.Query().Get("mask") != "" {
			http.Error(w, "FieldMask could not be successfully applied to any configs", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte(`{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.BootstrapConfigDump","bootstrap":{"static_resources":{"clusters":[{"name":"full"}]}}}]}`))
	}))
	defer srv.Close()
	admin, err := NewAdmin(srv.URL, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	loaded, err := admin.LoadedBootstrap(context.Background())
	if err != nil || loaded.GetStaticResources().GetClusters()[0].GetName() != "full" {
		t.Fatalf("LoadedBootstrap: %v, %v", loaded, err)
	}
	if len(asked) != 2 || !strings.HasPrefix(asked[0], "mask=bootstrap.") || asked[1] != "" {
		t.Errorf("asked %q, want the mask then the full dump", asked)
	}
}
