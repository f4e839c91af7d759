package reload

import (
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/restart/local"
)

// TestSaveWhileTargetDownIsAppliedOnceWhenBack: a save made while the target
// cannot be reached is reported, then applied once it answers; a later save
// made while it is still down replaces it, so nothing is applied twice.
func TestSaveWhileTargetDownIsAppliedOnceWhenBack(t *testing.T) {
	config := filepath.Join(t.TempDir(), "envoy.yaml")
	adminPort, listenerPort := envoytest.FreePort(t), envoytest.FreePort(t)
	writeFile(t, config, envoytest.Config(adminPort, "backend", listenerPort))
	restarter := envoytest.StartRestarter(t, envoytest.Options{ConfigPath: config})
	restarter.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	admin, err := restart.NewAdmin("http://127.0.0.1:"+strconv.Itoa(adminPort), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	pidFile := filepath.Join(t.TempDir(), "envoy.pid") // absent: the target is down
	h := startLoop(t, config, &restart.HotRestart{
		Target: &local.Process{PIDFile: pidFile}, Signal: syscall.SIGHUP,
		Confirmer: &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second},
	})
	writeFile(t, config, envoytest.Config(adminPort, "v2", listenerPort))
	ev := h.nextEvent(t)
	if ev.Result != ResultFailed || ev.Reason != ReasonUnreachable || !ev.Retry || !strings.Contains(ev.Error, "PID file") {
		t.Fatalf("save while down: %+v", ev)
	}
	if n := h.nextNotice(t); n.Event != "retry" {
		t.Fatalf("notice %+v", n)
	}
	writeFile(t, config, envoytest.Config(adminPort, "v3", listenerPort))
	if ev := h.nextEvent(t); ev.Result != ResultFailed || !ev.Retry {
		t.Fatalf("second save while down: %+v", ev)
	}
	writeFile(t, pidFile, strconv.Itoa(restarter.PID()))
	ev = h.nextEvent(t)
	if ev.Result != ResultOK || *ev.Epoch != 1 || len(ev.Warnings) == 0 || !strings.Contains(ev.Warnings[len(ev.Warnings)-1], "applied on retry") {
		t.Fatalf("retry: %+v", ev)
	}
	if strings.Join(ev.Changes, " ") != "-cluster backend +cluster v3 ~listener listener_0 ~route (of listener listener_0)" {
		t.Errorf("the retry applied %q, want the latest save", ev.Changes)
	}
	select {
	case ev := <-h.events:
		t.Fatalf("a second application: %+v", ev)
	case <-time.After(2500 * time.Millisecond): // longer than the retry pace
	}
	if n := strings.Count(restarter.Log(), "got SIGHUP"); n != 1 {
		t.Fatalf("%d SIGHUPs, want 1", n)
	}
}
