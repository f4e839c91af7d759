package config

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/internal/suggest"
)

// keyChecker knows every key of reloader.yaml and the shape of its value,
// so that a typo or a misplaced value is reported at its line and column;
// viper would silently ignore the one and report the other without a place.
type keyChecker struct {
	file     string
	known    map[string]bool // every key, and every group (target, watch, …)
	free     map[string]bool // keys whose sub-keys are the user's own (paths)
	defaults map[string]any
}

func newKeyChecker(file string) *keyChecker {
	kc := &keyChecker{file: file, known: map[string]bool{}, free: map[string]bool{}, defaults: flatten(Defaults())}
	for k, v := range kc.defaults {
		if reflect.ValueOf(v).Kind() == reflect.Map {
			kc.free[k] = true
		}
		kc.known[k] = true
		for p := k; strings.Contains(p, "."); {
			p = p[:strings.LastIndexByte(p, '.')]
			kc.known[p] = true
		}
	}
	return kc
}

// errAt is an *Error at node n; label names the Envoy entry it is in, if any.
func (kc *keyChecker) errAt(n *yaml.Node, label, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if label != "" {
		msg = label + ": " + msg
	}
	return &Error{File: kc.file, Line: n.Line, Col: n.Column, Msg: msg}
}

// special handles a key before the common checks (envoys at the top level,
// name in an entry); handled stops them.
type special func(key string, k, v *yaml.Node) (handled bool, err error)

// walk checks the keys of mapping n under prefix against known, with
// suggestions taken from the same set.
func (kc *keyChecker) walk(prefix string, n *yaml.Node, known map[string]bool, label string, hook special) error {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		if prefix != "" {
			key = prefix + "." + k.Value
		}
		if hook != nil {
			handled, err := hook(key, k, v)
			if err != nil {
				return err
			}
			if handled {
				continue
			}
		}
		if !known[key] {
			msg := fmt.Sprintf("unknown key %q", key)
			if s := suggest.Closest(key, sortedKeys(known)); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			return kc.errAt(k, label, "%s", msg)
		}
		_, leaf := kc.defaults[key]
		if msg := checkValue(key, kc.defaults[key], !leaf, v); msg != "" {
			return kc.errAt(v, label, "%s", msg)
		}
		if kc.free[key] {
			continue
		}
		if err := kc.walk(key, v, known, label, hook); err != nil {
			return err
		}
	}
	return nil
}

// checkKeys rejects keys the settings do not have and values of the wrong
// shape, naming the line and the closest known key. It returns the root
// mapping (nil for an empty file) for the envoys: entries to be read from.
func checkKeys(file string, data []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &Error{File: file, Msg: fmt.Sprintf("invalid YAML: %v", err)}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.ShortTag() == "!!null" {
			return nil, nil
		}
		return nil, &Error{File: file, Line: root.Line, Col: root.Column, Msg: "expected a mapping of settings"}
	}
	kc := newKeyChecker(file)
	known := maps(kc.known, map[string]bool{envoysKey: true})
	err := kc.walk("", root, known, "", func(key string, _, v *yaml.Node) (bool, error) {
		if key != envoysKey {
			return false, nil
		}
		return true, kc.checkEnvoys(root, v)
	})
	return root, err
}

// checkValue reports a value of the wrong type or shape for its key, where
// the YAML still knows its position (viper's own message would not).
func checkValue(key string, def any, group bool, v *yaml.Node) string {
	if v.Kind == yaml.AliasNode || v.ShortTag() == "!!null" {
		return ""
	}
	if group {
		if v.Kind != yaml.MappingNode {
			return fmt.Sprintf("%s: expected a mapping of %s.* keys, not %s", key, key, shape(v))
		}
		return ""
	}
	switch def.(type) {
	case map[string]string:
		if v.Kind != yaml.MappingNode {
			return fmt.Sprintf("%s: expected a mapping, not %s", key, shape(v))
		}
		return ""
	case []string:
		// A lone scalar is taken as a list of one, as viper does.
		if v.Kind == yaml.MappingNode {
			return fmt.Sprintf("%s: expected a list, not %s", key, shape(v))
		}
		return ""
	}
	if v.Kind != yaml.ScalarNode {
		return fmt.Sprintf("%s: expected a single value, not %s", key, shape(v))
	}
	switch def.(type) {
	case time.Duration:
		if _, err := time.ParseDuration(v.Value); err != nil {
			return fmt.Sprintf("%s: %q is not a duration (such as 150ms or 2s)", key, v.Value)
		}
	case bool:
		if v.ShortTag() != "!!bool" {
			return fmt.Sprintf("%s: %q is not true or false", key, v.Value)
		}
	case int:
		if v.ShortTag() != "!!int" {
			return fmt.Sprintf("%s: %q is not a whole number", key, v.Value)
		}
	}
	return ""
}

func shape(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// maps is the union of sets.
func maps(sets ...map[string]bool) map[string]bool {
	out := map[string]bool{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

func sortedKeys(known map[string]bool) []string {
	out := make([]string, 0, len(known))
	for k, ok := range known {
		if ok {
			out = append(out, k)
		}
	}
	slices.Sort(out) // a stable choice between equally close keys
	return out
}
