package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/config"
)

// cli runs the reloader binary in dir and returns its status and output.
func cli(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(reloaderBin, args...)
	cmd.Dir = dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String()
}

// initScoped runs `envoy-reloader init` scoped to this test's containers,
// as a user scopes it to one stack: other Envoys on the engine are not its
// business.
func initScoped(t *testing.T, dir string, args ...string) (int, string) {
	t.Helper()
	return cli(t, dir, append([]string{"init", "--label", testLabel(t)}, args...)...)
}

func TestInitWritesAWorkingConfigForTheOneEnvoy(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-init"))
		dir := t.TempDir()
		code, out := initScoped(t, dir)
		if code != 0 || !strings.Contains(out, "wrote reloader.yaml for "+c.name) {
			t.Fatalf("init: exit %d\n%s", code, out)
		}
		s, err := config.Load(config.Options{File: filepath.Join(dir, "reloader.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		if s.Target.Container != c.name || s.BootstrapPath() != c.config || s.Admin.URL != c.admin.URL() {
			t.Fatalf("settings %+v; want container %s, bootstrap %s, admin %s", s, c.name, c.config, c.admin.URL())
		}
		// The file it wrote drives a confirmed hot restart as it is.
		writeFile(t, c.config, containerConfig("after-init"))
		if code, out := cli(t, dir, "restart"); code != 0 || !strings.Contains(out, "epoch 1 live") {
			t.Fatalf("restart with the generated config: exit %d\n%s", code, out)
		}
	})
}

// Several Envoys found are one reloader.yaml with envoys:, each as init
// would have written it alone; --container still picks one.
func TestInitWritesEveryEnvoyFound(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		a := runEnvoy(t, uniqueName("envoy-init-a"))
		b := runEnvoy(t, uniqueName("envoy-init-b"))
		dir := t.TempDir()
		code, out := initScoped(t, dir)
		if code != 0 || !strings.Contains(out, "wrote reloader.yaml for 2 Envoy containers") || !strings.Contains(out, a.name) || !strings.Contains(out, b.name) {
			t.Fatalf("init with two Envoys: exit %d\n%s", code, out)
		}
		s, err := config.Load(config.Options{File: filepath.Join(dir, "reloader.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		got := s.Envoys()
		if len(got) != 2 {
			t.Fatalf("%d Envoys in the file, want 2: %+v", len(got), got)
		}
		for i, c := range []*envoyContainer{a, b} { // Discover sorts by name
			e := got[i].Settings
			if got[i].Name != c.name || e.Target.Container != c.name || e.BootstrapPath() != c.config || e.Admin.URL != c.admin.URL() {
				t.Errorf("Envoy %d: %s %+v; want container %s, bootstrap %s, admin %s", i, got[i].Name, e, c.name, c.config, c.admin.URL())
			}
		}

		one := t.TempDir()
		if code, out := initScoped(t, one, "--container", b.name); code != 0 || !strings.Contains(out, "wrote reloader.yaml for "+b.name) {
			t.Fatalf("init --container: exit %d\n%s", code, out)
		}
		s, err = config.Load(config.Options{File: filepath.Join(one, "reloader.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		if got := s.Envoys(); len(got) != 1 || s.Target.Container != b.name {
			t.Fatalf("init --container %s wrote %+v", b.name, got)
		}
	})
}

func TestInitNeverOverwritesWithoutForce(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-init"))
		dir := t.TempDir()
		mine := "# my own settings\nbootstrap: mine.yaml\n"
		writeFile(t, filepath.Join(dir, "reloader.yaml"), mine)
		code, out := initScoped(t, dir)
		if got, _ := os.ReadFile(filepath.Join(dir, "reloader.yaml")); code != 2 || string(got) != mine || !strings.Contains(out, "--force") {
			t.Fatalf("init over an existing file: exit %d, file %q\n%s", code, got, out)
		}
		if code, out := initScoped(t, dir, "--force"); code != 0 {
			t.Fatalf("init --force: exit %d\n%s", code, out)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "reloader.yaml")); !strings.Contains(string(got), "container: "+c.name) {
			t.Fatalf("--force did not write the new settings:\n%s", got)
		}
	})
}

// --compose-project narrows init to one stack among several Envoys.
func TestInitScopedToAComposeProject(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		project := uniqueName("proj")
		mine := runEnvoyLabelled(t, uniqueName("envoy-init-mine"), "front-envoy", project)
		other := runEnvoyLabelled(t, uniqueName("envoy-init-other"), "front-envoy", project+"-other")
		dir := t.TempDir()
		code, out := initScoped(t, dir, "--compose-project", project)
		if code != 0 || !strings.Contains(out, mine.name) || strings.Contains(out, other.name) {
			t.Fatalf("init --compose-project %s: exit %d\n%s", project, code, out)
		}
		s, err := config.Load(config.Options{File: filepath.Join(dir, "reloader.yaml")})
		if err != nil {
			t.Fatal(err)
		}
		if s.Target.ComposeService != "front-envoy" || s.Target.ComposeProject != project {
			t.Fatalf("target %+v; want service front-envoy of project %s", s.Target, project)
		}
		if code, out := initScoped(t, t.TempDir(), "--compose-project", project+"-none"); code != 1 || !strings.Contains(out, "Compose project "+project+"-none") {
			t.Fatalf("init in an empty scope: exit %d\n%s", code, out)
		}
	})
}
