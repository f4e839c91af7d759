package main

import (
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the go-control-plane API version it validates against",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintf(cmd.OutOrStdout(), "envoy-reloader %s\n", versionString())
		},
	}
}

func versionString() string {
	api := "unknown"
	goVersion := ""
	if info, ok := debug.ReadBuildInfo(); ok {
		goVersion = info.GoVersion
		for _, dep := range info.Deps {
			if dep.Path == "github.com/envoyproxy/go-control-plane/envoy" {
				api = dep.Version
			}
		}
	}
	return fmt.Sprintf("%s (Envoy API go-control-plane/envoy %s, %s)", version, api, goVersion)
}
