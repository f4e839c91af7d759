package main

import (
	"fmt"
	"slices"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
)

func newCheckCmd(g *globalFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "check [FILE...]",
		Short: "Validate Envoy bootstraps offline (default: every bootstrap in reloader.yaml)",
		Long: `check validates each FILE as an Envoy v3 bootstrap and prints every problem as
FILE:LINE:COL: error|warning: message. Exit status: 0 when all are valid
(warnings allowed), 1 when any is invalid, 2 on usage or reloader.yaml errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(g, cmd, map[string]string{"strict": "validate.strict", "deny-deprecated": "validate.deny_deprecated"})
			if err != nil {
				return err
			}
			if ciFormat(format) {
				return checkCI(cmd, format, s, args)
			}
			p, err := g.printer(cmd, format)
			if err != nil {
				return err
			}
			files, opts := checkTargets(s, args)
			envoyBin, err := checkEnvoyBinary(cmd, s)
			if err != nil {
				return err
			}
			var checked []report.Checked
			invalid := false
			for i, f := range files {
				opts[i].Index = envoyBin != "" // Envoy's verdict is placed by its field path
				res, err := bootstrap.LoadFile(f, opts[i])
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", f, err))
				}
				if envoyBin != "" && res.Valid() {
					extra, err := envoyOpinion(cmd.Context(), envoyBin, res)
					if err != nil {
						return err
					}
					res.Diagnostics = append(res.Diagnostics, extra...)
				}
				p.Diagnostics(res.Diagnostics, "")
				e, w := bootstrap.Count(res.Diagnostics)
				checked = append(checked, report.Checked{File: f, Errors: e, Warnings: w})
				invalid = invalid || !res.Valid()
			}
			p.Summary(checked)
			if invalid {
				return &exitError{code: exitInvalid, err: errSilent}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: text, json, sarif or github (default: --log-format)")
	cmd.Flags().Bool("strict", false, "treat typed_config types unknown to go-control-plane as errors")
	cmd.Flags().Bool("deny-deprecated", false, "treat deprecated fields and enum values as errors")
	addEnvoyFlag(cmd)
	return cmd
}

// validateOptions are the validate.* settings as the validator takes them.
func validateOptions(s config.Settings) bootstrap.Options {
	return bootstrap.Options{Strict: s.Validate.Strict, DenyDeprecated: s.Validate.DenyDeprecated}
}

// checkTargets are the files to check, each with its Envoy's validate
// settings: the files given, else every Envoy's bootstrap once.
func checkTargets(s config.Settings, args []string) (files []string, opts []bootstrap.Options) {
	for _, f := range args {
		files, opts = append(files, f), append(opts, validateOptions(s))
	}
	if len(args) > 0 {
		return files, opts
	}
	for _, e := range s.Envoys() {
		if f := e.Settings.BootstrapPath(); !slices.Contains(files, f) {
			files, opts = append(files, f), append(opts, validateOptions(e.Settings))
		}
	}
	return files, opts
}
