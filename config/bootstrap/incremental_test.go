package bootstrap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"
)

// The differential test of LoadNext: random keystrokes (a character typed
// or erased, Enter with the line's indentation, a space added or taken at
// a line's start), up to three at a time, then undone, over the corpus bootstraps and
// generated large ones. After every keystroke and every undo, LoadNext's
// result is Load's of the same text, and where it spliced, its tree is the
// tree a full parse gives.

// keystroke replaces text[off:off+len(del)] with ins.
type keystroke struct {
	off      int
	del, ins string
}

func (k keystroke) apply(text string) string { return text[:k.off] + k.ins + text[k.off+len(k.del):] }

func (k keystroke) undo() keystroke { return keystroke{off: k.off, del: k.ins, ins: k.del} }

// typed are the characters a keystroke may type: letters, digits and
// every character YAML gives a meaning to.
const typed = "az09_ :-#\"'&*!|>{}[],?%@`.\t"

func randomKeystroke(r *rand.Rand, text string) keystroke {
	off := r.IntN(len(text) + 1)
	for off < len(text) && !utf8.RuneStart(text[off]) {
		off++
	}
	lineBegin := strings.LastIndexByte(text[:off], '\n') + 1
	switch r.IntN(10) {
	case 0, 1, 2, 3: // a character typed
		return keystroke{off: off, ins: string(typed[r.IntN(len(typed))])}
	case 4, 5, 6: // a character erased
		if off == len(text) {
			return keystroke{off: off, ins: "x"}
		}
		_, size := utf8.DecodeRuneInString(text[off:])
		return keystroke{off: off, del: text[off : off+size]}
	case 7: // Enter, with the line's indentation
		indent := len(text[lineBegin:]) - len(strings.TrimLeft(text[lineBegin:], " "))
		return keystroke{off: off, ins: "\n" + strings.Repeat(" ", indent)}
	case 8: // the line indented one more
		return keystroke{off: lineBegin, ins: " "}
	default: // the line indented one less
		if lineBegin < len(text) && text[lineBegin] == ' ' {
			return keystroke{off: lineBegin, del: " "}
		}
		return keystroke{off: lineBegin, ins: "\t"}
	}
}

// sameTree compares what decoding reads of two trees: everything but the
// comments.
func sameTree(a, b *yaml.Node, at string) error {
	if a.Kind != b.Kind || a.Style != b.Style || a.Tag != b.Tag || a.Value != b.Value || a.Anchor != b.Anchor ||
		a.Line != b.Line || a.Column != b.Column || len(a.Content) != len(b.Content) {
		return fmt.Errorf("%s: %+v\nwant %+v", at, *a, *b)
	}
	for i := range a.Content {
		if err := sameTree(a.Content[i], b.Content[i], fmt.Sprintf("%s/%d", at, i)); err != nil {
			return err
		}
	}
	return nil
}

