package bootstrap

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"gopkg.in/yaml.v3"
)

// The differential test of LoadNext: random keystrokes (a character typed
// or erased, Enter with the line's indentation, a space added or taken at
// a line's start), each then undone, over the corpus bootstraps and
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

// differential types n random keystrokes into text, each undone, and
// reports how many LoadNext spliced.
func differential(t *testing.T, r *rand.Rand, file, text string, n int, opts Options) (spliced int) {
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
	for range n {
		k := randomKeystroke(r, text)
		edited := k.apply(text)
		if !check(k, edited, Load(file, []byte(edited), opts)) || !check(k.undo(), text, base) {
			return spliced
		}
	}
	return spliced
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
		spliced += differential(t, r, filepath.Base(f), string(data), n, opts)
		total += 2 * n
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
		spliced := differential(t, r, "large.yaml", text, n, Options{})
		t.Logf("%d clusters: %d keystrokes and undos, %d spliced, all equal to Load", c.clusters, 2*n, spliced)
		if spliced < n/2 {
			t.Errorf("%d clusters: only %d of %d versions spliced", c.clusters, spliced, 2*n)
		}
		if t.Failed() {
			return
		}
	}
}
