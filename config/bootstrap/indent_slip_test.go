package bootstrap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// indentSlips breaks every indented line of a real bootstrap by one space
// removed, and every non-blank line by one space added, and counts the
// variants whose first error is at the broken line. Variants that still
// load without error (the slip changed nothing Envoy would refuse) are left
// out of the ratio and counted apart.
func indentSlips(t *testing.T, data string) (hits, total, stillValid int, misses []string) {
	t.Helper()
	lines := strings.Split(data, "\n")
	try := func(i int, broken string, how string) {
		variant := append([]string(nil), lines...)
		variant[i] = broken
		res := Load("slip.yaml", []byte(strings.Join(variant, "\n")), Options{})
		first := -1
		for _, d := range res.Diagnostics {
			if d.Severity == SeverityError {
				first = d.Line
				break
			}
		}
		if first < 0 {
			stillValid++
			return
		}
		total++
		if first == i+1 {
			hits++
			return
		}
		for _, d := range res.Diagnostics {
			if d.Severity == SeverityError {
				misses = append(misses, how+" at line "+itoa(i+1)+": "+d.String())
				break
			}
		}
	}
	for i, l := range lines {
		trimmed := strings.TrimLeft(l, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if len(trimmed) < len(l) {
			try(i, l[1:], "removed")
		}
		try(i, " "+l, "added")
	}
	return hits, total, stillValid, misses
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// TestIndentSlipsReportedAtTheirLine is issue 11's target: at least 90% of
// one-space indentation slips in a real bootstrap reported at their own line.
func TestIndentSlipsReportedAtTheirLine(t *testing.T) {
	corpusBootstraps(t)
	for _, name := range []string{"front-proxy/envoy.yaml"} {
		data, err := os.ReadFile(filepath.Join(corpusDir, name))
		if err != nil {
			t.Fatal(err)
		}
		hits, total, stillValid, misses := indentSlips(t, string(data))
		ratio := float64(hits) / float64(total)
		t.Logf("%s: %d of %d invalid variants reported at the broken line (%.1f%%); %d variants still valid",
			name, hits, total, 100*ratio, stillValid)
		for _, m := range misses {
			t.Log("miss: " + m)
		}
		if ratio < 0.90 {
			t.Errorf("%s: %.1f%% of indentation slips reported at their line, want at least 90%%", name, 100*ratio)
		}
	}
}

// TestIndentSlipsWholeCorpus measures the same on every corpus bootstrap, so
// the analysis is not tuned to one file. Slow: skipped with -short.
func TestIndentSlipsWholeCorpus(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("slow: about 10,000 loads (run without -race and -short)")
	}
	var hits, total, valid int
	for _, file := range corpusBootstraps(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		h, n, v, misses := indentSlips(t, string(data))
		hits, total, valid = hits+h, total+n, valid+v
		if n > 0 && float64(h)/float64(n) < 0.9 {
			t.Logf("%s: %d of %d", file, h, n)
			for i, m := range misses {
				if i < 5 {
					t.Log("miss: " + m)
				}
			}
		}
	}
	ratio := float64(hits) / float64(total)
	t.Logf("corpus: %d of %d invalid variants reported at the broken line (%.1f%%); %d still valid", hits, total, 100*ratio, valid)
	if ratio < 0.90 {
		t.Errorf("%.1f%% of indentation slips across the corpus reported at their line, want at least 90%%", 100*ratio)
	}
}

// TestLocatorsOnOddInput feeds the two locators lines they must survive:
// lone anchors and tags, bare dashes, block scalars at the end, unclosed
// everything.
func TestLocatorsOnOddInput(t *testing.T) {
	for _, in := range []string{
		"&a", "!t", "a:\n  &x\n  b: 1\n", "- \n-", "a: |", "a: >\n", "- - - x: |\n", "\"", "'a''", "[{", "a: [\n",
		"a:\n - b\n  - c\n", "%YAML 1.1\n%YAML", "a: *", "a: &", "\t- a", "a: \"\\", "? x\n: y\n", "---\n---\n- a\n b",
	} {
		res := Load("odd.yaml", []byte(in), Options{})
		for _, d := range res.Diagnostics {
			if d.Line < 1 || d.Col < 1 {
				t.Errorf("%q: diagnostic without a position: %v", in, d)
			}
		}
	}
}