// differential types n random keystrokes into text, and undoes them, and
// reports how many versions LoadNext spliced and how many list elements
// it reused.
func differential(t *testing.T, r *rand.Rand, file, text string, n int, opts Options) (spliced, reused int) {
	t.Helper()
	ctx := context.Background()
	base := Load(file, []byte(text), opts)
	_, prev, err := LoadNext(ctx, file, []byte(text), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	check := func(k keystroke, now string, want *Result) bool {
		res, next, err := LoadNext(ctx, file, []byte(now), opts, prev)
		if err != nil {
			t.Fatal(err)
		}
		if prev != nil && next != nil && next.doc == prev.doc && next != prev {
			spliced++
			reused += next.elems.reused
			var full yaml.Node
			if err := yaml.Unmarshal([]byte(now), &full); err != nil {
				t.Errorf("%s: %+v spliced into a text that does not parse: %v", file, k, err)
				return false
			}
			if err := sameTree(next.doc, &full, "doc"); err != nil {
				t.Errorf("%s: %+v spliced a tree unlike the full parse's: %v", file, k, err)
				return false
			}
		}
		prev = next
		if !reflect.DeepEqual(res.Diagnostics, want.Diagnostics) {
			t.Errorf("%s: after %+v LoadNext's diagnostics\n%v\nLoad's\n%v", file, k, res.Diagnostics, want.Diagnostics)
			return false
		}
		if !proto.Equal(res.Bootstrap, want.Bootstrap) || !reflect.DeepEqual(res.ReferencedFiles, want.ReferencedFiles) || res.Digest != want.Digest {
			t.Errorf("%s: after %+v LoadNext's bootstrap or files differ from Load's", file, k)
			return false
		}
		return true
	}
	// Up to three keystrokes stand at once before they are undone, so
	// that an element kept with a problem is reused while another changes.
	now, typed := text, []keystroke(nil)
	for made := 0; made < n || len(typed) > 0; {
		var k keystroke
		if made < n && (len(typed) == 0 || len(typed) < 3 && r.IntN(2) == 0) {
			k = randomKeystroke(r, now)
			typed = append(typed, k)
			made++
		} else {
			k = typed[len(typed)-1].undo()
			typed = typed[:len(typed)-1]
		}
		now = k.apply(now)
		want := base
		if len(typed) > 0 {
			want = Load(file, []byte(now), opts)
		} else if now != text {
			t.Fatalf("%s: the undos did not restore the text", file)
		}
		if !check(k, now, want) {
			return spliced, reused
		}
	}
	return spliced, reused
}

func TestLoadNextCorpusKeystrokes(t *testing.T) {
	files := corpusBootstraps(t)
	r := rand.New(rand.NewPCG(23, 1))
	n := 40
	if raceEnabled {
		n = 8
	}
	spliced, total := 0, 0
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		opts := Options{Strict: i%2 == 1}
		s, _ := differential(t, r, filepath.Base(f), string(data), n, opts)
		spliced += s
		total += 2 * n // each keystroke and its undo
		if t.Failed() {
			return
		}
	}
	t.Logf("%d keystrokes and undos over %d corpus bootstraps: %d spliced, all equal to Load", total, len(files), spliced)
	// The test must exercise the splice, not only the fallback.
	if spliced < total/10 {
		t.Errorf("only %d of %d versions spliced", spliced, total)
	}
}

func TestLoadNextLargeKeystrokes(t *testing.T) {
	r := rand.New(rand.NewPCG(23, 2))
	for _, c := range []struct{ clusters, listeners, n int }{{300, 30, 60}, {2000, 200, 8}} {
		n := c.n
		if raceEnabled {
			n = max(2, n/10)
		}
		text := string(generateLarge(c.clusters, c.listeners))
		spliced, reused := differential(t, r, "large.yaml", text, n, Options{})
		t.Logf("%d clusters: %d keystrokes and undos, %d spliced, %d decoded elements reused, all equal to Load", c.clusters, 2*n, spliced, reused)
		if spliced < n/2 {
			t.Errorf("%d clusters: only %d of %d versions spliced", c.clusters, spliced, 2*n)
		}
		// The kept elements must be exercised too: most of the clusters
		// and listeners of each spliced version.
		if reused < spliced*(c.clusters+c.listeners)/2 {
			t.Errorf("%d clusters: only %d elements reused over %d spliced versions", c.clusters, reused, spliced)
		}
		if t.Failed() {
			return
		}
	}
}

