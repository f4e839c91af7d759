package main

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/internal/reload"
)

func newRestartCmd(g *globalFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "restart [NAME...]",
		Short: "Validate, hot-restart and confirm once (for scripts and `make reload`); exit 0 when every new epoch is live",
		Long: `restart validates each named Envoy's bootstrap (every Envoy of reloader.yaml
by default), hot-restarts those that are valid and confirms each new epoch,
the Envoys in parallel. Exit status: 0 when all are live, 1 otherwise, 2 on
usage or reloader.yaml errors.`,
		RunE: func(cmd *cobra.Command, names []string) error {
			s, p, ctx, stop, err := g.start(cmd, map[string]string{"bootstrap": "bootstrap", "strict": "validate.strict", "deny-deprecated": "validate.deny_deprecated"})
			if err != nil {
				return err
			}
			defer stop()
			envoys, err := pickEnvoys(s, names)
			if err != nil {
				return err
			}
			p.NameEnvoys(envoyNames(envoys))
			pipelines := make([]*reload.Pipeline, len(envoys))
			for i, e := range envoys {
				setup, err := newReloadSetup(ctx, e.Settings)
				if err != nil {
					if len(envoys) > 1 {
						err = namedErr(e.Name, err)
					}
					return err
				}
				defer setup.close()
				setup.warnStart(p, e.Name, e.Settings.BootstrapPath())
				pipelines[i] = &reload.Pipeline{Bootstrap: e.Settings.BootstrapPath(), Options: validateOptions(e.Settings), Reloader: setup.reloader}
			}
			events := make([]reload.Event, len(envoys))
			var running sync.WaitGroup
			for i, pl := range pipelines {
				running.Go(func() {
					events[i] = pl.Run(ctx, []string{pl.Bootstrap})
					events[i].Envoy = envoys[i].Name
				})
			}
			running.Wait()
			failed := false
			for _, ev := range events {
				p.Event(ev)
				failed = failed || ev.Result != reload.ResultOK
			}
			if failed {
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

// pickEnvoys are the Envoys named (all without names); an unknown name is
// a usage error that lists the known ones.
func pickEnvoys(s config.Settings, names []string) ([]config.Envoy, error) {
	all := s.Envoys()
	if len(names) == 0 {
		return all, nil
	}
	var picked []config.Envoy
	for _, n := range names {
		i := slices.IndexFunc(all, func(e config.Envoy) bool { return e.Name == n })
		if i < 0 {
			return nil, usageErr(fmt.Errorf("no Envoy named %q in %s (there are: %s)", n, cmp.Or(s.File, "the settings"), strings.Join(envoyNames(all), ", ")))
		}
		if !slices.ContainsFunc(picked, func(e config.Envoy) bool { return e.Name == n }) {
			picked = append(picked, all[i])
		}
	}
	return picked, nil
}
