// Package config loads reloader.yaml: one settings struct with its defaults,
// layered file < ENVOY_RELOADER_* environment < flags through viper, with unknown keys rejected;
// the Envoys it lists (envoys:, envoys.go); and init's scaffolding of it (scaffold.go).
package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"gopkg.in/yaml.v3"
)

// DefaultFile is the config file looked for in the working directory.
const DefaultFile = "reloader.yaml"

// EnvPrefix prefixes the environment variables that override keys:
// watch.debounce is ENVOY_RELOADER_WATCH_DEBOUNCE.
const EnvPrefix = "ENVOY_RELOADER"

// Settings is everything reloader.yaml can set. The mapstructure tags are
// the keys; Defaults gives every key's default.
type Settings struct {
	// Bootstrap is the Envoy bootstrap to validate and watch, relative to reloader.yaml.
	Bootstrap string   `mapstructure:"bootstrap"`
	Validate  Validate `mapstructure:"validate"`
	Watch     Watch    `mapstructure:"watch"`
	Target    Target   `mapstructure:"target"`
	Admin     Admin    `mapstructure:"admin"`
	Confirm   Confirm  `mapstructure:"confirm"`
	// Run is `envoy-reloader run`'s Envoy, which the reloader starts and
	// hot-restarts itself.
	Run Run `mapstructure:"run"`
	// Paths maps directories as Envoy sees them (inside its container) to
	// where they are here, relative to reloader.yaml; empty derives it from
	// the container's bind mounts.
	Paths map[string]string `mapstructure:"paths"`
	// Notify raises a desktop notification (notify-send) when a reload
	// fails; NotifySuccess also when one is confirmed.
	Notify        bool `mapstructure:"notify"`
	NotifySuccess bool `mapstructure:"notify_success"`

	// File is the reloader.yaml read ("" when none was), and Dir the
	// directory relative paths are resolved from.
	File string `mapstructure:"-"`
	Dir  string `mapstructure:"-"`

	// envoys is what Load resolved of envoys: (see Envoys).
	envoys []Envoy
}

// Validate holds the validate.* keys.
type Validate struct {
	// Strict makes a typed_config type unknown to go-control-plane an error.
	Strict bool `mapstructure:"strict"`
	// DenyDeprecated makes deprecated fields and enum values in the
	// bootstrap errors instead of warnings.
	DenyDeprecated bool `mapstructure:"deny_deprecated"`
	// Envoy is "auto" (on for a container target), "on" or "off": run the
	// target's own `envoy --mode validate` on the new config before signalling.
	Envoy string `mapstructure:"envoy"`
	// EnvoyCommand overrides the validate command; empty takes the binary
	// and -c path from the container's command line.
	EnvoyCommand []string `mapstructure:"envoy_command"`
	// EnvoyBinary is a local Envoy whose `--mode validate` runs after
	// check's own checks pass (check --envoy): "" off, "auto" the envoy
	// found on PATH, else its path.
	EnvoyBinary string `mapstructure:"envoy_binary"`
}

// Target holds the target.* keys: what receives the hot-restart signal.
type Target struct {
	// Container is a Docker container name or ID, matched exactly.
	Container string `mapstructure:"container"`
	// ComposeService (with ComposeProject when several projects run it)
	// finds the container by its Docker Compose labels.
	ComposeService string `mapstructure:"compose_service"`
	ComposeProject string `mapstructure:"compose_project"`
	// PID or PIDFile name a local hot restarter process instead.
	PID     int    `mapstructure:"pid"`
	PIDFile string `mapstructure:"pid_file"`
	// Signal is what the hot restarter gets.
	Signal string `mapstructure:"signal"`
}

// Admin holds the admin.* keys.
type Admin struct {
	// URL is Envoy's admin endpoint, http or https.
	URL string `mapstructure:"url"`
}

// Confirm holds the confirm.* keys.
type Confirm struct {
	// Interval is the pause between two /server_info reads.
	Interval time.Duration `mapstructure:"interval"`
	// Timeout bounds the wait for the new epoch to be LIVE.
	Timeout time.Duration `mapstructure:"timeout"`
}

