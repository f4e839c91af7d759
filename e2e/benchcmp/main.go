// Command benchcmp measures, in one run on one machine and one stand-in Envoy
// container, how long a developer waits after a change with each way of
// reloading Envoy: envoy-reloader watching, a keep-alive client polling after a
// SIGHUP (the original report), `docker restart`, and /quitquitquit with a
// restart policy. Then, with three stand-ins watched by one reloader
// (envoys: in reloader.yaml), the reloader's idle cost and one Envoy's
// save → confirmed, beside the one-Envoy figures. With -envoy real it also
// runs `envoy-reloader run` on build/envoy, no Docker (local.go), beside the
// container paths. It prints markdown tables and writes bench-results.json.
//
// Run by `make bench` after `make build image-standin`; it needs Docker.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// image is the stand-in image to run (-image): `make bench` passes the tag
// it built, so a bench in one checkout never runs another checkout's image.
var image = "envoy-reloader-standin:dev"

// realEnvoy says the image runs the real Envoy (-envoy real, make image-envoy):
// its own start-up is measured, not modelled with --init-delay.
var realEnvoy bool

const (
	debounce = 150 * time.Millisecond
	settle   = 15 * time.Millisecond
	// keepAliveCap bounds one keep-alive measurement; reaching it makes the
	// figure a lower bound.
	keepAliveCap = 60 * time.Second
)

// skipped are the methods -skip leaves out.
var skipped []string

type method struct {
	name string
	key  string
	run  func(b *bench) (time.Duration, error)
}

// rowSet is one init delay's figures.
type rowSet struct {
	InitDelayMs        int                `json:"init_delay_ms"`
	ReloaderMedian     float64            `json:"reloader_median_ms"`
	ReloaderOverhead   float64            `json:"reloader_overhead_median_ms"`
	ReloaderNoEnvoyVal float64            `json:"reloader_without_envoy_validate_overhead_median_ms"`
	RenameNoEnvoyVal   float64            `json:"reloader_rename_without_envoy_validate_overhead_median_ms"`
	KeepAliveMedian    float64            `json:"keepalive_client_median_ms"`
	KeepAliveCapped    int                `json:"keepalive_client_capped_runs"`
	DockerRestart      float64            `json:"docker_restart_median_ms"`
	Quitquitquit       float64            `json:"quitquitquit_median_ms"`
	ReloaderPhases     map[string]float64 `json:"reloader_phase_medians_ms"`
	RenameMedian       float64            `json:"reloader_rename_save_median_ms"`
	RenamePhases       map[string]float64 `json:"reloader_rename_save_phase_medians_ms"`
	RenameRatio        float64            `json:"docker_restart_to_rename_save_ratio"`
	// Local is `envoy-reloader run` beside the container paths (-envoy real).
	Local *localRow `json:"run,omitempty"`
	// Self is a container whose restarter validates (-envoy real).
	Self  *selfRow `json:"restarter_validates,omitempty"`
	table [][]string
}

type results struct {
	Machine          string   `json:"machine"`
	Runs             int      `json:"runs"`
	RowSets          []rowSet `json:"row_sets"`
	Validate2000     float64  `json:"validate_2000_clusters_ms"`
	IdleCPUSeconds   float64  `json:"idle_cpu_seconds_30s"` // over -idle, 30 s unless changed
	IdleSeconds      float64  `json:"idle_seconds"`
	IdleRSSMB        float64  `json:"idle_rss_mb"`
	BurstReloads     int      `json:"burst_reloads"`
	BurstConfirmedMs float64  `json:"burst_final_confirmed_ms"`
	Several          several  `json:"several_envoys"`
}

