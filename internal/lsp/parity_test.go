package lsp

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// checkJSON runs the built binary's `check --format json` on file.
func checkJSON(t testing.TB, dir, file string) []bootstrap.Diagnostic {
	t.Helper()
	cmd := exec.Command(builtBinary(t), "check", "--format", "json", file)
	cmd.Dir = dir
	out, _ := cmd.Output() // exit status 1 for an invalid file
	var ds []bootstrap.Diagnostic
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var d bootstrap.Diagnostic
		if err := json.Unmarshal(sc.Bytes(), &d); err != nil || d.Message == "" {
			continue // the summary line
		}
		ds = append(ds, d)
	}
	return ds
}

// sameAsCheck fails unless the LSP diagnostics are check's, one for one:
// line, UTF-16 character of check's column, severity and message.
func sameAsCheck(t testing.TB, text string, got []protocol.Diagnostic, want []bootstrap.Diagnostic) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d LSP diagnostics, check has %d:\nLSP   %v\ncheck %v", len(got), len(want), got, want)
		return
	}
	for i, w := range want {
		g := got[i]
		line := lineAt(text, w.Line-1)
		if int(g.Range.Start.Line) != w.Line-1 || g.Range.Start.Character != utf16Col(line, w.Col) ||
			g.Message != w.Message || g.Severity != severity(w.Severity) {
			t.Errorf("diagnostic %d: LSP %d:%d %v %q, check %d:%d %s %q", i, g.Range.Start.Line, g.Range.Start.Character,
				g.Severity, g.Message, w.Line, w.Col, w.Severity, w.Message)
		}
	}
}

const corpus = "/work/shared/corpus/envoy-examples"

// TestCorpusParity opens every corpus bootstrap in one session of the
// built binary: each file's diagnostics are check's.
func TestCorpusParity(t *testing.T) {
	manifest, err := os.ReadFile(filepath.Join(corpus, "MANIFEST"))
	if err != nil {
		t.Skipf("no corpus: %v", err)
	}
	var files []string
	for line := range strings.SplitSeq(string(manifest), "\n") {
		if f, ok := strings.CutPrefix(line, "bootstrap "); ok {
			files = append(files, filepath.Join(corpus, strings.TrimSpace(f)))
		}
	}
	if len(files) < 40 {
		t.Fatalf("only %d bootstraps in MANIFEST", len(files))
	}
	c, stop := startBinary(t, t.TempDir())
	defer stop()
	withDiags := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		u := fileURI(f)
		c.open(u, string(data), 1)
		got := c.diagnostics(u, 1)
		want := checkJSON(t, filepath.Dir(f), f)
		if len(want) > 0 {
			withDiags++
		}
		sameAsCheck(t, string(data), got, want)
		c.notify("textDocument/didClose", map[string]any{"textDocument": map[string]any{"uri": u}})
	}
	t.Logf("%d corpus bootstraps, %d with warnings: LSP diagnostics equal check's", len(files), withDiags)
}
