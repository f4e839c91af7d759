package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Envoy is one Envoy of reloader.yaml with every key resolved.
type Envoy struct {
	// Name tells the Envoys apart in messages and events.
	Name string
	// Settings are complete: defaults < top level < the entry's own keys,
	// then the environment and flags; File and Dir are the top level's.
	Settings Settings
}

// envoysKey lists several Envoys; the top level holds what they share.
const envoysKey = "envoys"

// globalOnly are the keys only the top level may set: one watcher and one
// notifier serve every Envoy, so an entry's own value could not be honoured.
var globalOnly = []string{"watch", "notify", "notify_success", "run"}

// identityKeys each name one Envoy: a flag or environment variable setting
// one for every entry would make them all the same Envoy.
// (target.compose_project is not one: Envoys of one project share it.)
var identityKeys = []string{"bootstrap", "target.container", "target.compose_service", "target.pid", "target.pid_file", "admin.url"}

var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// Envoys lists the Envoys reloader.yaml describes, always at least one:
// without envoys: the top level is the one Envoy, named after its
// target.compose_service or target.container, else "envoy".
func (s Settings) Envoys() []Envoy {
	if len(s.envoys) > 0 {
		return slices.Clone(s.envoys)
	}
	name := defaultName(s)
	if name == "" {
		name = "envoy"
	}
	return []Envoy{{Name: name, Settings: s}}
}

func defaultName(s Settings) string {
	if s.Target.ComposeService != "" {
		return s.Target.ComposeService
	}
	return s.Target.Container
}

func isGlobal(key string) bool {
	for _, g := range globalOnly {
		if key == g || strings.HasPrefix(key, g+".") {
			return true
		}
	}
	return false
}

