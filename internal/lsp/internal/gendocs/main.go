// Command gendocs writes the hover index of internal/lsp (go generate): the
// doc comments of go-control-plane's .pb.go files, which are the proto
// comments, by message and field full name, gzip-compressed JSON.
package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// Registers every type the validator knows.
	_ "github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// Index is the file's content; internal/lsp reads the same shape.
type Index struct {
	Version    string            `json:"version"`    // Envoy docs version, e.g. v1.40.0
	Docs       map[string]string `json:"docs"`       // full name → Markdown
	Categories map[string]string `json:"categories"` // Any field full name → extension category
	DocFiles   map[string]string `json:"-"`          // message full name → its docs page (links only)
}

func main() {
	out := flag.String("o", "docs.json.gz", "output file")
	flag.Parse()
	goTypes := map[string]protoreflect.FullName{} // pkgpath.GoName → full name
	pkgs := map[string]bool{}
	idx := Index{Docs: map[string]string{}, Categories: map[string]string{}, DocFiles: map[string]string{}}
	protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
		t := reflect.TypeOf(mt.Zero().Interface()).Elem()
		goTypes[t.PkgPath()+"."+t.Name()] = mt.Descriptor().FullName()
		pkgs[t.PkgPath()] = true
		idx.DocFiles[string(mt.Descriptor().FullName())] = docPage(mt.Descriptor())
		return true
	})
	version, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "github.com/envoyproxy/go-control-plane/envoy").Output()
	if err != nil {
		log.Fatalf("go list -m: %v", err)
	}
	idx.Version = strings.TrimSpace(string(version))
	dirs := packageDirs(pkgs)
	raw := map[string]string{}
	for pkg, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.pb.go"))
		for _, f := range files {
			readFile(f, pkg, goTypes, raw)
		}
	}
	fields := 0
	for name, text := range raw {
		if m := category.FindStringSubmatch(text); m != nil {
			idx.Categories[name] = strings.TrimSpace(strings.Split(m[1], ",")[0])
		}
		if doc := markdown(text, idx); doc != "" {
			idx.Docs[name] = doc
			fields++
		}
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	enc := json.NewEncoder(zw)
	if err := enc.Encode(idx); err != nil {
		log.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "gendocs: %d documented names from %d packages, %d bytes\n", fields, len(dirs), buf.Len())
}

func packageDirs(pkgs map[string]bool) map[string]string {
	var list []string
	for p := range pkgs {
		list = append(list, p)
	}
	sort.Strings(list)
	cmd := exec.Command("go", append([]string{"list", "-f", "{{.ImportPath}} {{.Dir}}"}, list...)...)
	b, err := cmd.Output()
	if err != nil {
		log.Fatalf("go list: %v", err)
	}
	dirs := map[string]string{}
	for line := range strings.SplitSeq(strings.TrimSpace(string(b)), "\n") {
		if p, d, ok := strings.Cut(line, " "); ok {
			dirs[p] = d
		}
	}
	return dirs
}

var protoName = regexp.MustCompile(`protobuf:"[^"]*\bname=(\w+)`)

// readFile records the doc comments of the messages and their fields
// (oneof members are fields of wrapper structs named Message_Field).
func readFile(path, pkg string, goTypes map[string]protoreflect.FullName, raw map[string]string) {
	f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ParseComments)
	if err != nil {
		log.Fatalf("%s: %v", path, err)
	}
	for _, decl := range f.Decls {
		gd, ok := decl.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, spec := range gd.Specs {
			ts := spec.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok {
				continue
			}
			msg, ok := goTypes[pkg+"."+ts.Name.Name]
			if ok && gd.Doc != nil {
				raw[string(msg)] = gd.Doc.Text()
			}
			if !ok {
				msg = wrapperOf(pkg, ts.Name.Name, goTypes)
			}
			if msg == "" {
				continue
			}
			for _, fl := range st.Fields.List {
				if fl.Tag == nil || fl.Doc == nil {
					continue
				}
				if m := protoName.FindStringSubmatch(fl.Tag.Value); m != nil {
					raw[string(msg)+"."+m[1]] = fl.Doc.Text()
				}
			}
		}
	}
}

// wrapperOf is the message whose oneof wrapper struct name is.
func wrapperOf(pkg, name string, goTypes map[string]protoreflect.FullName) protoreflect.FullName {
	for i := strings.LastIndexByte(name, '_'); i > 0; i = strings.LastIndexByte(name[:i], '_') {
		if m, ok := goTypes[pkg+"."+name[:i]]; ok {
			return m
		}
	}
	return ""
}

var (
	category   = regexp.MustCompile(`\[#extension-category:\s*([^\]]+)\]`)
	annotation = regexp.MustCompile(`(?s)\[#[^\]]*\]`)
	refRole    = regexp.MustCompile("(?s):ref:`([^`<]*?)\\s*<([^`>]+)>`")
	refBare    = regexp.MustCompile(":ref:`([^`]+)`")
	literal    = regexp.MustCompile("``([^`]+)``")
	apiLabel   = regexp.MustCompile(`^envoy_v3_api_(field|msg|enum|enum_value)_(.+)$`)
)

// markdown turns a proto comment into Markdown: Envoy's [#...] annotations
// dropped, RST literals into code, :ref: roles to API labels into links to
// that version's envoyproxy.io page.
func markdown(text string, idx Index) string {
	text = annotation.ReplaceAllString(text, "")
	text = refRole.ReplaceAllStringFunc(text, func(s string) string {
		m := refRole.FindStringSubmatch(s)
		if link := labelLink(m[2], idx); link != "" {
			return "[" + m[1] + "](" + link + ")"
		}
		return m[1]
	})
	text = refBare.ReplaceAllString(text, "$1")
	text = literal.ReplaceAllString(text, "`$1`")
	return strings.TrimSpace(text)
}

func labelLink(label string, idx Index) string {
	m := apiLabel.FindStringSubmatch(label)
	if m == nil {
		return ""
	}
	for n := "envoy." + m[2]; n != ""; {
		if page, ok := idx.DocFiles[n]; ok {
			return "https://www.envoyproxy.io/docs/envoy/" + idx.Version + "/" + page + "#" + anchor(label)
		}
		i := strings.LastIndexByte(n, '.')
		if i < 0 {
			break
		}
		n = n[:i]
	}
	return ""
}

// anchor is the HTML id Envoy's docs give a label.
func anchor(label string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(label))
}

// docPage is a message's page below /docs/envoy/VERSION/.
func docPage(md protoreflect.MessageDescriptor) string {
	p := md.ParentFile().Path()
	return "api-v3/" + strings.TrimPrefix(p, "envoy/")
}
