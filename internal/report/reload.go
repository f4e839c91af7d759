package report

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
)

// Event prints one reload attempt (or the start) as one line, with the
// diagnostics, Envoy's log lines and hints indented under it.
func (p *Printer) Event(ev reload.Event) {
	if p.Format == JSON {
		p.json(ev)
		return
	}
	fmt.Fprintf(p.W, "%s %s%s  %s\n", ev.Time.Format("15:04:05"), p.who(ev.Envoy), fileLabel(ev.Files), p.outcome(ev))
	if len(ev.Changes) > 0 {
		fmt.Fprintf(p.W, "    %s\n", strings.Join(ev.Changes, " "))
	}
	p.Diagnostics(ev.Diagnostics, "    ")
	for _, w := range ev.Warnings {
		fmt.Fprintf(p.W, "    %s %s\n", p.paint(yellow, "warning:"), w)
	}
	if ev.Hint != "" {
		fmt.Fprintf(p.W, "    %s %s\n", p.paint(yellow, "hint:"), ev.Hint)
	}
	for _, l := range ev.EnvoyLog {
		fmt.Fprintf(p.W, "    │ %s\n", l)
	}
}

func (p *Printer) outcome(ev reload.Event) string {
	phases := phaseList(ev)
	errs, warns := bootstrap.Count(ev.Diagnostics)
	switch {
	case ev.Event == "start" && ev.Result == reload.ResultOK:
		return p.paint(green, "✓ valid") + withWarnings(warns) + phases
	case ev.Result == reload.ResultOK:
		epoch := ""
		if ev.Epoch != nil {
			epoch = fmt.Sprintf(" epoch %d", *ev.Epoch)
		}
		return p.paint(green, fmt.Sprintf("✓%s live in %s", epoch, formatMs(ev.TotalMs))) + phases
	case ev.Result == reload.ResultDryRun:
		return p.paint(green, "✓ valid") + withWarnings(warns) + " — dry run, not reloaded" + phases
	case ev.Result == reload.ResultInvalid:
		what := fmt.Sprintf("✗ invalid: %s", plural(errs, "error"))
		if ev.Error != "" {
			what = "✗ invalid: " + ev.Error
		}
		return p.paint(red, what) + withWarnings(warns) + phases
	case ev.Result == reload.ResultStale:
		return p.paint(red, "✗ stale: "+ev.Error) + phases
	default:
		return p.paint(red, fmt.Sprintf("✗ failed after %s: %s", formatMs(ev.TotalMs), ev.Error)) + phases
	}
}

func withWarnings(n int) string {
	if n == 0 {
		return ""
	}
	return " (" + plural(n, "warning") + ")"
}

// phaseList renders the phases that ran, e.g. " (validate 4ms · signal 6ms)".
func phaseList(ev reload.Event) string {
	var parts []string
	for _, ph := range []struct {
		name string
		ms   *float64
	}{
		{"validate", ev.ValidateMs}, {"envoy validate", ev.EnvoyValidateMs},
		{"reach", ev.ReachMs}, {"signal", ev.SignalMs}, {"confirm", ev.ConfirmMs}, {"loaded", ev.LoadedMs},
	} {
		if ph.ms != nil {
			part := ph.name + " " + formatMs(*ph.ms)
			if ph.name == "envoy validate" && ev.EnvoyValidateAhead {
				part += " (ran ahead)"
			}
			parts = append(parts, part)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, " · ") + ")"
}

// ms renders milliseconds the way people read them: 0.4ms, 12ms, 1.5s.
func formatMs(v float64) string {
	switch {
	case v < 10:
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64) + "ms"
	case v < 1000:
		return fmt.Sprintf("%.0fms", v)
	}
	return fmt.Sprintf("%.1fs", v/1000)
}

// fileLabel names the changed files briefly: relative to the working
// directory when that is shorter.
func fileLabel(files []string) string {
	wd, _ := os.Getwd()
	names := make([]string, 0, len(files))
	for _, f := range files {
		name := f
		if rel, err := filepath.Rel(wd, f); err == nil && len(rel) < len(f) && !strings.HasPrefix(rel, "..") {
			name = rel
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// Notice prints a message of the loop that is not a reload attempt.
func (p *Printer) Notice(n reload.Notice) {
	if p.Format == JSON {
		p.json(n)
		return
	}
	mark := "·"
	if n.Level == "warn" {
		mark = p.paint(yellow, "!")
	}
	fmt.Fprintf(p.W, "%s %s%s %s\n", n.Time.Format("15:04:05"), p.who(n.Envoy), mark, n.Message)
}
