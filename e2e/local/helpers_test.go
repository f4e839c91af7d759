package local

import (
	"bufio"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

var (
	reloaderBin string
	envoyBin    string
	// skipWhy is why these tests cannot run here ("" when they can).
	skipWhy string
)

func TestMain(m *testing.M) {
	wd, _ := os.Getwd()
	root := filepath.Dir(filepath.Dir(wd))
	envoyBin = filepath.Join(root, "build", "envoy")
	if _, err := os.Stat(envoyBin); err != nil {
		skipWhy = "no real Envoy at build/envoy (run `make envoy`)"
	}
	dir, err := os.MkdirTemp("", "e2e-run-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	reloaderBin = filepath.Join(dir, "envoy-reloader")
	build := exec.Command("go", "build", "-o", reloaderBin, "./cmd/envoy-reloader")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func requireEnvoy(t *testing.T) {
	t.Helper()
	if skipWhy != "" {
		if os.Getenv("E2E_REQUIRED") == "1" {
			t.Fatalf("E2E_REQUIRED=1 but %s", skipWhy)
		}
		t.Skip(skipWhy)
	}
}

// baseIDs keeps each test's Envoy apart from every other Envoy here: the
// hot-restart shared memory and domain sockets are named after it.
var baseIDs atomic.Int32

func nextBaseID() int { return 4000 + os.Getpid()%1000*10 + int(baseIDs.Add(1)) }

// project is a project-like directory: the bootstrap in envoy/, and the
// ports its Envoy uses.
type project struct {
	dir, config             string
	adminPort, listenerPort int
}

func newProject(t *testing.T) *project {
	t.Helper()
	p := &project{dir: t.TempDir(), adminPort: envoytest.FreePort(t), listenerPort: envoytest.FreePort(t)}
	if err := os.MkdirAll(filepath.Join(p.dir, "envoy"), 0o755); err != nil {
		t.Fatal(err)
	}
	p.config = filepath.Join(p.dir, "envoy", "envoy.yaml")
	writeInPlace(t, p.config, p.body("v0"))
	return p
}

// body is a config whose listener answers "cluster NAME" with the serving
// epoch in x-epoch (RESTART_EPOCH, which run sets).
func (p *project) body(cluster string, extraListeners ...int) string {
	return envoytest.Config(p.adminPort, cluster, append([]int{p.listenerPort}, extraListeners...)...)
}

// writeInPlace saves as most editors do: truncate and write the same file.
func writeInPlace(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// saveByRename saves as JetBrains' safe write or `sed -i` do: a new file
// renamed over the old one.
func saveByRename(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	writeInPlace(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// running is one `envoy-reloader run --log-format json`: its events, and
// Envoy's lines (on its stderr).
type running struct {
	cmd    *exec.Cmd
	events <-chan map[string]any
	mu     sync.Mutex
	stderr strings.Builder
	exited chan struct{}
}

// startRun runs `envoy-reloader run` in p.dir on p's bootstrap and waits
// until it watches; envoyArgs are more of Envoy's flags.
func startRun(t *testing.T, p *project, runArgs []string, envoyArgs ...string) *running {
	t.Helper()
	args := append([]string{"run", "--log-format", "json", "--debounce", "50ms", "--envoy-log", "info"}, runArgs...)
	args = append(args, "--", envoyBin, "-c", "envoy/envoy.yaml", "--base-id", strconv.Itoa(nextBaseID()),
		"--concurrency", "1")
	if len(envoyArgs) == 0 {
		envoyArgs = []string{"--drain-time-s", "1", "--parent-shutdown-time-s", "2"}
	}
	return startRunArgs(t, p, append(args, envoyArgs...))
}

// startRunArgs runs the reloader with args in p.dir and waits until it
// watches.
func startRunArgs(t *testing.T, p *project, args []string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(reloaderBin, args...), exited: make(chan struct{})}
	r.cmd.Dir = p.dir
	stdout, err := r.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.events = envoytest.Events(stdout, func(line string) { t.Errorf("not a JSON line on stdout: %q", line) })
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			r.mu.Lock()
			r.stderr.WriteString(sc.Text() + "\n")
			r.mu.Unlock()
		}
		_ = r.cmd.Wait()
		close(r.exited)
	}()
	t.Cleanup(func() {
		_ = r.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-r.exited:
		case <-time.After(20 * time.Second):
			_ = r.cmd.Process.Kill()
			<-r.exited
		}
		if t.Failed() {
			t.Logf("run's stderr:\n%s", r.log())
		}
	})
	r.wait(t, "live")
	r.wait(t, "watching")
	return r
}

func (r *running) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stderr.String()
}

// wait returns the next event named event.
func (r *running) wait(t *testing.T, event string) map[string]any {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-r.events:
			if !ok {
				t.Fatalf("run exited before a %q event:\n%s", event, r.log())
			}
			if m["event"] == event {
				return m
			}
		case <-timeout:
			t.Fatalf("no %q event in 30s:\n%s", event, r.log())
		}
	}
}

// serve asks the listener for its body and the epoch that served it, on
// a fresh connection.
func (p *project) serve(t *testing.T) (body, epoch string) {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + strconv.Itoa(p.listenerPort) + "/")
	if err != nil {
		t.Fatalf("the listener does not serve: %v", err)
	}
	defer resp.Body.Close()
	b := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(b)
	return b.String(), resp.Header.Get(envoytest.EpochHeader)
}

// envoyPIDs are the Envoy processes run has started and not yet reaped:
// its children, from /proc.
func envoyPIDs(t *testing.T, pid int) []int {
	t.Helper()
	tasks, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(field)
			if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", n)); filepath.Base(exe) == "envoy" {
				pids = append(pids, n)
			}
		}
	}
	return pids
}

// alive reports whether pid is a process that has not exited (a zombie
// waiting for its reaper has).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] != "Z" && fields[0] != "X"
}

// awaitGone waits for every pid to exit, bounded.
func awaitGone(t *testing.T, pids []int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for _, pid := range pids {
		for alive(pid) {
			if time.Now().After(deadline) {
				t.Fatalf("Envoy process %d is still running %s after the reloader ended", pid, within)
			}
			// The process is not ours to wait for: its reaper is init.
			time.Sleep(10 * time.Millisecond)
		}
	}
}
