package architecture

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"testing"
)

// module is the import path every rule is relative to.
const module = "github.com/envoy-reloader/envoy-reloader"

// allowed names, for each package, every package of ours it may depend on,
// directly or not. The table is docs/architecture.md's, written as data.
// A package missing from it fails the test, so a new room gets a rule.
var allowed = map[string][]string{
	// Leaves: small shared rules, and the tools that must not share the
	// product's code (the restarter runs inside an image on its own; the
	// stand-in must judge by its own rules, not ours).
	"internal/adminurl":                    nil,
	"internal/suggest":                     nil,
	"internal/envoyvalidate":               nil,
	"watch":                                nil,
	"internal/hotrestartshm":               nil,
	"internal/envoyargv":                   nil,
	"cmd/envoy-hot-restarter":              {"internal/hotrestartshm", "internal/envoyargv"},
	"internal/envoytest":                   nil,
	"internal/envoytest/standin":           nil,
	"internal/envoytest/cmd/envoy":         {"internal/envoytest/standin"},
	"config/bootstrap":                     {"internal/suggest"},
	"config/bootstrap/internal/...":        {"internal/suggest", "config/bootstrap"},
	"config/bootstrap/internal/yamlsyntax": nil,
	"config":                               {"internal/adminurl", "internal/suggest"},
	"restart":                              {"config/bootstrap", "internal/adminurl", "internal/suggest"},
	"restart/docker":                       {"restart", "config/bootstrap", "internal/adminurl", "internal/suggest"},
	"restart/local":                        {"restart", "config/bootstrap", "internal/adminurl", "internal/suggest", "internal/hotrestartshm", "internal/envoyargv"},
	"internal/reload":                      {"config/bootstrap", "restart", "watch", "internal/adminurl", "internal/suggest"},
	"internal/report":                      {"internal/reload", "config/bootstrap", "restart", "watch", "internal/adminurl", "internal/suggest"},
	"internal/lsp":                         {"config/bootstrap", "internal/suggest"},
	"internal/lsp/internal/...":            {"config/bootstrap", "internal/suggest"},
	"internal/fidelity":                    {"config/bootstrap", "internal/envoytest", "internal/envoyvalidate", "internal/suggest"},
	"internal/fidelity/cmd/fidelity":       {"internal/fidelity", "config/bootstrap", "internal/envoytest", "internal/envoyvalidate", "internal/suggest"},
	"internal/architecture":                nil,
	"e2e":                                  nil,
	"e2e/local":                            nil,
	"e2e/benchcmp":                         {"restart", "config/bootstrap", "internal/envoytest", "internal/adminurl", "internal/suggest"},
	"cmd/envoy-reloader":                   {"config", "config/bootstrap", "restart", "restart/docker", "restart/local", "internal/hotrestartshm", "internal/envoyargv", "watch", "internal/reload", "internal/report", "internal/lsp", "internal/envoyvalidate", "internal/adminurl", "internal/suggest"},
}

// listed is one package as `go list -json` describes it.
type listed struct {
	ImportPath string
	Deps       []string
}

// listPackages runs `go list -deps` over the module: each package with
// every package it depends on (its tests' imports are not deps, on purpose).
func listPackages(t *testing.T) []listed {
	t.Helper()
	out, err := exec.Command("go", "list", "-json=ImportPath,Deps", module+"/...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// ruleFor finds a package's rule: its own, or a `dir/...` rule above it.
func ruleFor(rules map[string][]string, pkg string) ([]string, bool) {
	if r, ok := rules[pkg]; ok {
		return r, true
	}
	for dir := pkg; strings.Contains(dir, "/"); {
		dir = dir[:strings.LastIndex(dir, "/")]
		if r, ok := rules[dir+"/..."]; ok {
			return r, true
		}
	}
	return nil, false
}

// owner is the room a package belongs to: a room's own internal packages
// are its business, and come with it (Go forbids importing them directly).
func owner(pkg string) string {
	if i := strings.Index(pkg, "/internal/"); i > 0 {
		return pkg[:i]
	}
	return pkg
}

// violations lists every dependency of ours that a package's rule does not
// allow, and every package that has no rule.
func violations(rules map[string][]string, pkgs []listed) []string {
	var found []string
	for _, p := range pkgs {
		pkg, ok := strings.CutPrefix(p.ImportPath, module+"/")
		if !ok {
			continue
		}
		rule, ok := ruleFor(rules, pkg)
		if !ok {
			found = append(found, fmt.Sprintf("%s has no rule: add it to docs/architecture.md and this test", pkg))
			continue
		}
		for _, d := range p.Deps {
			dep, ours := strings.CutPrefix(d, module+"/")
			if !ours || strings.HasPrefix(dep, pkg+"/internal/") || slices.Contains(rule, owner(dep)) {
				continue
			}
			found = append(found, fmt.Sprintf("%s must not depend on %s", pkg, dep))
		}
	}
	sort.Strings(found)
	return found
}

func TestImportsFollowTheRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages; expected the whole module", len(pkgs))
	}
	for _, v := range violations(allowed, pkgs) {
		t.Error(v)
	}
}

// TestViolationsAreFound proves the checker can fail: each row is a graph
// with one forbidden or unknown edge.
func TestViolationsAreFound(t *testing.T) {
	for _, tc := range []struct {
		name string
		pkgs []listed
		want []string
	}{
		{"the validator reaching Docker's room",
			[]listed{{module + "/config/bootstrap", []string{module + "/restart", module + "/internal/suggest", "fmt"}}},
			[]string{"config/bootstrap must not depend on restart"}},
		{"watch learning of Envoy",
			[]listed{{module + "/watch", []string{module + "/config/bootstrap"}}},
			[]string{"watch must not depend on config/bootstrap"}},
		{"restart reaching up into the loop",
			[]listed{{module + "/restart", []string{module + "/internal/reload", module + "/config/bootstrap"}}},
			[]string{"restart must not depend on internal/reload"}},
		{"the stand-in sharing the product's code",
			[]listed{{module + "/internal/envoytest/standin", []string{module + "/config/bootstrap"}}},
			[]string{"internal/envoytest/standin must not depend on config/bootstrap"}},
		{"a package without a rule",
			[]listed{{module + "/internal/newroom", nil}},
			[]string{"internal/newroom has no rule: add it to docs/architecture.md and this test"}},
		{"a room's own internal package is fine",
			[]listed{{module + "/internal/lsp", []string{module + "/internal/lsp/internal/x", module + "/config/bootstrap"}}},
			nil},
		{"a dir/... rule covers the packages below it",
			[]listed{{module + "/config/bootstrap/internal/genregistry", []string{module + "/internal/suggest"}}},
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := violations(allowed, tc.pkgs); !slices.Equal(got, tc.want) {
				t.Errorf("violations = %q, want %q", got, tc.want)
			}
		})
	}
}
