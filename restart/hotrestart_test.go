package restart

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// localEnvoy runs the restarter and stand-in locally on fresh ports.
type localEnvoy struct {
	config       string
	adminPort    int
	listenerPort int
	restarter    *envoytest.Restarter
	admin        *Admin
}

func startLocalEnvoy(t *testing.T, extra ...string) *localEnvoy {
	t.Helper()
	e := &localEnvoy{config: filepath.Join(t.TempDir(), "envoy.yaml"), adminPort: envoytest.FreePort(t), listenerPort: envoytest.FreePort(t)}
	writeFile(t, e.config, envoytest.Config(e.adminPort, "backend", e.listenerPort))
	e.restarter = envoytest.StartRestarter(t, envoytest.Options{ConfigPath: e.config, ExtraArgs: extra})
	var err error
	if e.admin, err = NewAdmin("http://127.0.0.1:"+strconv.Itoa(e.adminPort), time.Second); err != nil {
		t.Fatal(err)
	}
	e.restarter.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	return e
}

func (e *localEnvoy) confirmer() *Confirmer {
	return &Confirmer{Admin: e.admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
}

func (e *localEnvoy) hup(t *testing.T) {
	t.Helper()
	if err := syscall.Kill(e.restarter.PID(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
}

// listenerEpoch asks the data listener which epoch serves it.
func (e *localEnvoy) listenerEpoch(t *testing.T) string {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(e.listenerPort) + "/")
	if err != nil {
		t.Fatalf("the listener does not serve: %v", err)
	}
	defer resp.Body.Close()
	return resp.Header.Get(envoytest.EpochHeader)
}

// readEpoch reads /server_info with client and reports whether the
// connection was a reused one.
func readEpoch(t *testing.T, client *http.Client, url string) (uint32, bool) {
	t.Helper()
	reused := false
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		GotConn: func(info httptrace.GotConnInfo) { reused = info.Reused },
	})
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url+"/server_info", nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var info adminv3.ServerInfo
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &info); err != nil {
		t.Fatal(err)
	}
	return Epoch(&info), reused
}

// TestKeepAliveTrap reproduces the original report: after a hot restart a
// keep-alive client keeps reading the old epoch from the draining Envoy,
// while the confirmation, on fresh connections, reads the new one.
func TestKeepAliveTrap(t *testing.T) {
	e := startLocalEnvoy(t)
	url := e.admin.URL()
	keepAlive := &http.Client{Transport: &http.Transport{}}
	defer keepAlive.CloseIdleConnections()
	if epoch, _ := readEpoch(t, keepAlive, url); epoch != 0 {
		t.Fatalf("epoch %d before any restart", epoch)
	}
	c := e.confirmer()
	_, before, err := c.Before(context.Background())
	if err != nil || before != 0 {
		t.Fatalf("before: %d %v", before, err)
	}
	e.hup(t)
	info, _, err := c.Wait(context.Background(), before, nil)
	if err != nil {
		t.Fatal(err)
	}
	if Epoch(info) != 1 {
		t.Fatalf("confirmed epoch %d, want 1", Epoch(info))
	}
	for range 20 {
		epoch, reused := readEpoch(t, keepAlive, url)
		if !reused {
			t.Fatal("the keep-alive client opened a new connection; the trap was not exercised")
		}
		if epoch != 0 {
			t.Fatalf("the keep-alive client read epoch %d; the old Envoy should still answer it with 0", epoch)
		}
		fresh, err := e.admin.ServerInfo(context.Background())
		if err != nil || Epoch(fresh) != 1 {
			t.Fatalf("a fresh connection read %v, %v; want epoch 1", fresh, err)
		}
	}
}