func main() {
	runs := flag.Int("n", 15, "runs of each method")
	idle := flag.Duration("idle", 30*time.Second, "idle period measured")
	out := flag.String("o", "bench-results.json", "results file")
	flag.StringVar(&image, "image", image, "the Envoy image (make image-standin, or make image-envoy with -envoy real)")
	kind := flag.String("envoy", "standin", "the image's Envoy: standin or real")
	skip := flag.String("skip", "", "methods left out, by key, comma-separated (keepalive,quitquitquit: the slow ones)")
	flag.Parse()
	skipped = strings.Split(*skip, ",")
	realEnvoy = *kind == "real"
	if err := exec.Command("docker", "info").Run(); err != nil {
		fmt.Fprintln(os.Stderr, "benchcmp: SKIPPED: no Docker daemon answers; the side-by-side comparison needs one")
		os.Exit(1)
	}
	cleanupOnSignal()
	defer cleanup()
	res := results{Machine: machine(), Runs: *runs}
	delays := []time.Duration{0, 500 * time.Millisecond}
	if realEnvoy {
		delays = delays[:1]
	}
	for _, delay := range delays {
		rs, err := measureRowSet(delay, *runs)
		if err != nil {
			fail(err)
		}
		res.RowSets = append(res.RowSets, rs)
	}
	if realEnvoy {
		// The real Envoy's row set is the figure; the rest is the reloader's own.
		printReport(res)
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
			fail(err)
		}
		fmt.Printf("\nwrote %s\n", *out)
		return
	}
	res.Validate2000 = validate2000()
	res.IdleSeconds = idle.Seconds()
	var err error
	if res.IdleCPUSeconds, res.IdleRSSMB, err = idleCost(*idle); err != nil {
		fail(err)
	}
	if res.Several, err = measureSeveral(severalNames, *runs, *idle); err != nil {
		fail(err)
	}
	if res.BurstReloads, res.BurstConfirmedMs, err = burst(); err != nil {
		fail(err)
	}
	printReport(res)
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		fail(err)
	}
	fmt.Printf("\nwrote %s\n", *out)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "benchcmp:", err)
	cleanup()
	os.Exit(1)
}

func machine() string {
	cpu := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		if m := regexp.MustCompile(`model name\s*:\s*(.*)`).FindSubmatch(b); m != nil {
			cpu = string(m[1])
		}
	}
	return fmt.Sprintf("%d vCPU %s, %s", runtime.NumCPU(), strings.TrimSpace(cpu), runtime.Version())
}

// bench is one stand-in container, watched by its fleet's reloader.
type bench struct {
	envoy             string // its name in reloader.yaml
	name, dir, config string // container, bootstrap directory and file
	fleet             *fleet
	adminURL          string
	admin             *restart.Admin
	epoch             int
	version           int // content version: every write differs
	reloader          *exec.Cmd
	events            <-chan map[string]any
	phases            map[string][]float64
	renamePhases      map[string][]float64
	overheads         []float64
	noValOverheads    []float64
	// renameNoValOverheads: by rename, beyond the settle, the container's
	// validate and Envoy's start.
	renameNoValOverheads []float64
	capped               int
	// selfValidate: the container's restarter validates (--validate);
	// its validate and exec → LIVE times are kept per save kind.
	selfValidate bool
	selfTimes    map[string]map[string][]float64
}

