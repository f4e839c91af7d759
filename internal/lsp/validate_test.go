package lsp

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestChangeCancelsTheValidationUnderWay: the validation of version 1 is
// held until its context ends; the change to version 2 ends it (no
// debounce: it starts at once), and only version 2 is published.
func TestChangeCancelsTheValidationUnderWay(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	cancelled := make(chan int32, 4)
	beforeLoad = func(ctx context.Context, v int32) {
		if v != 1 {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Errorf("version 1's validation was not cancelled by version 2")
		}
	}
	cancelledLoad = func(v int32) { cancelled <- v }
	defer func() { beforeLoad, cancelledLoad = nil, nil }()
	c, done := startInProcess(t, Config{})
	c.initialize()
	u := fileURI("/tmp/cancel/envoy.yaml")
	c.open(u, sessionDoc, 1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": 2},
		"contentChanges": []map[string]any{{"text": insertAfter(30, "    conect_timeout: 1s")}}})
	if ds := c.diagnostics(u, 2); len(ds) != 1 {
		t.Errorf("version 2: %v, want the typo", ds)
	}
	if v := <-cancelled; v != 1 {
		t.Errorf("cancelled version %d, want 1", v)
	}
	if !slices.Equal(c.published, []int32{2}) {
		t.Errorf("published versions %v, want [2]", c.published)
	}
	c.result("shutdown", nil, nil)
	c.notify("exit", nil)
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	<-c.done
}
