package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
	dockertarget "github.com/envoy-reloader/envoy-reloader/restart/docker"
)

// TestStartFailureThenRestartRecovers: a listener on an address the
// container does not have passes every offline check but fails Envoy's
// start, after the running Envoy closed its admin listener. `restart`
// reports it in Envoy's words and the old epoch keeps serving; the next
// good save is live through `restart` too, a new process that knows no
// epoch (the admin that answers is the new epoch's), and the one after.
// On a real Envoy the failed epoch would wedge hot restart for good
// (envoyproxy/envoy#33446) without envoy-hot-restarter's restore.
func TestStartFailureThenRestartRecovers(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-e2e"))
		writeFile(t, filepath.Join(c.dir, "reloader.yaml"), fmt.Sprintf("bootstrap: envoy.yaml\nadmin:\n  url: http://127.0.0.1:%d\ntarget:\n  container: %s\nconfirm:\n  timeout: 10s\n", c.adminPort, c.name))
		unassignable := strings.Replace(containerConfig("bad"), "address: 0.0.0.0, port_value: 10000", "address: 192.0.2.1, port_value: 10000", 1)
		writeFile(t, c.config, unassignable)
		code, out := runReloaderOnce(t, c.dir, "check")
		if code != 0 {
			t.Fatalf("check should pass the unassignable address (only Envoy's start can tell): %d\n%s", code, out)
		}
		code, out = runReloaderOnce(t, c.dir, "restart")
		if code != 1 || !strings.Contains(out, "cannot bind '192.0.2.1:10000': Cannot assign requested address") {
			t.Fatalf("restart of the failing config: exit %d, want 1 with Envoy's words:\n%s", code, out)
		}
		if got := listenerEpoch(t, c); got != "0" {
			t.Fatalf("after the failed start the listener is served by %q, want the old epoch 0", got)
		}
		for epoch, cluster := range []string{"", "good", "better"} {
			if epoch == 0 {
				continue
			}
			writeFile(t, c.config, containerConfig(cluster))
			code, out = runReloaderOnce(t, c.dir, "restart")
			if code != 0 || !strings.Contains(out, fmt.Sprintf("epoch %d live", epoch)) {
				t.Fatalf("restart of good save %d: exit %d\n%s", epoch, code, out)
			}
			if body, got := c.serve(t); got != fmt.Sprint(epoch) || body != "cluster "+cluster+"\n" {
				t.Fatalf("after good save %d the listener serves %q from epoch %q", epoch, body, got)
			}
		}
		if !strings.Contains(docker(t, "logs", c.name), "restored Envoy's hot-restart state") {
			t.Errorf("the restarter did not report the restore")
		}
	})
}

// TestTypedStructFilterIsConfirmed: /config_dump shows a TypedStruct as
// Envoy re-spells it (defaults dropped, keys in snake_case); a good reload
// of one is confirmed, not called stale.
func TestTypedStructFilterIsConfirmed(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-e2e"))
		r := startReloader(t, c, "")
		typed := strings.Replace(containerConfig("typed"), `              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`, `              "@type": type.googleapis.com/xds.type.v3.TypedStruct
              type_url: type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
              value:
                suppressEnvoyHeaders: true
                start_child_span: false
`, 1)
		if typed == containerConfig("typed") {
			t.Fatal("the test config has no router to rewrite")
		}
		saveAtomically(t, c.config, typed)
		ev := r.wait(t, "reload")
		if ev["result"] != "ok" || num(ev, "epoch") != 1 {
			t.Fatalf("reload of a TypedStruct router: %v", ev)
		}
		if w := fmt.Sprint(ev["warnings"]); strings.Contains(w, "stale") || strings.Contains(w, "could not verify") {
			t.Errorf("warnings: %s", w)
		}
	})
}

// TestKeepAliveClientReadsTheOldEpochUntilTheDrainEnds is the seed's
// mystery with the example stack's drain settings (2 s, parent shutdown
// 4 s): after the confirmation, a Go client with default keep-alive still
// reads the old epoch on its pooled connection until the old Envoy closes
// it; the product's fresh-connection reads see the new epoch at once. It
// reports how long the keep-alive client lagged.
func TestKeepAliveClientReadsTheOldEpochUntilTheDrainEnds(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoyWith(t, uniqueName("envoy-e2e"), "--drain-time-s", "2", "--parent-shutdown-time-s", "4")
		keepAlive := &http.Client{Transport: &http.Transport{}, Timeout: 3 * time.Second}
		defer keepAlive.CloseIdleConnections()
		read := func() (string, error) {
			resp, err := keepAlive.Get(c.admin.URL() + "/server_info")
			if err != nil {
				return "", err
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			i := strings.Index(string(body), `"restart_epoch":`)
			if i < 0 {
				return "", fmt.Errorf("no restart_epoch in %d bytes", len(body))
			}
			return strings.Trim(strings.Fields(string(body)[i+len(`"restart_epoch":`):])[0], ", "), nil
		}
		if got, err := read(); err != nil || got != "0" {
			t.Fatalf("keep-alive client reads %q, %v before the restart", got, err)
		}
		d, err := dockertarget.New(c.name, "", "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		h := &restart.HotRestart{Target: d, Signal: 1, Confirmer: &restart.Confirmer{Admin: c.admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}}
		if out, err := h.Reload(context.Background(), nil); err != nil || *out.Epoch != 1 {
			t.Fatalf("confirmation: %+v, %v", out, err)
		}
		confirmed := time.Now()
		oldReads := 0
		for {
			got, err := read()
			if err == nil && got == "1" {
				break
			}
			if err == nil && got == "0" {
				oldReads++
			}
			if fresh := c.epoch(t); fresh != 1 {
				t.Fatalf("a fresh connection read epoch %d after the confirmation", fresh)
			}
			if time.Since(confirmed) > 10*time.Second {
				t.Fatalf("the keep-alive client still read the old epoch 10 s after the confirmation")
			}
			time.Sleep(20 * time.Millisecond) // the client's own polling pace
		}
		lag := time.Since(confirmed)
		t.Logf("keep-alive client on %s: old epoch read %d times for %s after the confirmation (drain 2 s, parent shutdown 4 s)", kindOf(t).name, oldReads, lag.Round(time.Millisecond))
		if oldReads == 0 {
			t.Errorf("the keep-alive client never read the old epoch after the confirmation: the trap did not show")
		}
	})
}
