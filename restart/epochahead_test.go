package restart

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// countingAdmin is e's admin behind a proxy that counts the whole
// /server_info reads it passes on.
func countingAdmin(t *testing.T, e *localEnvoy) (*Admin, *atomic.Int32) {
	t.Helper()
	var serverInfos atomic.Int32
	backend, _ := url.Parse("http://127.0.0.1:" + strconv.Itoa(e.adminPort))
	proxy := httputil.NewSingleHostReverseProxy(backend)
	proxy.Transport = &http.Transport{DisableKeepAlives: true}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/server_info" {
			serverInfos.Add(1)
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	admin, err := NewAdmin(srv.URL, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	return admin, &serverInfos
}

// The epoch before the signal is read ahead, beside the validate: the
// reload then reads no whole /server_info before its signal, only the
// epoch gauge, and still confirms the next epoch.
func TestEpochReadAheadServesTheReload(t *testing.T) {
	e := startLocalEnvoy(t)
	admin, serverInfos := countingAdmin(t, e)
	target := &validatingProcess{pidTarget: &pidTarget{PID: e.restarter.PID()}}
	h := &HotRestart{Target: target, Signal: syscall.SIGHUP, EnvoyValidate: true,
		Confirmer: &Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}}
	writeFile(t, e.config, envoytest.HTTPConfig(e.adminPort, "v2", e.listenerPort, ""))
	res := loadFile(t, e.config)
	h.Prepare(context.Background(), res)
	if n := serverInfos.Load(); n == 0 {
		t.Fatal("Prepare read no /server_info: the epoch was not read ahead")
	}
	serverInfos.Store(0)
	out, err := h.Reload(context.Background(), res)
	if err != nil || out.PreviousEpoch == nil || *out.PreviousEpoch != 0 || out.Epoch == nil || *out.Epoch != 1 {
		t.Fatalf("reload: %v, epochs %v → %v, want 0 → 1", err, out.PreviousEpoch, out.Epoch)
	}
	// The confirmation reads /server_info once it sees the epoch LIVE;
	// before the signal, nothing whole.
	if n := serverInfos.Load(); n != 1 {
		t.Fatalf("%d whole /server_info reads in the reload, want 1 (the confirmation's)", n)
	}
}

// An epoch begun since the read ahead (a signal from elsewhere) is not
// taken for the one before: the reload reads again and waits for an epoch
// above it.
func TestEpochReadAheadIsDroppedWhenTheEpochMoved(t *testing.T) {
	e := startLocalEnvoy(t)
	target := &validatingProcess{pidTarget: &pidTarget{PID: e.restarter.PID()}}
	h := &HotRestart{Target: target, Signal: syscall.SIGHUP, Confirmer: e.confirmer(), EnvoyValidate: true}
	writeFile(t, e.config, envoytest.HTTPConfig(e.adminPort, "v2", e.listenerPort, ""))
	res := loadFile(t, e.config)
	h.Prepare(context.Background(), res)
	e.hup(t) // epoch 1, not ours
	if _, _, err := e.confirmer().Wait(context.Background(), 0, nil); err != nil {
		t.Fatalf("the outside signal's epoch: %v", err)
	}
	out, err := h.Reload(context.Background(), res)
	if err != nil || out.PreviousEpoch == nil || *out.PreviousEpoch != 1 || out.Epoch == nil || *out.Epoch != 2 {
		t.Fatalf("reload: %v, epochs %v → %v, want 1 → 2", err, out.PreviousEpoch, out.Epoch)
	}
}
