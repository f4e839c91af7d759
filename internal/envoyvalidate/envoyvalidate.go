// Package envoyvalidate runs a real Envoy's `--mode validate` on a bootstrap
// and reads its verdict: the exit status, its message, and the field path it names.
package envoyvalidate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"time"
)

// Verdict is what one `envoy --mode validate` said.
type Verdict struct {
	OK bool
	// Message is Envoy's rejection, as it wrote it after "error initializing
	// configuration '<path>': " (several lines for some failures).
	Message string
	// Path is the field path the message names, in proto field names as
	// check's diagnostics spell them (static_resources.clusters[2].name);
	// empty when it names none.
	Path string
	Took time.Duration
}

// ErrUnavailable wraps a binary that could not be run.
var ErrUnavailable = errors.New("envoy cannot be run")

// Find resolves the binary named by spec: "auto" (or "") looks for envoy on
// PATH; anything else is a path, which must be an executable file.
func Find(spec string) (string, error) {
	if spec == "" || spec == "auto" {
		p, err := exec.LookPath("envoy")
		if err != nil {
			return "", fmt.Errorf("%w: no envoy on PATH", ErrUnavailable)
		}
		return p, nil
	}
	fi, err := os.Stat(spec)
	if err != nil {
		return "", fmt.Errorf("%w: %s: %v", ErrUnavailable, spec, errors.Unwrap(err))
	}
	if fi.IsDir() || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("%w: %s is not an executable file", ErrUnavailable, spec)
	}
	return spec, nil
}

// Run runs `bin --mode validate -c file -l error` in dir (the working
// directory relative paths in the bootstrap resolve against; "" for this
// process's), plus extra flags.
func Run(ctx context.Context, bin, file, dir string, extra ...string) (Verdict, error) {
	args := append([]string{"--mode", "validate", "-c", file, "-l", "error"}, extra...)
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	err := cmd.Run()
	v := Verdict{Took: time.Since(start)}
	if err == nil {
		v.OK = true
		return v, nil
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		return v, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	if ctx.Err() != nil {
		return v, ctx.Err()
	}
	v.Message = message(errb.String())
	if v.Message == "" {
		v.Message = strings.TrimSpace(out.String() + errb.String())
	}
	v.Path = FieldPath(v.Message)
	return v, nil
}

// message takes the text after the critical line's "configuration '<path>': "
// to the end of the stream (real-envoy.md §4, "How to parse it").
func message(stderr string) string {
	const marker = "error initializing configuration '"
	i := strings.Index(stderr, marker)
	if i < 0 {
		if j := strings.Index(stderr, "[critical]"); j >= 0 {
			return strings.TrimSpace(stderr[j:])
		}
		return strings.TrimSpace(stderr)
	}
	rest := stderr[i+len(marker):]
	if j := strings.Index(rest, "': "); j >= 0 {
		rest = rest[j+3:]
	}
	return strings.TrimSpace(rest)
}

var (
	// protobuf's JSON parser: "invalid JSON in <type> @ <path>: <what>".
	jsonAt = regexp.MustCompile(`invalid JSON\s+in\s+[\w.]+\s+@\s+([^\s:]+):`)
	// "no such field: 'x'", at the message the path names or at the root.
	noSuchField = regexp.MustCompile(`no such\s+field:\s+'([^']*)'`)
	// PGV: "<Type>ValidationError.<Field>[<idx>]: ..." links, outermost first.
	pgvLink = regexp.MustCompile(`\w+ValidationError\.(\w+)(\[[^\]]*\])?:`)
	spaces  = regexp.MustCompile(`\s+`)
)

// FieldPath reads the field path out of Envoy's message, normalised to
// check's spelling: protobuf's "…typed_config.<any>.stat_prefix" loses its
// "<any>" step, an unknown field is appended to the message it is in, and
// PGV's chain of Go field names becomes proto names.
func FieldPath(msg string) string {
	flat := spaces.ReplaceAllString(msg, " ")
	if strings.Contains(flat, "Proto constraint validation failed") {
		var parts []string
		for _, m := range pgvLink.FindAllStringSubmatch(flat, -1) {
			parts = append(parts, snake(m[1])+m[2])
		}
		return strings.Join(parts, ".")
	}
	path := ""
	if m := jsonAt.FindStringSubmatch(flat); m != nil {
		path = strings.ReplaceAll(m[1], ".<any>", "")
		path = strings.ReplaceAll(path, "<any>.", "")
	}
	if m := noSuchField.FindStringSubmatch(flat); m != nil {
		if path != "" {
			path += "."
		}
		path += m[1]
	}
	return path
}

// snake turns a Go field name (StaticResources) into its proto name.
func snake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r - 'A' + 'a')
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SamePlace reports whether two field paths name the same place: equal, or
// one inside the other (Envoy names a message where check names its
// field, or the other way round).
func SamePlace(a, b string) bool {
	if a == "" || b == "" {
		return false
	}
	if len(a) > len(b) {
		a, b = b, a
	}
	return a == b || (strings.HasPrefix(b, a) && (b[len(a)] == '.' || b[len(a)] == '['))
}

// Summary shortens Envoy's message to what a reader needs: the whole
// bootstrap that some messages append (the converted JSON after "): {", the
// text-format dump before ": Proto constraint validation failed") is left
// out, and blanks are folded.
func Summary(msg string) string {
	s := spaces.ReplaceAllString(msg, " ")
	if i := strings.Index(s, "Proto constraint validation failed"); i >= 0 {
		s = s[i:]
		if j := strings.Index(s, "): "); j >= 0 {
			s = s[:j+1]
		}
	}
	if i := strings.Index(s, "): {"); i >= 0 {
		s = s[:i+1]
	}
	s = strings.TrimPrefix(s, "goo.gle/debugproto ")
	if len(s) > 400 {
		s = s[:400] + "…"
	}
	return strings.TrimSpace(s)
}
