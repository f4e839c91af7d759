// Package bootstrap loads an Envoy v3 bootstrap YAML into go-control-plane's
// Bootstrap, validates it as Envoy would, and places every problem at its file:line:col.
//
// Decoding walks the yaml.v3 node tree against the proto descriptors field by
// field (rather than converting to JSON first), so every field, list element
// and Any payload keeps its position; PGV rules run on every message,
// including inside each typed_config, and semantic checks cover what protos
// cannot express (duplicate names, dangling cluster references).
package bootstrap

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap/internal/yamlsyntax"
)

// Options tune validation.
type Options struct {
	// Strict makes an @type unknown to go-control-plane an error instead of a warning.
	Strict bool
	// DenyDeprecated makes deprecated fields and enum values errors; they
	// are warnings otherwise, whatever Strict says.
	DenyDeprecated bool
	// Index asks for Result.Index, where each decoded field is written.
	// Callers that place messages by field path set it (check --envoy);
	// the watch loop and the language server, which validate on every
	// change, do not pay for it.
	Index bool

	// keepSemanticErrors keeps the semantic checks' errors of a bootstrap
	// that did not validate: for tests of one rule on a sketch of a config.
	keepSemanticErrors bool
}

// Result is what loading a bootstrap found.
type Result struct {
	File string
	// Bootstrap is the decoded config; it is partial when Diagnostics hold errors.
	Bootstrap   *bootstrapv3.Bootstrap
	Diagnostics []Diagnostic
	// ReferencedFiles are the files the bootstrap names (path_config_source
	// paths, DataSource filenames), as written in it.
	ReferencedFiles []ReferencedFile
	// Index is where each decoded field is written, when Options.Index
	// asked for it; nil when the YAML did not parse.
	Index *Index
	// Digest is the SHA-256 of the bytes validated, to tell later whether
	// the file still holds them.
	Digest [sha256.Size]byte
}

// Unchanged reports whether the file still holds the bytes that were validated.
func (r *Result) Unchanged() bool {
	data, err := os.ReadFile(r.File)
	return err == nil && sha256.Sum256(data) == r.Digest
}

// ReferencedFile is a file the bootstrap reads, with where it is named.
type ReferencedFile struct {
	Path string
	Line int
	Col  int
}

// Valid reports whether the bootstrap has no errors (warnings are allowed).
func (r *Result) Valid() bool { return !HasErrors(r.Diagnostics) }

// MaxSize bounds the bootstraps Load accepts: parsing keeps a node per YAML
// value, so a file of tens of megabytes would take gigabytes of memory, and
// no hand-kept bootstrap comes near this size.
const MaxSize = 16 << 20

// LoadFile reads and validates the bootstrap at path. The error is only for
// a file that cannot be read; problems with its content are diagnostics.
func LoadFile(path string, opts Options) (*Result, error) {
	if fi, err := os.Stat(path); err == nil && fi.Size() > MaxSize {
		return &Result{File: path, Bootstrap: &bootstrapv3.Bootstrap{}, Diagnostics: []Diagnostic{tooLarge(path, fi.Size())}}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read bootstrap: %w", err)
	}
	return Load(path, data, opts), nil
}

// Load validates data as the bootstrap named file (used in diagnostics and to
// resolve relative referenced files).
func Load(file string, data []byte, opts Options) *Result {
	res, _ := LoadContext(context.Background(), file, data, opts)
	return res
}

// LoadContext is Load that gives up once ctx ends, with ctx's error and
// no result: the language server drops the validation of a version a
// newer one has replaced rather than let it hold a core.
func LoadContext(ctx context.Context, file string, data []byte, opts Options) (*Result, error) {
	res, _, err := loadFull(ctx, file, data, opts, nil)
	return res, err
}

