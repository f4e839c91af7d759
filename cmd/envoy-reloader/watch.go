package main

import (
	"errors"

	"github.com/spf13/cobra"
)

func newWatchCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "watch",
		Short: "Watch the bootstrap and reload Envoy on every valid change (the default command)",
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErr(errors.New("watch is not built yet"))
		},
	}
}
