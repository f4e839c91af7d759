package main

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"text/tabwriter"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
	"github.com/envoy-reloader/envoy-reloader/restart"
	"github.com/envoy-reloader/envoy-reloader/restart/docker"
)

func newStatusCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "status [NAME...]",
		Short: "Print each Envoy's epoch, state, uptime and version, read on a fresh connection",
		RunE: func(cmd *cobra.Command, names []string) error {
			s, err := loadSettings(g, cmd, nil)
			if err != nil {
				return err
			}
			envoys, err := pickEnvoys(s, names)
			if err != nil {
				return err
			}
			admins := make([]*restart.Admin, len(envoys))
			for i, e := range envoys {
				if admins[i], err = restart.NewAdmin(e.Settings.Admin.URL, adminRequestTimeout); err != nil {
					return usageErr(fmt.Errorf("envoy %s: %w", e.Name, err))
				}
				warnMounts(cmd, g, e)
			}
			infos := make([]*adminv3.ServerInfo, len(envoys))
			errs := make([]error, len(envoys))
			var reading sync.WaitGroup
			for i, a := range admins {
				reading.Go(func() { infos[i], errs[i] = a.ServerInfo(cmd.Context()) })
			}
			reading.Wait()
			if len(envoys) == 1 && errs[0] != nil && g.logFormat != "json" {
				return &exitError{code: exitInvalid, err: errs[0]}
			}
			printStatus(cmd, g, envoys, admins, infos, errs)
			if slices.ContainsFunc(errs, func(err error) bool { return err != nil }) {
				return &exitError{code: exitInvalid, err: errSilent}
			}
			return nil
		},
	}
}

// printStatus prints one line for a lone Envoy, a table for several, or a
// JSON object per Envoy.
func printStatus(cmd *cobra.Command, g *globalFlags, envoys []config.Envoy, admins []*restart.Admin, infos []*adminv3.ServerInfo, errs []error) {
	if g.logFormat == "json" {
		p, _ := g.printer(cmd, "")
		for i, info := range infos {
			out := map[string]any{"event": "status", "envoy": envoys[i].Name, "admin_url": admins[i].URL()}
			if errs[i] != nil {
				out["error"] = errs[i].Error()
			} else {
				out["epoch"], out["state"], out["version"] = restart.Epoch(info), info.GetState().String(), info.GetVersion()
				out["uptime_current_epoch_s"] = info.GetUptimeCurrentEpoch().GetSeconds()
				out["uptime_all_epochs_s"] = info.GetUptimeAllEpochs().GetSeconds()
			}
			p.JSON(out)
		}
		return
	}
	if len(envoys) == 1 {
		info := infos[0]
		fmt.Fprintln(cmd.OutOrStdout(), describeInfo(admins[0].URL(), restart.Epoch(info), info.GetState().String(),
			info.GetUptimeCurrentEpoch().AsDuration().String(), info.GetUptimeAllEpochs().AsDuration().String(), info.GetVersion()))
		return
	}
	tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ENVOY\tADMIN\tEPOCH\tSTATE\tUP\tALL EPOCHS\tVERSION")
	for i, info := range infos {
		if errs[i] != nil {
			fmt.Fprintf(tw, "%s\t%s\t-\tunreachable: %v\t\t\t\n", envoys[i].Name, admins[i].URL(), errs[i])
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\n", envoys[i].Name, admins[i].URL(), restart.Epoch(info), info.GetState(),
			info.GetUptimeCurrentEpoch().AsDuration(), info.GetUptimeAllEpochs().AsDuration(), info.GetVersion())
	}
	tw.Flush()
}

// warnMounts tells status's user, once, what watch would say at start of a
// container's mounts; status itself never fails on them.
func warnMounts(cmd *cobra.Command, g *globalFlags, e config.Envoy) {
	s := e.Settings
	if !s.IsContainer() {
		return
	}
	d, err := docker.New(s.Target.Container, s.Target.ComposeService, s.Target.ComposeProject)
	if err != nil {
		return
	}
	defer d.Close()
	warnings, err := d.MountCheck(cmd.Context(), s.BootstrapPath())
	if errors.Is(err, docker.ErrNotWatched) {
		warnings = append(warnings, err.Error())
	}
	p, err := g.printer(cmd, "")
	if err != nil {
		return
	}
	for _, w := range warnings {
		p.Notice(reload.Notice{Event: "mount_warning", Envoy: e.Name, Time: time.Now(), Level: "warn", Path: s.BootstrapPath(), Message: w})
	}
}
