package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "reloader.yaml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestShippedConfigDocumentsEveryDefault keeps the commented reloader.yaml at
// the repository root in step with the code: every key, with its default.
// It reads the file as committed: `make dev` uses it, and a user may edit it.
func TestShippedConfigDocumentsEveryDefault(t *testing.T) {
	shipped := filepath.Join(envoytest.PristineTree(t, "reloader.yaml"), "reloader.yaml")
	data, err := os.ReadFile(shipped)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	flat := map[string]any{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
				walk(prefix+k+".", sub)
			} else {
				flat[prefix+k] = v
			}
		}
	}
	// The root reloader.yaml points at the two Envoys of the example stack
	// of `make dev`: envoys: lists them, the top level holds the defaults.
	walk("", doc)
	delete(flat, envoysKey)
	s, err := Load(Options{File: shipped})
	if err != nil {
		t.Fatal(err)
	}
	got, want := flatten(s), flatten(Defaults())
	want["target.compose_project"] = "envoy-reloader-example"
	var envoys []string
	for _, e := range s.Envoys() {
		envoys = append(envoys, fmt.Sprintf("%s %s %s %s %s", e.Name, e.Settings.Bootstrap,
			e.Settings.Target.ComposeService, e.Settings.Target.ComposeProject, e.Settings.Admin.URL))
	}
	wantEnvoys := []string{
		"envoy examples/compose/envoy/envoy.yaml envoy envoy-reloader-example http://127.0.0.1:9901",
		"service-envoy examples/compose/envoy/service-envoy.yaml service-envoy envoy-reloader-example http://127.0.0.1:9902",
	}
	if !reflect.DeepEqual(envoys, wantEnvoys) {
		t.Errorf("reloader.yaml's envoys:\n%s\nwant\n%s", strings.Join(envoys, "\n"), strings.Join(wantEnvoys, "\n"))
	}
	for _, key := range Keys() {
		if _, ok := flat[key]; !ok {
			t.Errorf("reloader.yaml does not document %s", key)
		}
		if !reflect.DeepEqual(got[key], want[key]) {
			t.Errorf("reloader.yaml sets %s to %v, want %v", key, got[key], want[key])
		}
	}
	if len(flat) != len(Keys()) {
		t.Errorf("reloader.yaml has %d keys, the code %d", len(flat), len(Keys()))
	}
}

func TestPrecedenceFileEnvFlags(t *testing.T) {
	p := writeConfig(t, "bootstrap: from-file.yaml\nwatch:\n  debounce: 300ms\n  max_wait: 3s\n")
	s, err := Load(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	if s.Bootstrap != "from-file.yaml" || s.Watch.Debounce != 300*time.Millisecond || s.Watch.Poll != "auto" {
		t.Errorf("file: %+v", s)
	}
	if s.BootstrapPath() != filepath.Join(filepath.Dir(p), "from-file.yaml") {
		t.Errorf("bootstrap path %q is not relative to reloader.yaml", s.BootstrapPath())
	}

	t.Setenv("ENVOY_RELOADER_WATCH_DEBOUNCE", "400ms")
	t.Setenv("ENVOY_RELOADER_VALIDATE_STRICT", "true")
	s, err = Load(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	if s.Watch.Debounce != 400*time.Millisecond || !s.Validate.Strict {
		t.Errorf("env: %+v", s)
	}

	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags.Duration("debounce", 0, "")
	flags.String("bootstrap", "", "")
	if err := flags.Parse([]string{"--debounce", "50ms"}); err != nil {
		t.Fatal(err)
	}
	s, err = Load(Options{File: p, Flags: flags, FlagKeys: map[string]string{"debounce": "watch.debounce", "bootstrap": "bootstrap"}})
	if err != nil {
		t.Fatal(err)
	}
	if s.Watch.Debounce != 50*time.Millisecond {
		t.Errorf("flag did not win: %v", s.Watch.Debounce)
	}
	if s.Bootstrap != "from-file.yaml" {
		t.Errorf("an unset flag overrode the file: %q", s.Bootstrap)
	}
}

func TestNoFileUsesDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	s, err := Load(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s.File != "" || s.Bootstrap != "envoy.yaml" || s.Watch.MaxWait != 2*time.Second {
		t.Errorf("%+v", s)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"unknown key", "bootsrap: x\n", `reloader.yaml:1:1: unknown key "bootsrap"; did you mean "bootstrap"?`},
		{"unknown nested key", "watch:\n  debunce: 1s\n", `reloader.yaml:2:3: unknown key "watch.debunce"; did you mean "watch.debounce"?`},
		{"unknown key, nothing close", "frobnicate: 1\n", `unknown key "frobnicate"`},
		{"bad duration", "watch:\n  debounce: 5 seconds\n", "watch.debounce"},
		{"bad poll", "watch:\n  poll: sometimes\n", `watch.poll: "sometimes" is not auto, off or a positive duration`},
		{"max_wait below debounce", "watch:\n  debounce: 1s\n  max_wait: 100ms\n", "watch.max_wait (100ms) is shorter than watch.debounce (1s)"},
		{"bad glob", "watch:\n  extra: ['[']\n", `watch.extra: bad pattern "["`},
		{"not a mapping", "- a\n- b\n", "expected a mapping of settings"},
		{"empty bootstrap", "bootstrap: ''\n", "bootstrap: the path of the Envoy bootstrap is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(Options{File: writeConfig(t, tt.content)})
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want a config error containing %q", err, tt.want)
			}
		})
	}
}

