package fidelity

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envoyBinary finds the real Envoy as every test of the project does:
// $ENVOY_BINARY, else <repo root>/build/envoy (`make envoy`); without one
// the test skips, except with ENVOY_REQUIRED=1 (CI), where it fails.
func envoyBinary(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("ENVOY_BINARY")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "envoy")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		if os.Getenv("ENVOY_REQUIRED") == "1" {
			t.Fatalf("no Envoy binary at %s (ENVOY_REQUIRED=1): run make envoy or set ENVOY_BINARY", bin)
		}
		t.Skipf("no Envoy binary at %s: run make envoy or set ENVOY_BINARY to compare check with the real Envoy", bin)
	}
	abs, _ := filepath.Abs(bin)
	return abs
}

// TestCheckAgreesWithEnvoy runs every source and a seeded sample of
// variants through check and the real `envoy --mode validate`: no false
// reject at all, and false accepts at most 0.5% of the variants. The
// sources Envoy refuses as they are (contrib extensions this build lacks,
// a Wasm module or Lua library the corpus does not ship) are listed in
// docs/check-limits.md and are no false reject either way.
func TestCheckAgreesWithEnvoy(t *testing.T) {
	bin := envoyBinary(t)
	sources, err := DefaultSources(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	n := 300
	if testing.Short() {
		n = 100
	}
	ctx, cancel := context.WithTimeout(context.Background(), 110*time.Second)
	defer cancel()
	rep, err := Run(ctx, Config{Envoy: bin, Seed: 21, Variants: n, Workers: 2, Sources: sources})
	if err != nil {
		t.Fatal(err)
	}
	if rep.TimedOut {
		t.Errorf("the sample did not finish in time (%d variants judged)", len(rep.Variants))
	}
	var b strings.Builder
	Print(&b, "variants", Table(rep.Variants))
	t.Log(b.String())
	falseAccepts := 0
	for _, c := range append(append([]Case{}, rep.Base...), rep.Variants...) {
		switch c.Class {
		case FalseReject:
			t.Errorf("false reject [%s] %s: check says %s; Envoy accepts it", c.Kind, c.Source, c.Check[0])
		case FalseAccept:
			if c.Kind != "corpus as is" {
				falseAccepts++
				t.Logf("false accept [%s] %s: Envoy says %s", c.Kind, c.Source, firstLine(c.Envoy.Message))
			}
		}
	}
	if limit := len(rep.Variants) / 200; falseAccepts > limit {
		t.Errorf("%d false accepts in %d variants; at most %d (0.5%%) allowed", falseAccepts, len(rep.Variants), limit)
	}
	if len(rep.Variants) < n*9/10 {
		t.Errorf("only %d variants judged of %d", len(rep.Variants), n)
	}
	t.Logf("%d sources, %d variants, %d kinds, in %s", len(rep.Base), len(rep.Variants), len(Table(rep.Variants)), rep.Took.Round(time.Millisecond))
}
