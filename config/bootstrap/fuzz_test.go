package bootstrap

import (
	"os"
	"testing"
)

// FuzzLoad feeds the loader arbitrary bytes, seeded with the real corpus and
// the test bootstraps: it must never panic, and every diagnostic must carry
// a position.
func FuzzLoad(f *testing.F) {
	seeds, _ := readManifest() // without the corpus, the other seeds remain
	for _, file := range seeds {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b)
		}
	}
	if b, err := os.ReadFile("../../cmd/envoy-reloader/testdata/valid.yaml"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(minimal))
	// Broken YAML, for the locators of syntax errors (indent.go, tokens.go).
	for _, s := range []string{"a:\n  b: 1\n   c: 2\n", "a: \"x\n b: y\n", "a: [1,\nb: 2\n", "a: |\n  x\n y\n", "- a: *n\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		res := Load("fuzz.yaml", data, Options{})
		for _, d := range res.Diagnostics {
			if d.Line < 1 || d.Col < 1 || d.Message == "" {
				t.Fatalf("diagnostic without position or message: %+v", d)
			}
		}
	})
}
