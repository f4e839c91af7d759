package docker

import (
	"context"
	"fmt"
	"net"
	"path"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Candidate is a running container that looks like an Envoy to reload.
type Candidate struct {
	Name    string
	ID      string
	Image   string
	Service string // compose service, when Compose runs it
	Project string
	// ConfigPath is the bootstrap as the container sees it (-c), and
	// HostConfig where it is here, through a bind mount ("" if not mounted).
	ConfigPath string
	HostConfig string
	// SingleFileMount is the bootstrap's bind mount (source:destination)
	// when it binds the file alone, a trap for saves that rename.
	SingleFileMount string
	// AdminURL is the admin endpoint as published on this machine ("" when
	// admin is not published); AdminPort is admin's port in the container.
	AdminURL  string
	AdminPort int
	// HotRestarter is true when the command passes --restart-epoch, so
	// SIGHUP to the container starts a new epoch.
	HotRestarter bool
	// OurRestarter is true when PID 1 is envoy-hot-restarter, and
	// RestarterValidates when it runs with --validate (no docker exec).
	OurRestarter, RestarterValidates bool
}

// Scope narrows discovery to some of the engine's containers, so that a
// developer's other stacks (or tests running beside them) are not candidates.
type Scope struct {
	// Labels are Docker label filters, "key" or "key=value"; a container
	// must carry all of them.
	Labels []string
	// ComposeProject keeps the containers of one Compose project.
	ComposeProject string
}

func (s Scope) filters() filters.Args {
	args := filters.NewArgs()
	for _, l := range s.Labels {
		args.Add("label", l)
	}
	if s.ComposeProject != "" {
		args.Add("label", composeProjectLabel+"="+s.ComposeProject)
	}
	return args
}

// Describe says what the scope keeps, for "none found" messages ("" when
// it keeps everything).
func (s Scope) Describe() string {
	var parts []string
	for _, l := range s.Labels {
		parts = append(parts, "label "+l)
	}
	if s.ComposeProject != "" {
		parts = append(parts, "Compose project "+s.ComposeProject)
	}
	return strings.Join(parts, ", ")
}

// Discover lists the running containers within scope whose image is Envoy
// or whose command holds --restart-epoch.
func (d *Container) Discover(ctx context.Context, scope Scope) ([]Candidate, error) {
	list, err := d.cli.ContainerList(ctx, container.ListOptions{Filters: scope.filters()})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	var out []Candidate
	for _, c := range list {
		restarts := strings.Contains(c.Command, "--restart-epoch")
		if !restarts && !strings.Contains(strings.ToLower(c.Image), "envoy") {
			continue
		}
		info, err := d.cli.ContainerInspect(ctx, c.ID)
		if err != nil || info.Config == nil {
			continue
		}
		out = append(out, candidateOf(info, restarts))
	}
	slices.SortFunc(out, func(a, b Candidate) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

func candidateOf(info container.InspectResponse, restarts bool) Candidate {
	c := Candidate{
		Name: strings.TrimPrefix(info.Name, "/"), ID: info.ID, Image: info.Config.Image,
		Service: info.Config.Labels[composeServiceLabel], Project: info.Config.Labels[composeProjectLabel],
		HotRestarter: restarts,
	}
	argv := append([]string{info.Path}, info.Args...)
	c.OurRestarter = path.Base(info.Path) == "envoy-hot-restarter"
	c.RestarterValidates = restarterValidates(argv)
	if config, err := configPathOf(argv); err == nil {
		c.ConfigPath = config
	}
	mounts := restart.PathMap{}
	for _, m := range info.Mounts {
		if m.Type == "bind" {
			mounts[m.Destination] = m.Source
		}
	}
	if host, ok := mounts.HostPath(c.ConfigPath); ok {
		c.HostConfig = host
		if m, ok := mountOf(bindMounts(info), c.ConfigPath); ok && m.isSingleFile() {
			c.SingleFileMount = m.spec()
		}
	}
	c.AdminPort = 9901
	if c.HostConfig != "" {
		if res, err := bootstrap.LoadFile(c.HostConfig, bootstrap.Options{}); err == nil {
			if p := res.Bootstrap.GetAdmin().GetAddress().GetSocketAddress().GetPortValue(); p != 0 {
				c.AdminPort = int(p)
			}
		}
	}
	if info.NetworkSettings != nil {
		for port, bindings := range info.NetworkSettings.Ports {
			if port.Int() != c.AdminPort || port.Proto() != "tcp" || len(bindings) == 0 {
				continue
			}
			host := bindings[0].HostIP
			if host == "" || host == "0.0.0.0" || host == "::" {
				host = "127.0.0.1"
			}
			c.AdminURL = "http://" + net.JoinHostPort(host, bindings[0].HostPort)
		}
	}
	return c
}

// Describe is a one-line summary of the candidate, for choices.
func (c Candidate) Describe() string {
	s := fmt.Sprintf("%s (image %s", c.Name, c.Image)
	if c.Service != "" {
		s += fmt.Sprintf(", compose service %s of project %s", c.Service, c.Project)
	}
	if c.ConfigPath != "" {
		s += ", bootstrap " + c.ConfigPath
	}
	return s + ")"
}
