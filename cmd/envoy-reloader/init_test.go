package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/restart/docker"
)

// init's file carries restart's single-file warning, word for word, and
// what it found of the container loads back as written.
func TestInitScaffoldFromACandidate(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "envoy.yaml")
	tests := []struct {
		name    string
		c       docker.Candidate
		warning bool
	}{
		{"single-file mount", docker.Candidate{Name: "envoy", Image: "envoyproxy/envoy", ConfigPath: "/etc/envoy/envoy.yaml", HostConfig: host,
			SingleFileMount: host + ":/etc/envoy/envoy.yaml", AdminURL: "http://127.0.0.1:19901", AdminPort: 9901, HotRestarter: true}, true},
		{"directory mount", docker.Candidate{Name: "envoy", Image: "envoyproxy/envoy", ConfigPath: "/etc/envoy/envoy.yaml", HostConfig: host,
			AdminURL: "http://127.0.0.1:19901", AdminPort: 9901, HotRestarter: true}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := config.Scaffold(dir, []config.Discovered{discoveredOf(tt.c)})
			if err != nil {
				t.Fatal(err)
			}
			warning := "# warning: " + docker.SingleFileWarning("the bootstrap", host, "/etc/envoy/envoy.yaml") + "\n"
			if strings.Contains(string(data), warning) != tt.warning {
				t.Errorf("warning %v, want %v:\n%s", !tt.warning, tt.warning, data)
			}
			p := filepath.Join(dir, config.DefaultFile)
			if err := writeNew(p, data, true); err != nil {
				t.Fatal(err)
			}
			s, err := config.Load(config.Options{File: p})
			if err != nil {
				t.Fatal(err)
			}
			if s.BootstrapPath() != host || s.Target.Container != "envoy" || s.Admin.URL != tt.c.AdminURL {
				t.Errorf("loaded %+v", s)
			}
		})
	}
}

func TestInitWriteNewNeedsForce(t *testing.T) {
	p := filepath.Join(t.TempDir(), config.DefaultFile)
	if err := writeNew(p, []byte("a: 1\n"), false); err != nil {
		t.Fatal(err)
	}
	err := writeNew(p, []byte("b: 2\n"), false)
	if got, _ := os.ReadFile(p); err == nil || !strings.Contains(err.Error(), "use --force") || string(got) != "a: 1\n" {
		t.Fatalf("over an existing file: %v, file %q", err, got)
	}
	if err := writeNew(p, []byte("b: 2\n"), true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(p); string(got) != "b: 2\n" {
		t.Fatalf("--force left %q", got)
	}
}
