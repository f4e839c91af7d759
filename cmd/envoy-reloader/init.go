package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

func newInitCmd() *cobra.Command {
	var force bool
	var choose string
	var scope restart.Scope
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a reloader.yaml for the running Envoy container (found through Docker)",
		Long: `init finds the running containers whose image is Envoy (or whose command holds
--restart-epoch), the bootstrap they were started with and where it is here
through their bind mounts, and the published admin port, and writes a
commented reloader.yaml in the current directory. With several candidates it
lists them: choose one with --container. --compose-project and --label narrow
the search to some containers of the Docker Engine. It never overwrites a file
without --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := restart.NewDocker("", "", "")
			if err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
			defer d.Close()
			found, err := d.Discover(cmd.Context(), scope)
			if err != nil {
				return &exitError{code: exitInvalid, err: fmt.Errorf("cannot look for Envoy containers: %w", err)}
			}
			if choose != "" {
				var picked []restart.Candidate
				for _, c := range found {
					if c.Name == choose || c.ID == choose || (len(choose) >= 12 && strings.HasPrefix(c.ID, choose)) {
						picked = append(picked, c)
					}
				}
				found = picked
			}
			switch len(found) {
			case 0:
				where := ""
				if s := scope.Describe(); s != "" {
					where = " with " + s
				}
				return &exitError{code: exitInvalid, err: fmt.Errorf("no running Envoy container found%s (none has an Envoy image or --restart-epoch in its command)", where)}
			case 1:
			default:
				var b strings.Builder
				b.WriteString("several Envoy containers run; choose one with --container NAME:")
				for _, c := range found {
					b.WriteString("\n  " + c.Describe())
				}
				return &exitError{code: exitInvalid, err: errors.New(b.String())}
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			path := filepath.Join(wd, config.DefaultFile)
			if err := restart.WriteNew(path, found[0].ReloaderYAML(wd), force); err != nil {
				return usageErr(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s for %s\n", config.DefaultFile, found[0].Describe())
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing reloader.yaml")
	cmd.Flags().StringVar(&choose, "container", "", "the container to use when several run")
	cmd.Flags().StringVar(&scope.ComposeProject, "compose-project", "", "look only at the containers of this Compose project")
	cmd.Flags().StringArrayVar(&scope.Labels, "label", nil, "look only at containers with this Docker label (KEY or KEY=VALUE; repeatable)")
	return cmd
}
