package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf16"

	"go.lsp.dev/protocol"
	"gopkg.in/yaml.v3"
)

// sessionDoc is a small bootstrap; the tests' line numbers are 0-based
// lines of it.
const sessionDoc = `admin:
  address:
    socket_address: {address: 127.0.0.1, port_value: 9901}
static_resources:
  listeners:
  - name: ingress
    address:
      socket_address: {address: 0.0.0.0, port_value: 10000}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          codec_type: AUTO
          route_config:
            name: local
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route:
                  cluster: backend
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: backend
    connect_timeout: 1s
    type: STRICT_DNS
    lb_policy: ROUND_ROBIN
    load_assignment:
      cluster_name: backend
      endpoints:
      - lb_endpoints:
        - endpoint:
            address:
              socket_address: {address: backend.internal, port_value: 8080}
`

// insertAfter puts lines after line (0-based) of sessionDoc.
func insertAfter(line int, add ...string) string {
	ls := strings.Split(sessionDoc, "\n")
	return strings.Join(slices.Insert(ls, line+1, add...), "\n")
}

func utf16Len16(s string) int { return len(utf16.Encode([]rune(s))) }

type completionCase struct {
	name   string
	after  int      // line of sessionDoc the case's lines go after
	add    []string // the last one ends at the cursor
	want   []string // labels offered
	absent []string // labels not offered
	broken bool     // the text does not parse as YAML, even with the cursor's line completed
}

var completionCases = []completionCase{
	{name: "top-level key", after: 2, add: []string{"layered_r"}, want: []string{"layered_runtime"}, absent: []string{"admin", "static_resources"}},
	{name: "admin key", after: 0, add: []string{"  access_log_p"}, want: []string{"access_log_path"}, absent: []string{"address"}},
	{name: "nested block key", after: 1, add: []string{"    pipe:", "      mo"}, want: []string{"mode", "path"}},
	{name: "cluster key, siblings left out", after: 30, add: []string{"    health_ch"}, want: []string{"health_checks", "dns_lookup_family"}, absent: []string{"connect_timeout", "name", "type"}},
	{name: "new sequence entry", after: 28, add: []string{"  - conn"}, want: []string{"connect_timeout", "name"}},
	{name: "enum value", after: 31, add: []string{"    dns_lookup_family: "}, want: []string{"V4_ONLY", "AUTO"}},
	{name: "bool value", after: 31, add: []string{"    respect_dns_ttl: "}, want: []string{"true", "false"}},
	{name: "inside HCM typed_config", after: 14, add: []string{"          use_remote_"}, want: []string{"use_remote_address", "http2_protocol_options"}, absent: []string{"stat_prefix", "codec_type"}},
	{name: "HCM enum value", after: 14, add: []string{"          forward_client_cert_details: "}, want: []string{"SANITIZE", "APPEND_FORWARD"}},
	{name: "inside Router typed_config", after: 27, add: []string{"              suppress_env"}, want: []string{"suppress_envoy_headers"}},
	{name: "@type in an HTTP filter", after: 27, add: []string{"          - name: envoy.filters.http.cors", "            typed_config:", `              "@type": `}, want: []string{"type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors"}},
	{name: "typed_config without @type", after: 27, add: []string{"          - name: x", "            typed_config:", "              "}, want: []string{"@type"}},
	{name: "HTTP filter name", after: 24, add: []string{"          - name: "}, want: []string{"envoy.filters.http.router", "envoy.filters.http.cors"}, absent: []string{"envoy.filters.network.tcp_proxy"}},
	{name: "network filter name", after: 9, add: []string{"      - name: "}, want: []string{"envoy.filters.network.tcp_proxy"}},
	{name: "route's cluster", after: 23, add: []string{"                  timeout: 1s", "                  cluster_header: x", "                  cluster: "}, want: []string{"backend"}},
	{name: "route action key", after: 23, add: []string{"                  timeo"}, want: []string{"timeout", "retry_policy"}, absent: []string{"cluster"}},
	{name: "virtual host key", after: 19, add: []string{"              retry_pol"}, want: []string{"retry_policy"}, absent: []string{"domains"}},
	{name: "flow mapping key", after: 30, add: []string{"    upstream_bind_config: {source_address: {address: 0.0.0.0, port_v"}, want: []string{"port_value", "protocol"}, absent: []string{"address"}},
	{name: "flow mapping enum value", after: 30, add: []string{"    upstream_bind_config: {source_address: {protocol: "}, want: []string{"TCP", "UDP"}},
	{name: "flow sequence of mappings", after: 19, add: []string{"              routes: [{match: {prefix: /}, route: {cluster: backend, timeo"}, want: []string{"timeout"}, absent: []string{"cluster"}},
	{name: "broken YAML: unclosed quote above", after: 30, add: []string{`    alt_stat_name: "never closed`, "    outlier_d"}, want: []string{"outlier_detection"}, broken: true},
	{name: "broken YAML: unclosed flow and a tab", after: 33, add: []string{"      policy: {drop_overloads: [", "\tjunk", "      policy:", "        drop_overloads:", "        - categ"}, want: []string{"category", "drop_percentage"}, broken: true},
	{name: "broken YAML inside typed_config", after: 13, add: []string{"          server_name: 'open", "          normalize_p"}, want: []string{"normalize_path"}, broken: true},
}