// Run holds the run.* keys.
type Run struct {
	// Command is Envoy's command line (binary, -c bootstrap, flags) that
	// `envoy-reloader run` starts when given none after --; relative paths
	// in it are from reloader.yaml's directory, where Envoy runs.
	Command []string `mapstructure:"command"`
	// EnvoyLog is the lowest level of Envoy's own lines shown.
	EnvoyLog string `mapstructure:"envoy_log"`
	// StopTimeout bounds the wait for the epochs to end after SIGTERM,
	// before SIGKILL.
	StopTimeout time.Duration `mapstructure:"stop_timeout"`
}

// Watch holds the watch.* keys.
type Watch struct {
	// Debounce is the quiet time after the last change of a burst.
	Debounce time.Duration `mapstructure:"debounce"`
	// Settle replaces Debounce after a save that renamed a whole file into
	// place (see watch.Options.Settle).
	Settle time.Duration `mapstructure:"settle"`
	// MaxWait bounds how long a stream of changes can delay a reload.
	MaxWait time.Duration `mapstructure:"max_wait"`
	// Poll is "auto" (poll only where file events do not arrive), "off", or
	// a polling interval forced on every watched directory.
	Poll string `mapstructure:"poll"`
	// Extra are glob patterns of more files whose changes cause a reload.
	Extra []string `mapstructure:"extra"`
}

// Defaults returns the settings used for keys that nothing sets.
func Defaults() Settings {
	return Settings{
		Bootstrap: "envoy.yaml",
		Validate:  Validate{Envoy: "auto", EnvoyCommand: []string{}},
		Target:    Target{Signal: "SIGHUP"},
		Admin:     Admin{URL: "http://127.0.0.1:9901"},
		Confirm:   Confirm{Interval: 5 * time.Millisecond, Timeout: 15 * time.Second},
		Run:       Run{Command: []string{}, EnvoyLog: "warning", StopTimeout: 10 * time.Second},
		Paths:     map[string]string{},
		Watch: Watch{
			Debounce: 150 * time.Millisecond,
			Settle:   15 * time.Millisecond,
			MaxWait:  2 * time.Second,
			Poll:     "auto",
			Extra:    []string{},
		},
	}
}

// Error is a problem with reloader.yaml or the settings; the CLI exits 2 on it.
type Error struct {
	File string
	Line int
	Col  int
	Msg  string
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return e.Msg
}

// Options say where to load from.
type Options struct {
	// File is the reloader.yaml to read; "" looks for DefaultFile in the
	// working directory and uses the defaults when there is none.
	File string
	// Flags, when set, override the file and environment for the keys they
	// are bound to (see BindFlag).
	Flags *pflag.FlagSet
	// FlagKeys maps flag names to the keys they set.
	FlagKeys map[string]string
}

// Load reads the settings: defaults, then the file, then the environment,
// then the flags. Every problem is an *Error. With envoys: in the file the
// returned Settings hold the top level, the defaults every entry inherits;
// Envoys gives each Envoy's own.
func Load(opts Options) (Settings, error) {
	file, explicit := opts.File, opts.File != ""
	if !explicit {
		file = DefaultFile
	}
	var s Settings
	var root *yaml.Node
	data, err := os.ReadFile(file)
	found := err == nil
	switch {
	case found:
		if root, err = checkKeys(file, data); err != nil {
			return s, err
		}
	case explicit || !errors.Is(err, os.ErrNotExist):
		return s, &Error{File: file, Msg: fmt.Sprintf("cannot read the config file: %v", err)}
	}
	if s, err = decode(data, file, opts); err != nil {
		return s, err
	}
	s.Dir = "."
	if found {
		s.File, s.Dir = file, filepath.Dir(file)
	}
	if err := s.checkGlobal(); err != nil {
		return s, err
	}
	if s.envoys, err = resolveEnvoys(s, root, opts); err != nil || s.envoys != nil {
		return s, err
	}
	return s, s.checkEnvoy()
}

