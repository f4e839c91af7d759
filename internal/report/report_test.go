package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func ms(v float64) *float64  { return &v }
func epoch(v uint32) *uint32 { return &v }

var at = time.Date(2026, 11, 24, 14, 2, 11, 0, time.UTC)

var goldenEvents = map[string]reload.Event{
	"start_valid": {Event: "start", Time: at, Result: reload.ResultOK, Files: []string{"envoy.yaml"}, ValidateMs: ms(4.2), TotalMs: 4.2},
	"ok": {Event: "reload", Time: at, Result: reload.ResultOK, Files: []string{"envoy.yaml"},
		ValidateMs: ms(4), EnvoyValidateMs: ms(61.3), SignalMs: ms(6), ConfirmMs: ms(12), TotalMs: 212,
		PreviousEpoch: epoch(2), Epoch: epoch(3), Changes: []string{"+cluster backend-v2", "~listener ingress"}},
	"ok_with_warning": {Event: "reload", Time: at, Result: reload.ResultOK, Files: []string{"envoy.yaml", "certs/server.pem"},
		ValidateMs: ms(3), SignalMs: ms(5), ConfirmMs: ms(1300), TotalMs: 1310, Epoch: epoch(4),
		Warnings: []string{"epoch 3 was live only 2s, inside its parent's drain window (600s): this restart ended epoch 2 early and cut its connections (envoyproxy/envoy#15099)"}},
	"dry_run": {Event: "reload", Time: at, Result: reload.ResultDryRun, Files: []string{"envoy.yaml"}, ValidateMs: ms(0.7), TotalMs: 0.8,
		Diagnostics: []bootstrap.Diagnostic{{File: "envoy.yaml", Line: 1, Col: 1, Severity: bootstrap.SeverityWarning, Message: "no admin address"}}},
	"invalid": {Event: "reload", Time: at, Result: reload.ResultInvalid, Files: []string{"envoy.yaml"}, ValidateMs: ms(1.1), TotalMs: 1.1,
		Diagnostics: []bootstrap.Diagnostic{
			{File: "envoy.yaml", Line: 28, Col: 5, Severity: bootstrap.SeverityError, Message: `unknown field "connect_timout" in envoy.config.cluster.v3.Cluster; did you mean "connect_timeout"?`},
			{File: "envoy.yaml", Line: 36, Col: 64, Severity: bootstrap.SeverityError, Message: "port_value: value must be less than or equal to 65535"},
		}},
	"rejected_by_envoy": {Event: "reload", Time: at, Result: reload.ResultInvalid, Files: []string{"envoy.yaml"}, ValidateMs: ms(1), EnvoyValidateMs: ms(70), TotalMs: 72,
		Error:    "the Envoy in container envoy rejects the config (envoy --mode validate)",
		EnvoyLog: []string{"[2026-11-24 14:02:11.100][1][critical][main] [source/server/config_validation/server.cc:65] error initializing configuration '/etc/envoy/envoy.yaml': Didn't find a registered implementation for 'envoy.filters.network.mysql_proxy' with type URL: 'envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy'"}},
	"stale": {Event: "reload", Time: at, Result: reload.ResultStale, Files: []string{"envoy.yaml"}, ValidateMs: ms(1), ReachMs: ms(0.3), TotalMs: 1.4,
		Error: (&restart.StaleError{Target: "container envoy", EnvoyPath: "/etc/envoy/envoy.yaml", HostPath: "/home/dev/proj/envoy.yaml",
			Mount: "/home/dev/proj/envoy.yaml:/etc/envoy/envoy.yaml", Evidence: "read in the container's mount namespace, its bytes differ from the saved ones"}).Error(),
		Hint: "editors that save in place keep a single-file mount working: vim `set backupcopy=yes`"},
	"failed": {Event: "reload", Time: at, Result: reload.ResultFailed, Files: []string{"envoy.yaml"}, ValidateMs: ms(1), SignalMs: ms(7), ConfirmMs: ms(400), TotalMs: 410, PreviousEpoch: epoch(1),
		Error: "Envoy did not take the new config: the new epoch exited with code 1",
		Hint:  "the new epoch could not bind the admin address, so it did not hot-restart from the running Envoy",
		EnvoyLog: []string{
			"[2026-11-24 14:02:11.300][9][critical][main] [source/server/server.cc:94] error initializing configuration '/etc/envoy/envoy.yaml': cannot bind '0.0.0.0:9901': Address already in use",
			"[2026-11-24 14:02:11.301][1][INFO][core] [envoy-hot-restarter] PID=9 exited with code=1",
		}},
}

func TestGoldenText(t *testing.T) {
	for name, ev := range goldenEvents {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			(&Printer{W: &buf, Format: Text}).Event(ev)
			golden := filepath.Join("testdata", name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("got:\n%s\nwant:\n%s", buf.String(), want)
			}
		})
	}
}

