package config

import (
	"fmt"
	"strings"
	"syscall"

	"github.com/envoy-reloader/envoy-reloader/internal/adminurl"
)

// signals are the names target.signal accepts.
var signals = map[string]syscall.Signal{
	"SIGHUP": syscall.SIGHUP, "SIGUSR1": syscall.SIGUSR1, "SIGUSR2": syscall.SIGUSR2,
	"SIGTERM": syscall.SIGTERM, "SIGINT": syscall.SIGINT, "SIGQUIT": syscall.SIGQUIT,
}

// Signal is target.signal as a signal; SIGHUP, HUP and hup are the same.
func (s Settings) Signal() (syscall.Signal, error) {
	name := strings.ToUpper(s.Target.Signal)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	sig, ok := signals[name]
	if !ok {
		return 0, &Error{File: s.File, Msg: fmt.Sprintf("target.signal: unknown signal %q (use SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT or SIGQUIT)", s.Target.Signal)}
	}
	return sig, nil
}

// HasTarget reports whether anything to signal is configured.
func (s Settings) HasTarget() bool {
	t := s.Target
	return t.Container != "" || t.ComposeService != "" || t.PID != 0 || t.PIDFile != ""
}

// IsContainer reports whether the target is a Docker container.
func (s Settings) IsContainer() bool {
	return s.Target.Container != "" || s.Target.ComposeService != ""
}

// EnvoyValidate reports whether the target's own Envoy validates each
// config before the signal: on by default for a container.
func (s Settings) EnvoyValidate() bool {
	switch s.Validate.Envoy {
	case "on", "true":
		return true
	case "off", "false":
		return false
	}
	return s.IsContainer()
}

func (s Settings) checkTarget() error {
	t := s.Target
	kinds := 0
	for _, set := range []bool{t.Container != "", t.ComposeService != "", t.PID != 0 || t.PIDFile != ""} {
		if set {
			kinds++
		}
	}
	if kinds > 1 {
		return &Error{File: s.File, Msg: "target: set only one of container, compose_service, or pid/pid_file"}
	}
	if t.PID != 0 && t.PIDFile != "" {
		return &Error{File: s.File, Msg: "target: set pid or pid_file, not both"}
	}
	if t.PID < 0 {
		return &Error{File: s.File, Msg: fmt.Sprintf("target.pid: %d is not a process ID", t.PID)}
	}
	if t.ComposeProject != "" && t.ComposeService == "" {
		return &Error{File: s.File, Msg: "target.compose_project needs target.compose_service"}
	}
	if _, err := s.Signal(); err != nil {
		return err
	}
	switch s.Validate.Envoy {
	case "auto", "on", "off", "true", "false":
	default:
		return &Error{File: s.File, Msg: fmt.Sprintf("validate.envoy: %q is not auto, on or off", s.Validate.Envoy)}
	}
	if _, err := adminurl.Parse(s.Admin.URL); err != nil {
		return &Error{File: s.File, Msg: "admin.url: " + err.Error()}
	}
	if s.Confirm.Interval <= 0 || s.Confirm.Timeout <= 0 {
		return &Error{File: s.File, Msg: "confirm.interval and confirm.timeout must be positive"}
	}
	return nil
}
