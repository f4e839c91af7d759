package standin

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// options are Envoy's command-line flags, with Envoy's names and defaults.
type options struct {
	configPath               string
	configYAML               string
	restartEpoch             uint
	baseID                   uint
	drainTime                time.Duration
	parentShutdownTime       time.Duration
	drainStrategy            string
	mode                     string
	socketPath               string
	concurrency              uint
	logLevel                 string
	hotRestartVersion        bool
	skipHotRestartOnNoParent bool
	// Stand-in only: share the admin socket with SO_REUSEPORT (the
	// misconfiguration of envoyproxy/envoy#38146), and a start-up delay.
	adminReusePort bool
	initDelay      time.Duration
}

func parseOptions(args []string) (options, error) {
	var o options
	var drainS, shutdownS uint
	fs := flag.NewFlagSet("envoy", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.configPath, "c", "", "path to the bootstrap")
	fs.StringVar(&o.configPath, "config-path", "", "path to the bootstrap")
	fs.StringVar(&o.configYAML, "config-yaml", "", "YAML merged over the bootstrap")
	fs.UintVar(&o.restartEpoch, "restart-epoch", 0, "hot restart epoch")
	fs.UintVar(&o.baseID, "base-id", 0, "base id of shared memory and domain sockets")
	fs.UintVar(&drainS, "drain-time-s", 600, "drain time in seconds")
	fs.UintVar(&shutdownS, "parent-shutdown-time-s", 900, "parent shutdown time in seconds")
	fs.StringVar(&o.drainStrategy, "drain-strategy", "gradual", "gradual or immediate")
	fs.StringVar(&o.mode, "mode", "serve", "serve, validate or init_only")
	fs.StringVar(&o.socketPath, "socket-path", "@envoy_domain_socket", "hot restart socket path")
	fs.UintVar(&o.concurrency, "concurrency", 1, "worker threads")
	fs.StringVar(&o.logLevel, "l", "info", "log level")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level")
	fs.BoolVar(&o.hotRestartVersion, "hot-restart-version", false, "print the hot restart version")
	fs.BoolVar(&o.skipHotRestartOnNoParent, "skip-hot-restart-on-no-parent", false, "start normally without a parent")
	fs.BoolVar(&o.adminReusePort, "standin-admin-reuse-port", false, "share the admin socket with SO_REUSEPORT (stand-in only)")
	fs.DurationVar(&o.initDelay, "init-delay", 0, "time taken to initialize before LIVE (stand-in only)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.drainTime = time.Duration(drainS) * time.Second
	o.parentShutdownTime = time.Duration(shutdownS) * time.Second
	switch o.mode {
	case "serve", "validate", "init_only":
	default:
		return o, fmt.Errorf("unknown mode '%s'", o.mode)
	}
	if o.drainStrategy != "gradual" && o.drainStrategy != "immediate" {
		return o, fmt.Errorf("unknown drain-strategy '%s'", o.mode)
	}
	if o.configPath == "" && !o.hotRestartVersion {
		return o, fmt.Errorf("no config path given (-c)")
	}
	if !strings.HasPrefix(o.socketPath, "@") {
		// Only the abstract namespace is modelled.
		o.socketPath = "@" + o.socketPath
	}
	return o, nil
}

// logger writes Envoy's log format:
// [2026-11-24 18:00:00.123][pid][level][main] [source/file.cc:line] message
type logger struct {
	w   io.Writer
	pid int
}

func newLogger(w io.Writer) *logger { return &logger{w: w, pid: os.Getpid()} }

func (l *logger) line(level, file string, line int, format string, args ...any) {
	fmt.Fprintf(l.w, "[%s][%d][%s][main] [%s:%d] %s\n", time.Now().Format("2006-01-02 15:04:05.000"), l.pid, level, file, line, fmt.Sprintf(format, args...))
}

func (l *logger) info(file string, line int, format string, args ...any) {
	l.line("info", file, line, format, args...)
}

func (l *logger) warn(file string, line int, format string, args ...any) {
	l.line("warning", file, line, format, args...)
}

func (l *logger) error(file string, line int, format string, args ...any) {
	l.line("error", file, line, format, args...)
}

func (l *logger) critical(file string, line int, format string, args ...any) {
	l.line("critical", file, line, format, args...)
}

// raw writes a bare line, as Envoy's main does with a fatal error's text.
func (l *logger) raw(s string) { fmt.Fprintln(l.w, s) }
