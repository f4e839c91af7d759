// Command fidelity runs the differential harness (`make fidelity`): every
// corpus bootstrap and seeded variants of them through both `check` and a
// real `envoy --mode validate`, and prints the agreement table by kind.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoyvalidate"
	"github.com/envoy-reloader/envoy-reloader/internal/fidelity"
)

func main() {
	root, _ := os.Getwd()
	envoy := flag.String("envoy", "", "the Envoy binary (default: $ENVOY_BINARY, else build/envoy)")
	n := flag.Int("n", 5000, "variants to generate")
	seed := flag.Uint64("seed", 1, "seed of the variants")
	workers := flag.Int("j", runtime.NumCPU(), "parallel runs")
	timeout := flag.Duration("timeout", 20*time.Minute, "bound on the whole run")
	out := flag.String("out", "", "write every disagreement's file and Envoy's message into this directory")
	files := flag.Bool("files", false, "judge only the bootstrap files given as arguments, as they are (no variants)")
	flag.Parse()
	bin := *envoy
	if bin == "" {
		bin = os.Getenv("ENVOY_BINARY")
	}
	if bin == "" {
		bin = filepath.Join(root, "build", "envoy")
	}
	if _, err := envoyvalidate.Find(bin); err != nil {
		fmt.Fprintf(os.Stderr, "fidelity: %v (make envoy installs it)\n", err)
		os.Exit(2)
	}
	sources, err := fidelity.DefaultSources(root)
	if *files {
		// A disagreement written by -out, say, judged again after a fix.
		sources, err = fidelity.LoadSources("", flag.Args()...)
		*n = 0
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fidelity:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("fidelity: %d sources, %d variants (seed %d), %d workers, %s\n", len(sources), *n, *seed, *workers, bin)
	rep, err := fidelity.Run(ctx, fidelity.Config{Envoy: bin, Seed: *seed, Variants: *n, Workers: *workers, Timeout: *timeout, Sources: sources, Progress: os.Stdout})
	if err != nil {
		fmt.Fprintln(os.Stderr, "fidelity:", err)
		os.Exit(2)
	}
	fidelity.Print(os.Stdout, "### The sources as they are", fidelity.Table(rep.Base))
	fidelity.Print(os.Stdout, fmt.Sprintf("### %d variants", len(rep.Variants)), fidelity.Table(rep.Variants))
	fmt.Printf("\nSources Envoy refuses as they are (no variants made of them): %d\n", len(rep.Skipped))
	for _, s := range rep.Skipped {
		fmt.Println("  ", s)
	}
	all := append(append([]fidelity.Case{}, rep.Base...), rep.Variants...)
	d := fidelity.Disagreements(all)
	fmt.Printf("\nDisagreements: %d\n", len(d))
	for _, s := range d {
		fmt.Println("  ", s)
	}
	if *out != "" {
		_ = os.MkdirAll(*out, 0o755)
		for i, c := range all {
			if c.Class == fidelity.FalseAccept || c.Class == fidelity.FalseReject {
				name := filepath.Join(*out, fmt.Sprintf("%05d-%s.yaml", i, strings.ReplaceAll(c.Class, " ", "-")))
				var msgs []string
				for _, d := range c.Check {
					msgs = append(msgs, d.String())
				}
				note := fmt.Sprintf("# kind: %s\n# source: %s\n# envoy: %s\n# check: %s\n", c.Kind, c.Source,
					strings.ReplaceAll(firstN(c.Envoy.Message, 600), "\n", "\n#   "), strings.Join(msgs, "; "))
				_ = os.WriteFile(name, append([]byte(note), c.Data...), 0o644)
			}
		}
	}
	fmt.Printf("\nfull run: %s%s\n", rep.Took.Round(time.Second), map[bool]string{true: " (timed out: partial)", false: ""}[rep.TimedOut])
}

func firstN(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
