package main

import (
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// The container path where envoy-hot-restarter --validate validates each
// config itself: Envoy's own work in a save is its validate (the
// restarter's verdict line, "OK (N ms)") and its exec → LIVE, both from
// the container's log.

var restarterOK = regexp.MustCompile(`validated the config for epoch (\d+): OK \((\d+) ms\)`)

// restarterValidate is the restarter's validate of epoch, from its log.
func (b *bench) restarterValidate(epoch int) (time.Duration, error) {
	out, err := exec.Command("docker", "logs", "--tail", "400", b.name).CombinedOutput()
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(out), "\n") {
		if m := restarterOK.FindStringSubmatch(l); m != nil && m[1] == strconv.Itoa(epoch) {
			n, _ := strconv.Atoi(m[2])
			return time.Duration(n) * time.Millisecond, nil
		}
	}
	return 0, fmt.Errorf("no validate verdict for epoch %d in the restarter's log", epoch)
}

// recordSelf keeps one save's figures: Envoy's validate and exec → LIVE,
// and the overhead beyond them and the watcher's wait.
func (b *bench) recordSelf(rename bool, total, wait, start time.Duration) error {
	validate, err := b.restarterValidate(b.epoch)
	if err != nil {
		return err
	}
	kind := "in place"
	if rename {
		kind = "rename"
	}
	if b.selfTimes == nil {
		b.selfTimes = map[string]map[string][]float64{}
	}
	if b.selfTimes[kind] == nil {
		b.selfTimes[kind] = map[string][]float64{}
	}
	t := b.selfTimes[kind]
	t["total"] = append(t["total"], msOf(total))
	t["validate"] = append(t["validate"], msOf(validate))
	t["exec_live"] = append(t["exec_live"], msOf(start))
	t["overhead"] = append(t["overhead"], msOf(total-wait-validate-start))
	return nil
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// selfRow is that path's figures in the report.
type selfRow struct {
	Medians     map[string]map[string]float64 `json:"medians_ms"` // by save kind: total, validate, exec_live, overhead
	DockerRatio float64                       `json:"docker_restart_to_rename_ratio"`
}

func (b *bench) selfRow(_ map[string][]float64, dockerRestart float64) selfRow {
	r := selfRow{Medians: map[string]map[string]float64{}}
	for kind, t := range b.selfTimes {
		r.Medians[kind] = map[string]float64{}
		for k, v := range t {
			r.Medians[kind][k] = median(v)
		}
	}
	r.DockerRatio = dockerRestart / r.Medians["rename"]["total"]
	return r
}

func printSelf(r selfRow) {
	fmt.Printf("\n### A container whose restarter validates (envoy-hot-restarter --validate, no docker exec)\n\n| save | confirmed, median | Envoy's validate (in the restarter) | Envoy's exec → LIVE | overhead beyond wait and Envoy |\n|---|---|---|---|---|\n")
	for _, kind := range []struct{ key, name string }{{"in place", fmt.Sprintf("in place (debounce %s)", debounce)}, {"rename", fmt.Sprintf("by rename (settle %s)", settle)}} {
		m := r.Medians[kind.key]
		fmt.Printf("| %s | %s | %s | %s | %.1f ms |\n", kind.name, ms(m["total"]), ms(m["validate"]), ms(m["exec_live"]), m["overhead"])
	}
	fmt.Printf("Save by rename → confirmed: `docker restart` takes %.1f× as long.\n", r.DockerRatio)
}
