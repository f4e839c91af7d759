// Command gendeprecated writes deprecated_gen.go: for every field and enum
// value Envoy's API marks deprecated, the sentence of its proto comment that
// names the replacement.
//
// go-control-plane's descriptors carry the deprecated option but not the
// comments, so the hints are read from the .proto sources of
// envoyproxy/data-plane-api (Envoy's api/ tree), given with -api:
//
//	git clone --depth 1 https://github.com/envoyproxy/data-plane-api /tmp/api
//	ENVOY_API_DIR=/tmp/api make generate
//
// Use the data-plane-api commit that go-control-plane's version was built
// from, so that hints and descriptors agree (a test checks they do).
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

func main() {
	api := flag.String("api", "", "root of a data-plane-api checkout (holds envoy/)")
	out := flag.String("o", "deprecated_gen.go", "output file")
	pkg := flag.String("pkg", "bootstrap", "package name of the output file")
	flag.Parse()
	if *api == "" {
		// `make generate` after a go-control-plane bump must not need an API
		// checkout; the hints then stay as they are.
		log.Printf("gendeprecated: no -api (ENVOY_API_DIR) given; %s left as it is", *out)
		return
	}
	hints := map[string]string{}
	err := filepath.WalkDir(filepath.Join(*api, "envoy"), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".proto") {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for name, hint := range scan(string(b)) {
			hints[name] = hint
		}
		return nil
	})
	if err != nil {
		log.Fatalf("gendeprecated: %v", err)
	}
	src, err := render(*pkg, hints)
	if err != nil {
		log.Fatalf("gendeprecated: %v", err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatalf("gendeprecated: %v", err)
	}
}

var (
	packageRe = regexp.MustCompile(`^package\s+([\w.]+)\s*;`)
	// v3Package matches the API versions go-control-plane carries; v2 is gone from Envoy.
	v3Package = regexp.MustCompile(`\.v[3-9](alpha\d*)?$`)
	scopeRe   = regexp.MustCompile(`^(message|enum|oneof|service)\s+(\w+)\s*\{`)
	// fieldRe matches a field (type name = N [opts]) or an enum value (NAME = N [opts]).
	fieldRe = regexp.MustCompile(`^(?:(?:repeated|optional)\s+)?(?:map<[^>]+>\s+|[\w.]+\s+)?(\w+)\s*=\s*-?\d+\s*(\[.*\])?\s*;$`)
)

type scope struct {
	name  string
	kind  string
	depth int
}

// scan reads one .proto file and returns the hints of its deprecated fields
// and enum values, keyed by full name (package.Message.field,
// package.Enum.VALUE). It is a line scanner, not a parser: Envoy's API
// style (clang-formatted, one declaration per statement) is all it needs.
func scan(src string) map[string]string {
	hints := map[string]string{}
	var pkg string
	var scopes []scope
	var comment []string
	var stmt strings.Builder
	depth := 0
	for _, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if c, ok := strings.CutPrefix(line, "//"); ok && stmt.Len() == 0 {
			comment = append(comment, strings.TrimSpace(c))
			continue
		}
		if i := strings.Index(line, "//"); i >= 0 {
			line = strings.TrimSpace(line[:i])
		}
		if line == "" {
			if stmt.Len() == 0 {
				comment = nil
			}
			continue
		}
		if stmt.Len() > 0 {
			stmt.WriteByte(' ')
		}
		stmt.WriteString(line)
		s := stmt.String()
		if !strings.HasSuffix(s, ";") && !strings.HasSuffix(s, "{") && !strings.HasSuffix(s, "}") {
			continue
		}
		stmt.Reset()
		if m := packageRe.FindStringSubmatch(s); m != nil {
			pkg = m[1]
		}
		open := scopeRe.FindStringSubmatch(s)
		for _, r := range s {
			switch r {
			case '{':
				depth++
			case '}':
				if len(scopes) > 0 && scopes[len(scopes)-1].depth == depth {
					scopes = scopes[:len(scopes)-1]
				}
				depth--
			}
		}
		if open != nil {
			// The statement's last '{' opens the scope.
			scopes = append(scopes, scope{name: open[2], kind: open[1], depth: depth})
			comment = nil
			continue
		}
		if m := fieldRe.FindStringSubmatch(s); m != nil && strings.Contains(m[2], "deprecated = true") && len(scopes) > 0 && v3Package.MatchString(pkg) {
			hints[fullName(pkg, scopes, m[1])] = hint(comment)
		}
		comment = nil
	}
	return hints
}

// fullName joins the package and the enclosing messages and enums; oneofs
// do not take part in names.
func fullName(pkg string, scopes []scope, name string) string {
	parts := []string{pkg}
	for _, s := range scopes {
		if s.kind == "message" || s.kind == "enum" {
			parts = append(parts, s.name)
		}
	}
	return strings.Join(append(parts, name), ".")
}

var (
	refRe       = regexp.MustCompile(":ref:`([^`<]*?)\\s*(?:<([^`>]*)>)?`")
	directiveRe = regexp.MustCompile(`\.\.\s*[\w-]+::`)
	literalRe   = regexp.MustCompile("``?([^`]+)``?")
	replaceRe   = regexp.MustCompile(`(?i)\b(instead|in favou?r of|replaced by|replacement|superseded|deprecated by|please use)\b`)
)

// hint picks the comment's first sentence that names a replacement, with
// RST markup reduced to plain text; "" when none does.
func hint(comment []string) string {
	text := strings.Join(comment, " ")
	text = refRe.ReplaceAllStringFunc(text, func(m string) string {
		sm := refRe.FindStringSubmatch(m)
		if strings.TrimSpace(sm[1]) != "" {
			return strings.TrimSpace(sm[1])
		}
		// :ref:`envoy_v3_api_field_config.cluster.v3.Cluster.foo` → Cluster.foo
		target := sm[2]
		if target == "" {
			target = sm[1]
		}
		parts := strings.Split(target, ".")
		if len(parts) >= 2 {
			return parts[len(parts)-2] + "." + parts[len(parts)-1]
		}
		return target
	})
	text = literalRe.ReplaceAllString(text, "$1")
	text = directiveRe.ReplaceAllString(text, "")
	text = strings.Join(strings.Fields(text), " ")
	for _, s := range splitSentences(text) {
		if replaceRe.MatchString(s) {
			if len(s) > 300 {
				s = s[:297] + "..."
			}
			return s
		}
	}
	return ""
}

// splitSentences splits at ". " so that dotted names (core.v3.Foo) stay whole.
func splitSentences(text string) []string {
	var out []string
	for _, s := range strings.SplitAfter(text, ". ") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func render(pkg string, hints map[string]string) ([]byte, error) {
	names := make([]string, 0, len(hints))
	for n := range hints {
		names = append(names, n)
	}
	sort.Strings(names)
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by gendeprecated; DO NOT EDIT.\n\npackage %s\n\n", pkg)
	fmt.Fprintf(&b, "// deprecationHints holds, for %d deprecated fields and enum values of\n", len(names))
	b.WriteString("// Envoy's API, the sentence of their proto comment naming the replacement\n")
	b.WriteString("// (empty when the comment names none), from envoyproxy/data-plane-api.\n")
	b.WriteString("var deprecationHints = map[string]string{\n")
	for _, n := range names {
		fmt.Fprintf(&b, "\t%q: %q,\n", n, hints[n])
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}
