package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// corpusDir holds real configs of Envoy's own examples (shared/corpus).
var corpusDir = filepath.Join("..", "..", "shared", "corpus", "envoy-examples")

// TestCorpusOnTheRealEnvoy: every corpus bootstrap that the real Envoy
// starts here is loaded by it in a container (its example's directory
// mounted, as the example's compose file does) and reloaded once through
// the product with `envoy-reloader restart`: confirmed, and /config_dump
// shows the saved config, never stale. The others are listed with Envoy's
// reason. Real Envoy only: the stand-in links a handful of extensions.
func TestCorpusOnTheRealEnvoy(t *testing.T) {
	onRealOnly(t, "the corpus names hundreds of extensions the stand-in does not link", func(t *testing.T) {
		requireDocker(t)
		manifest, err := os.ReadFile(filepath.Join(corpusDir, "MANIFEST"))
		if err != nil {
			t.Skipf("skipping: no corpus (%v)", err)
		}
		var files []string
		for _, line := range strings.Split(string(manifest), "\n") {
			if kind, file, ok := strings.Cut(line, " "); ok && kind == "bootstrap" {
				files = append(files, file)
			}
		}
		type verdict struct{ file, result, why string }
		var mu sync.Mutex
		var verdicts []verdict
		sem := make(chan struct{}, 2) // the machine's cores
		var wg sync.WaitGroup
		for _, file := range files {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				result, why := reloadCorpusBootstrap(t, file)
				mu.Lock()
				verdicts = append(verdicts, verdict{file, result, why})
				mu.Unlock()
			}()
		}
		wg.Wait()
		sort.Slice(verdicts, func(i, j int) bool { return verdicts[i].file < verdicts[j].file })
		confirmed := 0
		var b strings.Builder
		for _, v := range verdicts {
			fmt.Fprintf(&b, "%-48s %-12s %s\n", v.file, v.result, v.why)
			switch v.result {
			case "confirmed":
				confirmed++
			case "stale", "failed":
				t.Errorf("%s: %s: %s", v.file, v.result, v.why)
			}
		}
		t.Logf("%d of %d corpus bootstraps confirmed on the real Envoy:\n%s", confirmed, len(verdicts), b.String())
		if confirmed < 40 {
			t.Errorf("only %d corpus bootstraps confirmed, want at least 40", confirmed)
		}
	})
}

// reloadCorpusBootstrap runs one corpus bootstrap in a real-Envoy
// container and reloads it once. result is confirmed, stale or failed
// (the product's fault), or refused or unreachable (what this machine
// cannot give the config, with Envoy's reason).
func reloadCorpusBootstrap(t *testing.T, file string) (result, why string) {
	example := strings.SplitN(file, "/", 2)[0]
	dir := t.TempDir()
	copied := filepath.Join(dir, example)
	if out, err := exec.Command("cp", "-r", filepath.Join(corpusDir, example), copied).CombinedOutput(); err != nil {
		return "failed", fmt.Sprintf("copy: %v %s", err, out)
	}
	host := filepath.Join(dir, file)
	data, err := os.ReadFile(host)
	if err != nil {
		return "failed", err.Error()
	}
	res := bootstrap.Load(host, data, bootstrap.Options{})
	if !res.Valid() {
		return "failed", "check rejects it"
	}
	// Most examples have no admin: it is given with --config-yaml, as a
	// user would give one to confirm reloads (the overlay is merged before
	// Envoy's checks, and the product compares with it merged too).
	adminPort, overlay := uint32(0), []string(nil)
	switch admin := res.Bootstrap.GetAdmin().GetAddress().GetSocketAddress(); {
	case admin == nil:
		adminPort = 19901
		overlay = []string{"--config-yaml", "admin: {address: {socket_address: {address: 0.0.0.0, port_value: 19901}}}"}
	case admin.GetAddress() == "127.0.0.1" || admin.GetAddress() == "::1":
		return "unreachable", "admin on the container's loopback"
	default:
		adminPort = admin.GetPortValue()
	}
	inside := "/etc/envoy/" + strings.TrimPrefix(file, example+"/")
	name := uniqueName("envoy-corpus")
	port := envoytest.FreePort(t)
	args := []string{"run", "-d", "--name", name, "--label", testLabel(t), "-w", "/etc/envoy",
		"-p", fmt.Sprintf("127.0.0.1:%d:%d", port, adminPort), "-v", copied + ":/etc/envoy", imageOf(t),
		"/usr/local/bin/envoy", "-c", inside, "--restart-epoch", "{{epoch}}", "--concurrency", "1",
		"--drain-time-s", "1", "--parent-shutdown-time-s", "2"}
	args = append(args, overlay...)
	defer func() { _ = exec.Command("docker", "rm", "-f", name).Run() }()
	if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
		return "failed", fmt.Sprintf("docker run: %v %s", err, out)
	}
	writeFile(t, filepath.Join(dir, "reloader.yaml"), fmt.Sprintf("bootstrap: %s\nadmin:\n  url: http://127.0.0.1:%d\ntarget:\n  container: %s\nconfirm:\n  timeout: 20s\n", host, port, name))
	// Envoy's first start: LIVE, its workers started.
	a, err := restart.NewAdmin(fmt.Sprintf("http://127.0.0.1:%d", port), time.Second)
	if err != nil {
		return "failed", err.Error()
	}
	deadline := time.Now().Add(25 * time.Second)
	for {
		info, err := a.ServerInfo(context.Background())
		if err == nil && info.GetState() == adminv3.ServerInfo_LIVE && !info.GetHotRestartInitializing() {
			break
		}
		if state, _ := exec.Command("docker", "inspect", "-f", "{{.State.Running}}", name).Output(); strings.TrimSpace(string(state)) != "true" {
			logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
			return "refused", envoyReason(string(logs))
		}
		if time.Now().After(deadline) {
			return "not ready", fmt.Sprintf("not LIVE within 25 s here (%v, %v): it waits for a control plane or upstreams this machine lacks", info.GetState(), err)
		}
		time.Sleep(100 * time.Millisecond) // the container starts; there is no event to wait on
	}
	code, out := runReloaderOnce(t, dir, "restart", "--log-format", "json")
	var ev map[string]any
	for _, line := range strings.Split(out, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["event"] == "reload" {
			ev = m
		}
	}
	switch {
	case code == 0 && ev["result"] == "ok" && !strings.Contains(fmt.Sprint(ev["warnings"]), "stale"):
		return "confirmed", fmt.Sprintf("epoch %v", ev["epoch"])
	case ev["reason"] == "stale":
		return "stale", fmt.Sprint(ev["error"])
	}
	return "failed", fmt.Sprintf("exit %d: %s", code, out)
}

// envoyReason is Envoy's own line for a failed start.
func envoyReason(logs string) string {
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "[critical]") {
			return strings.TrimSpace(l[strings.LastIndex(l, "] ")+2:])
		}
	}
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	return lines[len(lines)-1]
}
