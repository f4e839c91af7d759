package config

import (
	"bytes"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Discovered is what `envoy-reloader init` found of one running Envoy: the
// data a reloader.yaml is written from, without the Docker types it came
// from (config knows nothing of Docker).
type Discovered struct {
	// Description is a one-line summary of the container, for comments.
	Description string
	// Container is its name; ComposeService and ComposeProject its
	// Compose labels, when Compose runs it.
	Container      string
	ComposeService string
	ComposeProject string
	// ConfigPath is the bootstrap as the container sees it (-c), "" when
	// its command has none; HostConfig where it is here through a bind
	// mount, "" when it is not mounted.
	ConfigPath string
	HostConfig string
	// SingleFileWarning, when the bootstrap is a single-file bind mount,
	// says why that is a trap and the fix.
	SingleFileWarning string
	// AdminURL is admin as published here, "" when it is not published;
	// AdminPort is admin's port inside the container.
	AdminURL  string
	AdminPort int
	// HotRestarter is true when the command passes --restart-epoch.
	HotRestarter bool
	// OurRestarter is true when PID 1 is envoy-hot-restarter, and
	// RestarterValidates when it runs with --validate.
	OurRestarter, RestarterValidates bool
}

// Scaffold returns a commented reloader.yaml for the Envoys found, with
// paths relative to dir, the directory it is written to: one Envoy at the
// top level, as a hand-written file would have it, or several under
// envoys:. It goes through a YAML encoder so that any path or name is
// quoted as it must be (": " and "#" included).
func Scaffold(dir string, found []Discovered) ([]byte, error) {
	if len(found) == 0 {
		return nil, fmt.Errorf("no Envoy to write a reloader.yaml for")
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}
	if len(found) == 1 {
		doc.HeadComment = fmt.Sprintf("envoy-reloader settings written by `envoy-reloader init` for %s.\n"+
			"Every key not set here keeps its default; envoy-reloader's docs/configuration.md lists them all.", found[0].Description)
		scaffoldEnvoy(root, dir, found[0], found[0].ComposeService != "", found[0].AdminURL, "\n")
	} else {
		names := uniqueNames(found)
		doc.HeadComment = fmt.Sprintf("envoy-reloader settings written by `envoy-reloader init` for %d Envoy containers: %s.\n"+
			"Every key not set here keeps its default; envoy-reloader's docs/configuration.md lists them all.\n"+
			"Each entry of envoys: is one Envoy. A key set at the top level (beside envoys:)\n"+
			"applies to every entry that does not set it; watch.*, notify and notify_success\n"+
			"are set at the top level only.", len(found), strings.Join(names, ", "))
		list := &yaml.Node{Kind: yaml.SequenceNode}
		admins := adminURLs(found)
		for i, f := range found {
			entry := &yaml.Node{Kind: yaml.MappingNode}
			add(entry, "name", str(names[i]), f.Description)
			scaffoldEnvoy(entry, dir, f, f.ComposeService != "" && !composeShared(found, i), admins[i], "")
			list.Content = append(list.Content, entry)
		}
		add(root, envoysKey, list, "")
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("encode reloader.yaml: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("encode reloader.yaml: %w", err)
	}
	return b.Bytes(), nil
}

// scaffoldEnvoy adds one Envoy's bootstrap, target and admin to m; byCompose
// targets it by its Compose labels, which follow a recreated container.
// gap ("\n": a blank line) sets target and admin apart at the top level,
// as in a hand-written file; in a list entry it would be a line of spaces.
func scaffoldEnvoy(m *yaml.Node, dir string, f Discovered, byCompose bool, adminURL, gap string) {
	switch {
	case f.HostConfig != "":
		comment := fmt.Sprintf("The bootstrap the container was started with (-c %s), here through its bind mount.", f.ConfigPath)
		if f.SingleFileWarning != "" {
			comment += "\nwarning: " + f.SingleFileWarning
		}
		add(m, "bootstrap", str(relTo(dir, f.HostConfig)), comment)
	case f.ConfigPath != "":
		add(m, "bootstrap", str(filepath.Base(f.ConfigPath)), fmt.Sprintf("The container reads %s, which is not bind-mounted from this machine:\n"+
			"mount its directory (-v ./envoy:/etc/envoy) so that edits here reach it.", f.ConfigPath))
	default:
		add(m, "bootstrap", str("envoy.yaml"), "No -c argument was found in the container's command; set the bootstrap here.")
	}

	target := &yaml.Node{Kind: yaml.MappingNode}
	if byCompose {
		add(target, "compose_service", str(f.ComposeService), "Found again by its Compose labels when the container is recreated.")
		add(target, "compose_project", str(f.ComposeProject), "")
	} else {
		add(target, "container", str(f.Container), "")
	}
	last := target.Content[len(target.Content)-2]
	switch {
	case !f.HotRestarter:
		last.FootComment = "The container's command has no --restart-epoch: run Envoy under a hot restarter\n" +
			"(envoy-hot-restarter --validate -- envoy ... --restart-epoch {{epoch}}) so SIGHUP hot-restarts it."
	case f.OurRestarter && !f.RestarterValidates:
		// With --validate the restarter judges each config before it starts
		// the epoch: no docker exec (130 ms or more) on every reload.
		last.FootComment = "The container's envoy-hot-restarter runs without --validate: add it\n" +
			"(envoy-hot-restarter --validate -- envoy ...) so each config is validated inside it, with no docker exec."
	}
	add(m, "target", target, gap)

	admin := &yaml.Node{Kind: yaml.MappingNode}
	if f.AdminURL != "" {
		add(admin, "url", str(f.AdminURL), fmt.Sprintf("Envoy's admin port %d, published here.", f.AdminPort))
	} else {
		hostPort := f.AdminPort
		if u := adminURL; u != "" {
			_, p, _ := net.SplitHostPort(strings.TrimPrefix(u, "http://"))
			hostPort, _ = strconv.Atoi(p)
		}
		add(admin, "url", str(fmt.Sprintf("http://127.0.0.1:%d", hostPort)), fmt.Sprintf(
			"Admin port %d is not published: publish it (-p 127.0.0.1:%d:%d) so the reloader can confirm restarts.", f.AdminPort, hostPort, f.AdminPort))
	}
	add(m, "admin", admin, gap)
}

// adminURLs gives each Envoy its admin URL: the published one, or for an
// unpublished admin a port of this machine no other Envoy of the file
// uses, since two Envoys cannot be confirmed on one endpoint.
func adminURLs(found []Discovered) []string {
	used := map[string]bool{}
	for _, f := range found {
		if f.AdminURL != "" {
			used[f.AdminURL] = true
		}
	}
	out := make([]string, len(found))
	for i, f := range found {
		if f.AdminURL != "" {
			out[i] = f.AdminURL
			continue
		}
		for port := f.AdminPort; ; port++ {
			u := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			if !used[u] {
				used[u], out[i] = true, u
				break
			}
		}
	}
	return out
}

// composeShared reports whether another Envoy found runs the same Compose
// service and project as found[i] (a scaled service): its labels then do
// not tell them apart, and the container name must.
func composeShared(found []Discovered, i int) bool {
	for j, f := range found {
		if j != i && f.ComposeService == found[i].ComposeService && f.ComposeProject == found[i].ComposeProject {
			return true
		}
	}
	return false
}

// uniqueNames names each Envoy after its Compose service, else its
// container, made valid and unique ("front", "front-2").
func uniqueNames(found []Discovered) []string {
	taken := map[string]bool{}
	out := make([]string, len(found))
	for i, f := range found {
		base := f.ComposeService
		if base == "" || composeShared(found, i) {
			base = f.Container
		}
		base = strings.Map(func(r rune) rune {
			if namePattern.MatchString(string(r)) {
				return r
			}
			return '-'
		}, base)
		if base == "" {
			base = "envoy"
		}
		name := base
		for n := 2; taken[name]; n++ {
			name = fmt.Sprintf("%s-%d", base, n)
		}
		taken[name], out[i] = true, name
	}
	return out
}

// add appends key: value to mapping m, with comment (lines without "# ")
// above the key.
func add(m *yaml.Node, key string, value *yaml.Node, comment string) {
	k := str(key)
	if comment != "" {
		lines := strings.Split(comment, "\n")
		for i, l := range lines {
			if l != "" {
				lines[i] = "# " + l
			}
		}
		k.HeadComment = strings.Join(lines, "\n")
	}
	m.Content = append(m.Content, k, value)
}

// str is a string scalar: the encoder quotes it wherever YAML would read
// it otherwise (a number, true, ": ", " #").
func str(v string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}
}

func relTo(dir, path string) string {
	if rel, err := filepath.Rel(dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
