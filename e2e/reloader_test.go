package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// The envoy-reloader process under test, and the events it prints.

// reloader is a running `envoy-reloader watch --log-format json`.
type reloader struct {
	cmd    *exec.Cmd
	events <-chan map[string]any
	// seen are the events wait has read, the ones it skipped included.
	seen []map[string]any
	// claimed are the indices in seen that waitEnvoy has returned.
	claimed map[int]bool
}

// saw returns the events seen so far whose "event" is event.
func (r *reloader) saw(event string) []map[string]any {
	var out []map[string]any
	for _, m := range r.seen {
		if m["event"] == event {
			out = append(out, m)
		}
	}
	return out
}

// startReloader runs `envoy-reloader watch` on c, with more reloader.yaml
// (extraYAML) and environment (env) when given.
func startReloader(t *testing.T, c *envoyContainer, extraYAML string, env ...string) *reloader {
	t.Helper()
	return startReloaderYAML(t, c.dir, fmt.Sprintf("target:\n  container: %s\n%s", c.name, extraYAML), c.adminPort, env...)
}

func startReloaderYAML(t *testing.T, dir, targetYAML string, adminPort int, env ...string) *reloader {
	t.Helper()
	return startReloaderPrepared(t, dir, targetYAML, adminPort, nil, env...)
}

// startReloaderPrepared is startReloaderYAML with prep applied to the
// command before it starts (to run it as another user).
func startReloaderPrepared(t *testing.T, dir, targetYAML string, adminPort int, prep func(*exec.Cmd), env ...string) *reloader {
	t.Helper()
	writeFile(t, filepath.Join(dir, "reloader.yaml"), fmt.Sprintf(`bootstrap: envoy.yaml
admin:
  url: http://127.0.0.1:%d
watch:
  debounce: 50ms
confirm:
  timeout: 10s
%s`, adminPort, targetYAML))
	return runReloader(t, dir, prep, env...)
}

// startReloaderConfig runs `envoy-reloader watch` in dir on reloaderYAML,
// written as dir/reloader.yaml as it is.
func startReloaderConfig(t *testing.T, dir, reloaderYAML string, env ...string) *reloader {
	t.Helper()
	writeFile(t, filepath.Join(dir, "reloader.yaml"), reloaderYAML)
	return runReloader(t, dir, nil, env...)
}

// runReloader runs `envoy-reloader watch --log-format json` in dir, on its
// reloader.yaml, and waits until it watches.
func runReloader(t *testing.T, dir string, prep func(*exec.Cmd), env ...string) *reloader {
	t.Helper()
	r := &reloader{cmd: exec.Command(reloaderBin, "watch", "--log-format", "json")}
	r.cmd.Dir = dir
	r.cmd.Env = append(os.Environ(), env...)
	if prep != nil {
		prep(r.cmd)
	}
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	r.cmd.Stderr = os.Stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.cmd.Process.Kill(); _ = r.cmd.Wait() })
	r.events = envoytest.Events(stdout, nil)
	r.wait(t, "watching")
	return r
}

func (r *reloader) wait(t *testing.T, event string) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-r.events:
			if !ok {
				t.Fatalf("the reloader exited before a %q event", event)
			}
			r.seen = append(r.seen, m)
			if m["event"] == event {
				return m
			}
		case <-timeout:
			t.Fatalf("no %q event in 30s", event)
		}
	}
}

// waitEnvoy waits for Envoy envoy's next event named event: the first one
// seen that waitEnvoy has not returned yet, else the next to arrive.
// Several Envoys' events interleave, so one read while waiting for
// another Envoy's is kept for its own turn.
func (r *reloader) waitEnvoy(t *testing.T, event, envoy string) map[string]any {
	t.Helper()
	if r.claimed == nil {
		r.claimed = map[int]bool{}
	}
	match := func(i int) bool {
		return !r.claimed[i] && r.seen[i]["event"] == event && r.seen[i]["envoy"] == envoy
	}
	for i := range r.seen {
		if match(i) {
			r.claimed[i] = true
			return r.seen[i]
		}
	}
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-r.events:
			if !ok {
				t.Fatalf("the reloader exited before a %q event of %s", event, envoy)
			}
			r.seen = append(r.seen, m)
			if i := len(r.seen) - 1; match(i) {
				r.claimed[i] = true
				return m
			}
		case <-timeout:
			t.Fatalf("no %q event of %s in 30s", event, envoy)
		}
	}
}

// unclaimed are the events named event seen so far that waitEnvoy has not
// returned.
func (r *reloader) unclaimed(event string) []map[string]any {
	var out []map[string]any
	for i, m := range r.seen {
		if m["event"] == event && !r.claimed[i] {
			out = append(out, m)
		}
	}
	return out
}
