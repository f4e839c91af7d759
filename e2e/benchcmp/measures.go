package main

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

func validate2000() float64 {
	data := []byte(large(2000, 200))
	var ts []float64
	for range 7 {
		start := time.Now()
		bootstrap.Load("large.yaml", data, bootstrap.Options{})
		ts = append(ts, float64(time.Since(start).Microseconds())/1000)
	}
	return median(ts)
}

func large(clusters, listeners int) string {
	var b strings.Builder
	ports := make([]int, listeners)
	for i := range ports {
		ports[i] = 20000 + i
	}
	b.WriteString(envoytest.Config(9901, "cluster_0", ports...))
	for c := 1; c < clusters; c++ {
		fmt.Fprintf(&b, "  - name: cluster_%d\n    connect_timeout: 1s\n    type: STRICT_DNS\n    load_assignment:\n      cluster_name: cluster_%d\n      endpoints:\n      - lb_endpoints:\n        - endpoint:\n            address:\n              socket_address: {address: backend-%d.internal, port_value: 8080}\n", c, c, c)
	}
	return b.String()
}

// idleCost runs the reloader watching one Envoy (nothing changes) and
// reads its CPU time and peak RSS from /proc.
func idleCost(d time.Duration) (cpuSeconds, rssMB float64, err error) {
	f, err := startFleet(0, severalNames[0])
	if err != nil {
		return 0, 0, err
	}
	defer f.stop()
	return f.idleCost(d)
}

// idleCost is the CPU time f's reloader spends over d while nothing
// changes, and its peak RSS.
func (f *fleet) idleCost(d time.Duration) (cpuSeconds, rssMB float64, err error) {
	pid := f.reloader.Process.Pid
	before, err := cpuOf(pid)
	if err != nil {
		return 0, 0, err
	}
	fmt.Fprintf(os.Stderr, "idle: watching %d Envoy(s) for %s\n", len(f.envoys), d)
	time.Sleep(d) // the idle period being measured
	after, err := cpuOf(pid)
	if err != nil {
		return 0, 0, err
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	m := regexp.MustCompile(`VmHWM:\s+(\d+) kB`).FindSubmatch(status)
	if m == nil {
		return 0, 0, fmt.Errorf("no VmHWM")
	}
	kb, _ := strconv.Atoi(string(m[1]))
	return after - before, float64(kb) / 1024, nil
}

func cpuOf(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+2:]))
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return float64(utime+stime) / 100, nil // clock ticks (USER_HZ = 100)
}

// burst writes 100 versions in 2 s and counts the reloads until the last
// version is confirmed.
func burst() (int, float64, error) {
	f, err := startFleet(0, severalNames[0])
	if err != nil {
		return 0, 0, err
	}
	defer f.stop()
	b := f.envoys[0]
	start := time.Now()
	for i := 1; i <= 100; i++ {
		if err := os.WriteFile(b.config, []byte(config(fmt.Sprintf("burst%d", i))), 0o644); err != nil {
			return 0, 0, err
		}
		time.Sleep(20 * time.Millisecond) // the pace of the burst under test
	}
	lastWrite := time.Now()
	reloads := 0
	var lastAttempt, lastConfirmed time.Time
	for {
		select {
		case ev, ok := <-b.events:
			if !ok {
				return 0, 0, fmt.Errorf("the reloader exited")
			}
			if ev["event"] != "reload" {
				continue
			}
			// An attempt whose file changed again before the signal is
			// dropped (the newer save follows); only confirmed ones count.
			if ev["result"] != "ok" {
				if ev["reason"] != "changed_since_validation" {
					return 0, 0, fmt.Errorf("burst reload %v", ev)
				}
				continue
			}
			reloads++
			lastAttempt, _ = time.Parse(time.RFC3339Nano, ev["time"].(string))
			lastConfirmed = time.Now()
		case <-time.After(2 * time.Second):
			if lastAttempt.Before(lastWrite) {
				return 0, 0, fmt.Errorf("no reload began after the last write")
			}
			return reloads, float64(lastConfirmed.Sub(start).Microseconds()) / 1000, nil
		}
	}
}
