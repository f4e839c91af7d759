package lsp

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// startYLS runs yaml-language-server --stdio; the client answers its
// workspace/configuration requests with validation, hover and completion on.
func startYLS(t *testing.T, bin, dir string) *client {
	cmd := exec.Command(bin, "--stdio")
	cmd.Dir = dir
	in, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	c := newClient(t, out, in)
	c.pid = cmd.Process.Pid
	c.answer = func(m message) any {
		if m.Method != "workspace/configuration" {
			return nil
		}
		var p struct{ Items []struct{ Section string } }
		_ = json.Unmarshal(m.Params, &p)
		res := make([]any, len(p.Items))
		for i, it := range p.Items {
			if it.Section == "yaml" {
				res[i] = map[string]any{"validate": true, "hover": true, "completion": true, "schemas": map[string]any{},
					"format": map[string]any{"enable": false}, "maxItemsComputed": 5000}
			}
		}
		return res
	}
	c.result("initialize", map[string]any{"processId": os.Getpid(), "rootUri": fileURI(dir), "capabilities": map[string]any{
		"workspace":    map[string]any{"configuration": true},
		"textDocument": map[string]any{"publishDiagnostics": map[string]any{}, "hover": map[string]any{"contentFormat": []string{"markdown"}}},
	}}, nil)
	c.notify("initialized", map[string]any{})
	return c
}

// compareFeatures: completion inside typed_config, hover, definition,
// keystroke latency on the 2,000-cluster file, install size and memory.
func compareFeatures(t *testing.T, sides []*side) {
	type probe struct {
		name string
		run  func(s *side) string
	}
	complete := func(after int, add, want string) func(s *side) string {
		return func(s *side) string {
			u := s.uri("c" + want + ".yaml")
			s.c.open(u, s.head+insertAfter(after, add), 1)
			s.publication(u, 5*time.Second)
			var list protocol.CompletionList
			m := s.c.call("textDocument/completion", map[string]any{"textDocument": map[string]any{"uri": u},
				"position": pos(after+1+strings.Count(s.head, "\n"), len(add))})
			_ = json.Unmarshal(m.Result, &list)
			for _, it := range list.Items {
				if it.Label == want {
					return fmt.Sprintf("✓ (%d items)", len(list.Items))
				}
			}
			return fmt.Sprintf("— (%d items, no %s)", len(list.Items), want)
		}
	}
	at := func(method string, line, char int, extra map[string]any) func(s *side) string {
		return func(s *side) string {
			u := s.uri("nav.yaml")
			if !s.navOpen {
				s.c.open(u, s.head+sessionDoc, 1)
				s.publication(u, 5*time.Second)
				s.navOpen = true
			}
			params := map[string]any{"textDocument": map[string]any{"uri": u}, "position": pos(line+strings.Count(s.head, "\n"), char)}
			for k, v := range extra {
				params[k] = v
			}
			m := s.c.call(method, params)
			if m.Error != nil || string(m.Result) == "null" || string(m.Result) == "[]" {
				return "—"
			}
			if method == "textDocument/hover" {
				var h struct{ Contents json.RawMessage }
				_ = json.Unmarshal(m.Result, &h)
				var mc protocol.MarkupContent
				text := string(h.Contents)
				if json.Unmarshal(h.Contents, &mc) == nil {
					if mc.Value == "" {
						return "— (empty)"
					}
					text = mc.Value
				}
				return "✓ " + strings.ReplaceAll(firstLine(strings.TrimSpace(text)), "|", "\\|")
			}
			return "✓"
		}
	}
	probes := []probe{
		{"completion inside an HCM typed_config (use_remote_address)", complete(14, "          use_remote_", "use_remote_address")},
		{"completion of a cluster field (health_checks)", complete(30, "    health_ch", "health_checks")},
		{"completion of a route's cluster name (backend)", complete(23, "                  cluster: ", "backend")},
		{"hover on connect_timeout", at("textDocument/hover", 30, 6, nil)},
		{"hover inside typed_config (stat_prefix)", at("textDocument/hover", 13, 12, nil)},
		{"go to the route's cluster", at("textDocument/definition", 23, 29, nil)},
		{"keystroke latency, 2,000 clusters (last change → last publication)", keystrokeLatency},
		{"install size", installSize},
	}
	var rows []string
	for _, p := range probes {
		row := "| " + p.name + " |"
		for _, s := range sides {
			row += " " + p.run(s) + " |"
		}
		rows = append(rows, row)
	}
	t.Logf("\n| | %s | %s |\n|---|---|---|\n%s", sides[0].name, sides[1].name, strings.Join(rows, "\n"))
}

// keystrokeLatency types 50 keystrokes 30 ms apart into the large file and
// times the last publication that follows the last one (2 s quiet ends it).
func keystrokeLatency(s *side) string {
	text := s.head + string(envoytest.LargeBootstrap(2000, 200))
	u := s.uri("large.yaml")
	s.c.open(u, text, 1)
	if _, ok := s.publication(u, 60*time.Second); !ok {
		return "no diagnostics within 60 s of opening"
	}
	line := lineOf(text, "    lb_policy: ROUND_ROBIN")
	var last time.Time
	for k := range 50 {
		if k > 0 {
			time.Sleep(30 * time.Millisecond)
		}
		ch := map[string]any{"range": map[string]any{"start": pos(line, 4), "end": pos(line, 4)}, "text": "x"}
		if k%2 == 1 {
			ch = map[string]any{"range": map[string]any{"start": pos(line, 4), "end": pos(line, 5)}, "text": ""}
		}
		s.c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": k + 2},
			"contentChanges": []map[string]any{ch}})
		last = time.Now()
	}
	var got time.Duration
	for {
		if _, ok := s.publication(u, 2*time.Second); !ok {
			break
		}
		got = time.Since(last)
	}
	now, _ := rssMB(s.c.pid)
	if got == 0 {
		return fmt.Sprintf("no publication after the keystrokes; RSS %.0f MB", now)
	}
	return fmt.Sprintf("%.0f ms; RSS %.0f MB", float64(got.Microseconds())/1000, now)
}

func installSize(s *side) string {
	if s.head == "" {
		bin, _ := binary()
		fi, err := os.Stat(bin)
		if err != nil {
			return "?"
		}
		return fmt.Sprintf("%.0f MB (one static binary, docs index included)", float64(fi.Size())/(1<<20))
	}
	root := filepath.Dir(filepath.Dir(os.Getenv("YLS"))) // node_modules
	var n int64
	files := 0
	_ = filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
				files++
			}
		}
		return nil
	})
	node := "Node.js"
	if p, err := exec.LookPath("node"); err == nil {
		if fi, err := os.Stat(p); err == nil {
			node = fmt.Sprintf("Node.js (%.0f MB binary)", float64(fi.Size())/(1<<20))
		}
	}
	return fmt.Sprintf("%.0f MB in %d files (node_modules) + %s + the schema", float64(n)/(1<<20), files, node)
}
