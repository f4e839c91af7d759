package lsp

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.lsp.dev/protocol"
)

// binary is the envoy-reloader built once for the tests that run it.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "lsp-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "envoy-reloader")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "../../cmd/envoy-reloader")...).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func builtBinary(t testing.TB) string {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// message is any JSON-RPC message the server sends.
type message struct {
	ID     *json.RawMessage `json:"id"`
	Method string           `json:"method"`
	Params json.RawMessage  `json:"params"`
	Result json.RawMessage  `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// client is a JSON-RPC client of the server, speaking the LSP framing.
type client struct {
	t     testing.TB
	w     io.Writer
	mu    sync.Mutex
	next  int
	wait  map[string]chan message
	notes chan message
	done  chan struct{}
	pid   int // the server's process, when it is the built binary
	// published are the versions of the publications diagnostics read.
	published []int32
	// answer, when set, gives the result for a request from the server
	// (null otherwise).
	answer func(message) any
	// seen counts the publications diagnostics read, by document.
	seen map[protocol.DocumentURI]int
}

func newClient(t testing.TB, r io.Reader, w io.Writer) *client {
	c := &client{t: t, w: w, wait: map[string]chan message{}, notes: make(chan message, 4096), done: make(chan struct{})}
	go c.read(bufio.NewReaderSize(r, 1<<20))
	return c
}

func (c *client) read(r *bufio.Reader) {
	defer close(c.done)
	for {
		length := -1
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
				length, _ = strconv.Atoi(v)
			}
		}
		body := make([]byte, length)
		if _, err := io.ReadFull(r, body); err != nil {
			return
		}
		var m message
		if err := json.Unmarshal(body, &m); err != nil {
			c.t.Errorf("server sent invalid JSON: %v: %s", err, body)
			return
		}
		if m.Method != "" && m.ID != nil { // a request from the server
			var result any
			if c.answer != nil {
				result = c.answer(m)
			}
			body, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result})
			c.writeRaw(body)
			continue
		}
		if m.Method != "" {
			c.notes <- m
			continue
		}
		id := "null"
		if m.ID != nil {
			id = string(*m.ID)
		}
		c.mu.Lock()
		ch := c.wait[id]
		delete(c.wait, id)
		c.mu.Unlock()
		if ch != nil {
			ch <- m
		} else {
			c.notes <- m // a response to no request: a parse error
		}
	}
}

func (c *client) writeRaw(body []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := fmt.Fprintf(c.w, "Content-Length: %d\r\n\r\n%s", len(body), body); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

func (c *client) send(id *int, method string, params any) {
	m := map[string]any{"jsonrpc": "2.0", "method": method}
	if params != nil {
		m["params"] = params
	}
	if id != nil {
		m["id"] = *id
	}
	body, err := json.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.writeRaw(body)
}

// call sends a request and waits for its response.
func (c *client) call(method string, params any) message {
	c.t.Helper()
	c.mu.Lock()
	c.next++
	id := c.next
	ch := make(chan message, 1)
	c.wait[strconv.Itoa(id)] = ch
	c.mu.Unlock()
	c.send(&id, method, params)
	select {
	case m := <-ch:
		return m
	case <-time.After(20 * time.Second):
		c.t.Fatalf("no response to %s", method)
	}
	return message{}
}

// result calls and decodes the result, failing on an error response.
func (c *client) result(method string, params, into any) {
	c.t.Helper()
	m := c.call(method, params)
	if m.Error != nil {
		c.t.Fatalf("%s: error %d %s", method, m.Error.Code, m.Error.Message)
	}
	if into != nil {
		if err := json.Unmarshal(m.Result, into); err != nil {
			c.t.Fatalf("%s: %v: %s", method, err, m.Result)
		}
	}
}

func (c *client) notify(method string, params any) { c.send(nil, method, params) }

// diagnostics waits for the publication of version for uri, failing on
// one of a later version or none in time.
func (c *client) diagnostics(uri protocol.DocumentURI, version int32) []protocol.Diagnostic {
	c.t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case m := <-c.notes:
			if m.Method != "textDocument/publishDiagnostics" {
				continue
			}
			var p publishParams
			if err := json.Unmarshal(m.Params, &p); err != nil {
				c.t.Fatal(err)
			}
			if c.seen == nil {
				c.seen = map[protocol.DocumentURI]int{}
			}
			c.seen[p.URI]++
			if p.URI != uri {
				continue
			}
			if p.Version == nil {
				c.t.Fatalf("publication without a version")
			}
			c.published = append(c.published, *p.Version)
			if *p.Version > version {
				c.t.Fatalf("version %d published while waiting for %d", *p.Version, version)
			}
			if *p.Version == version {
				return p.Diagnostics
			}
		case <-timeout:
			c.t.Fatalf("no diagnostics for %s version %d", uri, version)
		}
	}
}

func (c *client) initialize() {
	c.t.Helper()
	var res protocol.InitializeResult
	c.result("initialize", map[string]any{"processId": os.Getpid(), "rootUri": nil, "capabilities": map[string]any{}}, &res)
	if res.ServerInfo == nil || res.ServerInfo.Name != "envoy-reloader" {
		c.t.Fatalf("serverInfo %+v", res.ServerInfo)
	}
	c.notify("initialized", map[string]any{})
}

func (c *client) open(uri protocol.DocumentURI, text string, version int32) {
	c.notify("textDocument/didOpen", map[string]any{"textDocument": map[string]any{
		"uri": uri, "languageId": "yaml", "version": version, "text": text}})
}

// startBinary runs `envoy-reloader lsp` in dir and returns a client of it
// and a function that ends the session with shutdown and exit, checking
// the exit status.
func startBinary(t testing.TB, dir string, args ...string) (*client, func()) {
	t.Helper()
	cmd := exec.Command(builtBinary(t), append([]string{"lsp"}, args...)...)
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, out, in)
	c.pid = cmd.Process.Pid
	c.initialize()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		c.result("shutdown", nil, nil)
		c.notify("exit", nil)
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("lsp exited: %v", err)
			}
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			t.Errorf("lsp did not exit after exit")
		}
	}
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return c, stop
}

func fileURI(path string) protocol.DocumentURI { return protocol.DocumentURI("file://" + path) }

func pos(line, char int) map[string]any { return map[string]any{"line": line, "character": char} }
