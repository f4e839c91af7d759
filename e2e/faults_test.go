package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	dockertarget "github.com/envoy-reloader/envoy-reloader/restart/docker"
)

// dockerProxy stands between the reloader and the Docker Engine: stopping
// it is, for the reloader, the daemon going away; starting it, the daemon
// coming back.
type dockerProxy struct {
	path  string
	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newDockerProxy(t *testing.T) *dockerProxy {
	p := &dockerProxy{path: filepath.Join(t.TempDir(), "docker.sock"), conns: map[net.Conn]bool{}}
	p.start(t)
	t.Cleanup(p.stop)
	return p
}

func (p *dockerProxy) host() string { return "unix://" + p.path }

func (p *dockerProxy) start(t *testing.T) {
	t.Helper()
	_ = os.Remove(p.path)
	ln, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.forward(c)
		}
	}()
}

func (p *dockerProxy) forward(c net.Conn) {
	up, err := net.Dial("unix", "/var/run/docker.sock")
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); up.Close() }()
	_, _ = io.Copy(c, up)
	c.Close()
}

func (p *dockerProxy) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func withNode(config, id string) string { return "node: {id: " + id + "}\n" + config }

// nodeID reads the node of the Envoy answering, which restart.Admin does
// not decode (nothing in the product reads it), on a fresh connection.
func (c *envoyContainer) nodeID(t *testing.T) string {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 5 * time.Second}
	resp, err := client.Get(c.admin.URL() + "/server_info")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	info := &adminv3.ServerInfo{}
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, info); err != nil {
		t.Fatalf("/server_info: %v", err)
	}
	return info.GetNode().GetId()
}

// 1. The Docker daemon goes away while the reloader watches.
func TestFaultDockerDaemonDownAndBack(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		proxy := newDockerProxy(t)
		r := startReloader(t, c, "", "DOCKER_HOST="+proxy.host())
		writeFile(t, c.config, withNode(containerConfig("a"), "v1"))
		if ev := r.wait(t, "reload"); ev["result"] != "ok" || num(ev, "epoch") != 1 {
			t.Fatalf("before the outage: %v", ev)
		}
		proxy.stop()
		for _, v := range []string{"v2", "v3"} {
			writeFile(t, c.config, withNode(containerConfig("a"), v))
			ev := r.wait(t, "reload")
			if ev["result"] != "failed" || ev["retry"] != true || !strings.Contains(ev["error"].(string), "docker") {
				t.Fatalf("save %s while the daemon is down: %v", v, ev)
			}
		}
		proxy.start(t)
		ev := r.wait(t, "reload")
		if ev["result"] != "ok" || num(ev, "epoch") != 2 {
			t.Fatalf("once the daemon is back: %v", ev)
		}
		if got := c.nodeID(t); got != "v3" {
			t.Fatalf("Envoy runs %s, want the latest save v3", got)
		}
		expectNoReload(t, r, 3*time.Second)
		if n := c.hups(t); n != 2 {
			t.Fatalf("%d SIGHUPs, want 2: none lost, none applied twice", n)
		}
	})
}

func expectNoReload(t *testing.T, r *reloader, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case m := <-r.events:
			if m["event"] == "reload" {
				t.Fatalf("an unexpected reload: %v", m)
			}
		case <-timeout:
			return
		}
	}
}

// 2. The container is stopped and started again, then recreated with a new
// ID under the same name.
func TestFaultContainerStoppedStartedRecreated(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		r := startReloader(t, c, "")
		docker(t, "stop", "-t", "1", c.name)
		writeFile(t, c.config, withNode(containerConfig("a"), "while-stopped"))
		ev := r.wait(t, "reload")
		if ev["result"] != "failed" || ev["reason"] != "target_unreachable" || !strings.Contains(ev["error"].(string), "is not running") || ev["retry"] != true {
			t.Fatalf("save while stopped: %v", ev)
		}
		docker(t, "start", c.name)
		ev = r.wait(t, "reload") // the retry, once the container runs again
		if ev["result"] != "ok" {
			t.Fatalf("after the container started: %v", ev)
		}
		if got := c.nodeID(t); got != "while-stopped" {
			t.Fatalf("Envoy runs %q", got)
		}
		// Recreated: same name, new ID, new epochs.
		oldID := docker(t, "inspect", "-f", "{{.Id}}", c.name)
		docker(t, "rm", "-f", c.name)
		docker(t, append(append([]string{"run", "-d", "--name", c.name}, ownLabels(t)...), "-p", fmt.Sprintf("127.0.0.1:%d:9901", c.adminPort), "-v", c.dir+":/etc/envoy", imageOf(t))...)
		if newID := docker(t, "inspect", "-f", "{{.Id}}", c.name); newID == oldID {
			t.Fatal("the container was not recreated")
		}
		c.waitEpoch(t, 0)
		writeFile(t, c.config, withNode(containerConfig("b"), "recreated"))
		if ev := r.wait(t, "reload"); ev["result"] != "ok" || num(ev, "epoch") != 1 {
			t.Fatalf("after the container was recreated: %v", ev)
		}
		if got := c.nodeID(t); got != "recreated" {
			t.Fatalf("Envoy runs %q", got)
		}
	})
}