func TestColorOnlyWhenAsked(t *testing.T) {
	var plain, colored bytes.Buffer
	(&Printer{W: &plain, Format: Text}).Event(goldenEvents["failed"])
	(&Printer{W: &colored, Format: Text, Color: true}).Event(goldenEvents["failed"])
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) || !bytes.Contains(colored.Bytes(), []byte(red+"✗ failed")) {
		t.Errorf("plain %q\ncolored %q", plain.String(), colored.String())
	}
	if NewPrinter(&plain, Text).Color {
		t.Error("colour for a buffer, which is no terminal")
	}
}

// Colour only for text on a terminal, and never with a non-empty NO_COLOR
// (https://no-color.org).
func TestColorRule(t *testing.T) {
	tests := []struct {
		format   Format
		terminal bool
		noColor  string
		want     bool
	}{
		{Text, true, "", true},
		{Text, true, "1", false},
		{Text, true, "0", false}, // any non-empty value
		{Text, false, "", false},
		{JSON, true, "", false},
	}
	for _, tt := range tests {
		if got := useColor(tt.format, tt.terminal, tt.noColor); got != tt.want {
			t.Errorf("format %s, terminal %v, NO_COLOR %q: colour %v, want %v", tt.format, tt.terminal, tt.noColor, got, tt.want)
		}
	}
}

// check's summary: the totals, and each file when there are several.
func TestSummary(t *testing.T) {
	tests := []struct {
		name  string
		files []Checked
		want  string
	}{
		{"one file", []Checked{{"a.yaml", 2, 1}}, "checked 1 file: 2 errors, 1 warning\n"},
		{"several name each", []Checked{{"a.yaml", 0, 0}, {"b/b.yaml", 1, 3}},
			"checked 2 files: 1 error, 3 warnings\n  a.yaml: 0 errors, 0 warnings\n  b/b.yaml: 1 error, 3 warnings\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			(&Printer{W: &b, Format: Text}).Summary(tt.files)
			if b.String() != tt.want {
				t.Errorf("got %q, want %q", b.String(), tt.want)
			}
			var j bytes.Buffer
			(&Printer{W: &j, Format: JSON}).Summary(tt.files)
			if j.Len() != 0 {
				t.Errorf("JSON: %q, want nothing", j.String())
			}
		})
	}
}

func TestMillis(t *testing.T) {
	for in, want := range map[float64]string{0.42: "0.4ms", 4: "4ms", 6.04: "6ms", 9.96: "10ms", 212: "212ms", 1310: "1.3s", 15000: "15.0s"} {
		if got := formatMs(in); got != want {
			t.Errorf("%v: %q, want %q", in, got, want)
		}
	}
}

func TestSpinnerOnlyOnATerminal(t *testing.T) {
	var term, pipe bytes.Buffer
	stop := (&Printer{W: &term, Format: Text, Terminal: true}).startSpinner("waiting for Envoy", 10*time.Millisecond, 5*time.Millisecond)
	time.Sleep(60 * time.Millisecond) // a wait long enough for the spinner to show
	stop()
	out := term.String()
	if !bytes.Contains(term.Bytes(), []byte("waiting for Envoy")) || out[len(out)-4:] != "\r\x1b[K" {
		t.Errorf("terminal output %q", out)
	}
	stop = (&Printer{W: &pipe, Format: Text}).startSpinner("waiting", 0, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	stop()
	if pipe.Len() != 0 {
		t.Errorf("spinner output %q on a pipe", pipe.String())
	}
	// A short wait shows nothing even on a terminal.
	var quick bytes.Buffer
	(&Printer{W: &quick, Format: Text, Terminal: true}).StartSpinner("waiting")()
	if quick.Len() != 0 {
		t.Errorf("spinner for a wait under a second: %q", quick.String())
	}
}

func TestNotifierCallsNotifySend(t *testing.T) {
	dir := t.TempDir()
	record := filepath.Join(dir, "calls")
	script := "#!/bin/sh\necho \"$@\" >> " + record + "\n"
	if err := os.WriteFile(filepath.Join(dir, "notify-send"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	n := NewNotifier(false)
	n.Event(goldenEvents["failed"])
	n.Event(goldenEvents["ok"]) // success is not notified unless asked
	n.Wait()
	calls, _ := os.ReadFile(record)
	want := "--app-name=envoy-reloader --urgency=critical Envoy config not applied Envoy did not take the new config: the new epoch exited with code 1\n"
	if string(calls) != want {
		t.Errorf("notify-send got %q, want only %q", calls, want)
	}
	// Asked, success is notified too.
	both := NewNotifier(true)
	both.Event(goldenEvents["ok"])
	both.Wait()
	if calls, _ := os.ReadFile(record); !strings.Contains(string(calls), "--urgency=low Envoy epoch") {
		t.Errorf("with success on, notify-send got %q", calls)
	}
	t.Setenv("PATH", t.TempDir())
	NewNotifier(true).Event(goldenEvents["failed"]) // absent: nothing happens, nothing fails
}
