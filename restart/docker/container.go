package docker

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/sys/unix"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Compose's labels on the containers it runs.
const (
	composeServiceLabel = "com.docker.compose.service"
	composeProjectLabel = "com.docker.compose.project"
)

// Docker is a container target, found again by name (or compose service)
// at every reload, so a recreated container is followed.
type Container struct {
	cli *client.Client
	// Container is a name or ID, matched exactly; or Service (+ Project)
	// selects by Docker Compose labels.
	Container string
	Service   string
	Project   string
	// EnvoyCommand overrides the validate command taken from the container.
	EnvoyCommand []string

	// checked is the container Check found at the start of the current
	// reload, so that validating and signalling do not look it up again.
	// A validate run ahead (Prepare) reads it from another goroutine.
	checkedMu sync.Mutex
	checked   *container.InspectResponse
	// seen are the single-file mounts' host inodes per container instance,
	// as first seen (see freshness.go).
	seen map[string]map[string]fileID
	// seenMounts are the bind mounts of the container found last.
	seenMounts mountsSeen
}

// current is the container of this reload: the one Check found, or a new
// lookup when Check has not run.
func (d *Container) current(ctx context.Context) (container.InspectResponse, error) {
	d.checkedMu.Lock()
	checked := d.checked
	d.checkedMu.Unlock()
	if checked != nil {
		return *checked, nil
	}
	return d.Find(ctx)
}

func (d *Container) setChecked(info *container.InspectResponse) {
	d.checkedMu.Lock()
	d.checked = info
	d.checkedMu.Unlock()
}

// NewDocker connects to the Docker Engine named by the environment
// (DOCKER_HOST and friends), negotiating the API version.
func New(containerName, service, project string) (*Container, error) {
	cli, err := client.NewClientWithOpts(client.FromEnv, client.WithAPIVersionNegotiation())
	if err != nil {
		return nil, fmt.Errorf("docker client: %w", err)
	}
	return &Container{cli: cli, Container: containerName, Service: service, Project: project}, nil
}

// Close releases the Docker client.
func (d *Container) Close() error { return d.cli.Close() }

// Describe names the target for messages.
func (d *Container) Describe() string {
	if d.Service != "" {
		if d.Project != "" {
			return fmt.Sprintf("compose service %s of project %s", d.Service, d.Project)
		}
		return "compose service " + d.Service
	}
	return "container " + d.Container
}

// ErrNoContainer is returned when no container matches the target.
var ErrNoContainer = errors.New("no container matches the target")

// Find returns the one container the target names. Names match exactly
// (the API's name filter matches substrings, so "envoy" would also find
// "envoy-2"); an ID matches in full or by a prefix of at least 12 characters.
func (d *Container) Find(ctx context.Context) (container.InspectResponse, error) {
	info, err := d.find(ctx)
	if err == nil {
		d.seenMounts.set(info)
	}
	return info, err
}

func (d *Container) find(ctx context.Context) (container.InspectResponse, error) {
	if d.Service == "" {
		return d.findByName(ctx)
	}
	args := filters.NewArgs(filters.Arg("label", composeServiceLabel+"="+d.Service))
	if d.Project != "" {
		args.Add("label", composeProjectLabel+"="+d.Project)
	}
	matches, err := d.cli.ContainerList(ctx, container.ListOptions{All: true, Filters: args})
	if err != nil {
		return container.InspectResponse{}, fmt.Errorf("list containers: %w", err)
	}
	switch len(matches) {
	case 0:
		return container.InspectResponse{}, fmt.Errorf("%w: %s", ErrNoContainer, d.Describe())
	case 1:
	default:
		var names []string
		for _, c := range matches {
			names = append(names, fmt.Sprintf("%s (%s, project %q)", strings.TrimPrefix(firstName(c), "/"), c.ID[:12], c.Labels[composeProjectLabel]))
		}
		return container.InspectResponse{}, fmt.Errorf("%w: %s is %s; set target.compose_project or target.container",
			restart.ErrAmbiguous, d.Describe(), strings.Join(names, ", "))
	}
	info, err := d.cli.ContainerInspect(ctx, matches[0].ID)
	if err != nil {
		return info, fmt.Errorf("inspect %s: %w", matches[0].ID[:12], err)
	}
	return info, nil
}

// findByName asks the Engine for the container in one call: it resolves a
// full ID, then an exact name, then an ID prefix. The answer is checked, so
// that only an exact name, the ID or a 12+ character ID prefix is accepted.
func (d *Container) findByName(ctx context.Context) (container.InspectResponse, error) {
	info, err := d.cli.ContainerInspect(ctx, d.Container)
	if err != nil {
		if cerrdefs.IsNotFound(err) {
			return info, fmt.Errorf("%w: %s", ErrNoContainer, d.Describe())
		}
		return info, fmt.Errorf("inspect %s: %w", d.Describe(), err)
	}
	if info.Name != "/"+d.Container && info.ID != d.Container && !(len(d.Container) >= 12 && strings.HasPrefix(info.ID, d.Container)) {
		return info, fmt.Errorf("%w: %s", ErrNoContainer, d.Describe())
	}
	return info, nil
}

