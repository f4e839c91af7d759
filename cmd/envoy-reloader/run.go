package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/restart/local"
)

// runFlagKeys binds the run command's flags to reloader.yaml keys.
var runFlagKeys = map[string]string{
	"debounce":        "watch.debounce",
	"max-wait":        "watch.max_wait",
	"poll":            "watch.poll",
	"strict":          "validate.strict",
	"deny-deprecated": "validate.deny_deprecated",
	"notify":          "notify",
	"envoy-log":       "run.envoy_log",
	"stop-timeout":    "run.stop_timeout",
}

func newRunCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "run [flags] -- envoy -c envoy.yaml [envoy flags...]",
		Short: "Start Envoy here and hot-restart it on every valid save: the reloader is its hot restarter, no Docker needed",
		Long: `run starts the Envoy command given after -- as epoch 0 (or run.command of
reloader.yaml), and watches its -c bootstrap and the files it references.
Each valid save is validated by the same binary's --mode validate with the
same flags, then starts the next epoch (--restart-epoch N, RESTART_EPOCH=N),
which is confirmed live on Envoy's admin. Envoy's own lines are shown
prefixed [epoch N] from --envoy-log's level up. Ctrl-C ends every epoch
(SIGTERM, then SIGKILL after --stop-timeout); none outlives the reloader.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 && cmd.ArgsLenAtDash() != 0 {
				return usageErr(fmt.Errorf("give Envoy's command after --, as in: envoy-reloader run -- envoy -c envoy.yaml (got %q)", args[0]))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			s, p, ctx, stop, err := g.start(cmd, runFlagKeys)
			if err != nil {
				return err
			}
			defer stop()
			return runEnvoy(ctx, s, p, args, g.verbose, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.String("envoy-log", "", "lowest level of Envoy's own lines shown: trace, debug, info, warning, error, critical, off (default warning)")
	f.Duration("stop-timeout", 0, "how long the epochs get to end after SIGTERM before SIGKILL (default 10s)")
	f.Duration("debounce", 0, "quiet time after the last change before reloading (default 150ms)")
	f.Duration("max-wait", 0, "reload at the latest this long after the first change (default 2s)")
	f.String("poll", "", "auto, off, or a polling interval such as 500ms (default auto)")
	f.Bool("strict", false, "treat typed_config types unknown to go-control-plane as errors")
	f.Bool("deny-deprecated", false, "treat deprecated fields and enum values as errors")
	f.Bool("notify", false, "desktop notification (notify-send) when a reload fails")
	return cmd
}

// runEnvoy is the run command: the supervisor's epoch 0 live, then the
// watch loop with the supervisor as its target, until ctx ends or Envoy
// exits on its own.
func runEnvoy(ctx context.Context, s config.Settings, p *report.Printer, argv []string, verbose bool, stdout, stderr io.Writer) error {
	dir := "" // Envoy runs here; relative paths of run.command are from reloader.yaml's directory
	if len(argv) == 0 {
		argv, dir = s.Run.Command, s.Dir
	}
	if err := local.CheckArgv(argv); err != nil {
		return usageErr(err)
	}
	level, err := local.ParseLevel(s.Run.EnvoyLog)
	if err != nil {
		return usageErr(err)
	}
	s.Bootstrap, s.Dir = local.ConfigPath(argv), cmpDir(dir)
	admin, err := runAdmin(s)
	if err != nil {
		return usageErr(err)
	}
	// Envoy's lines beside the text report; on stderr when stdout is the
	// JSON event stream.
	out := stdout
	if p.Format == report.JSON {
		out = stderr
	}
	sup := &local.Supervisor{Argv: argv, Dir: dir, Out: out, Level: level, StopTimeout: s.Run.StopTimeout}
	if err := sup.Start(); err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	defer sup.Stop()
	if err := awaitFirstEpoch(ctx, sup, admin, s.Confirm); err != nil {
		return err
	}
	p.Notice(reload.Notice{Event: "live", Time: time.Now(), Level: "info", Path: s.BootstrapPath(),
		Message: fmt.Sprintf("epoch 0 live (%s, admin %s)", strings.Join(argv, " "), admin.URL())})
	loop, stopNotify, err := runLoop(s, p, verbose, stderr)
	if err != nil {
		return err
	}
	defer stopNotify()
	loop.Envoys = []*reload.Envoy{{
		Pipeline: &reload.Pipeline{Bootstrap: s.BootstrapPath(), Options: validateOptions(s), Reloader: &restart.HotRestart{
			Target: sup, Signal: syscall.SIGHUP,
			Confirmer:     &restart.Confirmer{Admin: admin, Interval: s.Confirm.Interval, Timeout: s.Confirm.Timeout},
			EnvoyValidate: s.Validate.Envoy != "off" && s.Validate.Envoy != "false",
		}},
	}}
	loopCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sup.Gone():
			cancel()
		case <-loopCtx.Done():
		}
	}()
	err = loop.Run(loopCtx)
	select {
	case <-sup.Gone():
		if ctx.Err() == nil {
			return &exitError{code: exitInvalid, err: fmt.Errorf("envoy exited on its own: %s", sup.Exit())}
		}
	default:
	}
	if errors.Is(err, reload.ErrBootstrapMissing) || errors.Is(err, reload.ErrBootstrapUnreadable) {
		return usageErr(err)
	}
	if err != nil {
		return &exitError{code: exitInvalid, err: err}
	}
	return nil
}

func cmpDir(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// awaitFirstEpoch waits for epoch 0 to be LIVE on a fresh connection, or
// says why it never was in Envoy's words.
func awaitFirstEpoch(ctx context.Context, sup *local.Supervisor, admin *restart.Admin, c config.Confirm) error {
	deadline := time.Now().Add(c.Timeout)
	for {
		info, err := admin.ServerInfo(ctx)
		if err == nil && info.GetState().String() == "LIVE" {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // Ctrl-C during the start: the deferred Stop ends it
		case <-sup.Gone():
			return &exitError{code: exitInvalid, err: fmt.Errorf("envoy did not start: %s:\n  %s",
				sup.Exit(), strings.Join(sup.LogsSince(ctx, time.Time{}, 20), "\n  "))}
		case <-time.After(c.Interval):
		}
		if time.Now().After(deadline) {
			return &exitError{code: exitInvalid, err: fmt.Errorf("epoch 0 was not LIVE on %s within %s (confirm.timeout): %v", admin.URL(), c.Timeout, err)}
		}
	}
}

// runAdmin is Envoy's admin endpoint: admin.url when reloader.yaml or the
// environment set it, else the bootstrap's own admin address.
func runAdmin(s config.Settings) (*restart.Admin, error) {
	url := s.Admin.URL
	if url == config.Defaults().Admin.URL && os.Getenv(config.EnvPrefix+"_ADMIN_URL") == "" {
		derived, err := bootstrapAdminURL(s.BootstrapPath())
		if err != nil {
			return nil, err
		}
		url = derived
	}
	return restart.NewAdmin(url, adminRequestTimeout)
}

// bootstrapAdminURL reads the admin address out of the bootstrap; a
// wildcard address is reached on loopback.
func bootstrapAdminURL(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("read the bootstrap: %w", err)
	}
	res := bootstrap.Load(filepath.Base(path), data, bootstrap.Options{})
	sa := res.Bootstrap.GetAdmin().GetAddress().GetSocketAddress()
	if sa == nil || sa.GetPortValue() == 0 {
		return "", fmt.Errorf("%s has no admin address with a port: run confirms each epoch on Envoy's admin (admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}), or set admin.url", path)
	}
	host := sa.GetAddress()
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(int(sa.GetPortValue()))), nil
}
