package lsp

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"go.lsp.dev/jsonrpc2"
)

// maxMessage bounds one JSON-RPC message: a document of bootstrap.MaxSize
// (16 MiB) escaped as JSON fits, and a Content-Length of gigabytes is not
// allocated.
const maxMessage = 48 << 20

// stream is the LSP base protocol (Content-Length framing) for
// jsonrpc2.Conn. Unlike jsonrpc2.NewStream, a body that is not a JSON-RPC
// message, or is too large, is answered with a parse error and skipped:
// the connection lives on. Only a broken framing (no header, end of input)
// ends it.
type stream struct {
	in  *bufio.Reader
	out io.Writer
	c   io.Closer

	mu sync.Mutex // one message written at a time
}

func newStream(in io.Reader, out io.Writer, c io.Closer) *stream {
	return &stream{in: bufio.NewReader(in), out: out, c: c}
}

func (s *stream) Read(ctx context.Context) (jsonrpc2.Message, int64, error) {
	for {
		if err := ctx.Err(); err != nil {
			return nil, 0, err
		}
		length, total, err := s.header()
		if err != nil {
			return nil, total, err
		}
		if length > maxMessage {
			if _, err := io.CopyN(io.Discard, s.in, length); err != nil {
				return nil, total, fmt.Errorf("read body: %w", err)
			}
			s.parseError(fmt.Sprintf("message of %d bytes refused (limit %d)", length, maxMessage))
			continue
		}
		data := make([]byte, length)
		if _, err := io.ReadFull(s.in, data); err != nil {
			return nil, total, fmt.Errorf("read body: %w", err)
		}
		total += length
		msg, err := jsonrpc2.DecodeMessage(data)
		if err != nil {
			s.parseError(err.Error())
			continue
		}
		return msg, total, nil
	}
}

// header reads the header lines up to the empty one and returns the
// Content-Length.
func (s *stream) header() (length, total int64, err error) {
	length = -1
	for {
		line, err := s.in.ReadString('\n')
		total += int64(len(line))
		if err != nil {
			return 0, total, fmt.Errorf("read header: %w", err)
		}
		line = strings.TrimSpace(line)
		if line == "" {
			if length < 0 {
				if total <= 2 {
					continue // a stray blank line between messages
				}
				return 0, total, fmt.Errorf("header without Content-Length")
			}
			return length, total, nil
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			return 0, total, fmt.Errorf("invalid header line %q", line)
		}
		if strings.EqualFold(strings.TrimSpace(name), "Content-Length") {
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			if err != nil || n < 0 {
				return 0, total, fmt.Errorf("invalid Content-Length %q", value)
			}
			length = n
		}
	}
}

// parseError answers a message that could not be decoded (JSON-RPC's
// response with a null id).
func (s *stream) parseError(msg string) {
	body, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0", "id": nil,
		"error": map[string]any{"code": jsonrpc2.ParseError, "message": "JSON-RPC parse error: " + msg},
	})
	_ = s.writeRaw(body)
}

func (s *stream) Write(ctx context.Context, msg jsonrpc2.Message) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	data, err := json.Marshal(msg)
	if err != nil {
		return 0, fmt.Errorf("marshal message: %w", err)
	}
	return int64(len(data)), s.writeRaw(data)
}

func (s *stream) writeRaw(data []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := fmt.Fprintf(s.out, "Content-Length: %d\r\n\r\n", len(data)); err != nil {
		return err
	}
	_, err := s.out.Write(data)
	return err
}

func (s *stream) Close() error { return s.c.Close() }
