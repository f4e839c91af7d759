package bootstrap

import (
	"context"
	"errors"
	"os"
	"reflect"
	"runtime"
	"strings"
	"testing"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/proto"
)

// withProcs runs f with GOMAXPROCS n: Load decodes long lists on that
// many goroutines.
func withProcs(n int, f func()) {
	old := runtime.GOMAXPROCS(n)
	defer runtime.GOMAXPROCS(old)
	f()
}

// sameResult fails the test when two results differ in any diagnostic,
// in their order, or in the decoded bootstrap.
func sameResult(t *testing.T, name string, want, got *Result) {
	t.Helper()
	if !reflect.DeepEqual(want.Diagnostics, got.Diagnostics) {
		t.Errorf("%s: diagnostics differ:\nwant %v\ngot  %v", name, want.Diagnostics, got.Diagnostics)
	}
	if !proto.Equal(want.Bootstrap, got.Bootstrap) {
		t.Errorf("%s: the decoded bootstraps differ", name)
	}
	if !reflect.DeepEqual(want.ReferencedFiles, got.ReferencedFiles) {
		t.Errorf("%s: referenced files %v, want %v", name, got.ReferencedFiles, want.ReferencedFiles)
	}
}

// TestParallelDecodeIsSerial: the clusters and listeners of a large
// bootstrap, decoded in shares on several goroutines, give what one
// goroutine gives, defects in every share included (did-you-mean, bad
// enums, PGV, dangling references, duplicate names, a budget that runs
// out).
func TestParallelDecodeIsSerial(t *testing.T) {
	base := string(generateLarge(300, 80))
	defects := []struct {
		name string
		edit func(string) string
	}{
		{"valid", func(s string) string { return s }},
		{"defects in every share", func(s string) string {
			s = strings.Replace(s, "  - name: cluster_3\n    connect_timeout: 0.25s", "  - name: cluster_3\n    conect_timeout: 0.25s", 1)
			s = strings.Replace(s, "  - name: cluster_150\n    connect_timeout: 0.25s\n    type: STRICT_DNS", "  - name: cluster_150\n    connect_timeout: 0.25s\n    type: STRICT_DNZ", 1)
			s = strings.Replace(s, "  - name: cluster_299\n    connect_timeout: 0.25s", "  - name: cluster_299\n    connect_timeout: -1s", 1)
			s = strings.Replace(s, "stat_prefix: ingress_7\n", "stat_prefix: ingress_7\n          codec_type: HTTP9\n", 1)
			s = strings.Replace(s, "stat_prefix: ingress_70\n", "", 1)
			s = strings.Replace(s, "{cluster: cluster_12,", "{cluster: cluster_nowhere,", 1)
			s = strings.Replace(s, "  - name: cluster_200\n", "  - name: cluster_201\n", 1)
			s = strings.Replace(s, "port_value: 10003}", "port_value: 70000}", 1)
			return s
		}},
		{"a duplicate key", func(s string) string {
			return strings.Replace(s, "  - name: cluster_100\n", "  - name: cluster_100\n    type: STATIC\n", 1)
		}},
		{"a list that is not all mappings", func(s string) string {
			return strings.Replace(s, "  clusters:\n", "  clusters:\n  -\n", 1)
		}},
	}
	for _, tc := range defects {
		data := []byte(tc.edit(base))
		var serial, two, four *Result
		withProcs(1, func() { serial = Load("large.yaml", data, Options{}) })
		withProcs(2, func() { two = Load("large.yaml", data, Options{}) })
		withProcs(4, func() { four = Load("large.yaml", data, Options{Strict: true}) })
		if tc.name != "valid" && len(serial.Diagnostics) == 0 {
			t.Errorf("%s: no diagnostics: the defects were not seeded", tc.name)
		}
		sameResult(t, tc.name+" on 2", serial, two)
		var strictSerial *Result
		withProcs(1, func() { strictSerial = Load("large.yaml", data, Options{Strict: true}) })
		sameResult(t, tc.name+" on 4, strict", strictSerial, four)
	}
}

// TestParallelBudgetRunsOutAsSerial: when the node budget runs out inside
// a list decoded in shares, the serial decoding says where.
func TestParallelBudgetRunsOutAsSerial(t *testing.T) {
	data := generateLarge(200, 70)
	all := newDecoder("large.yaml", 0, false)
	all.budget = 1 << 30
	loadWith(t, all, data)
	used := 1<<30 - all.budget
	var serial, parallel *Result
	run := func() *Result {
		d := newDecoder("large.yaml", 0, false)
		d.budget = used - used/10 // runs out within the clusters, the last list
		return loadWith(t, d, data)
	}
	withProcs(1, func() { serial = run() })
	withProcs(2, func() { parallel = run() })
	if len(serial.Diagnostics) != 1 || !strings.Contains(serial.Diagnostics[0].Message, "too large") {
		t.Fatalf("serial: %v, want the budget's one error", serial.Diagnostics)
	}
	sameResult(t, "budget", serial, parallel)
}

// loadWith decodes data with d as Load's decoder would, for a test that
// sets the budget.
func loadWith(t *testing.T, d *decoder, data []byte) *Result {
	t.Helper()
	doc, err := parseYAML(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	d.workers = runtime.GOMAXPROCS(0)
	res := &Result{Bootstrap: &bootstrapv3.Bootstrap{}}
	d.decodeMessage(doc.Content[0], res.Bootstrap.ProtoReflect(), "", doc.Content[0], nil)
	res.Diagnostics = d.diags
	return res
}

// TestLoadContextIsLoad: with a context that can end (yaml.v3 reading
// through a reader), every corpus bootstrap and every test bootstrap
// gives what Load gives.
func TestLoadContextIsLoad(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	inputs := map[string][]byte{
		"empty": nil, "blank": []byte("\n"), "comment": []byte("# nothing\n"), "two documents": []byte("admin: {}\n---\nnode: {}\n"),
		"bad YAML": []byte("admin:\n  address: [\n"), "tab": []byte("admin:\n\taddress: {}\n"), "large": generateLarge(100, 10),
	}
	for _, file := range corpusBootstraps(t) {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		inputs[file] = data
	}
	for name, data := range inputs {
		got, err := LoadContext(ctx, name, data, Options{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sameResult(t, name, Load(name, data, Options{}), got)
	}
}

// TestLoadContextGivesUp: a context that has ended stops Load, with its
// error and no result, whether it ends before the parse or during the
// decoding.
func TestLoadContextGivesUp(t *testing.T) {
	data := generateLarge(2000, 200)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if res, err := LoadContext(ctx, "large.yaml", data, Options{}); !errors.Is(err, context.Canceled) || res != nil {
		t.Errorf("ended before: %v, %v", res, err)
	}
	// Ended once the tree is parsed: the decoder's checks see it.
	doc, err := parseYAML(context.Background(), data)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel = context.WithCancel(context.Background())
	d := newDecoder("large.yaml", len(data), false)
	d.ctx = ctx
	cancel()
	d.decodeMessage(doc.Content[0], (&bootstrapv3.Bootstrap{}).ProtoReflect(), "", doc.Content[0], nil)
	if !d.cancelled || !d.over {
		t.Errorf("decoder went on after its context ended (cancelled %v, over %v)", d.cancelled, d.over)
	}
	if n := len(d.messages); n > 2000 {
		t.Errorf("%d messages decoded after the context ended", n)
	}
}
