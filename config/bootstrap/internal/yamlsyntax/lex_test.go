package yamlsyntax

import (
	"fmt"
	"strings"
	"testing"
)

var kindNames = map[Kind]string{
	Indent: "indent", Blank: "blank", BlockText: "text", QuotedLine: "qline", FlowLine: "fline",
	Directive: "directive", Document: "doc", EOF: "eof",
	Dash: "dash", Colon: "colon", Comma: "comma", FlowOpen: "open", FlowClose: "close", Plain: "plain",
	Quoted: "quote", QuoteEnd: "end", BlockHeader: "header", Anchor: "anchor", Alias: "alias", Tag: "tag", Error: "error",
}

// render writes tokens as kind@line:col, with the text of scalars and the
// opener of line tokens, so a case reads as the lexer saw the input.
func render(toks []Token) string {
	var b strings.Builder
	for _, t := range toks {
		fmt.Fprintf(&b, "%s@%d:%d", kindNames[t.Kind], t.Line, t.Col)
		switch t.Kind {
		case Plain, Anchor, Alias, Tag, BlockHeader:
			fmt.Fprintf(&b, "(%s)", t.Text)
		case Error:
			fmt.Fprintf(&b, "(%s)", t.Msg)
		}
		if t.Open >= 0 {
			o := toks[t.Open]
			fmt.Fprintf(&b, "<%d:%d", o.Line, o.Col)
		}
		b.WriteByte(' ')
	}
	return strings.TrimSpace(b.String())
}

