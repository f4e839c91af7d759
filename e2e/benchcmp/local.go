package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// localRun is `envoy-reloader run` on the real Envoy binary (build/envoy),
// no Docker: the reloader is the hot restarter. Envoy's own work in each
// save is read from the run's output: the validate it ran (the event's
// envoy_validate_ms), and the new epoch's exec (the supervisor's "forking
// and execing" line) to its "starting main dispatch loop".
type localRun struct {
	dir, config     string
	admin, listener int
	cmd             *exec.Cmd
	events          <-chan map[string]any
	epoch, version  int

	mu    sync.Mutex
	lines []string // the run's stderr: its own lines and Envoy's

	overheads map[string][]float64 // by save kind: beyond the wait and Envoy's work
	validate  map[string][]float64 // Envoy's validate, the whole run of it
	execLive  map[string][]float64 // Envoy's exec → LIVE
	phases    map[string]map[string][]float64
}

func startLocalRun() (*localRun, error) {
	envoy, err := filepath.Abs("build/envoy")
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(envoy); err != nil {
		return nil, fmt.Errorf("no real Envoy at build/envoy (make envoy): %w", err)
	}
	dir, err := os.MkdirTemp("", "benchcmp-run-")
	if err != nil {
		return nil, err
	}
	liveMu.Lock()
	liveDir[dir] = true
	liveMu.Unlock()
	admin, listener, err := freePorts()
	if err != nil {
		return nil, err
	}
	l := &localRun{dir: dir, config: filepath.Join(dir, "envoy.yaml"), admin: admin, listener: listener,
		overheads: map[string][]float64{}, validate: map[string][]float64{}, execLive: map[string][]float64{},
		phases: map[string]map[string][]float64{"in place": {}, "rename": {}}}
	if err := os.WriteFile(l.config, []byte(envoytest.Config(admin, "v0", listener)), 0o644); err != nil {
		return nil, err
	}
	l.cmd = exec.Command("bin/envoy-reloader", "run", "--log-format", "json", "--envoy-log", "info",
		"--debounce", debounce.String(), "--", envoy, "-c", l.config, "--base-id", strconv.Itoa(900+os.Getpid()%90),
		"--concurrency", "1", "--drain-time-s", "1", "--parent-shutdown-time-s", "2", "--drain-strategy", "immediate")
	l.cmd.Dir, _ = os.Getwd()
	stdout, err := l.cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := l.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := l.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start bin/envoy-reloader (make build first): %w", err)
	}
	liveMu.Lock()
	liveCmd[l.cmd] = true
	liveMu.Unlock()
	l.events = envoytest.Events(stdout, nil)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			l.mu.Lock()
			l.lines = append(l.lines, sc.Text())
			l.mu.Unlock()
		}
	}()
	if _, err := l.waitEvent("watching", 60*time.Second); err != nil {
		return nil, err
	}
	return l, nil
}

func freePorts() (int, int, error) {
	var ports []int
	for range 2 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, 0, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports[0], ports[1], nil
}

func (l *localRun) stop() {
	_ = l.cmd.Process.Signal(os.Interrupt)
	_ = l.cmd.Wait()
}

func (l *localRun) waitEvent(event string, timeout time.Duration) (map[string]any, error) {
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-l.events:
			if !ok {
				return nil, fmt.Errorf("envoy-reloader run exited:\n%s", l.tail())
			}
			if m["event"] == event {
				return m, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no %s event from envoy-reloader run in %s", event, timeout)
		}
	}
}

func (l *localRun) tail() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines[max(0, len(l.lines)-20):], "\n")
}

// save writes the next version, in place or by rename, and returns the
// time to its confirmation; it records Envoy's own work in it and the
// reloader's overhead beyond that and the watcher's wait.
func (l *localRun) save(rename bool) (time.Duration, error) {
	l.epoch++
	l.version++
	kind, wait := "in place", debounce
	if rename {
		kind, wait = "rename", settle
	}
	content := []byte(envoytest.Config(l.admin, fmt.Sprintf("v%d", l.version), l.listener))
	tmp := l.config + ".tmp"
	if rename {
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return 0, err
		}
	}
	written := time.Now()
	if rename {
		if err := os.Rename(tmp, l.config); err != nil {
			return 0, err
		}
	} else if err := os.WriteFile(l.config, content, 0o644); err != nil {
		return 0, err
	}
	ev, err := l.waitEvent("reload", 30*time.Second)
	if err != nil {
		return 0, err
	}
	total := time.Since(written)
	if ev["result"] != "ok" || int(ev["epoch"].(float64)) != l.epoch {
		return 0, fmt.Errorf("run's reload %v", ev)
	}
	execLive, err := l.execToLive(l.epoch)
	if err != nil {
		return 0, err
	}
	validate, _ := ev["envoy_validate_ms"].(float64)
	for _, k := range phaseKeys {
		v, _ := ev[k].(float64)
		l.phases[kind][k] = append(l.phases[kind][k], v)
	}
	// In place, Envoy's validate ran ahead inside the debounce: only what
	// was left of it (envoy_validate_ms) adds to the wait.
	overhead := float64((total-wait-execLive).Microseconds())/1000 - validate
	l.overheads[kind] = append(l.overheads[kind], overhead)
	l.validate[kind] = append(l.validate[kind], validate)
	l.execLive[kind] = append(l.execLive[kind], float64(execLive.Microseconds())/1000)
	return total, nil
}

