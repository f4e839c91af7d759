package local

import (
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

func epochOf(ev map[string]any) string { return fmt.Sprint(ev["epoch"]) }

func envoyLog(ev map[string]any) string {
	lines, _ := ev["envoy_log"].([]any)
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(fmt.Sprint(l) + "\n")
	}
	return b.String()
}

// TestRunConfirmsEachSaveWithTheNewBodyServed: a save by rename and a save
// in place each start the next epoch, validated by Envoy first, confirmed
// live, and serving the saved body.
func TestRunConfirmsEachSaveWithTheNewBodyServed(t *testing.T) {
	requireEnvoy(t)
	p := newProject(t)
	r := startRun(t, p, nil)
	if body, epoch := p.serve(t); body != "cluster v0\n" || epoch != "0" {
		t.Fatalf("epoch 0 serves %q from epoch %q", body, epoch)
	}
	for i, save := range []func(*testing.T, string, string){saveByRename, writeInPlace} {
		want := i + 1
		save(t, p.config, p.body(fmt.Sprintf("v%d", want)))
		ev := r.wait(t, "reload")
		if ev["result"] != "ok" || epochOf(ev) != fmt.Sprint(want) || ev["envoy_validate_ms"] == nil {
			t.Fatalf("save %d: %v", want, ev)
		}
		if body, epoch := p.serve(t); body != fmt.Sprintf("cluster v%d\n", want) || epoch != fmt.Sprint(want) {
			t.Fatalf("after save %d the listener serves %q from epoch %q", want, body, epoch)
		}
	}
	if !strings.Contains(r.log(), "[epoch 2] ") {
		t.Errorf("Envoy's lines are not prefixed by their epoch:\n%s", r.log())
	}
}

// TestRunInvalidSaveStartsNoEpoch: a save this tool rejects, and one only
// Envoy's own validate rejects (a contrib extension the release build
// lacks), start no epoch; the second is reported in Envoy's words.
func TestRunInvalidSaveStartsNoEpoch(t *testing.T) {
	requireEnvoy(t)
	p := newProject(t)
	r := startRun(t, p, nil)
	writeInPlace(t, p.config, strings.Replace(p.body("bad"), "static_resources:", "static_resourcez:", 1))
	if ev := r.wait(t, "reload"); ev["result"] != "invalid" || ev["reason"] != "invalid_config" {
		t.Fatalf("unknown field: %v", ev)
	}
	contrib := strings.Replace(p.body("contrib"), "    - filters:\n", "    - filters:\n"+
		"      - name: envoy.filters.network.mysql_proxy\n        typed_config:\n"+
		"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy\n"+
		"          stat_prefix: mysql\n", 1)
	if res := bootstrap.Load("contrib.yaml", []byte(contrib), bootstrap.Options{}); !res.Valid() {
		t.Fatalf("our own check should pass this config: %v", res.Diagnostics)
	}
	saveByRename(t, p.config, contrib)
	ev := r.wait(t, "reload")
	if ev["result"] != "invalid" || ev["reason"] != "envoy_rejected" ||
		!strings.Contains(envoyLog(ev), "MySQLProxy") {
		t.Fatalf("contrib extension: %v", ev)
	}
	if strings.Contains(r.log(), "at epoch 1") || strings.Contains(r.log(), "[epoch 1]") {
		t.Fatalf("an invalid save started an epoch:\n%s", r.log())
	}
	if body, epoch := p.serve(t); body != "cluster v0\n" || epoch != "0" {
		t.Fatalf("epoch 0 should still serve, got %q from %q", body, epoch)
	}
}