func TestLex(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"key and value", "a: b",
			"indent@1:1 plain@1:1(a) colon@1:2 plain@1:4(b) eof@1:1"},
		{"url is one plain scalar", "u: http://x:80/a#b",
			"indent@1:1 plain@1:1(u) colon@1:2 plain@1:4(http://x:80/a#b) eof@1:1"},
		{"comment after a value", "a: b # c\n# d",
			"indent@1:1 plain@1:1(a) colon@1:2 plain@1:4(b) blank@2:1 eof@2:1"},
		{"dashes and a key", "- - k: v",
			"indent@1:1 dash@1:1 dash@1:3 plain@1:5(k) colon@1:6 plain@1:8(v) eof@1:1"},
		{"quoted key", `"@type": x`,
			"indent@1:1 quote@1:1 end@1:7 colon@1:8 plain@1:10(x) eof@1:1"},
		{"quote over two lines", "a: \"x\n  y\"\nb: 1",
			"indent@1:1 plain@1:1(a) colon@1:2 quote@1:4 qline@2:3<1:4 end@2:4 indent@3:1 plain@3:1(b) colon@3:2 plain@3:4(1) eof@3:1"},
		{"doubled single quote", "a: 'it''s'",
			"indent@1:1 plain@1:1(a) colon@1:2 quote@1:4 end@1:10 eof@1:1"},
		{"flow over two lines", "a: {b: 1,\n  c: [2]}\nd: 3",
			"indent@1:1 plain@1:1(a) colon@1:2 open@1:4 plain@1:5(b) colon@1:6 plain@1:8(1) comma@1:9 fline@2:3<1:4 plain@2:3(c) colon@2:4 open@2:6 plain@2:7(2) close@2:8 close@2:9 indent@3:1 plain@3:1(d) colon@3:2 plain@3:4(3) eof@3:1"},
		{"block scalar ends at its key's column", "k: |\n  x: [\n  # y\nn: 1",
			"indent@1:1 plain@1:1(k) colon@1:2 header@1:4(|) text@2:3 text@3:3 indent@4:1 plain@4:1(n) colon@4:2 plain@4:4(1) eof@4:1"},
		{"block scalar under a dash and key", "- k: >-\n\n   x\n  n: 1",
			"indent@1:1 dash@1:1 plain@1:3(k) colon@1:4 header@1:6(>-) text@2:1 text@3:4 indent@4:3 plain@4:3(n) colon@4:4 plain@4:6(1) eof@4:1"},
		{"anchor, alias and tag", "a: &x !t v\nb: *x",
			"indent@1:1 plain@1:1(a) colon@1:2 anchor@1:4(&x) tag@1:7(!t) plain@1:10(v) indent@2:1 plain@2:1(b) colon@2:2 alias@2:4(*x) eof@2:1"},
		{"directive and documents", "%YAML 1.1\n---\na: 1\n...",
			"directive@1:1 doc@2:1 indent@3:1 plain@3:1(a) colon@3:2 plain@3:4(1) doc@4:1 eof@4:1"},
		{"dashes that start a word are plain", "-----BEGIN",
			"indent@1:1 plain@1:1(-----BEGIN) eof@1:1"},
		{"CRLF line ends", "a: b\r\nc: d\r\n",
			"indent@1:1 plain@1:1(a) colon@1:2 plain@1:4(b) indent@2:1 plain@2:1(c) colon@2:2 plain@2:4(d) blank@3:1 eof@3:1"},
		{"unclosed quote at the end", `a: "x`,
			"indent@1:1 plain@1:1(a) colon@1:2 quote@1:4 eof@1:1<1:4"},
		{"unclosed bracket at the end", "a: [x,\n",
			"indent@1:1 plain@1:1(a) colon@1:2 open@1:4 plain@1:5(x) comma@1:6 fline@2:1<1:4 eof@2:1<1:4"},
		{"bad escape", `a: "x\qy"`,
			`indent@1:1 plain@1:1(a) colon@1:2 quote@1:4 error@1:6(\q is not a YAML escape; write \\ for a backslash) end@1:9 eof@1:1`},
		{"reserved indicator", "a: @b",
			"indent@1:1 plain@1:1(a) colon@1:2 error@1:4(@ cannot start a plain value; quote the value) plain@1:4(@b) eof@1:1"},
		{"text after a quote", `a: "b" c`,
			"indent@1:1 plain@1:1(a) colon@1:2 quote@1:4 end@1:6 error@1:8(text after a quoted string; quote the whole value) plain@1:8(c) eof@1:1"},
		{"stray closing bracket", "a: [b]]",
			"indent@1:1 plain@1:1(a) colon@1:2 open@1:4 plain@1:5(b) close@1:6 error@1:7(found ] with no matching opening bracket) eof@1:1"},
		{"anchor without a name", "a: & b",
			"indent@1:1 plain@1:1(a) colon@1:2 error@1:4(& must be followed by an anchor name) anchor@1:4(&) plain@1:6(b) eof@1:1"},
		{"tab after the indentation", "\tk: v",
			"indent@1:1 plain@1:2(k) colon@1:3 plain@1:5(v) eof@1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := render(Lex(tc.in)); got != tc.want {
				t.Errorf("Lex(%q)\n got: %s\nwant: %s", tc.in, got, tc.want)
			}
		})
	}
}

// problemCase is one input to a reading and the problem it must find
// (none: no problem).
type problemCase struct {
	name, in string
	want     Problem
	none     bool
}

func runProblemCases(t *testing.T, find func(string) (Problem, bool), cases []problemCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := find(tc.in)
			switch {
			case tc.none && ok:
				t.Fatalf("found %+v, want none", got)
			case !tc.none && (!ok || got != tc.want):
				t.Errorf("found %+v, %v; want %+v", got, ok, tc.want)
			}
		})
	}
}

