package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

func newRestartCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restart",
		Short: "Validate, hot-restart and confirm once (for scripts and `make reload`); exit 0 when the new epoch is live",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, p, ctx, stop, err := g.start(cmd, map[string]string{"bootstrap": "bootstrap", "strict": "validate.strict", "deny-deprecated": "validate.deny_deprecated"})
			if err != nil {
				return err
			}
			defer stop()
			setup, err := newReloadSetup(ctx, s)
			if err != nil {
				return err
			}
			defer setup.close()
			setup.warnStart(p, s.BootstrapPath())
			pipeline := &reload.Pipeline{Bootstrap: s.BootstrapPath(), Options: bootstrap.Options{Strict: s.Validate.Strict, DenyDeprecated: s.Validate.DenyDeprecated}, Reloader: setup.reloader}
			ev := pipeline.Run(ctx, []string{s.BootstrapPath()})
			p.Reload(ev)
			if ev.Result != reload.ResultOK {
				return &exitError{code: exitInvalid, err: errSilent}
			}
			return nil
		},
	}
	cmd.Flags().String("bootstrap", "", "the Envoy bootstrap (overrides reloader.yaml)")
	cmd.Flags().Bool("strict", false, "treat typed_config types unknown to go-control-plane as errors")
	cmd.Flags().Bool("deny-deprecated", false, "treat deprecated fields and enum values as errors")
	return cmd
}

func newStatusCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Print Envoy's epoch, state, uptime and version, read on a fresh connection",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(g, cmd, nil)
			if err != nil {
				return err
			}
			admin, err := restart.NewAdmin(s.Admin.URL, adminRequestTimeout)
			if err != nil {
				return usageErr(err)
			}
			warnMounts(cmd, g, s)
			info, err := admin.ServerInfo(cmd.Context())
			if err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
			if g.logFormat == "json" {
				p, _ := g.printer(cmd, "")
				p.JSON(map[string]any{
					"event": "status", "admin_url": admin.URL(), "epoch": restart.Epoch(info), "state": info.GetState().String(),
					"uptime_current_epoch_s": info.GetUptimeCurrentEpoch().GetSeconds(),
					"uptime_all_epochs_s":    info.GetUptimeAllEpochs().GetSeconds(), "version": info.GetVersion(),
				})
				return nil
			}
			fmt.Fprintln(cmd.OutOrStdout(), describeInfo(admin.URL(), restart.Epoch(info), info.GetState().String(),
				info.GetUptimeCurrentEpoch().AsDuration().String(), info.GetUptimeAllEpochs().AsDuration().String(), info.GetVersion()))
			return nil
		},
	}
}

// warnMounts tells status's user, once, what watch would say at start of a
// container's mounts; status itself never fails on them.
func warnMounts(cmd *cobra.Command, g *globalFlags, s config.Settings) {
	if !s.IsContainer() {
		return
	}
	d, err := restart.NewDocker(s.Target.Container, s.Target.ComposeService, s.Target.ComposeProject)
	if err != nil {
		return
	}
	defer d.Close()
	warnings, err := d.MountCheck(cmd.Context(), s.BootstrapPath())
	if errors.Is(err, restart.ErrNotWatched) {
		warnings = append(warnings, err.Error())
	}
	p, err := g.printer(cmd, "")
	if err != nil {
		return
	}
	for _, w := range warnings {
		p.Notice(reload.Notice{Event: "mount_warning", Time: time.Now(), Level: "warn", Path: s.BootstrapPath(), Message: w})
	}
}