// TestLoadNextKeptElementsWithProblems keeps an element with a problem
// only the rules find (PGV's, or one that reads an Any's payload) while
// other elements are typed into: its messages are reused, and the
// problem is still reported, as Load reports it.
func TestLoadNextKeptElementsWithProblems(t *testing.T) {
	base := string(generateLarge(300, 70))
	router := "          - name: envoy.filters.http.router\n            typed_config:\n              \"@type\": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\n"
	for _, c := range []struct {
		name, old, new, want string
	}{
		{"a port past PGV's bound", "{address: backend-7.internal, port_value: 8080}", "{address: backend-7.internal, port_value: 70000}", "port_value: value must be less than or equal to 65535"},
		{"a router behind a TypedStruct, not last", "stat_prefix: ingress_3\n", "", "must be the last filter"},
	} {
		t.Run(c.name, func(t *testing.T) {
			edited := strings.Replace(base, c.old, c.new, 1)
			if c.old == "stat_prefix: ingress_3\n" {
				// Listener 3's router as a TypedStruct, with a filter after it.
				at := strings.Index(base, c.old)
				r := at + strings.Index(base[at:], router)
				edited = base[:r] + "          - name: envoy.filters.http.router\n            typed_config:\n" +
					"              \"@type\": type.googleapis.com/xds.type.v3.TypedStruct\n" +
					"              type_url: type.googleapis.com/envoy.extensions.filters.http.router.v3.Router\n" +
					"          - name: envoy.filters.http.cors\n            typed_config:\n" +
					"              \"@type\": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors\n" + base[r+len(router):]
			}
			ctx := context.Background()
			_, prev, err := LoadNext(ctx, "large.yaml", []byte(base), Options{}, nil)
			if err != nil {
				t.Fatal(err)
			}
			// The problem, then keystrokes in a cluster far from it.
			far := strings.Index(edited, "backend-200.internal") + len("backend-200.internal")
			texts := []string{edited, edited[:far] + "x" + edited[far:], edited[:far] + "xy" + edited[far:], edited}
			for i, text := range texts {
				var res *Result
				res, prev, err = LoadNext(ctx, "large.yaml", []byte(text), Options{}, prev)
				if err != nil {
					t.Fatal(err)
				}
				want := Load("large.yaml", []byte(text), Options{})
				if !reflect.DeepEqual(res.Diagnostics, want.Diagnostics) {
					t.Fatalf("version %d: LoadNext's diagnostics\n%v\nLoad's\n%v", i, res.Diagnostics, want.Diagnostics)
				}
				if !strings.Contains(fmt.Sprint(want.Diagnostics), c.want) {
					t.Fatalf("version %d: no %q in %v", i, c.want, want.Diagnostics)
				}
				if i > 0 && prev.elems.reused < 300 {
					t.Errorf("version %d reused only %d elements", i, prev.elems.reused)
				}
			}
		})
	}
}

// errAfter is a context that ends once Err has been asked n times: a
// validation superseded at a point of the test's choosing.
type errAfter struct {
	context.Context
	n atomic.Int64
}

func (c *errAfter) Done() <-chan struct{} { return make(chan struct{}) }

func (c *errAfter) Err() error {
	if c.n.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

// TestLoadNextAfterCancel cancels LoadNext at many points of a spliced
// version's validation: the Parsed it returns serves the next version,
// whose result is Load's.
func TestLoadNextAfterCancel(t *testing.T) {
	base := string(generateLarge(300, 70))
	at := strings.Index(base, "backend-100.internal")
	typed := base[:at] + "x" + base[at:]
	other := strings.Index(typed, "backend-250.internal")
	after := typed[:other] + "y" + typed[other:]
	want := Load("large.yaml", []byte(after), Options{})
	cancelled := 0
	for _, n := range []int64{0, 1, 2, 3, 5, 8, 20, 100, 400} {
		_, prev, err := LoadNext(context.Background(), "large.yaml", []byte(base), Options{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := &errAfter{Context: context.Background()}
		ctx.n.Store(n)
		res, prev, err := LoadNext(ctx, "large.yaml", []byte(typed), Options{}, prev)
		if err != nil {
			cancelled++
		} else if len(res.Diagnostics) != 0 {
			t.Fatalf("cancelled after %d: %v", n, res.Diagnostics)
		}
		res, _, err = LoadNext(context.Background(), "large.yaml", []byte(after), Options{}, prev)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Diagnostics, want.Diagnostics) || !proto.Equal(res.Bootstrap, want.Bootstrap) {
			t.Fatalf("cancelled after %d checks: the next version differs from Load: %v", n, res.Diagnostics)
		}
	}
	if cancelled < 5 {
		t.Errorf("only %d of the validations were cancelled", cancelled)
	}
}
