package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"time"

	"github.com/spf13/cobra"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoyvalidate"
)

// addEnvoyFlag adds check's --envoy[=PATH]: after check's own checks pass,
// a local Envoy's `--mode validate` gives its verdict on the same file.
func addEnvoyFlag(cmd *cobra.Command) {
	cmd.Flags().String("envoy", "", "after the offline checks pass, run this Envoy's --mode validate too (no value or auto: envoy on PATH)")
	cmd.Flags().Lookup("envoy").NoOptDefVal = "auto"
}

// checkEnvoyBinary is the Envoy check runs: --envoy, else
// validate.envoy_binary; "" when neither asks for one. A binary that is
// missing or not executable is a usage error (exit 2), in one line.
func checkEnvoyBinary(cmd *cobra.Command, s config.Settings) (string, error) {
	spec := s.Validate.EnvoyBinary
	if f := cmd.Flags().Lookup("envoy"); f != nil && f.Changed {
		spec = f.Value.String()
	}
	if spec == "" {
		return "", nil
	}
	bin, err := envoyvalidate.Find(spec)
	if err != nil {
		return "", usageErr(fmt.Errorf("check --envoy: %w", err))
	}
	return bin, nil
}

// envoyValidateTimeout bounds one `envoy --mode validate`: a 2,000-cluster
// bootstrap takes well under a second.
const envoyValidateTimeout = 60 * time.Second

// envoyOpinion runs Envoy's validate on file and turns a rejection into one
// diagnostic in Envoy's words, at the YAML node of the field path the message
// names (or of the name it quotes; else the top of the file).
func envoyOpinion(ctx context.Context, bin string, res *bootstrap.Result) ([]bootstrap.Diagnostic, error) {
	file := res.File
	ctx, cancel := context.WithTimeout(ctx, envoyValidateTimeout)
	defer cancel()
	v, err := envoyvalidate.Run(ctx, bin, file, "")
	if err != nil {
		return nil, usageErr(fmt.Errorf("check --envoy: %s: %w", bin, err))
	}
	if v.OK {
		return nil, nil
	}
	data, _ := os.ReadFile(file)
	line, col := 1, 1
	if v.Path != "" {
		// The index of what check decoded places most paths; the YAML walk
		// reaches inside values it does not index (a Struct's keys).
		at, ok := res.Index.Locate(v.Path)
		line, col = at.Line, at.Col
		if !ok {
			line, col, _ = bootstrap.Locate(data, v.Path)
		}
	} else if l, c, ok := quotedName(data, v.Message); ok {
		line, col = l, c
	}
	return []bootstrap.Diagnostic{{File: file, Line: line, Col: col, Severity: bootstrap.SeverityError,
		Message: "envoy --mode validate: " + envoyvalidate.Summary(v.Message), Path: v.Path}}, nil
}

var quoted = regexp.MustCompile(`'([^'\s]+)'`)

// quotedName places a message that names no field but quotes a value
// ("route: unknown cluster 'x'", "Duplicate layer name: a" has none) at
// the first YAML scalar holding the last value it quotes.
func quotedName(data []byte, msg string) (int, int, bool) {
	ms := quoted.FindAllStringSubmatch(msg, -1)
	if len(ms) == 0 {
		return 0, 0, false
	}
	want := ms[len(ms)-1][1]
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil {
		return 0, 0, false
	}
	var found *yaml.Node
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if found != nil || n == nil {
			return
		}
		if n.Kind == yaml.ScalarNode && n.Value == want {
			found = n
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(&doc)
	if found == nil {
		return 0, 0, false
	}
	return found.Line, found.Column, true
}
