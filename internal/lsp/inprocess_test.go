package lsp

import (
	"context"
	"encoding/json"
	"io"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestMain fails the package when a test leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startInProcess runs Serve on pipes; done yields Serve's error.
func startInProcess(t *testing.T, cfg Config) (*client, <-chan error) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := Serve(context.Background(), inR, outW, inR, cfg)
		_ = outW.Close()
		done <- err
	}()
	t.Cleanup(func() { _ = inW.Close() })
	return newClient(t, outR, inW), done
}

// TestStaleVersionNeverPublished holds a validation until the document
// has changed again: its result is dropped, and the newer version's is
// published.
func TestStaleVersionNeverPublished(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	release := make(chan struct{})
	loaded := make(chan int32, 4)
	afterLoad = func(v int32) {
		loaded <- v
		if v == 2 {
			<-release
		}
	}
	defer func() { afterLoad = nil }()
	c, done := startInProcess(t, Config{Debounce: time.Millisecond})
	c.initialize()
	u := fileURI("/tmp/stale/envoy.yaml")
	c.open(u, sessionDoc, 1)
	c.diagnostics(u, 1)
	<-loaded
	change := func(v int, text string) {
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": v},
			"contentChanges": []map[string]any{{"text": text}}})
	}
	change(2, insertAfter(30, "    conect_timeout: 1s"))
	if v := <-loaded; v != 2 {
		t.Fatalf("validated version %d", v)
	}
	change(3, sessionDoc)
	time.Sleep(20 * time.Millisecond) // version 3 is the document's before 2's result is taken
	close(release)
	if ds := c.diagnostics(u, 3); len(ds) != 0 {
		t.Errorf("version 3: %v", ds)
	}
	if !slices.Equal(c.published, []int32{1, 3}) {
		t.Errorf("published versions %v, want [1 3]", c.published)
	}
	c.result("shutdown", nil, nil)
	c.notify("exit", nil)
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	<-c.done
	select {
	case m := <-c.notes:
		var p publishParams
		decodeJSON(t, m.Params, &p)
		if m.Method == "textDocument/publishDiagnostics" && p.Version != nil && *p.Version == 2 {
			t.Errorf("stale version 2 published")
		}
	default:
	}
}

// TestServeEndsWithItsInput: the end of stdin ends the server, leaving no
// goroutine behind.
func TestServeEndsWithItsInput(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	inR, inW := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- Serve(context.Background(), inR, io.Discard, inR, Config{}) }()
	body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": map[string]any{"capabilities": map[string]any{}}})
	_, _ = io.WriteString(inW, "Content-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+string(body))
	_ = inW.Close()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not end with its input")
	}
}
