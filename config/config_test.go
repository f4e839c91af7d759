package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"gopkg.in/yaml.v3"
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
func TestShippedConfigDocumentsEveryDefault(t *testing.T) {
	data, err := os.ReadFile("../reloader.yaml")
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
			if sub, ok := v.(map[string]any); ok {
				walk(prefix+k+".", sub)
			} else {
				flat[prefix+k] = v
			}
		}
	}
	walk("", doc)
	s, err := Load(Options{File: "../reloader.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	got, want := flatten(s), flatten(Defaults())
	for _, key := range Keys() {
		if _, ok := flat[key]; !ok {
			t.Errorf("reloader.yaml does not document %s", key)
		}
		if !reflect.DeepEqual(got[key], want[key]) {
			t.Errorf("reloader.yaml sets %s to %v, the code's default is %v", key, got[key], want[key])
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
