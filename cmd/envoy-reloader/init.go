package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/restart/docker"
)

func newInitCmd() *cobra.Command {
	var force bool
	var choose string
	var scope docker.Scope
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Write a reloader.yaml for the running Envoy containers (found through Docker)",
		Long: `init finds the running containers whose image is Envoy (or whose command holds
--restart-epoch), the bootstrap they were started with and where it is here
through their bind mounts, and the published admin port, and writes a
commented reloader.yaml in the current directory: one Envoy at its top level,
or, when several are found, all of them under envoys:. --compose-project and
--label narrow the search to some containers of the Docker Engine, and
--container to one. It never overwrites a file without --force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := docker.New("", "", "")
			if err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
			defer d.Close()
			found, err := d.Discover(cmd.Context(), scope)
			if err != nil {
				return &exitError{code: exitInvalid, err: fmt.Errorf("cannot look for Envoy containers: %w", err)}
			}
			if choose != "" {
				var picked []docker.Candidate
				for _, c := range found {
					if c.Name == choose || c.ID == choose || (len(choose) >= 12 && strings.HasPrefix(c.ID, choose)) {
						picked = append(picked, c)
					}
				}
				found = picked
			}
			if len(found) == 0 {
				where := ""
				if s := scope.Describe(); s != "" {
					where = " with " + s
				}
				if choose != "" {
					where += " named " + choose
				}
				return &exitError{code: exitInvalid, err: fmt.Errorf("no running Envoy container found%s (none has an Envoy image or --restart-epoch in its command)", where)}
			}
			wd, err := os.Getwd()
			if err != nil {
				return err
			}
			discovered := make([]config.Discovered, len(found))
			for i, c := range found {
				discovered[i] = discoveredOf(c)
			}
			content, err := config.Scaffold(wd, discovered)
			if err != nil {
				return err
			}
			if err := writeNew(filepath.Join(wd, config.DefaultFile), content, force); err != nil {
				return usageErr(err)
			}
			out := cmd.OutOrStdout()
			if len(found) == 1 {
				fmt.Fprintf(out, "wrote %s for %s\n", config.DefaultFile, found[0].Describe())
				return nil
			}
			fmt.Fprintf(out, "wrote %s for %d Envoy containers (envoys:):\n", config.DefaultFile, len(found))
			for _, c := range found {
				fmt.Fprintf(out, "  %s\n", c.Describe())
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite an existing reloader.yaml")
	cmd.Flags().StringVar(&choose, "container", "", "write the settings of this container only (name or ID)")
	cmd.Flags().StringVar(&scope.ComposeProject, "compose-project", "", "look only at the containers of this Compose project")
	cmd.Flags().StringArrayVar(&scope.Labels, "label", nil, "look only at containers with this Docker label (KEY or KEY=VALUE; repeatable)")
	return cmd
}

// discoveredOf is what config.Scaffold needs of a candidate; the warning
// is restart's, so that init and the start-up check say the same.
func discoveredOf(c docker.Candidate) config.Discovered {
	d := config.Discovered{
		Description: c.Describe(), Container: c.Name, ComposeService: c.Service, ComposeProject: c.Project,
		ConfigPath: c.ConfigPath, HostConfig: c.HostConfig,
		AdminURL: c.AdminURL, AdminPort: c.AdminPort, HotRestarter: c.HotRestarter,
		OurRestarter: c.OurRestarter, RestarterValidates: c.RestarterValidates,
	}
	if c.SingleFileMount != "" {
		src, dst, _ := strings.Cut(c.SingleFileMount, ":")
		d.SingleFileWarning = docker.SingleFileWarning("the bootstrap", src, dst)
	}
	return d
}

// writeNew writes content to path unless the file exists and force is off:
// init never replaces settings someone wrote by hand without being told to.
func writeNew(path string, content []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o644)
	if err != nil {
		if os.IsExist(err) {
			return fmt.Errorf("%s exists; use --force to overwrite it", path)
		}
		return fmt.Errorf("cannot write %s: %w", filepath.Base(path), err)
	}
	if _, err := f.Write(content); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", filepath.Base(path), err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", filepath.Base(path), err)
	}
	return nil
}