// loadFull is LoadContext that also returns the YAML tree it decoded
// (nil when the YAML did not parse), for LoadNext to reuse, and keeps the
// long lists' elements in keep when it is not nil.
func loadFull(ctx context.Context, file string, data []byte, opts Options, keep *elementCache) (*Result, *yaml.Node, error) {
	if len(data) > MaxSize {
		res := newResult(file, data)
		res.Diagnostics = []Diagnostic{tooLarge(file, int64(len(data)))}
		return res, nil, nil
	}
	doc, err := parseYAML(ctx, data)
	if ctx.Err() != nil {
		return nil, nil, fmt.Errorf("validate %s: %w", file, ctx.Err())
	}
	if err != nil {
		res := newResult(file, data)
		res.Diagnostics = []Diagnostic{yamlSyntaxDiagnostic(ctx, file, data, err)}
		if ctx.Err() != nil {
			// Placing the error reads the whole file: a superseded
			// version gives up on it too.
			return nil, nil, fmt.Errorf("validate %s: %w", file, ctx.Err())
		}
		return res, nil, nil
	}
	res, err := decodeTree(ctx, file, data, &doc, opts, nil, keep)
	return res, &doc, err
}

func newResult(file string, data []byte) *Result {
	return &Result{File: file, Bootstrap: &bootstrapv3.Bootstrap{}, Digest: sha256.Sum256(data)}
}

// decodeTree is what LoadContext does once data has parsed into doc:
// decoding and the load-time rules. Nothing it returns holds doc's nodes.
// It reuses the long lists' elements of prev, kept from a version whose
// tree doc reuses, and keeps this version's in next (either may be nil,
// or both the same cache, made for opts.Strict: LoadNext sees to that).
func decodeTree(ctx context.Context, file string, data []byte, doc *yaml.Node, opts Options, prev, next *elementCache) (*Result, error) {
	res := newResult(file, data)
	if doc.Kind == 0 || len(doc.Content) == 0 || isNull(doc.Content[0]) {
		res.Diagnostics = []Diagnostic{{File: file, Line: 1, Col: 1, Severity: SeverityError, Message: "the bootstrap is empty"}}
		return res, nil
	}
	d := newDecoder(file, len(data), opts.Strict)
	if ctx.Done() != nil {
		d.ctx = ctx
	}
	if prev != nil {
		d.prevElems = prev.elems
	}
	if next != nil {
		d.nextElems = next.elems
	}
	// Without anchors (no '&' anywhere) no node is reachable from two
	// places, so the elements of a long list may be decoded on every core,
	// each share by a decoder of its own.
	if bytes.IndexByte(data, '&') < 0 {
		d.workers = runtime.GOMAXPROCS(0)
	}
	root := doc.Content[0]
	d.decodeMessage(root, res.Bootstrap.ProtoReflect(), "", root, nil)
	if next != nil {
		next.reused = d.adopted
	}
	if d.cancelled || ctx.Err() != nil {
		return nil, fmt.Errorf("validate %s: %w", file, ctx.Err())
	}
	if !d.over {
		r := d.rules()
		r.validateAll(ctx, d.workers)
		if ctx.Err() != nil {
			return nil, fmt.Errorf("validate %s: %w", file, ctx.Err())
		}
		if len(r.messages) > 0 && r.messages[0].msg.Interface() == res.Bootstrap {
			parsed := !HasErrors(r.diags)
			res.ReferencedFiles = r.semanticChecks(r.messages[0], file)
			if !parsed && !opts.keepSemanticErrors {
				r.diags = dropSemanticErrors(r.diags)
			}
		}
	}
	if opts.Index {
		res.Index = newIndex(d.tree)
	}
	if opts.DenyDeprecated {
		DenyDeprecated(d.diags)
	}
	SortDiagnostics(d.diags)
	res.Diagnostics = d.diags
	return res, nil
}

// validateAll is validate, in shares of the messages on up to workers
// goroutines when there are many (PGV reads the messages and writes
// nothing), until ctx ends: the diagnostics of the shares are taken in the order of the
// messages, which is what validate gives.
func (r *rules) validateAll(ctx context.Context, workers int) {
	n := min(workers, len(r.messages)/(4*parallelMin))
	if n < 2 {
		r.validate(ctx)
		return
	}
	share := (len(r.messages) + n - 1) / n
	ws := make([]*rules, n)
	var wg sync.WaitGroup
	for w := range ws {
		ws[w] = &rules{sink: &sink{file: r.file, strict: r.strict},
			tree: &tree{messages: r.messages[w*share : min(len(r.messages), (w+1)*share)]}}
		wg.Add(1)
		go func(wr *rules) {
			defer wg.Done()
			wr.validate(ctx)
		}(ws[w])
	}
	wg.Wait()
	for _, w := range ws {
		r.diags = append(r.diags, w.diags...)
	}
}

