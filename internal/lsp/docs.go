package lsp

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"go.lsp.dev/protocol"
	"go.lsp.dev/uri"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// document is an open text document. Its fields are guarded by server.mu.
type document struct {
	uri     protocol.DocumentURI
	path    string
	text    string
	version int32
	claimed bool
	closed  bool

	timer   *time.Timer        // the debounce, when there is one
	running int                // validations under way
	rerun   bool               // one was due while two ran: start it when one ends
	ctx     context.Context    // the current version's validations'
	cancel  context.CancelFunc // ends them, once a newer version comes
	// parsed holds the tree of the last version parsed (nil before the
	// first), for the next validation to reuse: a validation takes it and
	// puts back its own. It is made with the document and never replaced.
	parsed chan *bootstrap.Parsed

	clusters []string              // cluster names of the last validation
	lspDiags []protocol.Diagnostic // the last diagnostics published
}

// snapshot is a document's state for one request.
type snapshot struct {
	uri      protocol.DocumentURI
	path     string
	text     string
	clusters []string
	diags    []protocol.Diagnostic
}

func (d *document) snapshot() *snapshot {
	return &snapshot{uri: d.uri, path: d.path, text: d.text, clusters: d.clusters, diags: d.lspDiags}
}

// pathOf is the file a document URI names: a file: URI's path, made
// absolute, so that referenced files resolve as `check FILE` resolves
// them; any other URI as it is.
func pathOf(u protocol.DocumentURI) string {
	if !strings.HasPrefix(string(u), "file:") {
		return string(u)
	}
	p := uri.URI(u).Filename()
	if abs, err := filepath.Abs(p); err == nil {
		return abs
	}
	return p
}

func (s *server) open(u protocol.DocumentURI, text string, version int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := &document{uri: u, path: pathOf(u), text: text, version: version, parsed: make(chan *bootstrap.Parsed, 1)}
	d.parsed <- nil
	if old := s.docs[u]; old != nil {
		old.end()
	}
	s.docs[u] = d
	_, listed := s.cfg.Bootstraps[d.path]
	d.claimed = listed || looksLikeBootstrap(text)
	if d.claimed {
		s.schedule(d)
	}
}

func (s *server) change(p didChangeParams) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[p.TextDocument.URI]
	if d == nil {
		return nil
	}
	text := d.text
	for _, c := range p.ContentChanges {
		var err error
		if text, err = applyChange(text, c); err != nil {
			return err
		}
	}
	d.text, d.version = text, p.TextDocument.Version
	if !d.claimed {
		d.claimed = looksLikeBootstrap(text)
	}
	if d.claimed {
		s.schedule(d)
	}
	return nil
}

func (s *server) close(u protocol.DocumentURI) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.docs[u]
	if d == nil {
		return
	}
	d.end()
	delete(s.docs, u)
	if d.claimed && len(d.lspDiags) > 0 {
		s.publish(d.uri, nil, nil)
	}
}

// publish sends textDocument/publishDiagnostics; s.mu is held, which
// orders the publications of one document as its versions.
func (s *server) publish(u protocol.DocumentURI, version *int32, ds []protocol.Diagnostic) {
	if ds == nil {
		ds = []protocol.Diagnostic{}
	}
	p := publishParams{URI: u, Version: version, Diagnostics: ds}
	_ = s.conn.Notify(context.Background(), "textDocument/publishDiagnostics", p)
}

// publishParams is PublishDiagnosticsParams with the version left out
// when there is none (protocol v0.12.0's is a plain uint32).
type publishParams struct {
	URI         protocol.DocumentURI  `json:"uri"`
	Version     *int32                `json:"version,omitempty"`
	Diagnostics []protocol.Diagnostic `json:"diagnostics"`
}

func clusterNames(b *bootstrapv3.Bootstrap) []string {
	var names []string
	for _, c := range b.GetStaticResources().GetClusters() {
		if c.GetName() != "" {
			names = append(names, c.GetName())
		}
	}
	return names
}

// toLSP converts check's diagnostics: lines from 0, characters in UTF-16
// units, each range the token at check's position.
func toLSP(text string, ds []bootstrap.Diagnostic) []protocol.Diagnostic {
	out := make([]protocol.Diagnostic, 0, len(ds))
	for _, d := range ds {
		pd := protocol.Diagnostic{
			Range:    tokenRange(text, d.Line, d.Col),
			Severity: severity(d.Severity),
			Source:   "envoy-reloader",
			Message:  d.Message,
		}
		if d.Deprecated {
			pd.Tags = []protocol.DiagnosticTag{protocol.DiagnosticTagDeprecated}
		}
		out = append(out, pd)
	}
	return out
}

// tokenRange is the range of the token at check's 1-based line and rune
// column.
func tokenRange(text string, line, col int) protocol.Range {
	if line < 1 {
		line = 1
	}
	l := lineAt(text, line-1)
	b := byteOfRuneCol(l, col)
	end := tokenEnd(l, b)
	start := protocol.Position{Line: uint32(line - 1), Character: utf16Col(l, col)}
	endPos := protocol.Position{Line: start.Line, Character: byteToUTF16(l, end)}
	if endPos.Character <= start.Character {
		endPos.Character = start.Character + 1
	}
	return protocol.Range{Start: start, End: endPos}
}

func severity(s bootstrap.Severity) protocol.DiagnosticSeverity {
	switch s {
	case bootstrap.SeverityError:
		return protocol.DiagnosticSeverityError
	case bootstrap.SeverityWarning:
		return protocol.DiagnosticSeverityWarning
	}
	return protocol.DiagnosticSeverityInformation
}

var topKey = regexp.MustCompile(`^["']?([A-Za-z_@][\w@.-]*)["']?\s*:`)

// bootstrapFields are the Bootstrap message's field names, proto and JSON.
var bootstrapFields = func() map[string]bool {
	m := map[string]bool{}
	fs := (&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor().Fields()
	for i := range fs.Len() {
		m[string(fs.Get(i).Name())], m[fs.Get(i).JSONName()] = true, true
	}
	return m
}()

// looksLikeBootstrap says whether text reads as an Envoy bootstrap: its
// top-level keys are Bootstrap's fields, at most as many others as those.
// It reads lines, not YAML, so a half-typed file is judged too.
func looksLikeBootstrap(text string) bool {
	known, unknown := 0, 0
	for line := range strings.SplitSeq(text, "\n") {
		m := topKey.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		if bootstrapFields[m[1]] {
			known++
		} else {
			unknown++
		}
	}
	return known > 0 && unknown <= known
}