func measureRowSet(initDelay time.Duration, runs int) (rowSet, error) {
	f, err := startFleet(initDelay, severalNames[0])
	if err != nil {
		return rowSet{}, err
	}
	defer f.stop()
	b := f.envoys[0]
	methods := []method{
		{"envoy-reloader (watch), save in place", "reloader", (*bench).viaReloader},
		{"envoy-reloader (watch), save by rename", "reloader_rename", (*bench).viaReloaderRename},
		{"keep-alive client after SIGHUP", "keepalive", (*bench).viaKeepAlive},
		{"docker restart", "docker_restart", (*bench).viaDockerRestart},
		{"/quitquitquit + restart: always", "quitquitquit", (*bench).viaQuitquitquit},
	}
	var local *localRun
	var self *bench
	if realEnvoy {
		f2, err := startFleetOf(initDelay, true, "self")
		if err != nil {
			return rowSet{}, err
		}
		defer f2.stop()
		self = f2.envoys[0]
		methods = append(methods,
			method{"envoy-reloader (watch), restarter --validate (no exec), save in place", "self", func(*bench) (time.Duration, error) { return self.viaReloader() }},
			method{"envoy-reloader (watch), restarter --validate (no exec), save by rename", "self_rename", func(*bench) (time.Duration, error) { return self.viaReloaderRename() }})
		if local, err = startLocalRun(); err != nil {
			return rowSet{}, err
		}
		defer local.stop()
		methods = append(methods,
			method{"envoy-reloader run (no Docker), save in place", "run", func(*bench) (time.Duration, error) { return local.save(false) }},
			method{"envoy-reloader run (no Docker), save by rename", "run_rename", func(*bench) (time.Duration, error) { return local.save(true) }})
	}
	methods = slices.DeleteFunc(methods, func(m method) bool { return slices.Contains(skipped, m.key) })
	times := map[string][]float64{}
	// A warm-up of each, then the methods alternate, so drift hits all alike.
	for i := -1; i < runs; i++ {
		for _, m := range methods {
			d, err := m.run(b)
			if err != nil {
				return rowSet{}, fmt.Errorf("%s: %w", m.name, err)
			}
			if i >= 0 {
				times[m.key] = append(times[m.key], float64(d.Microseconds())/1000)
			}
		}
		if i < 0 {
			b.dropWarmUp()
			if local != nil {
				local.dropWarmUp()
				self.dropWarmUp()
			}
		}
		fmt.Fprintf(os.Stderr, "init delay %s: round %d of %d done\n", initDelay, i+1, runs)
	}
	rs := rowSet{
		InitDelayMs:        int(initDelay.Milliseconds()),
		ReloaderMedian:     median(times["reloader"]),
		ReloaderOverhead:   median(b.overheads),
		ReloaderNoEnvoyVal: median(b.noValOverheads),
		RenameNoEnvoyVal:   median(b.renameNoValOverheads),
		KeepAliveMedian:    median(times["keepalive"]),
		KeepAliveCapped:    b.capped,
		DockerRestart:      median(times["docker_restart"]),
		Quitquitquit:       median(times["quitquitquit"]),
		ReloaderPhases:     map[string]float64{},
		RenameMedian:       median(times["reloader_rename"]),
		RenamePhases:       map[string]float64{},
	}
	rs.RenameRatio = rs.DockerRestart / rs.RenameMedian
	if local != nil {
		row := local.row(times, rs.DockerRestart)
		rs.Local = &row
		srow := self.selfRow(times, rs.DockerRestart)
		rs.Self = &srow
	}
	for k, v := range b.phases {
		rs.ReloaderPhases[k] = median(v)
	}
	for k, v := range b.renamePhases {
		rs.RenamePhases[k] = median(v)
	}
	for _, m := range methods {
		ts := times[m.key]
		med := median(ts)
		name := m.name
		if m.key == "keepalive" && b.capped > 0 {
			name += fmt.Sprintf(" (%d runs hit the %s cap: lower bound)", b.capped, keepAliveCap)
		}
		rs.table = append(rs.table, []string{name, ms(med), ms(slices.Min(ts)), ms(slices.Max(ts)),
			fmt.Sprintf("%.1f×", med/rs.ReloaderMedian)})
	}
	return rs, nil
}

func (b *bench) waitEvent(event string, timeout time.Duration) (map[string]any, error) {
	deadline := time.After(timeout)
	for {
		select {
		case m, ok := <-b.events:
			if !ok {
				return nil, fmt.Errorf("the reloader exited")
			}
			// Several Envoys watched: only b's are saved, so another's
			// reload is a fault (and would skew b's timing).
			if name, _ := m["envoy"].(string); len(b.fleet.envoys) > 1 && name != b.envoy {
				if m["event"] == "reload" {
					return nil, fmt.Errorf("%s reloaded, though only %s changed: %v", name, b.envoy, m)
				}
				continue
			}
			if m["event"] == event {
				return m, nil
			}
		case <-deadline:
			return nil, fmt.Errorf("no %s event in %s", event, timeout)
		}
	}
}

