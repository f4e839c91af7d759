package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
)

// check's formats for CI: SARIF 2.1.0 for code-scanning uploads, and
// GitHub Actions workflow commands (annotations on the pull request).

// ciFormat says whether check's --format is for checkCI: one of this
// file's, or one no printer knows (which checkCI refuses, naming all four).
func ciFormat(format string) bool {
	return format != "" && format != string(report.Text) && format != string(report.JSON)
}

// checkCI is check for --format sarif|github: the same files and
// options, every diagnostic in that format, the same exit status.
func checkCI(cmd *cobra.Command, format string, s config.Settings, args []string) error {
	if format != "sarif" && format != "github" {
		return usageErr(fmt.Errorf("--format: unknown format %q: use text, json, sarif or github", format))
	}
	files, opts := checkTargets(s, args)
	var all []bootstrap.Diagnostic
	invalid := false
	for i, f := range files {
		res, err := bootstrap.LoadFile(f, opts[i])
		if err != nil {
			return usageErr(fmt.Errorf("%s: %w", f, err))
		}
		all = append(all, res.Diagnostics...)
		invalid = invalid || !res.Valid()
	}
	var err error
	if format == "sarif" {
		err = writeSARIF(cmd.OutOrStdout(), all)
	} else {
		err = writeGitHub(cmd.OutOrStdout(), all)
	}
	if err != nil {
		return err
	}
	if invalid {
		return &exitError{code: exitInvalid, err: errSilent}
	}
	return nil
}

// writeGitHub writes one ::error, ::warning or ::notice command per
// diagnostic.
func writeGitHub(w io.Writer, ds []bootstrap.Diagnostic) error {
	for _, d := range ds {
		cmd := "warning"
		switch d.Severity {
		case bootstrap.SeverityError:
			cmd = "error"
		case bootstrap.SeverityNote:
			cmd = "notice"
		}
		if _, err := fmt.Fprintf(w, "::%s file=%s,line=%d,col=%d,title=envoy-reloader::%s\n",
			cmd, ghProperty(filepath.ToSlash(d.File)), d.Line, d.Col, ghData(d.Message)); err != nil {
			return err
		}
	}
	return nil
}

// ghData and ghProperty escape a workflow command's message and property
// values as the Actions runner unescapes them.
func ghData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func ghProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}

// sarifRules are the kinds of diagnostic, as SARIF rules.
var sarifRules = []struct{ id, text string }{
	{"yaml", "The file is not YAML that Envoy reads."},
	{"schema", "A field, value or typed_config that Envoy's protos or their validation rules reject."},
	{"semantic", "A problem Envoy finds when it builds its clusters and listeners (duplicate names, dangling references)."},
	{"deprecated", "A deprecated field or enum value."},
}

func ruleOf(d bootstrap.Diagnostic) int {
	switch {
	case d.Deprecated:
		return 3
	case d.Semantic:
		return 2
	case d.Path == "":
		return 0
	}
	return 1
}

// writeSARIF writes one SARIF 2.1.0 log of one run. Columns are check's,
// in Unicode code points.
func writeSARIF(w io.Writer, ds []bootstrap.Diagnostic) error {
	type obj = map[string]any
	rules := make([]obj, len(sarifRules))
	for i, r := range sarifRules {
		rules[i] = obj{"id": r.id, "shortDescription": obj{"text": r.text}}
	}
	results := make([]obj, 0, len(ds))
	for _, d := range ds {
		level := "warning"
		switch d.Severity {
		case bootstrap.SeverityError:
			level = "error"
		case bootstrap.SeverityNote:
			level = "note"
		}
		i := ruleOf(d)
		res := obj{
			"ruleId": sarifRules[i].id, "ruleIndex": i, "level": level,
			"message": obj{"text": d.Message},
			"locations": []obj{{"physicalLocation": obj{
				"artifactLocation": obj{"uri": sarifURI(d.File)},
				"region":           obj{"startLine": max(d.Line, 1), "startColumn": max(d.Col, 1)},
			}}},
		}
		if d.Path != "" {
			res["properties"] = obj{"path": d.Path}
		}
		results = append(results, res)
	}
	log := obj{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []obj{{
			"tool": obj{"driver": obj{
				"name": "envoy-reloader", "version": version,
				"informationUri": "https://github.com/envoy-reloader/envoy-reloader",
				"rules":          rules,
			}},
			"columnKind": "unicodeCodePoints",
			"results":    results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(log)
}

// sarifURI is a file as a URI reference: relative paths stay relative
// (code scanning resolves them against the repository), absolute ones are
// file: URIs.
func sarifURI(file string) string {
	p := filepath.ToSlash(file)
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}
