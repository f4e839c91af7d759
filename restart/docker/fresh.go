package docker

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Reach implements Reacher: whether Envoy in the container will read the
// validated bytes of files (see freshness.go for the evidence used). A
// stale file is a *StaleError; files that cannot be verified are returned
// as reasons, for a warning.
func (d *Container) Reach(ctx context.Context, files []restart.WantFile) ([]string, error) {
	info, err := d.current(ctx)
	if err != nil {
		return nil, err
	}
	f := d.freshnessOf(info)
	var unverified []string
	for _, w := range files {
		if w.Bootstrap && w.EnvoyPath == "" {
			w.EnvoyPath = ConfigPathOf(info)
		}
		v := f.check(w)
		if v.stale != nil {
			return unverified, v.stale
		}
		if v.unverified != "" {
			unverified = append(unverified, v.unverified)
		}
	}
	return unverified, nil
}

// freshnessOf prepares the check for the container instance info.
func (d *Container) freshnessOf(info container.InspectResponse) *freshness {
	f := &freshness{target: d.Describe(), mounts: bindMounts(info)}
	if localInit(info) {
		f.procRoot = fmt.Sprintf("/proc/%d/root", info.State.Pid)
		f.seen = d.inodesOf(info)
		if info.State != nil {
			f.started, _ = time.Parse(time.RFC3339Nano, info.State.StartedAt)
		}
	}
	return f
}

// inodesOf returns the single-file mounts' inodes as first seen for this
// container instance (ID and start time): a recreated or restarted
// container mounts the host files anew.
func (d *Container) inodesOf(info container.InspectResponse) map[string]fileID {
	instance := info.ID + "@"
	if info.State != nil {
		instance += info.State.StartedAt
	}
	if d.seen == nil {
		d.seen = map[string]map[string]fileID{}
	}
	if s, ok := d.seen[instance]; ok {
		return s
	}
	s := recordInodes(bindMounts(info))
	d.seen[instance] = s
	return s
}

// localInit reports whether the container's init process, as the Engine
// names it, is visible here as that very process: then the Engine runs on
// this machine, in this PID namespace, and its bind mounts are this
// machine's files. Its cgroup names the container ID (cgroup v1 and v2
// alike, seen from the host); where cgroups are namespaced, its argv[0] is
// the container's entrypoint.
func localInit(info container.InspectResponse) bool {
	if info.State == nil || info.State.Pid <= 0 {
		return false
	}
	proc := "/proc/" + strconv.Itoa(info.State.Pid)
	if cg, err := os.ReadFile(proc + "/cgroup"); err == nil && info.ID != "" && bytes.Contains(cg, []byte(info.ID)) {
		return true
	}
	cmdline, err := os.ReadFile(proc + "/cmdline")
	if err != nil {
		return false
	}
	argv0, _, _ := bytes.Cut(cmdline, []byte{0})
	return info.Path != "" && string(argv0) == info.Path
}

func bindMounts(info container.InspectResponse) []bindMount {
	var ms []bindMount
	for _, m := range info.Mounts {
		if m.Type == "bind" {
			ms = append(ms, bindMount{Source: m.Source, Destination: m.Destination})
		}
	}
	return ms
}

// ConfigPathOf is the bootstrap Envoy in the container reads: its -c or
// --config-path, absolute (a relative one is taken from the working
// directory); "" when the command names none.
func ConfigPathOf(info container.InspectResponse) string {
	argv := []string{info.Path}
	argv = append(argv, info.Args...)
	p, err := configPathOf(argv)
	if err != nil {
		return ""
	}
	if !strings.HasPrefix(p, "/") {
		wd := "/"
		if info.Config != nil && info.Config.WorkingDir != "" {
			wd = info.Config.WorkingDir
		}
		p = path.Join(wd, p)
	}
	return p
}
