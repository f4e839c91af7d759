// Package lsp is `envoy-reloader lsp`: a language server over stdio that
// gives an editor config/bootstrap's diagnostics while typing, completion,
// hover docs, go-to-cluster and did-you-mean fixes for Envoy bootstraps.
package lsp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"go.lsp.dev/jsonrpc2"
	"go.lsp.dev/protocol"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// Config is what the server needs from the CLI.
type Config struct {
	// Bootstraps are reloader.yaml's bootstraps, by absolute path, with
	// their Envoy's validate.* settings. They are always claimed.
	Bootstraps map[string]bootstrap.Options
	// Default are the validate.* settings for other files, which are
	// claimed when they read as a bootstrap.
	Default bootstrap.Options
	// Debounce, when positive, is the quiet time after a change before it
	// is validated. By default a change is validated at once: it cancels
	// the validation of the version it replaces, so a burst of keystrokes
	// costs no more than the validation of the last.
	Debounce time.Duration
	// Version is reported in serverInfo.
	Version string
}

// errExitWithoutShutdown is Serve's error for an exit notification that
// came before shutdown (the protocol's exit status 1).
var errExitWithoutShutdown = errors.New("exit before shutdown")

// Serve runs the server on in and out until the client's exit
// notification, the end of in, or ctx's end. closer, when not nil, is
// closed at the end so that a read blocked on in returns.
func Serve(ctx context.Context, in io.Reader, out io.Writer, closer io.Closer, cfg Config) error {
	if closer == nil {
		closer = io.NopCloser(nil)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	st := newStream(in, out, closer)
	conn := jsonrpc2.NewConn(st)
	s := &server{cfg: cfg, ctx: ctx, conn: conn, docs: map[protocol.DocumentURI]*document{}, exited: make(chan struct{})}
	go loadDocs() // decompressed before the first hover needs it
	conn.Go(ctx, s.handle)
	select {
	case <-conn.Done():
	case <-s.exited:
	case <-ctx.Done():
	}
	s.stopAll()
	_ = conn.Close()
	select {
	case <-conn.Done():
	case <-time.After(time.Second): // a reader that closing does not end
	}
	s.wg.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.exitCalled && !s.shutdown {
		return errExitWithoutShutdown
	}
	return nil
}

type server struct {
	cfg  Config
	ctx  context.Context // ends the validations when Serve ends
	conn jsonrpc2.Conn
	wg   sync.WaitGroup // validations under way

	mu          sync.Mutex
	docs        map[protocol.DocumentURI]*document
	initialized bool
	shutdown    bool
	stopped     bool // no validation starts any more
	exitCalled  bool
	exited      chan struct{}
}

// handle is the jsonrpc2 handler. It runs on the connection's read loop,
// so everything it does is quick: validation runs on its own goroutines.
func (s *server) handle(ctx context.Context, reply jsonrpc2.Replier, req jsonrpc2.Request) error {
	_, isCall := req.(*jsonrpc2.Call)
	s.mu.Lock()
	initialized, shutdown := s.initialized, s.shutdown
	s.mu.Unlock()
	switch m := req.Method(); {
	case m == "exit":
		s.mu.Lock()
		if !s.exitCalled {
			s.exitCalled = true
			close(s.exited)
		}
		s.mu.Unlock()
		return nil
	case m == "initialize" && initialized:
		return reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "initialize was already called"))
	case m == "initialize":
		var p protocol.InitializeParams
		if err := decode(req, &p); err != nil {
			return reply(ctx, nil, err)
		}
		s.mu.Lock()
		s.initialized = true
		s.mu.Unlock()
		return reply(ctx, s.capabilities(), nil)
	case !initialized:
		if isCall {
			return reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.ServerNotInitialized, "initialize first"))
		}
		return nil
	case m == "shutdown":
		s.mu.Lock()
		s.shutdown = true
		s.mu.Unlock()
		s.stopAll()
		return reply(ctx, nil, nil)
	case shutdown:
		if isCall {
			return reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.InvalidRequest, "the server is shut down"))
		}
		return nil
	}
	result, err := s.dispatch(req)
	if !isCall {
		return nil
	}
	if errors.Is(err, errUnknownMethod) {
		return reply(ctx, nil, jsonrpc2.NewError(jsonrpc2.MethodNotFound, fmt.Sprintf("method %q is not supported", req.Method())))
	}
	return reply(ctx, result, err)
}

var errUnknownMethod = errors.New("unknown method")

func (s *server) dispatch(req jsonrpc2.Request) (any, error) {
	switch req.Method() {
	case "initialized", "$/cancelRequest", "$/setTrace", "workspace/didChangeConfiguration", "textDocument/didSave":
		return nil, nil
	case "textDocument/didOpen":
		var p protocol.DidOpenTextDocumentParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		s.open(p.TextDocument.URI, string(p.TextDocument.Text), p.TextDocument.Version)
		return nil, nil
	case "textDocument/didChange":
		var p didChangeParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return nil, s.change(p)
	case "textDocument/didClose":
		var p protocol.DidCloseTextDocumentParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		s.close(p.TextDocument.URI)
		return nil, nil
	case "textDocument/completion":
		var p protocol.CompletionParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.withDoc(p.TextDocument.URI, func(d *snapshot) any { return complete(d, p.Position) }), nil
	case "textDocument/hover":
		var p protocol.HoverParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.withDoc(p.TextDocument.URI, func(d *snapshot) any { return hover(d, p.Position) }), nil
	case "textDocument/definition":
		var p protocol.DefinitionParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.withDoc(p.TextDocument.URI, func(d *snapshot) any { return definition(d, p.Position) }), nil
	case "textDocument/references":
		var p protocol.ReferenceParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.withDoc(p.TextDocument.URI, func(d *snapshot) any { return references(d, p.Position, p.Context.IncludeDeclaration) }), nil
	case "textDocument/codeAction":
		var p protocol.CodeActionParams
		if err := decode(req, &p); err != nil {
			return nil, err
		}
		return s.withDoc(p.TextDocument.URI, func(d *snapshot) any { return codeActions(d, p) }), nil
	}
	return nil, errUnknownMethod
}

func decode(req jsonrpc2.Request, v any) error {
	if len(req.Params()) == 0 {
		return jsonrpc2.NewError(jsonrpc2.InvalidParams, "params are missing")
	}
	if err := json.Unmarshal(req.Params(), v); err != nil {
		return jsonrpc2.NewError(jsonrpc2.InvalidParams, err.Error())
	}
	return nil
}

func (s *server) capabilities() protocol.InitializeResult {
	return protocol.InitializeResult{
		Capabilities: protocol.ServerCapabilities{
			TextDocumentSync: &protocol.TextDocumentSyncOptions{
				OpenClose: true,
				Change:    protocol.TextDocumentSyncKindIncremental,
			},
			CompletionProvider: &protocol.CompletionOptions{TriggerCharacters: []string{":", "/", "."}},
			HoverProvider:      true,
			DefinitionProvider: true,
			ReferencesProvider: true,
			CodeActionProvider: true,
		},
		ServerInfo: &protocol.ServerInfo{Name: "envoy-reloader", Version: s.cfg.Version},
	}
}

// withDoc runs f on a snapshot of an open, claimed document; anything
// else has an empty (null) result.
func (s *server) withDoc(uri protocol.DocumentURI, f func(*snapshot) any) any {
	s.mu.Lock()
	d := s.docs[uri]
	var snap *snapshot
	if d != nil && d.claimed {
		snap = d.snapshot()
	}
	s.mu.Unlock()
	if snap == nil {
		return nil
	}
	return f(snap)
}