// TestRunStartFailureKeepsOldEpochThenNextSaveIsLive: a listener on a
// taken port passes every validate but fails Envoy's start, after the old
// epoch closed its admin. The reason is shown in Envoy's words, the old
// epoch keeps serving, and the next good save goes live: run clears the
// mark the failed epoch left in the shared memory (envoyproxy/envoy#33446).
func TestRunStartFailureKeepsOldEpochThenNextSaveIsLive(t *testing.T) {
	requireEnvoy(t)
	p := newProject(t)
	r := startRun(t, p, nil)
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	takenPort := taken.Addr().(*net.TCPAddr).Port
	saveByRename(t, p.config, p.body("bad", takenPort))
	ev := r.wait(t, "reload")
	if ev["result"] != "failed" || ev["reason"] != "child_exited" ||
		!strings.Contains(envoyLog(ev), fmt.Sprintf("cannot bind '127.0.0.1:%d'", takenPort)) {
		t.Fatalf("start failure: %v", ev)
	}
	if body, epoch := p.serve(t); body != "cluster v0\n" || epoch != "0" {
		t.Fatalf("after the failed start the listener serves %q from epoch %q, want the old epoch 0", body, epoch)
	}
	for want := 1; want <= 2; want++ {
		writeInPlace(t, p.config, p.body(fmt.Sprintf("good%d", want)))
		ev = r.wait(t, "reload")
		if ev["result"] != "ok" || epochOf(ev) != fmt.Sprint(want) {
			t.Fatalf("good save %d after the failure: %v", want, ev)
		}
		if body, epoch := p.serve(t); body != fmt.Sprintf("cluster good%d\n", want) || epoch != fmt.Sprint(want) {
			t.Fatalf("after good save %d the listener serves %q from epoch %q", want, body, epoch)
		}
	}
	if !strings.Contains(r.log(), "restored Envoy's hot-restart state") {
		t.Errorf("run did not report the restore:\n%s", r.log())
	}
}

// TestRunEndsEveryEpoch: Ctrl-C (SIGINT to the reloader), and SIGKILL of
// the reloader, leave no Envoy process: two epochs run (the old one still
// draining), and both end.
func TestRunEndsEveryEpoch(t *testing.T) {
	requireEnvoy(t)
	for _, tc := range []struct {
		name   string
		signal syscall.Signal
	}{
		{"ctrl-c", syscall.SIGINT},
		{"sigkill", syscall.SIGKILL},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newProject(t)
			r := startRun(t, p, nil, "--drain-time-s", "30", "--parent-shutdown-time-s", "60")
			writeInPlace(t, p.config, p.body("v1"))
			if ev := r.wait(t, "reload"); ev["result"] != "ok" {
				t.Fatalf("reload: %v", ev)
			}
			pids := envoyPIDs(t, r.cmd.Process.Pid)
			if len(pids) != 2 {
				t.Fatalf("Envoy processes %v, want epochs 0 and 1", pids)
			}
			if err := r.cmd.Process.Signal(tc.signal); err != nil {
				t.Fatal(err)
			}
			select {
			case <-r.exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("the reloader did not end within 20 s of %s", tc.name)
			}
			awaitGone(t, pids, 5*time.Second)
		})
	}
}

// TestRunCommandFromReloaderYAML: with no command after --, run starts
// run.command of reloader.yaml, from that file's directory, and reloads
// its bootstrap as the command line would.
func TestRunCommandFromReloaderYAML(t *testing.T) {
	requireEnvoy(t)
	p := newProject(t)
	writeInPlace(t, p.dir+"/reloader.yaml", fmt.Sprintf(`run:
  command: [%s, -c, envoy/envoy.yaml, --base-id, "%d", --concurrency, "1", --drain-time-s, "1", --parent-shutdown-time-s, "2"]
  envoy_log: error
watch:
  debounce: 50ms
`, envoyBin, nextBaseID()))
	r := startRunArgs(t, p, []string{"run", "--log-format", "json"})
	saveByRename(t, p.config, p.body("v1"))
	if ev := r.wait(t, "reload"); ev["result"] != "ok" || epochOf(ev) != "1" {
		t.Fatalf("reload: %v", ev)
	}
	if body, epoch := p.serve(t); body != "cluster v1\n" || epoch != "1" {
		t.Fatalf("the listener serves %q from epoch %q", body, epoch)
	}
	if strings.Contains(r.log(), "[warning]") {
		t.Errorf("warning lines shown with run.envoy_log: error:\n%s", r.log())
	}
}
