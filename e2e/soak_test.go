package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestSoak300Saves (E2E_SOAK=1, `make soak`): 300 saves, every tenth
// invalid, half by rename and half in place, each awaited: every valid
// one confirmed at the next epoch, no invalid one signalled, the
// reloader's open files flat; its resident memory growth is reported.
func TestSoak300Saves(t *testing.T) {
	if os.Getenv("E2E_SOAK") != "1" {
		t.Skip("skipping: the soak runs with E2E_SOAK=1 (make soak)")
	}
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-soak"))
		r := startReloader(t, c, "")
		pid := r.cmd.Process.Pid
		fdsBefore, rssBefore := openFiles(t, pid), residentKB(t, pid)
		epoch, hups, confirmed, invalid := 0, 0, 0, 0
		for i := 1; i <= 300; i++ {
			content := containerConfig(fmt.Sprintf("soak%d", i))
			if i%10 == 0 {
				content = strings.Replace(content, "connect_timeout", "connect_timout", 1)
			}
			if i%2 == 0 {
				saveAtomically(t, c.config, content)
			} else {
				writeFile(t, c.config, content)
			}
			ev := r.wait(t, "reload")
			switch {
			case i%10 == 0:
				if ev["result"] != "invalid" {
					t.Fatalf("save %d (invalid): %v", i, ev)
				}
				invalid++
			case ev["result"] == "invalid" && i%2 == 1:
				// An in-place save read between truncate and write: a real
				// partial save, reported as such; the whole one follows.
				ev = r.wait(t, "reload")
				fallthrough
			default:
				if ev["result"] != "ok" || int(num(ev, "epoch")) != epoch+1 {
					t.Fatalf("save %d: %v, want epoch %d", i, ev, epoch+1)
				}
				epoch++
				confirmed++
				hups++
			}
		}
		if got := c.hups(t); got != hups {
			t.Errorf("%d SIGHUPs for %d confirmed saves: an invalid save was signalled", got, hups)
		}
		fdsAfter, rssAfter := openFiles(t, pid), residentKB(t, pid)
		t.Logf("soak on %s: %d confirmed at consecutive epochs, %d invalid not signalled; open files %d -> %d; RSS %d kB -> %d kB (%+d kB)",
			kindOf(t).name, confirmed, invalid, fdsBefore, fdsAfter, rssBefore, rssAfter, rssAfter-rssBefore)
		if fdsAfter > fdsBefore+5 {
			t.Errorf("open files grew from %d to %d", fdsBefore, fdsAfter)
		}
	})
}

func openFiles(t *testing.T, pid int) int {
	t.Helper()
	entries, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func residentKB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.Atoi(f[1])
			return kb
		}
	}
	return 0
}