func firstName(c container.Summary) string {
	if len(c.Names) > 0 {
		return c.Names[0]
	}
	return c.ID
}

// Check reports whether the container can take a signal now: the Engine
// answers, the container exists, runs and is not paused.
//
// The instance is the container ID and its start time: a restart or a
// recreation starts a new one.
func (d *Container) Check(ctx context.Context) (string, error) {
	d.setChecked(nil)
	info, err := d.Find(ctx)
	if err != nil {
		return "", err
	}
	if err := d.signallable(info); err != nil {
		return "", err
	}
	d.setChecked(&info)
	d.inodesOf(info) // the first sight of an instance is the best record of what it mounted
	return instanceOf(info), nil
}

// Signal sends sig to the container's main process, the hot restarter.
func (d *Container) Signal(ctx context.Context, sig syscall.Signal) error {
	info, err := d.current(ctx)
	if err != nil {
		return err
	}
	if err := d.signallable(info); err != nil {
		return err
	}
	// The Engine runs here and the container's init is our neighbour: a
	// signal sent to it directly is what the Engine would send, without an
	// API round trip (about 15 ms of each reload). Not allowed to (not
	// root), ask the Engine.
	if d.signalsDirectly(info) && syscall.Kill(info.State.Pid, sig) == nil {
		return nil
	}
	// By name: a remote Engine (Docker Desktop's VM) may number signals
	// otherwise than this machine.
	name := unix.SignalName(sig)
	if name == "" {
		return fmt.Errorf("send signal %d to %s: no name for it", int(sig), d.Describe())
	}
	if err := d.cli.ContainerKill(ctx, info.ID, name); err != nil {
		return fmt.Errorf("send %s to %s: %w", name, d.Describe(), err)
	}
	return nil
}

// signalsDirectly tells whether info's init may be signalled without the
// Engine: only with an Engine on this machine's unix socket, and a process
// whose cgroup names this very container. The argv[0] evidence localInit
// also accepts is too weak to send a signal on (a shell, an entrypoint
// script), and another kernel's PID (a remote Engine, Docker Desktop's VM)
// may name any process here.
func (d *Container) signalsDirectly(info container.InspectResponse) bool {
	if !strings.HasPrefix(d.cli.DaemonHost(), "unix://") || info.State == nil || info.State.Pid <= 0 || info.ID == "" {
		return false
	}
	cg, err := os.ReadFile("/proc/" + strconv.Itoa(info.State.Pid) + "/cgroup")
	return err == nil && bytes.Contains(cg, []byte(info.ID))
}

// signallable says why a container cannot take a signal, if it cannot.
func (d *Container) signallable(info container.InspectResponse) error {
	if !info.State.Running {
		return fmt.Errorf("%s is not running (%s, exit code %d)", d.Describe(), info.State.Status, info.State.ExitCode)
	}
	if info.State.Paused {
		return fmt.Errorf("%s is paused", d.Describe())
	}
	return nil
}

// LogsSince returns the container's log lines since t, at most max of the
// last ones (max <= 0: all).
func (d *Container) LogsSince(ctx context.Context, since time.Time, max int) []string {
	info, err := d.Find(ctx)
	if err != nil {
		return nil
	}
	return d.logsOf(ctx, info, since, max)
}

// logsOf is LogsSince for a container already looked up.
func (d *Container) logsOf(ctx context.Context, info container.InspectResponse, since time.Time, max int) []string {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true}
	if !since.IsZero() {
		// The API's since is coarse; lines are filtered by their own timestamps below.
		opts.Since = since.Add(-time.Second).Format(time.RFC3339Nano)
	}
	if max > 0 {
		opts.Tail = fmt.Sprint(max)
	}
	rc, err := d.cli.ContainerLogs(ctx, info.ID, opts)
	if err != nil {
		return nil
	}
	defer rc.Close()
	var buf bytes.Buffer
	if info.Config != nil && info.Config.Tty {
		_, _ = io.Copy(&buf, rc)
	} else {
		_, _ = stdcopy.StdCopy(&buf, &buf, rc)
	}
	var lines []string
	for _, l := range splitLines(buf.String()) {
		stamp, text, _ := strings.Cut(l, " ")
		if t, err := time.Parse(time.RFC3339Nano, stamp); err == nil && t.Before(since) {
			continue
		}
		lines = append(lines, text)
	}
	return lines
}

func splitLines(s string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// Watchdog reports, as soon as it shows, that the restart failed: the
// container stopped, or its restarter logged that the new child exited.
func (d *Container) Watchdog(since time.Time) restart.Watchdog {
	return func(ctx context.Context) error {
		info, err := d.Find(ctx)
		if err != nil {
			return err
		}
		if !info.State.Running {
			return &restart.StoppedError{Target: d.Describe(), Status: info.State.Status, ExitCode: info.State.ExitCode}
		}
		lines := d.logsOf(ctx, info, since, 0)
		if err := restart.RestarterRejection(lines); err != nil {
			return err
		}
		return restart.ChildFailure(lines)
	}
}
