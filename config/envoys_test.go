package config

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// twoEnvoys shares everything but what tells its Envoys apart.
const twoEnvoys = `target:
  signal: SIGUSR1
  compose_project: shop
admin:
  url: http://127.0.0.1:9901
confirm:
  timeout: 3s
validate:
  envoy: "off"
paths:
  /etc/envoy: ./shared
envoys:
  - name: front
    bootstrap: front/envoy.yaml
    target:
      compose_service: front-envoy
  - bootstrap: edge/envoy.yaml
    target:
      compose_service: edge-envoy
      signal: SIGHUP
    admin:
      url: http://127.0.0.1:9902
    validate:
      strict: true
    paths:
      /etc/edge: ./edge
`

func TestEnvoysInheritKeyByKey(t *testing.T) {
	p := writeConfig(t, twoEnvoys)
	s, err := Load(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	got := s.Envoys()
	if len(got) != 2 {
		t.Fatalf("%d Envoys, want 2", len(got))
	}
	front, edge := got[0], got[1]
	dir := filepath.Dir(p)
	tests := []struct {
		what      string
		got, want any
	}{
		{"front's name", front.Name, "front"},
		{"edge's name, from its compose service", edge.Name, "edge-envoy"},
		{"front's bootstrap, relative to reloader.yaml", front.Settings.BootstrapPath(), filepath.Join(dir, "front/envoy.yaml")},
		{"edge's bootstrap", edge.Settings.BootstrapPath(), filepath.Join(dir, "edge/envoy.yaml")},
		{"front inherits target.signal", front.Settings.Target.Signal, "SIGUSR1"},
		{"edge sets its own target.signal", edge.Settings.Target.Signal, "SIGHUP"},
		{"both inherit target.compose_project", edge.Settings.Target.ComposeProject + "," + front.Settings.Target.ComposeProject, "shop,shop"},
		{"front inherits admin.url", front.Settings.Admin.URL, "http://127.0.0.1:9901"},
		{"edge sets admin.url", edge.Settings.Admin.URL, "http://127.0.0.1:9902"},
		{"edge inherits confirm.timeout", edge.Settings.Confirm.Timeout, 3 * time.Second},
		{"edge inherits validate.envoy beside its own validate.strict", edge.Settings.Validate.Envoy + "," + boolString(edge.Settings.Validate.Strict), "off,true"},
		{"front does not get edge's validate.strict", front.Settings.Validate.Strict, false},
		{"front inherits paths", front.Settings.Paths["/etc/envoy"], "./shared"},
		{"edge's paths replace the top level's", len(edge.Settings.Paths), 1},
		{"an entry keeps the file's directory", edge.Settings.Dir, dir},
		{"the watch settings are the defaults", edge.Settings.Watch.Debounce, 150 * time.Millisecond},
		{"an Envoy's own settings list it alone", edge.Settings.Envoys()[0].Name, "edge-envoy"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: %v, want %v", tt.what, tt.got, tt.want)
		}
	}
}

func boolString(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// A file without envoys: is one Envoy, named after its target.
func TestSingleEnvoyFileIsOneEnvoy(t *testing.T) {
	tests := []struct{ content, name string }{
		{"target:\n  compose_service: front\n  compose_project: p\n", "front"},
		{"target:\n  container: my-envoy\n", "my-envoy"},
		{"target:\n  pid: 42\n", "envoy"},
		{"bootstrap: x.yaml\n", "envoy"},
		{"", "envoy"},
	}
	for _, tt := range tests {
		s, err := Load(Options{File: writeConfig(t, tt.content)})
		if err != nil {
			t.Fatalf("%q: %v", tt.content, err)
		}
		got := s.Envoys()
		if len(got) != 1 || got[0].Name != tt.name || got[0].Settings.Bootstrap != s.Bootstrap || got[0].Settings.Target != s.Target {
			t.Errorf("%q: %+v, want one Envoy %q with the top level's settings", tt.content, got, tt.name)
		}
	}
	if got := Defaults().Envoys(); len(got) != 1 || got[0].Name != "envoy" {
		t.Errorf("Defaults().Envoys() = %+v", got)
	}
}

func TestEnvoysErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"unknown key in an entry", "envoys:\n  - name: a\n    target:\n      contaner: x\n",
			`reloader.yaml:4:7: envoys[0] (a): unknown key "target.contaner"; did you mean "target.container"?`},
		{"unknown key, named after the target", "envoys:\n  - target:\n      container: x\n    bootsrap: b.yaml\n",
			`reloader.yaml:4:5: envoys[0] (x): unknown key "bootsrap"; did you mean "bootstrap"?`},
		{"envoys is not a list", "envoys:\n  a: 1\n", `reloader.yaml:2:3: envoys: expected a list of Envoys (- name: …), not a mapping`},
		{"envoys is empty", "envoys: []\n", `reloader.yaml:1:9: envoys: the list is empty`},
		{"envoys is null", "envoys:\n", `reloader.yaml:1:8: envoys: the list is empty`},
		{"an entry is not a mapping", "envoys:\n  - name: a\n    target: {container: a}\n  - front\n", `reloader.yaml:4:5: envoys[1]: expected a mapping of settings (name, bootstrap, target, …), not "front"`},
		{"a group is a scalar", "envoys:\n  - name: a\n    target: a\n", `reloader.yaml:3:13: envoys[0] (a): target: expected a mapping of target.* keys, not "a"`},
		{"a value is a list", "envoys:\n  - name: a\n    bootstrap: [a, b]\n", `reloader.yaml:3:16: envoys[0] (a): bootstrap: expected a single value, not a list`},
		{"a value of the wrong type", "envoys:\n  - name: a\n    confirm:\n      timeout: soon\n", `reloader.yaml:4:16: envoys[0] (a): confirm.timeout: "soon" is not a duration`},
		{"a bad name", "envoys:\n  - name: my envoy\n", `reloader.yaml:2:11: envoys[0] (my envoy): name: "my envoy" is not a name of letters, digits, '_', '.' and '-'`},
		{"a name that is a mapping", "envoys:\n  - name: {a: b}\n", `reloader.yaml:2:11: envoys[0]: name: a mapping is not a name`},
		{"no name to take", "envoys:\n  - target:\n      container: a\n  - target:\n      container: b\n  - bootstrap: c.yaml\n    target:\n      pid: 7\n",
			`reloader.yaml:6:5: envoys[2]: name is required (there is no target.compose_service or target.container to name it after)`},
		{"a global key in an entry", "envoys:\n  - name: a\n    watch:\n      debounce: 1s\n",
			`reloader.yaml:3:5: envoys[0] (a): watch is global: set it at the top level, where it applies to every Envoy`},
		{"notify in an entry", "envoys:\n  - name: a\n    notify: true\n", `reloader.yaml:3:5: envoys[0] (a): notify is global`},
		{"envoys in an entry", "envoys:\n  - name: a\n    envoys: []\n", `reloader.yaml:3:5: envoys[0] (a): unknown key "envoys"`},
		{"two entries of one name", "envoys:\n  - name: a\n    target: {container: x}\n    admin: {url: 'http://h:1'}\n  - name: a\n    target: {container: y}\n",
			`reloader.yaml:5:11: envoys[1] (a): the name "a" is also envoys[0] (a)'s; each Envoy needs its own (set name)`},
		{"two entries named alike by their targets", "target:\n  compose_project: p\nenvoys:\n  - target: {compose_service: s}\n    admin: {url: 'http://h:1'}\n  - target: {compose_service: s, compose_project: q}\n",
			`reloader.yaml:6:5: envoys[1] (s): the name "s" is also envoys[0] (s)'s`},
		{"two entries of one container", "envoys:\n  - name: a\n    target: {container: x}\n    admin: {url: 'http://h:1'}\n  - name: b\n    target: {container: x}\n",
			`reloader.yaml:6:25: envoys[1] (b): the same target as envoys[0] (a): container "x"`},
		{"two entries of one compose service", "target:\n  compose_service: s\n  compose_project: p\nenvoys:\n  - name: a\n    admin: {url: 'http://h:1'}\n  - name: b\n",
			`reloader.yaml:7:5: envoys[1] (b): the same target as envoys[0] (a): compose_service "s" of compose_project "p"`},
		{"two entries of one pid file", "envoys:\n  - name: a\n    target: {pid_file: run/envoy.pid}\n    admin: {url: 'http://h:1'}\n  - name: b\n    target: {pid_file: ./run/envoy.pid}\n",
			`reloader.yaml:6:24: envoys[1] (b): the same target as envoys[0] (a): pid_file`},
		{"two entries of one pid", "envoys:\n  - name: a\n    target: {pid: 7}\n    admin: {url: 'http://h:1'}\n  - name: b\n    target:\n      pid: 7\n",
			`reloader.yaml:7:12: envoys[1] (b): the same target as envoys[0] (a): pid 7`},
		{"two entries of one admin", "envoys:\n  - name: a\n    target: {container: a}\n  - name: b\n    target: {container: b}\n    admin:\n      url: http://127.0.0.1:9901/\n",
			`reloader.yaml:7:12: envoys[1] (b): the same admin.url as envoys[0] (a) (http://127.0.0.1:9901/): each Envoy's restarts are confirmed on its own admin`},
		{"an entry's bad setting", "envoys:\n  - name: a\n    target:\n      signal: SIGWHAT\n",
			`reloader.yaml:4:7: envoys[0] (a): target.signal: unknown signal "SIGWHAT"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := writeConfig(t, tt.content)
			_, err := Load(Options{File: p})
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v, want a config error", err)
			}
			if got := strings.TrimPrefix(err.Error(), filepath.Dir(p)+"/"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error\n  %s\nwant it to start with\n  %s", got, tt.want)
			}
		})
	}
}

// Flags and the environment apply to every Envoy, except those that name
// one Envoy, which cannot be meant for several.
func TestEnvoysUnderFlagsAndEnvironment(t *testing.T) {
	p := writeConfig(t, twoEnvoys)
	flagKeys := map[string]string{"bootstrap": "bootstrap", "strict": "validate.strict", "deny-deprecated": "validate.deny_deprecated"}
	load := func(args ...string) ([]Envoy, error) {
		flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
		flags.String("bootstrap", "", "")
		flags.Bool("strict", false, "")
		flags.Bool("deny-deprecated", false, "")
		if err := flags.Parse(args); err != nil {
			t.Fatal(err)
		}
		s, err := Load(Options{File: p, Flags: flags, FlagKeys: flagKeys})
		return s.Envoys(), err
	}
	got, err := load("--deny-deprecated")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if !e.Settings.Validate.DenyDeprecated {
			t.Errorf("--deny-deprecated did not reach %s", e.Name)
		}
	}
	t.Setenv("ENVOY_RELOADER_VALIDATE_STRICT", "true")
	t.Setenv("ENVOY_RELOADER_CONFIRM_TIMEOUT", "9s")
	if got, err = load(); err != nil {
		t.Fatal(err)
	}
	for _, e := range got {
		if !e.Settings.Validate.Strict || e.Settings.Confirm.Timeout != 9*time.Second {
			t.Errorf("the environment did not reach %s: %+v", e.Name, e.Settings)
		}
	}

	want := "--bootstrap names one Envoy's bootstrap; " + p + " has 2 (front, edge-envoy)"
	if _, err := load("--bootstrap", "x.yaml"); err == nil || err.Error() != want {
		t.Errorf("--bootstrap with two Envoys: %v, want %s", err, want)
	}
	t.Setenv("ENVOY_RELOADER_ADMIN_URL", "http://127.0.0.1:1")
	want = "ENVOY_RELOADER_ADMIN_URL names one Envoy's admin.url; " + p + " has 2 (front, edge-envoy)"
	if _, err := load(); err == nil || err.Error() != want {
		t.Errorf("ENVOY_RELOADER_ADMIN_URL with two Envoys: %v, want %s", err, want)
	}

	// With one entry there is no doubt which Envoy is meant.
	one := writeConfig(t, "envoys:\n  - name: a\n    bootstrap: a.yaml\n")
	flags := pflag.NewFlagSet("test", pflag.ContinueOnError)
	flags.String("bootstrap", "", "")
	if err := flags.Parse([]string{"--bootstrap", "b.yaml"}); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Options{File: one, Flags: flags, FlagKeys: flagKeys})
	if err != nil {
		t.Fatal(err)
	}
	if e := s.Envoys(); len(e) != 1 || e[0].Settings.Bootstrap != "b.yaml" || e[0].Settings.Admin.URL != "http://127.0.0.1:1" {
		t.Errorf("one entry under --bootstrap and the environment: %+v", e)
	}
}

// A fleet of compose services sharing a project may hold a plain container
// (or a local process): the shared compose_project goes only to compose
// services, and a shared kind of target to no entry that names its own.
func TestEnvoysMixedTargetsInheritOnlyTheirKind(t *testing.T) {
	p := writeConfig(t, `target:
  compose_project: shop
  compose_service: front-envoy
envoys:
  - name: front
    admin: {url: "http://127.0.0.1:9901"}
  - name: side
    target: {container: side-car}
    admin: {url: "http://127.0.0.1:9902"}
  - name: local
    target: {pid_file: envoy.pid}
    admin: {url: "http://127.0.0.1:9903"}
`)
	s, err := Load(Options{File: p})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Target{}
	for _, e := range s.Envoys() {
		got[e.Name] = e.Settings.Target
	}
	if tg := got["front"]; tg.ComposeService != "front-envoy" || tg.ComposeProject != "shop" {
		t.Errorf("front %+v", tg)
	}
	if tg := got["side"]; tg.Container != "side-car" || tg.ComposeService != "" || tg.ComposeProject != "" {
		t.Errorf("side %+v", tg)
	}
	if tg := got["local"]; tg.PIDFile != "envoy.pid" || tg.ComposeService != "" || tg.ComposeProject != "" || tg.Signal != "SIGHUP" {
		t.Errorf("local %+v", tg)
	}
}
