package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scaffoldLoad writes Scaffold's file for found into a new directory and
// loads it back.
func scaffoldLoad(t *testing.T, dir string, found ...Discovered) (string, []Envoy) {
	t.Helper()
	data, err := Scaffold(dir, found)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, DefaultFile)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(Options{File: p})
	if err != nil {
		t.Fatalf("the scaffold does not load: %v\n%s", err, data)
	}
	return string(data), s.Envoys()
}

// Whatever the paths and names hold, the file says what was found: the
// encoder quotes what a Fprintf would have left to break the YAML.
func TestScaffoldRoundTrips(t *testing.T) {
	dir := t.TempDir()
	awkward := Discovered{Description: "a: b # c", Container: "true", ConfigPath: "/etc/envoy/envoy.yaml",
		HostConfig: filepath.Join(dir, "we: ird #dir", "envoy.yaml"), AdminURL: "http://127.0.0.1:32768", AdminPort: 9901, HotRestarter: true}
	outside := Discovered{Description: "outside", Container: "edge", ConfigPath: "/etc/envoy/envoy.yaml",
		HostConfig: "/srv/x: y/#conf/envoy.yaml", AdminURL: "http://127.0.0.1:32769", AdminPort: 9901}
	compose := Discovered{Description: "front", Container: "shop-front-1", ComposeService: "front", ComposeProject: "0123",
		ConfigPath: "/etc/envoy/envoy.yaml", HostConfig: filepath.Join(dir, "front", "envoy.yaml"), AdminURL: "http://127.0.0.1:32770", AdminPort: 9901, HotRestarter: true}
	type want struct{ name, bootstrap, target, admin string }
	tests := []struct {
		name  string
		found []Discovered
		want  []want
	}{
		{"one container, a path with ': ' and '#'", []Discovered{awkward},
			[]want{{"true", awkward.HostConfig, `container "true"`, awkward.AdminURL}}},
		{"one Compose service", []Discovered{compose},
			[]want{{"front", compose.HostConfig, `compose_service "front" of compose_project "0123"`, compose.AdminURL}}},
		{"several", []Discovered{awkward, outside, compose}, []want{
			{"true", awkward.HostConfig, `container "true"`, awkward.AdminURL},
			{"edge", outside.HostConfig, `container "edge"`, outside.AdminURL},
			{"front", compose.HostConfig, `compose_service "front" of compose_project "0123"`, compose.AdminURL},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, got := scaffoldLoad(t, dir, tt.found...)
			if len(got) != len(tt.want) {
				t.Fatalf("%d Envoys, want %d\n%s", len(got), len(tt.want), data)
			}
			for i, w := range tt.want {
				e := got[i]
				g := want{e.Name, e.Settings.BootstrapPath(), targetOf(e.Settings), e.Settings.Admin.URL}
				if g != w {
					t.Errorf("Envoy %d: %+v, want %+v\n%s", i, g, w, data)
				}
			}
			if single := len(tt.found) == 1; single == strings.Contains(data, "envoys:") {
				t.Errorf("envoys: in a file for %d Envoys:\n%s", len(tt.found), data)
			}
		})
	}
}

