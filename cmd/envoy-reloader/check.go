package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

func newCheckCmd(g *globalFlags) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "check [FILE...]",
		Short: "Validate Envoy bootstraps offline (default: the bootstrap in reloader.yaml)",
		Long: `check validates each FILE as an Envoy v3 bootstrap and prints every problem as
FILE:LINE:COL: error|warning: message. Exit status: 0 when all are valid
(warnings allowed), 1 when any is invalid, 2 on usage or reloader.yaml errors.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadSettings(g, cmd, map[string]string{"strict": "validate.strict", "deny-deprecated": "validate.deny_deprecated"})
			if err != nil {
				return err
			}
			p, err := g.printer(cmd, format)
			if err != nil {
				return err
			}
			files := args
			if len(files) == 0 {
				files = []string{s.BootstrapPath()}
			}
			var errs, warns int
			invalid := false
			for _, f := range files {
				res, err := bootstrap.LoadFile(f, bootstrap.Options{Strict: s.Validate.Strict, DenyDeprecated: s.Validate.DenyDeprecated})
				if err != nil {
					return usageErr(fmt.Errorf("%s: %w", f, err))
				}
				p.Diagnostics(res.Diagnostics, "")
				e, w := bootstrap.Count(res.Diagnostics)
				errs, warns = errs+e, warns+w
				invalid = invalid || !res.Valid()
			}
			p.Summary(len(files), errs, warns)
			if invalid {
				return &exitError{code: exitInvalid, err: errSilent}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: text or json (default: --log-format)")
	cmd.Flags().Bool("strict", false, "treat typed_config types unknown to go-control-plane as errors")
	cmd.Flags().Bool("deny-deprecated", false, "treat deprecated fields and enum values as errors")
	return cmd
}
