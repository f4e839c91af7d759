package lsp

import (
	"os"
	"path/filepath"
	"testing"

	"go.lsp.dev/protocol"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// TestReloaderYAMLSettings: the server reads reloader.yaml as check does.
// Its bootstrap is claimed whatever it holds, its validate.deny_deprecated
// makes a deprecated field an error as check's does, and a YAML file that
// is not a bootstrap gets nothing.
func TestReloaderYAMLSettings(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("reloader.yaml", "bootstrap: proxy.yaml\nvalidate:\n  deny_deprecated: true\n")
	deprecated := insertAfter(31, "    http2_protocol_options: {}")
	proxy := write("proxy.yaml", deprecated)
	other := write("other.yaml", deprecated)
	c, stop := startBinary(t, dir)
	defer stop()

	k8s := fileURI(filepath.Join(dir, "deploy.yaml"))
	c.open(k8s, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n", 1)
	// A listed bootstrap is claimed even when it does not read as one yet.
	c.open(fileURI(proxy), "# empty for now\n", 1)
	if ds := c.diagnostics(fileURI(proxy), 1); len(ds) != 1 {
		t.Errorf("empty listed bootstrap: %v", ds)
	}
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": fileURI(proxy), "version": 2},
		"contentChanges": []map[string]any{{"text": deprecated}}})
	got := c.diagnostics(fileURI(proxy), 2)
	sameAsCheck(t, deprecated, got, checkJSON(t, dir, proxy))
	if len(got) != 1 || got[0].Severity != protocol.DiagnosticSeverityError || len(got[0].Tags) != 1 {
		t.Errorf("deny_deprecated: %+v", got)
	}
	// A file reloader.yaml does not list has its top-level settings: with
	// deny_deprecated, check FILE makes it an error too.
	c.open(fileURI(other), deprecated, 1)
	sameAsCheck(t, deprecated, c.diagnostics(fileURI(other), 1), checkJSON(t, dir, other))
	if n := c.seen[k8s]; n != 0 {
		t.Errorf("%d publications for a Kubernetes manifest", n)
	}
}

func TestLooksLikeBootstrap(t *testing.T) {
	for text, want := range map[string]bool{
		sessionDoc:                           true,
		"static_resources:\n  clusters: [\n": true, // half-typed
		"apiVersion: v1\nkind: ConfigMap\ndata:\n  envoy.yaml: |\n":  false,
		"admin:\n  address: x\nservices:\n  web: {}\nnetworks: {}\n": false, // one known key among others
		"":                         false,
		"\x00\xff":                 false,
		`{"static_resources": {}}`: false, // JSON: only when reloader.yaml lists it
		"node: {id: a}\nlayered_runtime: {}\ncustom_thing: 1\n": true,
	} {
		if got := looksLikeBootstrap(text); got != want {
			t.Errorf("looksLikeBootstrap(%.40q) = %v", text, got)
		}
	}
}

// TestHoverIndexCoverage: the embedded index documents nearly every field
// of the Envoy API's messages.
func TestHoverIndexCoverage(t *testing.T) {
	idx := loadDocs()
	fields, documented := 0, 0
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		md := mt.Descriptor()
		if len(md.FullName()) < 6 || md.FullName()[:6] != "envoy." {
			return true
		}
		for i := range md.Fields().Len() {
			fields++
			if idx.Docs[string(md.Fields().Get(i).FullName())] != "" {
				documented++
			}
		}
		return true
	})
	t.Logf("%d of %d envoy.* fields documented, Envoy docs %s", documented, fields, idx.Version)
	if fields < 4000 || documented*10 < fields*9 {
		t.Errorf("%d of %d fields documented", documented, fields)
	}
}
