package docker

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// EnvoyValidate runs the container's own Envoy in validate mode on its
// bootstrap: it binds no port and does not hot-restart, so it is safe
// beside the running Envoy, and it knows the extensions that build has.
func (d *Container) EnvoyValidate(ctx context.Context, lookup bool) (restart.Validation, error) {
	info, err := d.current(ctx)
	if lookup {
		info, err = d.Find(ctx)
	}
	if err != nil {
		return restart.Validation{}, err
	}
	ok, output, err := d.envoyValidateIn(ctx, info)
	return restart.Validation{OK: ok, Output: output, Instance: instanceOf(info)}, err
}

// instanceOf names a container instance: a restart or a recreation starts
// a new one.
func instanceOf(info container.InspectResponse) string {
	return info.ID + "@" + info.State.StartedAt
}

func (d *Container) envoyValidateIn(ctx context.Context, info container.InspectResponse) (ok bool, output []string, err error) {
	cmd := d.EnvoyCommand
	if len(cmd) == 0 {
		if cmd, err = validateCommand(append(append([]string{}, info.Config.Entrypoint...), info.Config.Cmd...)); err != nil {
			return false, nil, err
		}
	}
	// A validate that hangs must hold neither the reload nor Ctrl-C: it is
	// bounded, and its attached connection, which nothing else closes, is
	// closed when ctx ends. (Docker cannot kill an exec; the process ends
	// on its own or with the container.)
	ctx, cancel := context.WithTimeout(ctx, envoyValidateTimeout)
	defer cancel()
	exec, err := d.cli.ContainerExecCreate(ctx, info.ID, container.ExecOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		return false, nil, fmt.Errorf("exec %s: %w", strings.Join(cmd, " "), err)
	}
	att, err := d.cli.ContainerExecAttach(ctx, exec.ID, container.ExecAttachOptions{})
	if err != nil {
		return false, nil, fmt.Errorf("exec %s: %w", strings.Join(cmd, " "), err)
	}
	stopClosing := context.AfterFunc(ctx, att.Close)
	defer stopClosing()
	var buf bytes.Buffer
	_, _ = stdcopy.StdCopy(&buf, &buf, att.Reader)
	att.Close()
	if ctx.Err() != nil {
		return false, nil, fmt.Errorf("exec %s: %w", strings.Join(cmd, " "), context.Cause(ctx))
	}
	res, err := d.cli.ContainerExecInspect(ctx, exec.ID)
	if err != nil {
		return false, nil, fmt.Errorf("exec %s: %w", strings.Join(cmd, " "), err)
	}
	return res.ExitCode == 0, splitLines(buf.String()), nil
}

// envoyValidateTimeout bounds the container's `envoy --mode validate`; a
// real Envoy validates a bootstrap in well under a second.
const envoyValidateTimeout = 30 * time.Second

// validateCommand derives `envoy --mode validate -c PATH` from a container's
// command line: the Envoy binary (after a hot restarter's "--", if any), its
// -c / --config-path argument, and every flag of the serving Envoy's that
// changes what validates (validatedFlags). Its log is at warning level: the
// rejection and deprecations, not the start-up's hundreds of info lines.
func validateCommand(argv []string) ([]string, error) {
	bin, config, kept, err := parseEnvoyCommand(argv)
	if err != nil {
		return nil, err
	}
	return append(append([]string{bin, "--mode", "validate", "-c", config}, kept...), "-l", "warning"), nil
}

// configPathOf is the -c path of the Envoy a container's command runs.
func configPathOf(argv []string) (string, error) {
	_, config, _, err := parseEnvoyCommand(argv)
	return config, err
}

// parseEnvoyCommand finds the Envoy binary, its config path and the flags
// of validatedFlags in a container's command line.
func parseEnvoyCommand(argv []string) (bin, config string, kept []string, err error) {
	if i := slices.Index(argv, "--"); i >= 0 {
		argv = argv[i+1:]
	}
	for i := 0; i < len(argv); i++ {
		a := argv[i]
		name, value, hasValue := strings.Cut(a, "=")
		switch {
		case bin == "" && path.Base(a) == "envoy":
			bin = a
		case (a == "-c" || a == "--config-path") && i+1 < len(argv):
			i++
			config = argv[i]
		case name == "--config-path" && hasValue:
			config = value
		case validatedFlags[name] && hasValue:
			kept = append(kept, a)
		case validatedFlags[a] && takesValue[a] && i+1 < len(argv):
			kept = append(kept, a, argv[i+1])
			i++
		case validatedFlags[a] && !takesValue[a]:
			kept = append(kept, a)
		}
	}
	if bin == "" || config == "" {
		return "", "", nil, fmt.Errorf("cannot find the envoy binary and its -c path in the container's command %q; set validate.envoy_command", strings.Join(argv, " "))
	}
	return bin, config, kept, nil
}

// validatedFlags are the serving Envoy's flags that change what its
// validate accepts (source/server/options_impl.cc; applied in
// InstanceUtil::loadBootstrapConfig and the validation visitor): an
// overlay merged before the checks, the node identity xDS needs, the
// unknown-field policies and disabled extensions.
var validatedFlags = map[string]bool{
	"--config-yaml": true, "--service-cluster": true, "--service-node": true, "--service-zone": true,
	"--allow-unknown-static-fields": true, "--reject-unknown-dynamic-fields": true, "--ignore-unknown-dynamic-fields": true,
	"--disable-extensions": true, "--bootstrap-version": true,
}

// takesValue are those of validatedFlags given as "--flag VALUE".
var takesValue = map[string]bool{
	"--config-yaml": true, "--service-cluster": true, "--service-node": true, "--service-zone": true,
	"--disable-extensions": true, "--bootstrap-version": true,
}

// ValidatesOnSignal implements restart.SelfValidator: the container's PID 1
// is envoy-hot-restarter with --validate (before its "--"), which runs
// Envoy's validate itself and logs its verdict, so no `docker exec` is
// needed. hot-restarter.py and a restarter without it keep the exec.
func (d *Container) ValidatesOnSignal(ctx context.Context) bool {
	info, err := d.current(ctx)
	if err != nil || info.Config == nil {
		return false
	}
	return restarterValidates(append(append([]string{}, info.Config.Entrypoint...), info.Config.Cmd...))
}

func restarterValidates(argv []string) bool {
	if len(argv) == 0 || path.Base(argv[0]) != "envoy-hot-restarter" {
		return false
	}
	for _, a := range argv[1:] {
		switch a {
		case "--":
			return false
		case "--validate", "-validate", "--validate=true", "-validate=true":
			return true
		}
	}
	return false
}