// decode runs data (YAML, possibly empty) through viper with the defaults
// below it and the environment and flags above it; file names it in errors.
func decode(data []byte, file string, opts Options) (Settings, error) {
	var s Settings
	v := viper.New()
	for key, val := range flatten(Defaults()) {
		v.SetDefault(key, val)
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if len(data) > 0 {
		v.SetConfigType("yaml")
		if err := v.ReadConfig(strings.NewReader(string(data))); err != nil {
			return s, &Error{File: file, Msg: fmt.Sprintf("cannot parse: %v", err)}
		}
	}
	for name, key := range opts.FlagKeys {
		if f := opts.Flags.Lookup(name); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return s, &Error{Msg: fmt.Sprintf("flag --%s: %v", name, err)}
			}
		}
	}
	if err := v.Unmarshal(&s); err != nil {
		// Reached by bad ENVOY_RELOADER_* values; the file was checked before.
		msg := strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), "decoding failed due to the following error(s):", "")), " ")
		return s, &Error{Msg: "invalid setting (from the environment or flags): " + msg}
	}
	return s, nil
}

// BootstrapPath is the bootstrap's path, resolved against reloader.yaml's directory.
func (s Settings) BootstrapPath() string {
	return s.Resolve(s.Bootstrap)
}

// Resolve makes a path from reloader.yaml relative to its directory.
func (s Settings) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(s.Dir, p)
}

// PollMode reads watch.poll: auto, off, or a forced interval.
func (s Settings) PollMode() (auto bool, interval time.Duration, err error) {
	switch s.Watch.Poll {
	case "auto", "":
		return true, 0, nil
	case "off":
		return false, 0, nil
	}
	d, err := time.ParseDuration(s.Watch.Poll)
	if err != nil || d <= 0 {
		return false, 0, &Error{File: s.File, Msg: fmt.Sprintf("watch.poll: %q is not auto, off or a positive duration such as 500ms", s.Watch.Poll)}
	}
	return false, d, nil
}

// checkGlobal checks the keys only the top level sets (see globalOnly).
func (s Settings) checkGlobal() error {
	if s.Watch.Debounce < 0 || s.Watch.MaxWait < 0 || s.Watch.Settle < 0 {
		return &Error{File: s.File, Msg: "watch.debounce, watch.settle and watch.max_wait must not be negative"}
	}
	if s.Watch.MaxWait > 0 && s.Watch.MaxWait < s.Watch.Debounce {
		return &Error{File: s.File, Msg: fmt.Sprintf("watch.max_wait (%s) is shorter than watch.debounce (%s)", s.Watch.MaxWait, s.Watch.Debounce)}
	}
	for _, pattern := range s.Watch.Extra {
		if _, err := filepath.Match(pattern, ""); err != nil {
			return &Error{File: s.File, Msg: fmt.Sprintf("watch.extra: bad pattern %q: %v", pattern, err)}
		}
	}
	if s.Run.StopTimeout <= 0 {
		return &Error{File: s.File, Msg: "run.stop_timeout must be positive"}
	}
	switch s.Run.EnvoyLog {
	case "trace", "debug", "info", "warning", "warn", "error", "critical", "off":
	default:
		return &Error{File: s.File, Msg: fmt.Sprintf("run.envoy_log: %q is not one of Envoy's levels (trace, debug, info, warning, error, critical, off)", s.Run.EnvoyLog)}
	}
	_, _, err := s.PollMode()
	return err
}

// checkEnvoy checks the keys that describe one Envoy; with envoys: the
// top level holds only what the entries share, and each entry is checked.
func (s Settings) checkEnvoy() error {
	if s.Bootstrap == "" {
		return &Error{File: s.File, Msg: "bootstrap: the path of the Envoy bootstrap is empty"}
	}
	return s.checkTarget()
}

// Keys lists every key reloader.yaml accepts, in dotted form.
func Keys() []string {
	var keys []string
	for k := range flatten(Defaults()) {
		keys = append(keys, k)
	}
	return keys
}

// flatten maps each dotted key to its value in s, following mapstructure tags.
func flatten(s Settings) map[string]any {
	out := make(map[string]any)
	var walk func(prefix string, v reflect.Value)
	walk = func(prefix string, v reflect.Value) {
		t := v.Type()
		for i := range t.NumField() {
			tag := t.Field(i).Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			key := tag
			if prefix != "" {
				key = prefix + "." + tag
			}
			if f := v.Field(i); f.Kind() == reflect.Struct {
				walk(key, f)
			} else {
				out[key] = f.Interface()
			}
		}
	}
	walk("", reflect.ValueOf(s))
	return out
}
