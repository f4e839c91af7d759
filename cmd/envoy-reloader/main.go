// Command envoy-reloader watches a local Envoy's bootstrap, validates every
// change, hot-restarts Envoy and confirms the new config is live.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/internal/report"
)

// Exit codes: 1 for an invalid bootstrap or a failed reload, 2 for usage and
// reloader.yaml errors.
const (
	exitInvalid = 1
	exitUsage   = 2
)

// exitError carries the exit status a command ends with.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(err error) error { return &exitError{code: exitUsage, err: err} }

// namedErr says which of several Envoys err is about, keeping its exit
// status.
func namedErr(name string, err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return &exitError{code: ee.code, err: fmt.Errorf("envoy %s: %w", name, ee.err)}
	}
	return fmt.Errorf("envoy %s: %w", name, err)
}

// globalFlags are the flags every command takes.
type globalFlags struct {
	configFile string
	logFormat  string
	verbose    bool
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the CLI with args and returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != errSilent {
			fmt.Fprintln(stderr, "envoy-reloader:", ee.err)
		}
		return ee.code
	}
	// cobra's own errors: unknown commands and flags.
	fmt.Fprintln(stderr, "envoy-reloader:", err)
	return exitUsage
}

// errSilent ends a command with a status whose reason was already printed.
var errSilent = errors.New("")

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "envoy-reloader",
		Short: "Validate, hot-restart and confirm a local Envoy on every save of its config",
		Long: `envoy-reloader watches an Envoy bootstrap and the files it references,
validates every change, hot-restarts Envoy and confirms the new config is live.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command takes --log-format, and every one rejects a value it
		// would otherwise ignore (status printed text for "xml").
		PersistentPreRunE: func(*cobra.Command, []string) error {
			if _, err := report.ParseFormat(g.logFormat); err != nil {
				return usageErr(fmt.Errorf("--log-format: %w", err))
			}
			return nil
		},
	}
	pf := root.PersistentFlags()
	pf.StringVar(&g.configFile, "config", "", "reloader config file (default ./"+config.DefaultFile+" when present)")
	pf.StringVar(&g.logFormat, "log-format", "text", "output format: text or json")
	pf.BoolVarP(&g.verbose, "verbose", "v", false, "log every file event and what was decided about it")
	// --version prints what the version command prints.
	root.Version = versionString()
	root.Flags().Bool("version", false, "print the version, as the version command does")
	root.SetVersionTemplate("envoy-reloader {{.Version}}\n")
	root.SetUsageTemplate(usageTemplate(root.UsageTemplate()))
	root.AddCommand(newCheckCmd(g), newVersionCmd(), newRestartCmd(g), newStatusCmd(g), newInitCmd())
	root.AddCommand(newLSPCmd(g), newRunCmd(g))
	watch := newWatchCmd(g)
	root.AddCommand(watch)
	// watch is the default command: `envoy-reloader` alone runs it.
	root.Flags().AddFlagSet(watch.Flags())
	root.RunE = watch.RunE
	return root
}

// loadSettings reads reloader.yaml with the command's flags on top.
func loadSettings(g *globalFlags, cmd *cobra.Command, flagKeys map[string]string) (config.Settings, error) {
	s, err := config.Load(config.Options{File: g.configFile, Flags: cmd.Flags(), FlagKeys: flagKeys})
	if err != nil {
		return s, usageErr(err)
	}
	return s, nil
}

// start prepares a long-running command: its settings, its printer, and a
// context that SIGINT and SIGTERM end.
func (g *globalFlags) start(cmd *cobra.Command, flagKeys map[string]string) (config.Settings, *report.Printer, context.Context, context.CancelFunc, error) {
	s, err := loadSettings(g, cmd, flagKeys)
	if err != nil {
		return s, nil, nil, nil, err
	}
	p, err := g.printer(cmd, "")
	if err != nil {
		return s, nil, nil, nil, err
	}
	ctx, stop := interruptContext(cmd.Context())
	return s, p, ctx, stop, nil
}

// interruptContext is ended by the first SIGINT or SIGTERM, which lets the
// command finish what it does; from then on the signals have their default
// effect again, so a second Ctrl-C ends a command that is stuck.
func interruptContext(parent context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		select {
		case <-sigs:
		case <-ctx.Done():
		}
		// Released before ctx ends, so that whoever sees ctx end can count
		// on the next signal having its default effect.
		signal.Stop(sigs)
		cancel()
	}()
	return ctx, cancel
}

func (g *globalFlags) printer(cmd *cobra.Command, format string) (*report.Printer, error) {
	if format == "" {
		format = g.logFormat
	}
	f, err := report.ParseFormat(format)
	if err != nil {
		return nil, usageErr(err)
	}
	return report.NewPrinter(cmd.OutOrStdout(), f), nil
}
