package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// formatDir holds a bootstrap with an error, a warning and a file name
// that workflow commands must escape.
func formatDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	doc := "static_resources:\n  clusters:\n  - name: a\n    conect_timeout: 1s\n"
	if err := os.WriteFile(filepath.Join(dir, "a,b.yaml"), []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckFormatGitHub(t *testing.T) {
	code, out, _ := runCLI(t, formatDir(t), "check", "--format", "github", "a,b.yaml")
	if code != exitInvalid {
		t.Errorf("exit status %d", code)
	}
	want := "::warning file=a%2Cb.yaml,line=1,col=1,title=envoy-reloader::no admin address: the reloader confirms restarts through Envoy's admin /server_info\n" +
		"::error file=a%2Cb.yaml,line=4,col=5,title=envoy-reloader::unknown field \"conect_timeout\" in envoy.config.cluster.v3.Cluster; did you mean \"connect_timeout\"?\n"
	if out != want {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
	if code, _, errOut := runCLI(t, t.TempDir(), "check", "--format", "xml", "x.yaml"); code != exitUsage || !strings.Contains(errOut, "use text, json, sarif or github") {
		t.Errorf("--format xml: %d %q", code, errOut)
	}
	if got := ghData("50%\nnext"); got != "50%25%0Anext" {
		t.Errorf("ghData: %q", got)
	}
}

// TestCheckFormatSARIF checks the log's required structure, and validates
// it against the SARIF 2.1.0 JSON schema when SARIF_SCHEMA names a copy of
// it (OASIS's sarif-schema-2.1.0.json; not kept in this repository).
func TestCheckFormatSARIF(t *testing.T) {
	code, out, _ := runCLI(t, formatDir(t), "check", "--format", "sarif", "a,b.yaml")
	if code != exitInvalid {
		t.Errorf("exit status %d", code)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			ColumnKind string `json:"columnKind"`
			Results    []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Message   struct {
					Text string `json:"text"`
				} `json:"message"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine   int `json:"startLine"`
							StartColumn int `json:"startColumn"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &log); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].Tool.Driver.Name != "envoy-reloader" || log.Runs[0].ColumnKind != "unicodeCodePoints" {
		t.Fatalf("log: %+v", log)
	}
	run := log.Runs[0]
	if len(run.Results) != 2 {
		t.Fatalf("results: %+v", run.Results)
	}
	r := run.Results[1]
	loc := r.Locations[0].PhysicalLocation
	if r.Level != "error" || r.RuleID != "schema" || run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID ||
		!strings.Contains(r.Message.Text, `did you mean "connect_timeout"`) ||
		loc.ArtifactLocation.URI != "a,b.yaml" || loc.Region.StartLine != 4 || loc.Region.StartColumn != 5 {
		t.Errorf("result %+v", r)
	}

	path := os.Getenv("SARIF_SCHEMA")
	if path == "" {
		t.Skip("structure checked; SARIF_SCHEMA names no copy of sarif-schema-2.1.0.json to validate against")
	}
	c := jsonschema.NewCompiler()
	schema, err := c.Compile(path)
	if err != nil {
		t.Fatalf("schema %s: %v", path, err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("not valid SARIF 2.1.0: %v", err)
	}
}