// TestSession drives the built binary as an editor would: open, a burst
// of keystrokes, diagnostics equal to check's, completion in 20 places,
// hover, definition, references, a code action, shutdown and exit.
func TestSession(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "envoy.yaml")
	u := fileURI(path)
	c, stop := startBinary(t, dir)
	defer stop()

	c.open(u, sessionDoc, 1)
	if ds := c.diagnostics(u, 1); len(ds) != 0 {
		t.Fatalf("valid document: %v", ds)
	}

	// A burst: "    respect_dns_tt: true" typed after line 30, one
	// keystroke per didChange, incremental.
	typed := "    respect_dns_tt: true"
	text := insertAfter(30, "")
	version := int32(1)
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": 2},
		"contentChanges": []map[string]any{{"text": text}}})
	version = 2
	for i, r := range typed {
		version++
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": version},
			"contentChanges": []map[string]any{{"range": map[string]any{"start": pos(31, i), "end": pos(31, i)}, "text": string(r)}}})
	}
	text = insertAfter(30, typed)
	// A line with characters outside the BMP before an error on it: the
	// column is in UTF-16 units.
	emoji := `    metadata: {filter_metadata: {"🙂ü": {k: v}}, typed_filter_metdata: {}}`
	version++
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": version},
		"contentChanges": []map[string]any{{"range": map[string]any{"start": pos(32, 0), "end": pos(32, 0)}, "text": emoji + "\n"}}})
	lines := strings.Split(text, "\n")
	text = strings.Join(slices.Insert(lines, 32, emoji), "\n")
	got := c.diagnostics(u, version)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	want := checkJSON(t, dir, path)
	if len(want) != 2 {
		t.Fatalf("check found %v", want)
	}
	sameAsCheck(t, text, got, want)
	if ch := got[1].Range.Start.Character; int(ch) != utf16Len16(emoji[:strings.Index(emoji, "typed_filter_metdata")]) {
		t.Errorf("the error after 🙂 is at character %d", ch)
	}

	// The quick fix of the did-you-mean.
	var actions []protocol.CodeAction
	c.result("textDocument/codeAction", map[string]any{"textDocument": map[string]any{"uri": u},
		"range": got[0].Range, "context": map[string]any{"diagnostics": got[:1]}}, &actions)
	if len(actions) != 1 || actions[0].Edit.Changes[u][0].NewText != "respect_dns_ttl" {
		t.Errorf("code actions %+v for %+v", actions, got[0])
	} else if r := actions[0].Edit.Changes[u][0].Range; r.Start != (protocol.Position{Line: 31, Character: 4}) || r.End.Character != uint32(len("    respect_dns_tt")) {
		t.Errorf("quick fix range %+v", r)
	}

	// Completion, each case's text sent whole.
	for _, tc := range completionCases {
		version++
		doc := insertAfter(tc.after, tc.add...)
		var node yaml.Node
		if broken := yaml.Unmarshal([]byte(doc), &node) != nil; tc.broken && !broken {
			t.Errorf("%s: YAML broken %v", tc.name, broken)
		}
		c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": version},
			"contentChanges": []map[string]any{{"text": doc}}})
		line := tc.after + len(tc.add)
		var list protocol.CompletionList
		c.result("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": u},
			"position": pos(line, utf16Len16(tc.add[len(tc.add)-1]))}, &list)
		var labels []string
		for _, it := range list.Items {
			labels = append(labels, it.Label)
		}
		for _, w := range tc.want {
			if !slices.Contains(labels, w) {
				t.Errorf("%s: %q not offered (%d items: %.300v)", tc.name, w, len(labels), labels)
			}
		}
		for _, a := range tc.absent {
			if slices.Contains(labels, a) {
				t.Errorf("%s: %q offered", tc.name, a)
			}
		}
		if tc.name == "@type in an HTTP filter" && len(list.Items) > 0 {
			slices.SortFunc(list.Items, func(a, b protocol.CompletionItem) int { return strings.Compare(a.SortText, b.SortText) })
			if !strings.HasPrefix(list.Items[0].Label, "type.googleapis.com/envoy.extensions.filters.http.") {
				t.Errorf("@type ranked first: %s", list.Items[0].Label)
			}
		}
	}

	version++
	c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": version},
		"contentChanges": []map[string]any{{"text": sessionDoc}}})
	c.diagnostics(u, version)
	sessionNavigation(t, c, u)
	stop()
}

func sessionNavigation(t *testing.T, c *client, u protocol.DocumentURI) {
	hovers := []struct {
		line, char int
		want       string
	}{
		{30, 6, "The timeout for new network connections"},
		{13, 12, "stat_prefix"},                                  // inside the HCM's typed_config
		{12, 20, "HttpConnectionManager"},                        // the @type's message
		{31, 5, "STRICT_DNS"},                                    // an enum field lists its values
		{2, 6, "envoyproxy.io/docs/envoy/v1.40.0/api-v3/config"}, // a link to that version's docs
		{39, 62, "**port_value** `uint32`"},                      // a key inside a flow mapping
		{39, 45, "**address** `string`"},                         // a value inside a flow mapping
	}
	for _, h := range hovers {
		var hv protocol.Hover
		c.result("textDocument/hover", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(h.line, h.char)}, &hv)
		if !strings.Contains(hv.Contents.Value, h.want) {
			t.Errorf("hover at %d:%d: %q lacks %q", h.line, h.char, hv.Contents.Value, h.want)
		}
	}
	var locs []protocol.Location
	c.result("textDocument/definition", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(23, 29)}, &locs)
	if len(locs) != 1 || locs[0].Range.Start != (protocol.Position{Line: 29, Character: 10}) {
		t.Errorf("definition of the route's cluster: %+v", locs)
	}
	c.result("textDocument/references", map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(29, 12),
		"context": map[string]any{"includeDeclaration": true}}, &locs)
	var at []uint32
	for _, l := range locs {
		at = append(at, l.Range.Start.Line)
	}
	if !slices.Equal(at, []uint32{29, 23, 34}) {
		t.Errorf("references of cluster backend on lines %v", at)
	}
}
