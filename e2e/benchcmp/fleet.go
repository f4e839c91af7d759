package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// runLabel marks every container of this run (value: runID), so that
// cleanup removes this run's containers and no other's (benches and tests
// running beside use the same image).
const runLabel = "envoy-reloader.bench.run"

var (
	runID = fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	seq   int // fleets started, for unique container names

	liveMu  sync.Mutex
	liveCmd = map[*exec.Cmd]bool{} // reloaders running
	liveDir = map[string]bool{}    // temporary directories
)

// fleet is one reloader watching stand-in containers, one bench each. One
// Envoy is the top-level form of reloader.yaml (today's, and the figures
// before #14); several are listed under envoys:.
type fleet struct {
	dir      string
	envoys   []*bench
	reloader *exec.Cmd
	events   <-chan map[string]any
}

// severalNames name the stand-ins of the several-Envoy measures (#14); the
// first is also the one Envoy of the others.
var severalNames = []string{"front", "service1", "service2"}

// startFleet starts one container per name, each with its own bootstrap
// directory and admin port, and the reloader watching them all. On error
// everything it started is removed again.
func startFleet(initDelay time.Duration, names ...string) (f *fleet, err error) {
	return startFleetOf(initDelay, false, names...)
}

// startFleetOf is startFleet; with selfValidate each container's
// restarter runs with --validate, so the reloader runs no docker exec.
func startFleetOf(initDelay time.Duration, selfValidate bool, names ...string) (f *fleet, err error) {
	dir, err := os.MkdirTemp("", "benchcmp-")
	if err != nil {
		return nil, err
	}
	track(nil, dir)
	seq++
	f = &fleet{dir: dir}
	defer func() {
		if err != nil {
			f.stop()
			f = nil
		}
	}()
	for _, name := range names {
		b := &bench{
			envoy:        name,
			name:         fmt.Sprintf("envoy-bench-%s-%d-%s", runID, seq, name),
			dir:          filepath.Join(dir, name),
			phases:       map[string][]float64{},
			renamePhases: map[string][]float64{},
			selfValidate: selfValidate,
		}
		f.envoys = append(f.envoys, b)
		if err := b.startContainer(initDelay); err != nil {
			return f, err
		}
	}
	for _, b := range f.envoys {
		if _, err := b.waitEpoch(0, time.Now().Add(30*time.Second)); err != nil {
			return f, fmt.Errorf("%s: %w", b.envoy, err)
		}
	}
	return f, f.startReloader()
}

// startContainer runs b's stand-in, its directory mounted at /etc/envoy.
func (b *bench) startContainer(initDelay time.Duration) error {
	if err := os.Mkdir(b.dir, 0o755); err != nil {
		return err
	}
	b.config = filepath.Join(b.dir, "envoy.yaml")
	if err := os.WriteFile(b.config, []byte(config("c0")), 0o644); err != nil {
		return err
	}
	// Envoy's default drain and parent-shutdown times: what the original
	// report's keep-alive client met.
	// A fixed host port: Docker picks a new ephemeral one at each restart.
	// A free port can be taken by another process (tests running beside)
	// before Docker binds it: then the run is tried again on another.
	var port int
	for attempt := 1; ; attempt++ {
		var err error
		if port, err = envoytest.PickPort(); err != nil {
			return err
		}
		args := []string{"run", "-d", "--name", b.name, "--label", "envoy-reloader.bench=1", "--label", runLabel + "=" + runID,
			"--restart", "always", "-p", fmt.Sprintf("127.0.0.1:%d:9901", port), "-v", b.dir + ":/etc/envoy"}
		if b.selfValidate {
			args = append(args, "--entrypoint", "/usr/local/bin/envoy-hot-restarter", image, "--on-child-failure=keep", "--validate", "--")
		} else {
			args = append(args, image)
		}
		args = append(args, "/usr/local/bin/envoy", "-c", "/etc/envoy/envoy.yaml", "--restart-epoch", "{{epoch}}")
		if realEnvoy {
			args = append(args, "--concurrency", "1") // its own start is the figure: no delay to model
		} else {
			args = append(args, "--init-delay", initDelay.String())
		}
		out, err := exec.Command("docker", args...).CombinedOutput()
		if err == nil {
			break
		}
		_ = exec.Command("docker", "rm", "-f", b.name).Run()
		if !strings.Contains(string(out), "address already in use") || attempt == 5 {
			return fmt.Errorf("docker run: %v: %s", err, out)
		}
	}
	b.adminURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	var err error
	b.admin, err = restart.NewAdmin(b.adminURL, time.Second)
	return err
}