// 3. The admin endpoint stops answering (the container is paused).
func TestFaultAdminStopsAnswering(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		r := startReloader(t, c, "")
		docker(t, "pause", c.name)
		writeFile(t, c.config, withNode(containerConfig("a"), "while-paused"))
		ev := r.wait(t, "reload")
		if ev["result"] != "failed" || ev["reason"] != "target_unreachable" || !strings.Contains(ev["error"].(string), "paused") {
			t.Fatalf("save while paused: %v", ev)
		}
		docker(t, "unpause", c.name)
		if ev := r.wait(t, "reload"); ev["result"] != "ok" || num(ev, "epoch") != 1 {
			t.Fatalf("after unpausing: %v", ev)
		}
		writeFile(t, c.config, withNode(containerConfig("b"), "next"))
		if ev := r.wait(t, "reload"); ev["result"] != "ok" || num(ev, "epoch") != 2 || c.nodeID(t) != "next" {
			t.Fatalf("the next save: %v", ev)
		}
	})
}

// 3b. The admin endpoint does not answer while the container runs: the
// failure names the URL and the error.
func TestFaultAdminUnreachableNamesURL(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		wrong := fmt.Sprintf("http://127.0.0.1:%d", envoytest.FreePort(t))
		r := startReloader(t, c, "", "ENVOY_RELOADER_ADMIN_URL="+wrong)
		writeFile(t, c.config, containerConfig("a"))
		ev := r.wait(t, "reload")
		if ev["result"] != "failed" || !strings.Contains(ev["error"].(string), wrong) || !strings.Contains(ev["error"].(string), "connection refused") {
			t.Fatalf("reload %v", ev)
		}
		if c.hups(t) != 0 {
			t.Fatal("signalled without reading the epoch first")
		}
	})
}

// 5. 200 saves in 5 s, some invalid, the last valid.
func TestFault200SavesIn5Seconds(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		r := startReloader(t, c, "")
		for i := range 200 {
			content := withNode(containerConfig("a"), fmt.Sprintf("save-%d", i))
			if i%7 == 3 && i < 199 { // some invalid, the last valid
				content = strings.Replace(content, "connect_timeout", "connect_timout", 1)
			}
			writeFile(t, c.config, content)
			time.Sleep(25 * time.Millisecond) // the pace of the saves under test
		}
		var last map[string]any
		oks, signalled := 0, 0
		for {
			select {
			case m := <-r.events:
				if m["event"] == "reload" {
					last = m
					if m["result"] == "ok" {
						oks++
					}
					if _, ok := m["signal_ms"]; ok {
						signalled++
					}
				}
				continue
			case <-time.After(3 * time.Second):
			}
			break
		}
		if last == nil || last["result"] != "ok" || c.nodeID(t) != "save-199" {
			t.Fatalf("final reload %v, Envoy runs %q; want the last save confirmed", last, c.nodeID(t))
		}
		// Every signal belongs to a reported reload attempt: none silent, none twice.
		if hups := c.hupsSeen(t, signalled); hups != signalled {
			t.Fatalf("%d SIGHUPs for %d reload attempts that signalled", hups, signalled)
		}
		// Never two at once: each SIGHUP comes after the previous epoch is up.
		waiting := false
		for _, l := range strings.Split(docker(t, "logs", c.name), "\n") {
			switch {
			case strings.Contains(l, "got SIGHUP"):
				if waiting {
					t.Fatalf("a SIGHUP before the previous epoch was up:\n%s", l)
				}
				waiting = true
			case strings.Contains(l, "starting main dispatch loop"):
				waiting = false
			}
		}
		t.Logf("200 saves in 5 s: %d reload attempts signalled, %d confirmed, the last save running", signalled, oks)
	})
}

