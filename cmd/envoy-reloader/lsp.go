package main

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/lsp"
)

func newLSPCmd(g *globalFlags) *cobra.Command {
	return &cobra.Command{
		Use:   "lsp",
		Short: "Run the language server for Envoy bootstraps on stdin/stdout",
		Long: `lsp speaks the Language Server Protocol on stdin and stdout: check's diagnostics
while typing (reloader.yaml's validate.* honoured), completion, hover docs,
go-to-cluster and did-you-mean fixes. It claims reloader.yaml's bootstraps and
any file whose top-level keys are a bootstrap's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := loadSettings(g, cmd, nil)
			if err != nil {
				return err
			}
			cfg := lsp.Config{Bootstraps: map[string]bootstrap.Options{}, Default: validateOptions(s), Version: version}
			for _, e := range s.Envoys() {
				if p := e.Settings.BootstrapPath(); p != "" {
					if abs, err := filepath.Abs(p); err == nil {
						p = abs
					}
					cfg.Bootstraps[p] = validateOptions(e.Settings)
				}
			}
			tuneGC()
			ctx, stop := interruptContext(cmd.Context())
			defer stop()
			in := stdinPollable()
			if err := lsp.Serve(ctx, in, cmd.OutOrStdout(), in, cfg); err != nil {
				return &exitError{code: exitInvalid, err: err}
			}
			return nil
		},
	}
}

// stdinPollable is stdin in non-blocking mode, so that closing it ends a
// read blocked on it when the client says exit (a blocking os.Stdin would
// keep the read, and the server, waiting).
func stdinPollable() *os.File {
	if err := syscall.SetNonblock(0, true); err != nil {
		return os.Stdin
	}
	return os.NewFile(0, "/dev/stdin")
}

// The server keeps a small heap (the open documents, the hover index:
// about 20 MB), and a validation of a large bootstrap allocates some 40 MB
// that lives only as long as it does: at GOGC=100 the collector ran two or
// three times a validation, marking the half-built tree each time, and
// took a third of its CPU. GOGC=200 halves that; 400 was no faster in
// the keystroke benchmark once the machine was busy, for some 90 MB more
// resident. The memory limit makes the collector work harder rather than
// let many open files grow the heap past it.
const (
	lspGCPercent   = 200
	lspMemoryLimit = 384 << 20
)

// tuneGC sets the server's GC, unless GOGC or GOMEMLIMIT say otherwise.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(lspGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(lspMemoryLimit)
	}
}
