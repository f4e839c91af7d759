package lsp

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"go.lsp.dev/protocol"
)

// TestBadInput sends the built binary what an editor should not: each
// gets a clear error or an empty result, and the server answers on.
func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	c, stop := startBinary(t, dir)
	defer stop()
	alive := func(what string) {
		t.Helper()
		if m := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///none.yaml"}, "position": pos(0, 0)}); m.Error != nil || string(m.Result) != "null" {
			t.Fatalf("after %s: hover answered %s %+v", what, m.Result, m.Error)
		}
	}
	parseError := func(what string, body []byte) {
		t.Helper()
		c.writeRaw(body)
		for m := range c.notes {
			if m.Method == "" {
				if m.Error == nil || m.Error.Code != -32700 || m.ID != nil && string(*m.ID) != "null" {
					t.Errorf("%s: answered %+v", what, m)
				}
				break
			}
		}
		alive(what)
	}
	parseError("malformed JSON", []byte(`{"jsonrpc":"2.0","id":1,"method":`))
	parseError("JSON that is not JSON-RPC", []byte(`[1,2,3]`))
	parseError("a message past the limit", []byte(`{"jsonrpc":"2.0","method":"x","params":"`+strings.Repeat("a", maxMessage)+`"}`))

	if m := c.call("initialize", map[string]any{"capabilities": map[string]any{}}); m.Error == nil || m.Error.Code != -32600 {
		t.Errorf("a second initialize: %+v", m)
	}
	if m := c.call("workspace/symbol", map[string]any{"query": "x"}); m.Error == nil || m.Error.Code != -32601 {
		t.Errorf("unknown method: %+v", m)
	}
	c.notify("custom/notification", map[string]any{})
	alive("an unknown notification")
	if m := c.call("textDocument/hover", map[string]any{"textDocument": 5}); m.Error == nil || m.Error.Code != -32602 {
		t.Errorf("params of the wrong shape: %+v", m)
	}
	if m := c.call("textDocument/completion", nil); m.Error == nil || m.Error.Code != -32602 {
		t.Errorf("no params: %+v", m)
	}

	// A document that is not YAML is not claimed: no diagnostics, and
	// empty results.
	junk := fileURI(filepath.Join(dir, "junk.yaml"))
	c.open(junk, "\x00\x01\xff\xfe{{{ ]]] :::\n\t\tnot: [yaml", 1)
	var list *protocol.CompletionList
	c.result("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": junk}, "position": pos(1, 3)}, &list)
	if list != nil {
		t.Errorf("completion in an unclaimed file: %+v", list)
	}

	// A bootstrap that becomes binary junk: check's YAML error.
	doc := fileURI(filepath.Join(dir, "envoy.yaml"))
	c.open(doc, sessionDoc, 1)
	c.diagnostics(doc, 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": doc, "version": 2},
		"contentChanges": []map[string]any{{"text": "static_resources:\n  clusters: [\x00\xff\n\t- ]"}}})
	if ds := c.diagnostics(doc, 2); len(ds) == 0 || !strings.HasPrefix(ds[0].Message, "YAML") {
		t.Errorf("junk bootstrap: %v", ds)
	}
	// A change whose range is past the end is refused; the text stays.
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": doc, "version": 3},
		"contentChanges": []map[string]any{{"range": map[string]any{"start": pos(99, 0), "end": pos(99, 1)}, "text": "x"}}})
	// Completion and hover past the end of the document, and far right.
	for _, p := range []map[string]any{pos(500, 0), pos(1, 9999), pos(0, 0)} {
		c.result("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": doc}, "position": p}, nil)
		c.result("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": doc}, "position": p}, nil)
		c.result("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": doc}, "position": p}, nil)
	}

	// A huge document: check's refusal, fast.
	var b strings.Builder
	b.WriteString("static_resources:\n  clusters:\n")
	for i := 0; b.Len() < 17<<20; i++ {
		b.WriteString("  - name: c")
		b.WriteString(strings.Repeat("x", 64))
		b.WriteString("\n")
	}
	huge := fileURI(filepath.Join(dir, "huge.yaml"))
	c.open(huge, b.String(), 1)
	if ds := c.diagnostics(huge, 1); len(ds) != 1 || !strings.Contains(ds[0].Message, "bootstraps over 16 MB are refused") {
		t.Errorf("huge document: %v", ds)
	}
	alive("a huge document")
	stop()
}

// TestRequestBeforeInitialize: the protocol's ServerNotInitialized.
func TestRequestBeforeInitialize(t *testing.T) {
	c, done := startInProcess(t, Config{})
	m := c.call("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": "file:///x"}, "position": pos(0, 0)})
	if m.Error == nil || m.Error.Code != -32002 {
		t.Errorf("before initialize: %+v", m)
	}
	c.notify("exit", nil)
	if err := <-done; err != errExitWithoutShutdown {
		t.Errorf("exit without shutdown: Serve returned %v", err)
	}
}

func decodeJSON(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatal(err)
	}
}
