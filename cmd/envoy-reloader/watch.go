package main

import (
	"time"

	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/watch"
)

// watchFlagKeys binds the watch command's flags to reloader.yaml keys.
var watchFlagKeys = map[string]string{
	"bootstrap":       "bootstrap",
	"debounce":        "watch.debounce",
	"max-wait":        "watch.max_wait",
	"poll":            "watch.poll",
	"strict":          "validate.strict",
	"deny-deprecated": "validate.deny_deprecated",
	"notify":          "notify",
}

func newWatchCmd(g *globalFlags) *cobra.Command {
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "watch",
		Short: "Watch the bootstrap and reload Envoy on every valid change (the default command)",
		Long: `watch validates the bootstrap, then watches it and the files it references.
Every change is validated; a valid one hot-restarts Envoy and is confirmed,
an invalid one is reported and never reaches Envoy. Ctrl-C stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, p, ctx, stop, err := g.start(cmd, watchFlagKeys)
			if err != nil {
				return err
			}
			defer stop()
			return runWatch(ctx, s, p, g.verbose, dryRun, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.BoolVar(&dryRun, "dry-run", false, "validate and report every change, but never signal Envoy")
	f.String("bootstrap", "", "the Envoy bootstrap to watch (overrides reloader.yaml)")
	f.Duration("debounce", 0, "quiet time after the last change before reloading (default 150ms)")
	f.Duration("max-wait", 0, "reload at the latest this long after the first change (default 2s)")
	f.String("poll", "", "auto, off, or a polling interval such as 500ms (default auto)")
	f.Bool("strict", false, "treat typed_config types unknown to go-control-plane as errors")
	f.Bool("deny-deprecated", false, "treat deprecated fields and enum values as errors")
	f.Bool("notify", false, "desktop notification (notify-send) when a reload fails")
	return cmd
}

// spinningReloader shows a spinner on a terminal while a reload waits.
type spinningReloader struct {
	reload.Reloader
	p *report.Printer
}

// Prepare passes the checks made ahead (no spinner: nothing waits on them).
func (s spinningReloader) Prepare(ctx context.Context, res *bootstrap.Result) {
	if p, ok := s.Reloader.(reload.Preparer); ok {
		p.Prepare(ctx, res)
	}
}

func (s spinningReloader) Reload(ctx context.Context, res *bootstrap.Result) (restart.Outcome, error) {
	defer s.p.StartSpinner("waiting for the new epoch to be live…")()
	return s.Reloader.Reload(ctx, res)
}

func runWatch(ctx context.Context, s config.Settings, p *report.Printer, verbose, dryRun bool, stderr io.Writer) error {
	envoys := s.Envoys()
	p.NameEnvoys(envoyNames(envoys))
	loop, stopNotify, err := runLoop(s, p, verbose, stderr)
	if err != nil {
		return err
	}
	defer stopNotify()
	for _, e := range envoys {
		le, stop, err := loopEnvoy(ctx, e, p, dryRun, len(envoys) == 1)
		if err != nil {
			return err
		}
		defer stop()
		loop.Envoys = append(loop.Envoys, le)
	}
	err = loop.Run(ctx)
	if errors.Is(err, reload.ErrBootstrapMissing) || errors.Is(err, reload.ErrBootstrapUnreadable) {
		return usageErr(err)
	}
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	return nil
}

// runLoop is the watch loop of the settings, with no Envoy yet, reporting
// through p (and desktop notifications); stop waits for the last one.
func runLoop(s config.Settings, p *report.Printer, verbose bool, stderr io.Writer) (_ *reload.Loop, stop func(), err error) {
	auto, interval, err := s.PollMode()
	if err != nil {
		return nil, nil, usageErr(err)
	}
	onEvent, stop := p.Event, func() {}
	if s.Notify || s.NotifySuccess {
		notifier := report.NewNotifier(s.NotifySuccess)
		stop = notifier.Wait // the last failure's notification is not cut off at exit
		onEvent = func(ev reload.Event) { p.Event(ev); notifier.Event(ev) }
	}
	loop := &reload.Loop{
		WatchOptions: watch.Options{
			Debounce: s.Watch.Debounce, Settle: settleOption(s.Watch.Settle), MaxWait: s.Watch.MaxWait,
			PollAuto: auto, PollInterval: interval,
			Logger: watchLogger(p, verbose, stderr),
		},
		Report: onEvent,
		Notify: p.Notice,
	}
	for _, pattern := range s.Watch.Extra {
		loop.Patterns = append(loop.Patterns, s.Resolve(pattern))
	}
	return loop, stop, nil
}

// loopEnvoy is one Envoy of the settings as the loop runs it; stop ends
// what it started. A lone Envoy shows a spinner while it waits: with
// several reloading at once, spinners would overwrite each other.
func loopEnvoy(ctx context.Context, e config.Envoy, p *report.Printer, dryRun, alone bool) (_ *reload.Envoy, stop func(), err error) {
	s := e.Settings
	le := &reload.Envoy{
		Name:     e.Name,
		Pipeline: &reload.Pipeline{Bootstrap: s.BootstrapPath(), Options: validateOptions(s)},
		HostPath: hostPaths(s).Host,
	}
	if dryRun {
		return le, func() {}, nil
	}
	setup, err := newReloadSetup(ctx, s)
	if err != nil {
		if !alone {
			err = namedErr(e.Name, err)
		}
		return nil, nil, err
	}
	setup.warnStart(p, e.Name, s.BootstrapPath())
	le.Pipeline.Reloader, le.HostPath = setup.reloader, setup.hostPath
	if alone {
		le.Pipeline.Reloader = spinningReloader{setup.reloader, p}
	}
	le.Follow = setup.follow // the loop runs it for as long as it runs
	return le, setup.close, nil
}

func envoyNames(envoys []config.Envoy) []string {
	names := make([]string, len(envoys))
	for i, e := range envoys {
		names[i] = e.Name
	}
	return names
}

// watchLogger sends the watcher's own messages (polling fallback always,
// every file event with --verbose) to stderr as text, or to the JSON stream.
func watchLogger(p *report.Printer, verbose bool, stderr io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if verbose {
		level = slog.LevelDebug
	}
	opts := &slog.HandlerOptions{Level: level}
	if p.Format == report.JSON {
		return slog.New(slog.NewJSONHandler(p.W, opts))
	}
	return slog.New(slog.NewTextHandler(stderr, opts))
}

// settleOption maps watch.settle to watch.Options: 0 there means "use the
// default", while 0 in reloader.yaml means "no shortcut: always debounce".
func settleOption(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
