package lsp

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"go.lsp.dev/protocol"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/pluginpb"
)

// The side-by-side comparison with redhat's yaml-language-server and the
// community's JSON schema method (protoc-gen-jsonschema on bootstrap.proto)
// runs only where both are installed:
//
//	YLS=.../node_modules/.bin/yaml-language-server
//	PROTOC_GEN_JSONSCHEMA=.../protoc-gen-jsonschema
//	go test -run TestCompareYAMLLanguageServer -v ./internal/lsp

// defect is one seeded mistake in sessionDoc: the lines it replaces or
// inserts, and the lines a diagnostic must start on to count as found.
type defect struct {
	name  string
	apply func() string
	lines []int
}

func replaceLine(line int, with ...string) func() string {
	return func() string {
		ls := strings.Split(sessionDoc, "\n")
		return strings.Join(slices.Concat(ls[:line], with, ls[line+1:]), "\n")
	}
}

var defects = []defect{
	{"typo in a cluster field", replaceLine(30, "    conect_timeout: 1s"), []int{30}},
	{"typo inside an HCM typed_config", replaceLine(13, "          stat_prefx: ingress"), []int{13}},
	{"bad enum value", replaceLine(32, "    lb_policy: ROUND_ROBN"), []int{32}},
	{"unknown @type", replaceLine(27, `              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Routr`), []int{27}},
	{"connect_timeout: 5 (a number, not a duration)", replaceLine(30, "    connect_timeout: 5"), []int{30}},
	{"a PGV minimum: port_value 70000", replaceLine(39, "              socket_address: {address: backend.internal, port_value: 70000}"), []int{39}},
	{"a oneof set twice (cluster and cluster_header)", replaceLine(23, "                  cluster: backend", "                  cluster_header: x-cluster"), []int{23, 24}},
	{"a route to a missing cluster", replaceLine(23, "                  cluster: backnd"), []int{23}},
	{"the router not last", replaceLine(27, `              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router`,
		"          - name: envoy.filters.http.cors", "            typed_config:",
		`              "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors`), []int{25, 28}},
	{"two clusters of one name", replaceLine(28, "  clusters:", "  - name: backend", "    connect_timeout: 2s"), []int{29, 31}},
	{"a string where a number goes", replaceLine(30, "    connect_timeout: 1s", "    per_connection_buffer_limit_bytes: lots"), []int{31}},
	{"a deprecated field", replaceLine(30, "    connect_timeout: 1s", "    http2_protocol_options: {}"), []int{31}},
}

// bootstrapSchema runs protoc-gen-jsonschema, as the community schemas are
// made, on bootstrap.proto and its imports (go-control-plane's descriptors:
// the pinned API, not 1.21's) and returns the Bootstrap schema's path.
// The descriptors carry no comments, so the schema has no descriptions,
// which a schema made by protoc from the .proto sources would have.
func bootstrapSchema(t *testing.T, plugin, dir string) string {
	fd, err := protoregistry.GlobalFiles.FindFileByPath("envoy/config/bootstrap/v3/bootstrap.proto")
	if err != nil {
		t.Fatal(err)
	}
	var files []*descriptorpb.FileDescriptorProto
	seen := map[string]bool{}
	var add func(f protoreflect.FileDescriptor)
	add = func(f protoreflect.FileDescriptor) {
		if seen[f.Path()] {
			return
		}
		seen[f.Path()] = true
		for i := range f.Imports().Len() {
			add(f.Imports().Get(i).FileDescriptor)
		}
		files = append(files, protodesc.ToFileDescriptorProto(f))
	}
	add(fd)
	req, _ := proto.Marshal(&pluginpb.CodeGeneratorRequest{FileToGenerate: []string{fd.Path()}, ProtoFile: files})
	cmd := exec.Command(plugin)
	cmd.Stdin = strings.NewReader(string(req))
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("protoc-gen-jsonschema: %v", err)
	}
	var resp pluginpb.CodeGeneratorResponse
	if err := proto.Unmarshal(out, &resp); err != nil || resp.Error != nil {
		t.Fatalf("protoc-gen-jsonschema: %v %v", err, resp.GetError())
	}
	for _, f := range resp.File {
		if filepath.Base(f.GetName()) == "Bootstrap.json" {
			p := filepath.Join(dir, "Bootstrap.json")
			if err := os.WriteFile(p, []byte(f.GetContent()), 0o644); err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	t.Fatalf("no Bootstrap.json among %d files", len(resp.File))
	return ""
}

// side is one server under comparison.
type side struct {
	name string
	c    *client
	dir  string
	head string // prepended to each document (yaml-language-server's schema modeline)

	navOpen bool
}

func (s *side) uri(name string) protocol.DocumentURI { return fileURI(filepath.Join(s.dir, name)) }

// publication waits for uri's next diagnostics (yaml-language-server
// publishes no version), or none within wait.
func (s *side) publication(uri protocol.DocumentURI, wait time.Duration) ([]protocol.Diagnostic, bool) {
	timeout := time.After(wait)
	for {
		select {
		case m := <-s.c.notes:
			if m.Method != "textDocument/publishDiagnostics" {
				continue
			}
			var p publishParams
			if json.Unmarshal(m.Params, &p) == nil && p.URI == uri {
				return p.Diagnostics, true
			}
		case <-timeout:
			return nil, false
		}
	}
}

func TestCompareYAMLLanguageServer(t *testing.T) {
	yls, plugin := os.Getenv("YLS"), os.Getenv("PROTOC_GEN_JSONSCHEMA")
	if yls == "" || plugin == "" {
		t.Skip("set YLS (yaml-language-server) and PROTOC_GEN_JSONSCHEMA to compare")
	}
	dir := t.TempDir()
	schema := bootstrapSchema(t, plugin, dir)
	ours, stopOurs := startBinary(t, dir)
	defer stopOurs()
	theirs := startYLS(t, yls, dir)
	sides := []*side{{name: "envoy-reloader lsp", c: ours, dir: dir},
		{name: "yaml-language-server", c: theirs, dir: dir, head: "# yaml-language-server: $schema=" + schema + "\n"}}

	var rows []string
	found := make([]int, len(sides))
	for i, d := range defects {
		row := "| " + d.name + " |"
		for j, s := range sides {
			u := s.uri(fmt.Sprintf("d%d.yaml", i))
			s.c.open(u, s.head+d.apply(), 1)
			ds, _ := s.publication(u, 10*time.Second)
			shift := strings.Count(s.head, "\n")
			cell := "—"
			for _, x := range ds {
				if slices.Contains(d.lines, int(x.Range.Start.Line)-shift) {
					cell = "✓ " + strings.ReplaceAll(firstLine(x.Message), "|", "\\|")
					found[j]++
					break
				}
			}
			if cell == "—" && len(ds) > 0 {
				cell = fmt.Sprintf("— (%d elsewhere: %s)", len(ds), strings.ReplaceAll(firstLine(ds[0].Message), "|", "\\|"))
			}
			row += " " + cell + " |"
		}
		rows = append(rows, row)
	}
	t.Logf("\n| seeded defect | %s | %s |\n|---|---|---|\n%s\n| found on the right line | %d of 12 | %d of 12 |",
		sides[0].name, sides[1].name, strings.Join(rows, "\n"), found[0], found[1])
	compareFeatures(t, sides)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 90 {
		s = s[:90] + "…"
	}
	return s
}