func TestTokenProblem(t *testing.T) {
	runProblemCases(t, TokenProblem, []problemCase{
		{name: "valid", in: "a: {b: [1, 2]}\nc: \"d\"\n", none: true},
		{name: "quote never closed, next key inside it", in: "a: \"x\nb: 1\n",
			want: Problem{1, 4, "this quoted string is never closed: line 2, at or left of its key's column, is still inside it"}},
		{name: "bracket never closed, next key inside it", in: "a: {x: 1\nb: 1\n",
			want: Problem{1, 4, "this { is never closed: line 2, at or left of its line's column, is still inside it"}},
		{name: "closing bracket on its own line is fine", in: "a: [\n  1\n]\n", none: true},
		{name: "alias before its anchor", in: "a: *x\nb: &x 1\n", want: Problem{1, 4, "no &x before this alias"}},
		{name: "second YAML directive", in: "%YAML 1.1\n%YAML 1.1\n---\na: 1\n",
			want: Problem{2, 1, "a second %YAML directive (the first is at line 1)"}},
		{name: "the column counts characters, not bytes", in: "a: \"é\\q\"\n",
			want: Problem{1, 6, `\q is not a YAML escape; write \\ for a backslash`}},
		{name: "a block scalar's content is not read", in: "a: |\n  \"x [ @\nb: 1\n", none: true},
	})
}

func TestIndentProblem(t *testing.T) {
	runProblemCases(t, IndentProblem, []problemCase{
		{name: "valid", in: "a:\n  b: 1\n  c:\n  - d\n", none: true},
		{name: "deeper than its block", in: "a:\n  b: 1\n  c:\n    d: 1\n     e: 2\n",
			want: Problem{5, 6, "this line is indented to column 6, deeper than the block it continues (column 5)"}},
		{name: "a lone odd step is the slip", in: "a:\n  b:\n    x: 1\n  c:\n     d: 1\n    e: 2\n",
			want: Problem{5, 6, "this line is indented to column 6, off the file's usual step, so line 6 (column 5) no longer fits any block"}},
		{name: "matches no block", in: "a:\n  b:\n    c: 1\n   d: 2\n",
			want: Problem{4, 4, "this line is indented to column 4, which matches no enclosing block (blocks nearby start at column 5, 3)"}},
		{name: "quoted and flow lines are not structure", in: "a: \"x\n y\"\nb: [1,\n 2]\n", none: true},
		{name: "block scalar line less indented than its first", in: "a: |\n    x\n   y\n    z\n",
			want: Problem{3, 4, "this line of a block scalar is indented to column 4, less than its first line (column 5)"}},
	})
}

// oddInputs are what the lexer and both readings must survive: lone
// anchors and tags, bare dashes, block scalars at the end, unclosed
// everything.
var oddInputs = []string{
	"", "&a", "!t", "a:\n  &x\n  b: 1\n", "- \n-", "a: |", "a: >\n", "- - - x: |\n", "\"", "'a''", "[{", "a: [\n",
	"a:\n - b\n  - c\n", "%YAML 1.1\n%YAML", "a: *", "a: &", "\t- a", "a: \"\\", "? x\n: y\n", "---\n---\n- a\n b",
	"]", "}}", "a: ]", "{a: b}: c", "- [a, {b: 'c\n", ":", "- :", "a:\r\n  - b\r", "#", "...",
}

// checkPositions fails when the tokens do not end in EOF, or a token or a
// problem lies outside the input.
func checkPositions(t *testing.T, in string) {
	toks := Lex(in)
	lines := strings.Count(in, "\n") + 1
	if len(toks) == 0 || toks[len(toks)-1].Kind != EOF {
		t.Errorf("%q: the tokens do not end in EOF: %s", in, render(toks))
	}
	for _, tok := range toks {
		if tok.Line < 1 || tok.Line > lines || tok.Col < 1 {
			t.Errorf("%q: token out of the input: %s", in, render([]Token{tok}))
		}
	}
	for _, find := range []func(string) (Problem, bool){TokenProblem, IndentProblem} {
		if p, ok := find(in); ok && (p.Line < 1 || p.Line > lines || p.Col < 1) {
			t.Errorf("%q: problem out of the input: %+v", in, p)
		}
	}
}

func TestOddInput(t *testing.T) {
	for _, in := range oddInputs {
		checkPositions(t, in)
	}
}

func FuzzLex(f *testing.F) {
	for _, in := range oddInputs {
		f.Add(in)
	}
	f.Add("static_resources:\n  clusters:\n  - name: a\n    connect_timeout: 1s\n")
	f.Fuzz(checkPositions)
}
