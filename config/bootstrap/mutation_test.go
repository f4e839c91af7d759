package bootstrap

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// mutationSources are the valid bootstraps the mutations start from: the
// repository's own, and the real corpus where it is present.
func mutationSources(t *testing.T) map[string][]byte {
	t.Helper()
	sources := map[string][]byte{}
	valid, err := os.ReadFile("../../cmd/envoy-reloader/testdata/valid.yaml")
	if err != nil {
		t.Fatal(err)
	}
	sources["testdata/valid.yaml"] = valid
	// The example as committed: the quick start invites editing it.
	sources["envoy/envoy.yaml"] = envoytest.Pristine(t, "examples/compose/envoy/envoy.yaml")
	corpus, err := readManifest()
	if err != nil && os.Getenv("CI") != "" {
		t.Fatalf("the corpus must be present in CI: %v", err)
	}
	for _, f := range corpus {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(corpusDir, f)
		sources[rel] = b
	}
	return sources
}

// allMutations is the mutation corpus: every applicable mutation of every
// source, and the hostile inputs.
func allMutations(t *testing.T) []envoytest.Mutation {
	t.Helper()
	sources := mutationSources(t)
	names := make([]string, 0, len(sources))
	for n := range sources {
		names = append(names, n)
	}
	slices.Sort(names)
	var all []envoytest.Mutation
	for _, n := range names {
		all = append(all, envoytest.Mutate(n, sources[n])...)
	}
	return append(all, envoytest.Hostile()...)
}

// TestMutationCorpusIsRejected: each broken bootstrap is rejected with a
// diagnostic that has a line, and in bounded time and memory (generous
// bounds: they catch blow-ups, not slowness).
func TestMutationCorpusIsRejected(t *testing.T) {
	cases := allMutations(t)
	perKind := map[string]int{}
	for _, m := range cases {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		res := Load("broken.yaml", m.Data, Options{})
		took := time.Since(start)
		runtime.ReadMemStats(&after)
		if res.Valid() {
			t.Errorf("%s: accepted", m.Name)
			continue
		}
		located := slices.ContainsFunc(res.Diagnostics, func(d Diagnostic) bool {
			return d.Severity == SeverityError && d.Line >= 1 && d.Col >= 1
		})
		if !located {
			t.Errorf("%s: no error with a line: %v", m.Name, res.Diagnostics)
		}
		if took > 10*time.Second {
			t.Errorf("%s: took %s", m.Name, took)
		}
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
			t.Errorf("%s: allocated %d MB", m.Name, alloc>>20)
		}
		perKind[m.Kind]++
	}
	kinds := make([]string, 0, len(perKind))
	for k := range perKind {
		kinds = append(kinds, k)
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		t.Logf("%-42s %4d rejected", k, perKind[k])
	}
	t.Logf("mutation corpus: %d broken bootstraps, all rejected with a located diagnostic", len(cases))
	if _, err := readManifest(); err == nil && len(cases) < 200 {
		t.Errorf("only %d mutations; the issue asks for at least 200", len(cases))
	}
}