// The comments of the scaffold carry what init learnt beyond the keys.
func TestScaffoldComments(t *testing.T) {
	dir := t.TempDir()
	const warning = "the bootstrap is a single-file bind mount (/p/envoy.yaml:/etc/envoy/envoy.yaml): mount the directory instead (-v ./envoy:/etc/envoy)"
	mounted := Discovered{Description: "envoy (image envoyproxy/envoy)", Container: "envoy", ConfigPath: "/etc/envoy/envoy.yaml",
		HostConfig: filepath.Join(dir, "envoy.yaml"), SingleFileWarning: warning, AdminURL: "http://127.0.0.1:9901", AdminPort: 9901, HotRestarter: true}
	bare := Discovered{Description: "bare", Container: "bare", ComposeService: "edge", ComposeProject: "p", ConfigPath: "/etc/envoy/envoy.yaml", AdminPort: 9901}
	// Published elsewhere, so the unpublished admins get 9901 and the port after it.
	elsewhere := mounted
	elsewhere.AdminURL = "http://127.0.0.1:32768"
	noConfig := Discovered{Description: "plain", Container: "plain", AdminPort: 9901, HotRestarter: true}
	ours := func(validates bool) Discovered {
		d := mounted
		d.SingleFileWarning, d.OurRestarter, d.RestarterValidates = "", true, validates
		return d
	}
	tests := []struct {
		name     string
		found    []Discovered
		want     []string
		wantNone []string
	}{
		{"single-file mount", []Discovered{mounted}, []string{
			"# envoy-reloader settings written by `envoy-reloader init` for envoy (image envoyproxy/envoy).\n",
			"# The bootstrap the container was started with (-c /etc/envoy/envoy.yaml), here through its bind mount.\n",
			"# warning: " + warning + "\nbootstrap: envoy.yaml\n",
			"\ntarget:\n  container: envoy\n",
			"  # Envoy's admin port 9901, published here.\n  url: http://127.0.0.1:9901\n",
		}, []string{"--restart-epoch", "not published"}},
		{"a directory mount is no trap", []Discovered{{Description: "d", Container: "d", ConfigPath: "/etc/envoy/envoy.yaml",
			HostConfig: filepath.Join(dir, "envoy/envoy.yaml"), AdminURL: "http://127.0.0.1:9901", AdminPort: 9901, HotRestarter: true}}, nil, []string{"warning"}},
		{"not mounted, no hot restarter, admin not published", []Discovered{bare}, []string{
			"# The container reads /etc/envoy/envoy.yaml, which is not bind-mounted from this machine:\n# mount its directory (-v ./envoy:/etc/envoy)",
			"  # Found again by its Compose labels when the container is recreated.\n  compose_service: edge\n  compose_project: p\n",
			"  # The container's command has no --restart-epoch: run Envoy under a hot restarter\n",
			"  # Admin port 9901 is not published: publish it (-p 127.0.0.1:9901:9901) so the reloader can confirm restarts.\n  url: http://127.0.0.1:9901\n",
		}, nil},
		{"envoy-hot-restarter without --validate", []Discovered{ours(false)}, []string{
			"  # The container's envoy-hot-restarter runs without --validate: add it\n  # (envoy-hot-restarter --validate -- envoy ...)",
		}, nil},
		{"envoy-hot-restarter with --validate", []Discovered{ours(true)}, nil, []string{"--validate"}},
		{"no -c", []Discovered{noConfig}, []string{
			"# No -c argument was found in the container's command; set the bootstrap here.\nbootstrap: envoy.yaml\n",
		}, nil},
		{"several", []Discovered{elsewhere, bare, noConfig}, []string{
			"for 3 Envoy containers: envoy, edge, plain.\n",
			"envoys:\n  - # envoy (image envoyproxy/envoy)\n    name: envoy\n",
			"    # warning: " + warning + "\n    bootstrap: envoy.yaml\n",
			"      # The container's command has no --restart-epoch",
			// Two unpublished admins cannot share a port of this machine.
			"(-p 127.0.0.1:9901:9901) so the reloader can confirm restarts.\n      url: http://127.0.0.1:9901\n",
			"(-p 127.0.0.1:9902:9901) so the reloader can confirm restarts.\n      url: http://127.0.0.1:9902\n",
		}, []string{" \n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, _ := scaffoldLoad(t, dir, tt.found...)
			for _, w := range tt.want {
				if !strings.Contains(data, w) {
					t.Errorf("the scaffold lacks %q:\n%s", w, data)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(data, w) {
					t.Errorf("the scaffold has %q:\n%s", w, data)
				}
			}
		})
	}
}

func TestScaffoldNamesAndTargetsAreUnique(t *testing.T) {
	tests := []struct {
		name    string
		found   []Discovered
		names   []string
		targets []string
	}{
		{"one service in two projects", []Discovered{
			{Container: "a-envoy-1", ComposeService: "envoy", ComposeProject: "a"},
			{Container: "b-envoy-1", ComposeService: "envoy", ComposeProject: "b"},
		}, []string{"envoy", "envoy-2"}, []string{`compose_service "envoy" of compose_project "a"`, `compose_service "envoy" of compose_project "b"`}},
		// A scaled service's labels do not tell its containers apart.
		{"a scaled service", []Discovered{
			{Container: "shop-envoy-1", ComposeService: "envoy", ComposeProject: "shop"},
			{Container: "shop-envoy-2", ComposeService: "envoy", ComposeProject: "shop"},
		}, []string{"shop-envoy-1", "shop-envoy-2"}, []string{`container "shop-envoy-1"`, `container "shop-envoy-2"`}},
		{"a name taken by a suffixed one", []Discovered{
			{Container: "x-2"}, {Container: "x", ComposeService: "x", ComposeProject: "p"}, {Container: "y", ComposeService: "x", ComposeProject: "q"},
		}, []string{"x-2", "x", "x-3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.found {
				tt.found[i].AdminPort = 9901
			}
			_, got := scaffoldLoad(t, t.TempDir(), tt.found...)
			for i, e := range got {
				if e.Name != tt.names[i] {
					t.Errorf("Envoy %d is named %q, want %q", i, e.Name, tt.names[i])
				}
				if tt.targets != nil && targetOf(e.Settings) != tt.targets[i] {
					t.Errorf("Envoy %d targets %s, want %s", i, targetOf(e.Settings), tt.targets[i])
				}
			}
		})
	}
}
