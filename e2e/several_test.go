package e2e

import (
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"

	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// These tests run one reloader for three Envoys laid out like
// envoyproxy/examples' front-proxy: front, service1 and service2, each its
// own container with its own directory of one project mounted, and a CA
// file that front and service1 both reference.

const caRef = "/etc/certs/ca.pem" // where front and service1 read the CA

// The CA before and after the shared save: real certificates, which a real
// Envoy loads.
var (
	oldCA = envoytest.CertPEM("old")
	newCA = envoytest.CertPEM("new")
)

// threeEnvoys is the project: its directory, the three containers by
// Envoy name and the shared CA file.
type threeEnvoys struct {
	dir    string
	ca     string
	envoys map[string]*envoyContainer
}

var threeNames = []string{"front", "service1", "service2"}

// startThreeEnvoys writes dir/{front,service1,service2}/envoy.yaml (the
// listener of each answering "NAME v1\n") and dir/certs/ca.pem, and runs
// the three containers, each on its own directory; front and service1
// also mount dir/certs.
func startThreeEnvoys(t *testing.T) *threeEnvoys {
	t.Helper()
	p := &threeEnvoys{dir: t.TempDir(), envoys: map[string]*envoyContainer{}}
	certs := filepath.Join(p.dir, "certs")
	mkdir(t, certs)
	p.ca = filepath.Join(certs, "ca.pem")
	writeFile(t, p.ca, oldCA)
	for _, name := range threeNames {
		dir := filepath.Join(p.dir, name)
		mkdir(t, dir)
		vols := []string{dir + ":/etc/envoy"}
		ca := ""
		if name != "service2" {
			vols, ca = append(vols, certs+":/etc/certs"), caRef
		}
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig(name+" v1\n", ca))
		p.envoys[name] = runService(t, uniqueName("envoy-e2e-"+name), dir, vols)
	}
	return p
}

// runService runs the stand-in on dir/envoy.yaml with the -v flags vols.
func runService(t *testing.T, name, dir string, vols []string) *envoyContainer {
	t.Helper()
	c := &envoyContainer{name: name, dir: dir, config: filepath.Join(dir, "envoy.yaml")}
	startPublished(t, name, func(ports []string) [][]string {
		args := append(append([]string{"run", "-d", "--name", name}, ownLabels(t)...), ports...)
		for _, v := range vols {
			args = append(args, "-v", v)
		}
		return [][]string{append(args, imageOf(t))}
	})
	c.connect(t)
	return c
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

// reloaderYAML lists the three Envoys, bootstraps relative to the project.
func (p *threeEnvoys) reloaderYAML() string {
	var b strings.Builder
	b.WriteString("watch:\n  debounce: 50ms\nconfirm:\n  timeout: 10s\nenvoys:\n")
	for _, name := range threeNames {
		c := p.envoys[name]
		fmt.Fprintf(&b, "- name: %s\n  bootstrap: %s/envoy.yaml\n  target:\n    container: %s\n  admin:\n    url: http://127.0.0.1:%d\n",
			name, name, c.name, c.adminPort)
	}
	return b.String()
}

// startWatching runs one `envoy-reloader watch` for the three and waits
// until each is watched.
func (p *threeEnvoys) startWatching(t *testing.T) *reloader {
	t.Helper()
	r := startReloaderConfig(t, p.dir, p.reloaderYAML())
	for _, name := range threeNames {
		w := r.waitEnvoy(t, "watching", name)
		want := "watching envoy.yaml"
		if name != "service2" {
			want += " and 1 referenced file" // the CA
		}
		if w["message"] != want {
			t.Fatalf("%s: %v, want %q", name, w, want)
		}
	}
	return r
}

// expect says what a user sees of Envoy name: its epoch on a fresh admin
// connection, its SIGHUPs, and the body its listener serves on a fresh
// connection, from that epoch.
func (p *threeEnvoys) expect(t *testing.T, name string, epoch uint32, hups int, body string) {
	t.Helper()
	c := p.envoys[name]
	if got := c.epoch(t); got != epoch {
		t.Errorf("%s: epoch %d, want %d", name, got, epoch)
	}
	if got := c.hupsSeen(t, hups); got != hups {
		t.Errorf("%s: %d SIGHUPs, want %d", name, got, hups)
	}
	if got, servedBy := c.serve(t); got != body || servedBy != fmt.Sprint(epoch) {
		t.Errorf("%s: the listener serves %q from epoch %s, want %q from %d", name, got, servedBy, body, epoch)
	}
}

// assertReload checks a reload event: its Envoy's result, reason, epoch
// (when ok) and the files it was for.
func assertReload(t *testing.T, ev map[string]any, result, reason string, epoch int, files ...string) {
	t.Helper()
	if ev["result"] != result || (reason != "" && ev["reason"] != reason) || (result == "ok" && num(ev, "epoch") != float64(epoch)) {
		t.Fatalf("%s: reload %v; want result %s, reason %q, epoch %d", ev["envoy"], ev, result, reason, epoch)
	}
	got, _ := ev["files"].([]any)
	for _, f := range files {
		if !slices.Contains(got, any(f)) {
			t.Fatalf("%s: reload for files %v, want %s among them", ev["envoy"], got, f)
		}
	}
}

func (p *threeEnvoys) bootstrap(name string) string { return p.envoys[name].config }

// One reloader, three Envoys: each batch reloads exactly the Envoys whose
// files changed, and one Envoy's invalid save or stopped container never
// holds the others.
func TestThreeEnvoysReloadOnlyWhatChanged(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		p := startThreeEnvoys(t)
		r := p.startWatching(t)

		// (a) service1's bootstrap: service1 alone restarts.
		saveAtomically(t, p.bootstrap("service1"), httpConfig("service1 v2\n", caRef))
		assertReload(t, r.waitEnvoy(t, "reload", "service1"), "ok", "", 1, p.bootstrap("service1"))
		p.expect(t, "service1", 1, 1, "service1 v2\n")
		p.expect(t, "front", 0, 0, "front v1\n")
		p.expect(t, "service2", 0, 0, "service2 v1\n")

		// (b) the CA front and service1 reference: both restart. Their events
		// come after any reload (a) could have started, so service2 having
		// none among all events read shows (a) and (b) left it alone.
		saveAtomically(t, p.ca, newCA)
		assertReload(t, r.waitEnvoy(t, "reload", "front"), "ok", "", 1, p.ca)
		assertReload(t, r.waitEnvoy(t, "reload", "service1"), "ok", "", 2, p.ca)
		p.expect(t, "front", 1, 1, "front v1\n")
		p.expect(t, "service1", 2, 2, "service1 v2\n")
		p.expect(t, "service2", 0, 0, "service2 v1\n")
		if extra := r.unclaimed("reload"); len(extra) != 0 {
			t.Fatalf("reloads no save asked for: %v", extra)
		}

		// (c) an invalid save of service2 and a valid one of front at once.
		saveAtomically(t, p.bootstrap("service2"), strings.Replace(httpConfig("service2 v2\n", ""), "connect_timeout", "connect_timout", 1))
		saveAtomically(t, p.bootstrap("front"), httpConfig("front v2\n", caRef))
		ev := r.waitEnvoy(t, "reload", "service2")
		assertReload(t, ev, "invalid", "invalid_config", 0, p.bootstrap("service2"))
		if _, signalled := ev["signal_ms"]; signalled {
			t.Fatalf("service2's invalid save was signalled: %v", ev)
		}
		assertReload(t, r.waitEnvoy(t, "reload", "front"), "ok", "", 2, p.bootstrap("front"))
		p.expect(t, "front", 2, 2, "front v2\n")
		p.expect(t, "service2", 0, 0, "service2 v1\n")

		// (d) service2's container stopped: its save fails and waits for it;
		// front's and service1's saves are confirmed meanwhile.
		docker(t, "stop", "-t", "1", p.envoys["service2"].name)
		saveAtomically(t, p.bootstrap("service2"), httpConfig("service2 v3\n", ""))
		ev = r.waitEnvoy(t, "reload", "service2")
		assertReload(t, ev, "failed", "target_unreachable", 0, p.bootstrap("service2"))
		if ev["retry"] != true {
			t.Fatalf("service2's failure is not retried: %v", ev)
		}
		for _, name := range []string{"front", "service1"} {
			saveAtomically(t, p.bootstrap(name), httpConfig(name+" v3\n", caRef))
			assertReload(t, r.waitEnvoy(t, "reload", name), "ok", "", 3, p.bootstrap(name))
			p.expect(t, name, 3, 3, name+" v3\n")
		}
		// Started again, service2 runs the save it missed.
		docker(t, "start", p.envoys["service2"].name)
		assertReload(t, r.waitEnvoy(t, "reload", "service2"), "ok", "", 1, p.bootstrap("service2"))
		p.expect(t, "service2", 1, 1, "service2 v3\n")

		if extra := r.unclaimed("reload"); len(extra) != 0 {
			t.Fatalf("reloads no save asked for: %v", extra)
		}
	})
}