func TestPollMode(t *testing.T) {
	tests := []struct {
		poll     string
		auto     bool
		interval time.Duration
	}{
		{"auto", true, 0}, {"off", false, 0}, {"250ms", false, 250 * time.Millisecond},
	}
	for _, tt := range tests {
		s := Defaults()
		s.Watch.Poll = tt.poll
		auto, interval, err := s.PollMode()
		if err != nil || auto != tt.auto || interval != tt.interval {
			t.Errorf("%q: %v %v %v", tt.poll, auto, interval, err)
		}
	}
}

func TestTargetSettings(t *testing.T) {
	s, err := Load(Options{File: writeConfig(t, "target:\n  container: envoy\n  signal: hup\npaths:\n  /etc/envoy: ./envoy\n")})
	if err != nil {
		t.Fatal(err)
	}
	if sig, _ := s.Signal(); sig.String() != "hangup" || !s.IsContainer() || !s.EnvoyValidate() || s.Paths["/etc/envoy"] != "./envoy" {
		t.Errorf("%+v", s)
	}
	tests := []struct{ content, want string }{
		{"target:\n  container: a\n  pid: 4\n", "set only one of container, compose_service, or pid/pid_file"},
		{"target:\n  pid: 4\n  pid_file: x\n", "set pid or pid_file, not both"},
		{"target:\n  signal: SIGWHAT\n", `target.signal: unknown signal "SIGWHAT"`},
		{"admin:\n  url: ftp://x\n", `admin.url: "ftp://x" must be an http:// or https:// URL`},
		{"target:\n  compose_project: p\n", "target.compose_project needs target.compose_service"},
		{"validate:\n  envoy: maybe\n", `validate.envoy: "maybe" is not auto, on or off`},
		{"confirm:\n  timeout: 0s\n", "confirm.interval and confirm.timeout must be positive"},
	}
	for _, tt := range tests {
		if _, err := Load(Options{File: writeConfig(t, tt.content)}); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.content, err, tt.want)
		}
	}
}

func TestBadEnvironmentValueIsOneClearLine(t *testing.T) {
	t.Setenv("ENVOY_RELOADER_WATCH_DEBOUNCE", "soon")
	_, err := Load(Options{File: writeConfig(t, "bootstrap: envoy.yaml\n")})
	if err == nil || strings.Contains(err.Error(), "\n") || !strings.Contains(err.Error(), "watch.debounce") || !strings.Contains(err.Error(), "environment") {
		t.Fatalf("error %q", err)
	}
}

// TestExampleConfigMatchesRoot: examples/compose/reloader.yaml and the root
// reloader.yaml describe the same two Envoys of the example stack (both as
// committed).
func TestExampleConfigMatchesRoot(t *testing.T) {
	tree := envoytest.PristineTree(t, "reloader.yaml", "examples/compose/reloader.yaml")
	describe := func(file string) []string {
		s, err := Load(Options{File: file})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range s.Envoys() {
			p, err := filepath.Abs(e.Settings.BootstrapPath())
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %s %+v %s", e.Name, p, e.Settings.Target, e.Settings.Admin.URL))
		}
		return out
	}
	root, example := describe(filepath.Join(tree, "reloader.yaml")), describe(filepath.Join(tree, "examples/compose/reloader.yaml"))
	if len(root) != 2 || !reflect.DeepEqual(root, example) {
		t.Errorf("the root reloader.yaml describes\n%s\nexamples/compose/reloader.yaml\n%s", strings.Join(root, "\n"), strings.Join(example, "\n"))
	}
}
