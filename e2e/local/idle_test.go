package local

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// idleWindow is how long an idle run is watched.
const idleWindow = 30 * time.Second

// TestRunIdleUsesNoCPUAndLittleMemory: with run managing a live Envoy and
// no save, the reloader uses no CPU over 30 s (not one clock tick of user
// or system time, from /proc/PID/stat) and keeps its resident memory under
// 64 MB (VmRSS). Envoy's own figures are logged beside, not judged.
func TestRunIdleUsesNoCPUAndLittleMemory(t *testing.T) {
	requireEnvoy(t)
	if testing.Short() {
		t.Skip("a 30 s measurement")
	}
	p := newProject(t)
	r := startRun(t, p, nil)
	writeInPlace(t, p.config, p.body("v1")) // one reload first: the idle state after work
	if ev := r.wait(t, "reload"); ev["result"] != "ok" {
		t.Fatalf("reload: %v", ev)
	}
	pid := r.cmd.Process.Pid
	envoys := envoyPIDs(t, pid)
	// The window opens once the old epoch has ended
	// (--parent-shutdown-time-s 2) and been reaped.
	deadline := time.Now().Add(10 * time.Second)
	for len(envoyPIDs(t, pid)) > 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the old epoch did not end: Envoy processes %v", envoyPIDs(t, pid))
		}
		time.Sleep(50 * time.Millisecond) // a child's exit has no event a test can wait on here
	}
	before := cpuTicks(t, pid)
	time.Sleep(idleWindow) // the measurement window itself
	ticks := cpuTicks(t, pid) - before
	rss := rssKB(t, pid)
	t.Logf("reloader (pid %d) over %s idle: %d clock ticks of CPU, VmRSS %d kB", pid, idleWindow, ticks, rss)
	for _, e := range envoys {
		if alive(e) {
			t.Logf("its Envoy (pid %d): VmRSS %d kB", e, rssKB(t, e))
		}
	}
	if ticks != 0 {
		t.Errorf("the idle reloader used %d clock ticks of CPU in %s, want 0", ticks, idleWindow)
	}
	if rss >= 64<<10 {
		t.Errorf("the reloader's resident memory is %d kB, want under 64 MB", rss)
	}
}

// cpuTicks is a process's user plus system time, in clock ticks
// (proc(5): fields 14 and 15 of /proc/PID/stat).
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	// fields[0] is field 3 (state): utime is field 14, stime 15.
	utime, _ := strconv.Atoi(fields[11])
	stime, _ := strconv.Atoi(fields[12])
	return utime + stime
}

func rssKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
			return n
		}
	}
	t.Fatalf("no VmRSS for %d", pid)
	return 0
}
