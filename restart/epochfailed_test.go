package restart

import "testing"

func TestNewestEpochFailedReadsTheLastReport(t *testing.T) {
	forked := func(pid string) string {
		return "[..][1][INFO][core] [envoy-hot-restarter] forked new child process with PID=" + pid
	}
	exited := func(pid, code string) string {
		return "[..][1][INFO][core] [envoy-hot-restarter] PID=" + pid + " exited with code=" + code
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  bool
	}{
		{"nothing failed", []string{forked("12"), forked("30")}, false},
		{"the newest epoch failed", []string{forked("12"), forked("30"), exited("30", "1")}, true},
		{"a parent exited cleanly after", []string{forked("12"), forked("30"), exited("30", "1"), exited("12", "0")}, true},
		{"an older epoch failed, not the newest", []string{forked("12"), forked("30"), exited("12", "1")}, false},
		{"an epoch started after the failure", []string{forked("30"), exited("30", "1"), forked("31")}, false},
		{"no log", nil, false},
	} {
		if got := newestEpochFailed(tc.lines); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