// restart NAME restarts that Envoy alone; an unknown name is a usage
// error that lists the known ones; status reads all three.
func TestSeveralEnvoysRestartAndStatus(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		p := startThreeEnvoys(t)
		writeFile(t, filepath.Join(p.dir, "reloader.yaml"), p.reloaderYAML())

		if code, out := runReloaderOnce(t, p.dir, "restart", "service2"); code != 0 {
			t.Fatalf("restart service2: exit %d\n%s", code, out)
		}
		p.expect(t, "service2", 1, 1, "service2 v1\n")
		p.expect(t, "front", 0, 0, "front v1\n")
		p.expect(t, "service1", 0, 0, "service1 v1\n")

		code, out := runReloaderOnce(t, p.dir, "restart", "nosuch")
		if code != 2 || !strings.Contains(out, `"nosuch"`) || !strings.Contains(out, "front, service1, service2") {
			t.Fatalf("restart nosuch: exit %d, want 2 naming the Envoys:\n%s", code, out)
		}
		for _, name := range threeNames {
			if n := p.envoys[name].hups(t); n != map[string]int{"service2": 1}[name] {
				t.Fatalf("%s: %d SIGHUPs after restart nosuch", name, n)
			}
		}

		code, out = runReloaderOnce(t, p.dir, "status", "--log-format", "json")
		if code != 0 {
			t.Fatalf("status: exit %d\n%s", code, out)
		}
		epochs := map[string]float64{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("status: %q is no JSON object: %v", line, err)
			}
			if m["event"] != "status" || m["state"] != "LIVE" {
				t.Fatalf("status: %v", m)
			}
			epochs[m["envoy"].(string)] = num(m, "epoch")
		}
		if want := map[string]float64{"front": 0, "service1": 0, "service2": 1}; !maps.Equal(epochs, want) {
			t.Fatalf("status epochs %v, want %v\n%s", epochs, want, out)
		}
	})
}