// parseYAML is yaml.Unmarshal into a node, or, with a ctx that can end,
// the same parse reading data through a reader that fails once ctx ends
// (yaml.v3 reads its input 512 bytes at a time, through the same buffer
// either way, so the tree and the errors are the same).
func parseYAML(ctx context.Context, data []byte) (yaml.Node, error) {
	var doc yaml.Node
	if ctx.Done() == nil {
		err := yaml.Unmarshal(data, &doc)
		return doc, err
	}
	if len(data) == 0 {
		data = []byte{'\n'} // as yaml.Unmarshal does
	}
	err := yaml.NewDecoder(&ctxReader{ctx: ctx, data: data}).Decode(&doc)
	if errors.Is(err, io.EOF) {
		// No document: yaml.Unmarshal leaves the node empty.
		return yaml.Node{}, nil
	}
	return doc, err
}

// ctxReader reads data until ctx ends.
type ctxReader struct {
	ctx  context.Context
	data []byte
}

func (r *ctxReader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

// dropSemanticErrors removes the errors of the semantic checks from a
// bootstrap that failed to parse or validate: Envoy stops at the first such
// failure and never builds clusters and listeners, and a field that failed
// to parse would only cause knock-on errors there (a cluster whose name was
// refused makes every route to it dangle). Warnings stay.
func dropSemanticErrors(ds []Diagnostic) []Diagnostic {
	out := ds[:0]
	for _, d := range ds {
		if !d.Semantic || d.Severity != SeverityError {
			out = append(out, d)
		}
	}
	return out
}

// structural reports whether a libyaml message is one a broken block
// structure causes, for which the indentation analysis knows better where
// the mistake is than libyaml's context mark.
func structural(msg string) bool {
	for _, s := range []string{"did not find expected key", "did not find expected '-' indicator",
		"mapping values are not allowed", "block sequence entries are not allowed", "could not find expected ':'",
		"did not find expected node content"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func tooLarge(file string, size int64) Diagnostic {
	return Diagnostic{File: file, Line: 1, Col: 1, Severity: SeverityError,
		Message: fmt.Sprintf("the file is %.1f MB; bootstraps over %d MB are refused", float64(size)/(1<<20), MaxSize>>20)}
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// yamlSyntaxDiagnostic places a yaml.v3 error. yaml.v3 reports only a line,
// so the column is the first non-blank character of that line (or the first
// tab, for the commonest mistake: tabs used for indentation). Once ctx
// ends its answer means nothing.
func yamlSyntaxDiagnostic(ctx context.Context, file string, data []byte, err error) Diagnostic {
	d := Diagnostic{File: file, Line: 1, Col: 1, Severity: SeverityError, Message: "YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")}
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		// Errors without a line (an unknown anchor) are placed by the scan.
		if p, ok := yamlsyntax.ReadContext(ctx, string(data)).TokenProblem(); ok {
			d.Line, d.Col, d.Message = p.Line, p.Col, d.Message+": "+p.Msg
		}
		return d
	}
	// libyaml's context mark is often far from the mistake: look for it,
	// by indentation first where the message speaks of block structure.
	f := yamlsyntax.ReadContext(ctx, string(data))
	finders := []func() (yamlsyntax.Problem, bool){f.TokenProblem, f.IndentProblem}
	if structural(m[2]) {
		finders[0], finders[1] = finders[1], finders[0]
	}
	for _, find := range finders {
		if p, ok := find(); ok {
			d.Line, d.Col, d.Message = p.Line, p.Col, "YAML: "+m[2]+": "+p.Msg
			return d
		}
	}
	line, _ := strconv.Atoi(m[1])
	d.Line, d.Message = line, "YAML: "+m[2]
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return d
	}
	if strings.Contains(m[2], "tab character") || strings.Contains(m[2], "cannot start any token") {
		// yaml.v3 may name the line before the tab; point at the tab itself.
		for i := line - 1; i < len(lines) && i <= line; i++ {
			indent := lines[i][:len(lines[i])-len(strings.TrimLeft(lines[i], " \t"))]
			if tab := strings.IndexByte(indent, '\t'); tab >= 0 {
				d.Line, d.Col = i+1, tab+1
				d.Message += " (YAML indents with spaces only)"
				return d
			}
		}
	}
	text := lines[line-1]
	d.Col = len(text) - len(strings.TrimLeft(text, " \t")) + 1
	return d
}