var stamped = regexp.MustCompile(`\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]`)

// execToLive reads the epoch's exec and its "starting main dispatch loop"
// (Envoy's run(), once LIVE) from the run's lines; both are stamped in
// Envoy's format, in local time.
func (l *localRun) execToLive(epoch int) (time.Duration, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		lines := append([]string(nil), l.lines...)
		l.mu.Unlock()
		var begin time.Time
		for _, line := range lines {
			m := stamped.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			t, _ := time.ParseInLocation("2006-01-02 15:04:05.000", m[1], time.Local)
			switch {
			case strings.HasPrefix(line, "[run] ") && strings.Contains(line, fmt.Sprintf("new child process at epoch %d", epoch)):
				begin = t
			case !begin.IsZero() && strings.HasPrefix(line, fmt.Sprintf("[epoch %d] ", epoch)) && strings.Contains(line, "starting main dispatch loop"):
				return t.Sub(begin), nil
			}
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("no exec → dispatch loop of epoch %d in run's output", epoch)
		}
		time.Sleep(10 * time.Millisecond) // the line may still be on its way through the pipe
	}
}

func (l *localRun) dropWarmUp() {
	for _, m := range []map[string][]float64{l.overheads, l.validate, l.execLive, l.phases["in place"], l.phases["rename"]} {
		clear(m)
	}
}

// localRow is run's figures in the report.
type localRow struct {
	InPlaceMedian   float64            `json:"run_in_place_median_ms"`
	RenameMedian    float64            `json:"run_rename_median_ms"`
	InPlaceOverhead float64            `json:"run_in_place_overhead_median_ms"`
	RenameOverhead  float64            `json:"run_rename_overhead_median_ms"`
	EnvoyValidate   map[string]float64 `json:"run_envoy_validate_median_ms"`
	EnvoyExecLive   map[string]float64 `json:"run_envoy_exec_to_live_median_ms"`
	Phases          map[string]map[string]float64
	DockerRatio     float64 `json:"docker_restart_to_run_rename_ratio"`
}

func (l *localRun) row(times map[string][]float64, dockerRestart float64) localRow {
	r := localRow{
		InPlaceMedian: median(times["run"]), RenameMedian: median(times["run_rename"]),
		InPlaceOverhead: median(l.overheads["in place"]), RenameOverhead: median(l.overheads["rename"]),
		EnvoyValidate: map[string]float64{}, EnvoyExecLive: map[string]float64{}, Phases: map[string]map[string]float64{},
	}
	for _, kind := range []string{"in place", "rename"} {
		r.EnvoyValidate[kind] = median(l.validate[kind])
		r.EnvoyExecLive[kind] = median(l.execLive[kind])
		r.Phases[kind] = map[string]float64{}
		for k, v := range l.phases[kind] {
			r.Phases[kind][k] = median(v)
		}
	}
	r.DockerRatio = dockerRestart / r.RenameMedian
	return r
}

func printLocal(r localRow) {
	fmt.Printf("\n### `envoy-reloader run`, no Docker (build/envoy)\n\n| save | confirmed, median | Envoy's validate | Envoy's exec → LIVE | overhead beyond wait and Envoy |\n|---|---|---|---|---|\n")
	fmt.Printf("| in place (debounce %s; validate ran ahead) | %s | %s left after the debounce | %s | %.1f ms |\n", debounce, ms(r.InPlaceMedian), ms(r.EnvoyValidate["in place"]), ms(r.EnvoyExecLive["in place"]), r.InPlaceOverhead)
	fmt.Printf("| by rename (settle %s) | %s | %s | %s | %.1f ms |\n", settle, ms(r.RenameMedian), ms(r.EnvoyValidate["rename"]), ms(r.EnvoyExecLive["rename"]), r.RenameOverhead)
	for _, kind := range []string{"in place", "rename"} {
		var parts []string
		for _, k := range phaseKeys {
			parts = append(parts, fmt.Sprintf("%s %.1f", k, r.Phases[kind][k]))
		}
		fmt.Printf("Phase medians, run, %s (ms): %s.\n", kind, strings.Join(parts, " · "))
	}
	fmt.Printf("Save by rename → confirmed with run: median %s; `docker restart` of the real-Envoy container takes %.1f× as long.\n", ms(r.RenameMedian), r.DockerRatio)
}