// 6. SIGTERM in the middle of a confirmation.
func TestFaultSIGTERMDuringConfirmation(t *testing.T) {
	onStandinOnly(t, "a new epoch held initializing for 5 s needs the stand-in's --init-delay", func(t *testing.T) {
		requireDocker(t)
		c := runEnvoyWith(t, uniqueName("envoy-fault"), "--init-delay", "5s")
		r := startReloader(t, c, "")
		writeFile(t, c.config, containerConfig("slow"))
		deadline := time.Now().Add(10 * time.Second)
		for c.hups(t) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("no SIGHUP")
			}
			time.Sleep(20 * time.Millisecond) // the container's log has no notification
		}
		sent := time.Now()
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		notice := r.wait(t, "interrupted")
		err := r.cmd.Wait()
		took := time.Since(sent)
		code := r.cmd.ProcessState.ExitCode()
		t.Logf("SIGTERM during the confirmation: exited after %s with status %d (%v): %v", took, code, err, notice["message"])
		if took > time.Second || code != 0 {
			t.Fatalf("took %s, status %d", took, code)
		}
		if out, _ := exec.Command("pgrep", "-f", reloaderBin).Output(); strings.TrimSpace(string(out)) != "" {
			t.Fatalf("still running: %s", out)
		}
	})
}

// 7. The bootstrap is deleted and not recreated for a while.
func TestFaultBootstrapDeleted(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-fault"))
		r := startReloader(t, c, "")
		if err := os.Remove(c.config); err != nil {
			t.Fatal(err)
		}
		if n := r.wait(t, "missing"); n["level"] != "warn" {
			t.Fatalf("notice %v", n)
		}
		expectNoReload(t, r, time.Second)
		writeFile(t, c.config, withNode(containerConfig("a"), "back"))
		if ev := r.wait(t, "reload"); ev["result"] != "ok" || c.nodeID(t) != "back" {
			t.Fatalf("when it returned: %v", ev)
		}
		if n := c.hupsSeen(t, 1); n != 1 {
			t.Fatalf("%d SIGHUPs", n)
		}
	})
}

// Safety: a compose service run by two projects is not a target to guess.
func TestSafetyAmbiguousComposeServiceSignalsNothing(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		service := uniqueName("svc")
		a := runEnvoyLabelled(t, uniqueName("envoy-amb-a"), service, "proj-a")
		b := runEnvoyLabelled(t, uniqueName("envoy-amb-b"), service, "proj-b")
		r := startReloaderYAML(t, a.dir, "target:\n  compose_service: "+service+"\n", a.adminPort)
		writeFile(t, a.config, containerConfig("x"))
		ev := r.wait(t, "reload")
		msg, _ := ev["error"].(string)
		if ev["result"] != "failed" || ev["reason"] != "target_ambiguous" || !strings.Contains(msg, a.name) || !strings.Contains(msg, b.name) || ev["retry"] == true {
			t.Fatalf("reload %v", ev)
		}
		if a.hups(t)+b.hups(t) != 0 {
			t.Fatal("a container was signalled though the target was ambiguous")
		}
	})
}

// A container's `envoy --mode validate` that hangs returns when its
// context ends: the attached exec connection, which nothing closed, held
// the reload (and Ctrl-C) for as long as the command ran.
func TestHangingContainerValidateIsCancelled(t *testing.T) {
	onStandinOnly(t, "a validate that hangs for 60 s needs the stand-in's --init-delay", func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-hang"))
		d, err := dockertarget.New(c.name, "", "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		d.EnvoyCommand = []string{"/usr/local/bin/envoy", "--mode", "validate", "-c", "/etc/envoy/envoy.yaml", "--init-delay", "60s"}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		returned := make(chan error, 1)
		go func() {
			_, err := d.EnvoyValidate(ctx, false)
			returned <- err
		}()
		select {
		case err := <-returned:
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("EnvoyValidate: %v, want the context's deadline", err)
			}
		case <-time.After(20 * time.Second): // the command itself runs for 60 s
			t.Fatal("EnvoyValidate still blocked 20 s after its 1 s deadline")
		}
	})
}