// checkEnvoys checks the shape and keys of envoys: (value v) before viper
// sees it: an entry takes the top level's keys but the global ones, and name.
func (kc *keyChecker) checkEnvoys(root, v *yaml.Node) error {
	if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" || v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
		return kc.errAt(v, "", "envoys: the list is empty; list at least one Envoy, or remove envoys: and describe the one Envoy at the top level")
	}
	if v.Kind != yaml.SequenceNode {
		return kc.errAt(v, "", "envoys: expected a list of Envoys (- name: …), not %s", shape(v))
	}
	known := map[string]bool{"name": true}
	for k := range kc.known {
		if !isGlobal(k) {
			known[k] = true
		}
	}
	for i, n := range v.Content {
		label := entryLabel(i, n, root)
		if n.Kind != yaml.MappingNode {
			return kc.errAt(n, label, "expected a mapping of settings (name, bootstrap, target, …), not %s", shape(n))
		}
		err := kc.walk("", n, known, label, func(key string, k, val *yaml.Node) (bool, error) {
			switch {
			case key == "name":
				if val.Kind != yaml.ScalarNode || !namePattern.MatchString(val.Value) {
					return true, kc.errAt(val, label, "name: %s is not a name of letters, digits, '_', '.' and '-'", shape(val))
				}
				return true, nil
			case isGlobal(key):
				return true, kc.errAt(k, label, "%s is global: set it at the top level, where it applies to every Envoy", key)
			}
			return false, nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// entryLabel names entry i for messages, with the name it will most
// likely get, before anything is resolved.
func entryLabel(i int, n, root *yaml.Node) string {
	label := fmt.Sprintf("envoys[%d]", i)
	if _, v := lookup(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
		return label + " (" + v.Value + ")"
	}
	for _, key := range []string{"target.compose_service", "target.container"} {
		for _, m := range []*yaml.Node{n, root} {
			if _, v := lookup(m, key); v != nil && v.Kind == yaml.ScalarNode && v.Value != "" {
				return label + " (" + v.Value + ")"
			}
		}
	}
	return label
}

// lookup finds a dotted key in mapping n: its key and value nodes, or nils.
func lookup(n *yaml.Node, dotted string) (key, value *yaml.Node) {
	for part := range strings.SplitSeq(dotted, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil, nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == part {
				key, next = n.Content[i], n.Content[i+1]
			}
		}
		if next == nil {
			return nil, nil
		}
		n = next
	}
	return key, n
}

// resolveEnvoys builds each entry of envoys: (nil without it) from the
// top level's keys and its own, through viper like the top level, so that
// the environment and flags apply to every entry alike.
func resolveEnvoys(top Settings, root *yaml.Node, opts Options) ([]Envoy, error) {
	_, seq := lookup(root, envoysKey)
	if seq == nil {
		return nil, nil
	}
	at := func(n *yaml.Node, label, format string, args ...any) *Error {
		return &Error{File: top.File, Line: n.Line, Col: n.Column, Msg: label + ": " + fmt.Sprintf(format, args...)}
	}
	var shared map[string]any
	if err := root.Decode(&shared); err != nil {
		return nil, &Error{File: top.File, Msg: fmt.Sprintf("cannot parse: %v", err)}
	}
	delete(shared, envoysKey)
	envoys := make([]Envoy, len(seq.Content))
	for i, n := range seq.Content {
		var own map[string]any
		if err := n.Decode(&own); err != nil {
			return nil, at(n, fmt.Sprintf("envoys[%d]", i), "%v", err)
		}
		delete(own, "name")
		data, err := yaml.Marshal(inherit(shared, own))
		if err != nil {
			return nil, at(n, fmt.Sprintf("envoys[%d]", i), "%v", err)
		}
		s, err := decode(data, top.File, opts)
		if err != nil {
			return nil, fmt.Errorf("envoys[%d]: %w", i, err)
		}
		s.File, s.Dir = top.File, top.Dir
		name := defaultName(s)
		if _, v := lookup(n, "name"); v != nil {
			name = v.Value
		}
		switch {
		case name == "":
			return nil, at(n, fmt.Sprintf("envoys[%d]", i), "name is required (there is no target.compose_service or target.container to name it after)")
		case !namePattern.MatchString(name):
			return nil, at(n, fmt.Sprintf("envoys[%d]", i), "name %q (from its target) is not a name of letters, digits, '_', '.' and '-'; set name", name)
		}
		envoys[i] = Envoy{Name: name, Settings: s}
	}
	if len(envoys) > 1 {
		if what := overriddenIdentity(opts); what != "" {
			var names []string
			for _, e := range envoys {
				names = append(names, e.Name)
			}
			return nil, &Error{Msg: fmt.Sprintf("%s; %s has %d (%s)", what, top.File, len(envoys), strings.Join(names, ", "))}
		}
	}
	for i := range envoys {
		e, n := &envoys[i], seq.Content[i]
		label := fmt.Sprintf("envoys[%d] (%s)", i, e.Name)
		if err := e.Settings.checkEnvoy(); err != nil {
			var ce *Error
			if !errors.As(err, &ce) {
				return nil, err
			}
			return nil, at(offending(n, ce.Msg), label, "%s", ce.Msg)
		}
		for j, other := range envoys[:i] {
			was := fmt.Sprintf("envoys[%d] (%s)", j, other.Name)
			if other.Name == e.Name {
				node := n
				if _, v := lookup(n, "name"); v != nil {
					node = v
				}
				return nil, at(node, label, "the name %q is also %s's; each Envoy needs its own (set name)", e.Name, was)
			}
			if t := targetOf(e.Settings); t != "" && t == targetOf(other.Settings) {
				return nil, at(targetNode(n), label, "the same target as %s: %s", was, t)
			}
			if adminOf(e.Settings) == adminOf(other.Settings) {
				node := n
				if _, v := lookup(n, "admin.url"); v != nil {
					node = v
				}
				return nil, at(node, label, "the same admin.url as %s (%s): each Envoy's restarts are confirmed on its own admin", was, e.Settings.Admin.URL)
			}
		}
		self := e.Settings
		e.Settings.envoys = []Envoy{{Name: e.Name, Settings: self}}
	}
	return envoys, nil
}

// inherit lays an entry's keys over the top level's, key by key: a group
// (target, validate, …) merges; any other value, paths and lists included,
// replaces, since an entry's paths describe its own container's mounts.
func inherit(shared, own map[string]any) map[string]any {
	out := make(map[string]any, len(shared))
	for k, v := range shared {
		out[k] = v
	}
	for k, v := range own {
		if v == nil {
			continue // `target:` alone sets nothing
		}
		sub, ok := v.(map[string]any)
		base, baseOK := out[k].(map[string]any)
		if ok && baseOK && k == "target" {
			base = targetDefaults(base, sub)
		}
		if ok && baseOK && k != "paths" {
			out[k] = inherit(base, sub)
			continue
		}
		out[k] = v
	}
	return out
}

// targetKinds are the keys that say what a target is; compose_project goes
// with compose_service.
var targetKinds = []string{"container", "compose_service", "pid", "pid_file"}

// targetDefaults is the top level's target as an entry whose own target
// names its kind inherits it: without the other kinds (a shared
// compose_service and an entry's container would be two targets), and
// without compose_project unless the entry is a compose service — so a
// fleet of compose services sharing a project can hold a plain container.
func targetDefaults(shared, own map[string]any) map[string]any {
	ownKind := ""
	for _, k := range targetKinds {
		if own[k] != nil {
			ownKind = k
		}
	}
	if ownKind == "" {
		return shared
	}
	out := make(map[string]any, len(shared))
	for k, v := range shared {
		if slices.Contains(targetKinds, k) || (k == "compose_project" && ownKind != "compose_service") {
			continue
		}
		out[k] = v
	}
	return out
}

// overriddenIdentity names the flag or environment variable that sets a
// key naming one Envoy, or "".
func overriddenIdentity(opts Options) string {
	names := make([]string, 0, len(opts.FlagKeys))
	for name := range opts.FlagKeys {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		key := opts.FlagKeys[name]
		if opts.Flags == nil || !slices.Contains(identityKeys, key) {
			continue
		}
		if f := opts.Flags.Lookup(name); f != nil && f.Changed {
			return fmt.Sprintf("--%s names one Envoy's %s", name, key)
		}
	}
	for _, key := range identityKeys {
		env := EnvPrefix + "_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		if os.Getenv(env) != "" { // viper too ignores an empty variable
			return fmt.Sprintf("%s names one Envoy's %s", env, key)
		}
	}
	return ""
}

// offending is the node of the key a check message starts with, in entry
// n, else n itself.
func offending(n *yaml.Node, msg string) *yaml.Node {
	key := msg[:strings.IndexFunc(msg+" ", func(r rune) bool { return r == ':' || r == ' ' })]
	if k, _ := lookup(n, key); k != nil {
		return k
	}
	return n
}

func targetNode(n *yaml.Node) *yaml.Node {
	for _, key := range []string{"target.container", "target.compose_service", "target.pid", "target.pid_file", "target"} {
		if _, v := lookup(n, key); v != nil {
			return v
		}
	}
	return n
}

// targetOf says what receives an Envoy's signal, "" for nothing; two
// Envoys with the same are one Envoy twice.
func targetOf(s Settings) string {
	t := s.Target
	switch {
	case t.Container != "":
		return fmt.Sprintf("container %q", t.Container)
	case t.ComposeService != "":
		return fmt.Sprintf("compose_service %q of compose_project %q", t.ComposeService, t.ComposeProject)
	case t.PID != 0:
		return fmt.Sprintf("pid %d", t.PID)
	case t.PIDFile != "":
		return fmt.Sprintf("pid_file %q", s.Resolve(t.PIDFile))
	}
	return ""
}

// adminOf is admin.url reduced to what tells two endpoints apart (check
// has made sure it parses).
func adminOf(s Settings) string {
	u, err := url.Parse(s.Admin.URL)
	if err != nil {
		return s.Admin.URL
	}
	return u.Scheme + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
}