// TestConfirmationNotFooledBySharedAdminSocket: where admin shares its socket
// with SO_REUSEPORT (envoyproxy/envoy#38146), the old epoch keeps answering
// fresh connections too; only a strictly higher LIVE epoch confirms.
func TestConfirmationNotFooledBySharedAdminSocket(t *testing.T) {
	e := startLocalEnvoy(t, "--standin-admin-reuse-port")
	c := e.confirmer()
	for want := uint32(1); want <= 2; want++ {
		_, before, err := c.Before(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if before != want-1 {
			t.Fatalf("before = %d, want %d (the highest epoch seen)", before, want-1)
		}
		e.hup(t)
		info, _, err := c.Wait(context.Background(), before, nil)
		if err != nil || Epoch(info) != want {
			t.Fatalf("confirmed %v, %v; want epoch %d", info, err, want)
		}
	}
	// The misconfiguration is real: fresh connections reach old epochs too.
	seen := map[uint32]bool{}
	for range 200 {
		if info, err := e.admin.ServerInfo(context.Background()); err == nil {
			seen[Epoch(info)] = true
		}
	}
	if len(seen) < 2 {
		t.Fatalf("fresh connections saw only epochs %v; the shared admin socket was not exercised", seen)
	}
}

func TestHotRestartOfALocalProcess(t *testing.T) {
	e := startLocalEnvoy(t)
	h := &HotRestart{Target: &pidTarget{PID: e.restarter.PID()}, Signal: syscall.SIGHUP, Confirmer: e.confirmer()}
	for want := uint32(1); want <= 2; want++ {
		writeFile(t, e.config, envoytest.Config(e.adminPort, "backend"+strconv.Itoa(int(want)), e.listenerPort))
		out, err := reloadFile(t, h, e.config)
		if err != nil || out.Epoch == nil || *out.Epoch != want || *out.PreviousEpoch != want-1 {
			t.Fatalf("reload %d: %+v, %v", want, out, err)
		}
		if out.Signal == 0 || out.Confirm == 0 || out.Loaded == 0 || out.EnvoyValidate != 0 {
			t.Errorf("phases: %+v", out)
		}
		if got := e.listenerEpoch(t); got != strconv.Itoa(int(want)) {
			t.Errorf("listener served by epoch %s, want %d", got, want)
		}
	}
}

// TestFailedEpochKeepsOldServing: a config our checks pass but that fails at
// start (its listener port is taken) kills the new epoch after the old one
// closed its admin; the old epoch keeps serving traffic, and the next good
// save is confirmed.
func TestFailedEpochKeepsOldServing(t *testing.T) {
	e := startLocalEnvoy(t)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	h := &HotRestart{
		Target: &pidTarget{PID: e.restarter.PID()}, Signal: syscall.SIGHUP,
		Confirmer: &Confirmer{Admin: e.admin, Interval: 10 * time.Millisecond, Timeout: 2 * time.Second},
	}
	bad := envoytest.Config(e.adminPort, "backend", e.listenerPort, takenPort)
	writeFile(t, e.config, bad)
	out, err := reloadFile(t, h, e.config)
	if !errors.Is(err, ErrNotConfirmed) || !strings.Contains(err.Error(), "the old Envoy still serves traffic but has no admin") {
		t.Fatalf("reload: %+v, %v", out, err)
	}
	if got := e.listenerEpoch(t); got != "0" {
		t.Fatalf("after the failed epoch, listener served by %q, want the old epoch 0", got)
	}
	if !strings.Contains(e.restarter.Log(), "failed to bind or apply socket options: cannot bind '127.0.0.1:"+strconv.Itoa(takenPort)+"'") {
		t.Errorf("the stand-in did not log Envoy's bind failure")
	}
	writeFile(t, e.config, envoytest.Config(e.adminPort, "fixed", e.listenerPort))
	out, err = reloadFile(t, h, e.config)
	if err != nil || *out.Epoch != 1 {
		t.Fatalf("the next good save: %+v, %v (restarter reuses epoch 1 after a failure)", out, err)
	}
	if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], "signalling anyway") {
		t.Errorf("warnings %q", out.Warnings)
	}
}

func TestAdminDownBeforeTheFirstSignal(t *testing.T) {
	admin, err := NewAdmin("http://127.0.0.1:"+strconv.Itoa(envoytest.FreePort(t)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	target := &countingTarget{}
	_, err = (&HotRestart{Target: target, Signal: syscall.SIGHUP, Confirmer: &Confirmer{Admin: admin, Interval: time.Millisecond, Timeout: time.Second}}).Reload(context.Background(), nil)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), admin.URL()) || !strings.Contains(err.Error(), "connection refused") || target.signals != 0 {
		t.Fatalf("error %v, signals %d", err, target.signals)
	}
}

type countingTarget struct{ signals int }

func (c *countingTarget) Signal(context.Context, syscall.Signal) error { c.signals++; return nil }
func (c *countingTarget) Describe() string                             { return "counting target" }

func TestAdminRefusesRedirectsAndOtherSchemes(t *testing.T) {
	if _, err := NewAdmin("unix:///var/run/envoy.sock", time.Second); err == nil {
		t.Error("a unix URL was accepted")
	}
	srv := &http.Server{Handler: http.RedirectHandler("http://example.com/server_info", http.StatusFound)}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	admin, _ := NewAdmin("http://"+l.Addr().String(), time.Second)
	if _, err := admin.ServerInfo(context.Background()); err == nil || !strings.Contains(err.Error(), "302") {
		t.Fatalf("error %v, want the redirect refused", err)
	}
}

// reloadFile validates file and hot-restarts h with it, as the reload loop
// does with a valid save.
func reloadFile(t *testing.T, h *HotRestart, file string) (Outcome, error) {
	t.Helper()
	return h.Reload(context.Background(), loadFile(t, file))
}

// loadFile validates file, which must be valid.
func loadFile(t *testing.T, file string) *bootstrap.Result {
	t.Helper()
	res, err := bootstrap.LoadFile(file, bootstrap.Options{})
	if err != nil || !res.Valid() {
		t.Fatalf("%s does not validate: %v %v", file, err, res.Diagnostics)
	}
	return res
}

// writeFile saves whole, by a rename, as an editor's safe write does.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