// reloaderYAML is the fleet's reloader.yaml: the top-level form for one
// Envoy, else envoys: with the shared keys at the top level.
func (f *fleet) reloaderYAML() string {
	var y strings.Builder
	fmt.Fprintf(&y, "watch:\n  debounce: %s\n", debounce)
	entry := func(indent string, b *bench) {
		fmt.Fprintf(&y, "%sbootstrap: %s/envoy.yaml\n%starget:\n%s  container: %s\n%sadmin:\n%s  url: %s\n",
			indent, b.envoy, indent, indent, b.name, indent, indent, b.adminURL)
	}
	if len(f.envoys) == 1 {
		entry("", f.envoys[0])
		return y.String()
	}
	y.WriteString("envoys:\n")
	for _, b := range f.envoys {
		fmt.Fprintf(&y, "  - name: %s\n", b.envoy)
		entry("    ", b)
	}
	return y.String()
}

func (f *fleet) startReloader() error {
	file := filepath.Join(f.dir, "reloader.yaml")
	if err := os.WriteFile(file, []byte(f.reloaderYAML()), 0o644); err != nil {
		return err
	}
	f.reloader = exec.Command("bin/envoy-reloader", "--config", file, "watch", "--log-format", "json")
	stdout, err := f.reloader.StdoutPipe()
	if err != nil {
		return err
	}
	f.reloader.Stderr = os.Stderr
	if err := f.reloader.Start(); err != nil {
		f.reloader = nil
		return fmt.Errorf("start bin/envoy-reloader (make build first): %w", err)
	}
	track(f.reloader, "")
	var events io.Reader = stdout
	if os.Getenv("BENCH_DEBUG") != "" {
		events = io.TeeReader(stdout, os.Stderr)
	}
	f.events = envoytest.Events(events, nil)
	for _, b := range f.envoys {
		b.fleet = f
		b.reloader, b.events = f.reloader, f.events
	}
	// Each Envoy says it is watching; one reloader process prints them all.
	waiting := map[string]bool{}
	for _, b := range f.envoys {
		waiting[b.envoy] = true
	}
	deadline := time.After(30 * time.Second)
	for len(waiting) > 0 {
		select {
		case m, ok := <-f.events:
			if !ok {
				return fmt.Errorf("the reloader exited")
			}
			if m["event"] == "watching" {
				name, _ := m["envoy"].(string)
				if len(f.envoys) == 1 {
					name = f.envoys[0].envoy
				}
				delete(waiting, name)
			}
		case <-deadline:
			return fmt.Errorf("no watching event in 30s for %v", waiting)
		}
	}
	return nil
}

func (f *fleet) stop() {
	if f.reloader != nil {
		_ = f.reloader.Process.Kill()
		_ = f.reloader.Wait()
		untrack(f.reloader, "")
	}
	for _, b := range f.envoys {
		_ = exec.Command("docker", "rm", "-f", b.name).Run()
	}
	_ = os.RemoveAll(f.dir)
	untrack(nil, f.dir)
}

func track(cmd *exec.Cmd, dir string) {
	liveMu.Lock()
	defer liveMu.Unlock()
	if cmd != nil {
		liveCmd[cmd] = true
	}
	if dir != "" {
		liveDir[dir] = true
	}
}

func untrack(cmd *exec.Cmd, dir string) {
	liveMu.Lock()
	defer liveMu.Unlock()
	delete(liveCmd, cmd)
	delete(liveDir, dir)
}

// cleanup stops every reloader this run started and removes its
// containers (by runLabel) and directories: at the end, on failure and on
// SIGINT or SIGTERM.
func cleanup() {
	liveMu.Lock()
	defer liveMu.Unlock()
	for cmd := range liveCmd {
		_ = cmd.Process.Kill()
	}
	if out, err := exec.Command("docker", "ps", "-aq", "--filter", "label="+runLabel+"="+runID).Output(); err == nil {
		if ids := strings.Fields(string(out)); len(ids) > 0 {
			_ = exec.Command("docker", append([]string{"rm", "-f"}, ids...)...).Run()
		}
	}
	for dir := range liveDir {
		_ = os.RemoveAll(dir)
	}
}

// cleanupOnSignal removes this run's containers when it is interrupted.
func cleanupOnSignal() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		fmt.Fprintf(os.Stderr, "benchcmp: %s: removing this run's containers\n", s)
		cleanup()
		os.Exit(130)
	}()
}