// waitEpoch polls fresh connections until epoch is LIVE.
func (b *bench) waitEpoch(epoch int, deadline time.Time) (time.Time, error) {
	for {
		info, err := b.admin.ServerInfo(context.Background())
		if err == nil && int(restart.Epoch(info)) == epoch && info.GetState().String() == "LIVE" {
			return time.Now(), nil
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("epoch %d never LIVE (last %v)", epoch, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func config(cluster string) string {
	return strings.ReplaceAll(envoytest.Config(9901, cluster, 10000), "127.0.0.1", "0.0.0.0")
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.2f s", v/1000)
	}
	return fmt.Sprintf("%.0f ms", v)
}

func printReport(r results) {
	fmt.Printf("## Reload methods side by side\n\n%s; %d runs each, alternating, after a warm-up; %s in Docker.\n", r.Machine, r.Runs, envoyName())
	for _, rs := range r.RowSets {
		heading := fmt.Sprintf("stand-in start-up delay %d ms", rs.InitDelayMs)
		if realEnvoy {
			heading = "the real Envoy, its own start-up"
		}
		fmt.Printf("\n### %s\n\n| method | median | min | max | ratio to envoy-reloader |\n|---|---|---|---|---|\n", heading)
		for _, row := range rs.table {
			fmt.Printf("| %s |\n", strings.Join(row, " | "))
		}
		fmt.Printf("\nenvoy-reloader overhead beyond debounce (%s) and Envoy's own start (exec to 'starting main dispatch loop', from its log): median %.1f ms (%.1f ms without the container's `envoy --mode validate`).\n",
			debounce, rs.ReloaderOverhead, rs.ReloaderNoEnvoyVal)
		fmt.Printf("By rename, beyond the settle (%s), the container's `envoy --mode validate` and Envoy's own start: median %.1f ms.\n", settle, rs.RenameNoEnvoyVal)
		for _, kind := range []struct {
			name   string
			phases map[string]float64
		}{{"save in place", rs.ReloaderPhases}, {"save by rename", rs.RenamePhases}} {
			var parts []string
			for _, k := range phaseKeys {
				parts = append(parts, fmt.Sprintf("%s %.1f", k, kind.phases[k]))
			}
			fmt.Printf("Phase medians, %s (ms): %s.\n", kind.name, strings.Join(parts, " · "))
		}
		fmt.Printf("Save by rename → confirmed: median %.0f ms; `docker restart` takes %.1f× as long.\n", rs.RenameMedian, rs.RenameRatio)
		if rs.Local != nil {
			printLocal(*rs.Local)
		}
		if rs.Self != nil {
			printSelf(*rs.Self)
		}
	}
	if realEnvoy {
		return // the rest measures the reloader alone, with the stand-in
	}
	fmt.Printf("\n| other measure | result |\n|---|---|\n")
	fmt.Printf("| validate 2,000 clusters + 200 listeners | %.0f ms |\n", r.Validate2000)
	fmt.Printf("| idle `envoy-reloader watch`, %.0f s | %.3f CPU-seconds, peak RSS %.1f MB |\n", r.IdleSeconds, r.IdleCPUSeconds, r.IdleRSSMB)
	fmt.Printf("| burst: 100 writes in 2 s | %d reloads, last version confirmed %.0f ms after the first write |\n", r.BurstReloads, r.BurstConfirmedMs)
	printSeveral(r)
}

// phaseKeys are the reload event's phase fields, in pipeline order.
var phaseKeys = []string{"validate_ms", "envoy_validate_ms", "reach_ms", "signal_ms", "confirm_ms", "loaded_ms", "total_ms"}

func envoyName() string {
	if realEnvoy {
		return "the real Envoy 1.40.0 (make image-envoy)"
	}
	return "stand-in Envoy"
}
