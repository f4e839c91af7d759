package yamlsyntax

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Token-level syntax errors. libyaml knows where these are (its problem
// mark) but yaml.v3 passes on only the line of the context mark, which for an
// unclosed quote or bracket is often lines away. TokenProblem reads the
// lexer's tokens for these few cases and points at the offending character
// itself.

// File is a file lexed once, for both readings.
type File struct {
	lines []string
	toks  []Token
	stop  func() bool // nil, or says to give up
}

// Read lexes data.
func Read(data string) *File { return ReadContext(context.Background(), data) }

// ReadContext is Read that gives up once ctx ends, and so do the File's
// readings: after that their answers mean nothing, and the caller, who
// no longer wants them, drops them.
func ReadContext(ctx context.Context, data string) *File {
	f := &File{lines: strings.Split(data, "\n")}
	if ctx.Done() != nil {
		f.stop = func() bool { return ctx.Err() != nil }
	}
	f.toks = lex(f.lines, f.stop)
	return f
}

// TokenProblem returns the first token-level problem in data, or ok false.
func TokenProblem(data string) (Problem, bool) { return Read(data).TokenProblem() }

// TokenProblem returns the file's first token-level problem, or ok false.
func (f *File) TokenProblem() (Problem, bool) {
	p, ok := tokenProblem(f.toks)
	if ok {
		p.Col = f.runeColumn(p.Line, p.Col)
	}
	return p, ok
}

// runeColumn turns a byte column of a line into a column in characters,
// as yaml.v3 counts them (and so every other diagnostic).
func (f *File) runeColumn(line, col int) int {
	if line < 1 || line > len(f.lines) || col-1 > len(f.lines[line-1]) {
		return col
	}
	return utf8.RuneCountInString(f.lines[line-1][:col-1]) + 1
}

func tokenProblem(toks []Token) (Problem, bool) {
	anchors := map[string]bool{}
	directives := map[string]int{}
	for _, t := range toks {
		switch t.Kind {
		case Directive:
			name, _, _ := strings.Cut(t.Text, " ")
			if prev, dup := directives[name]; dup && name == "%YAML" {
				return Problem{t.Line, 1, fmt.Sprintf("a second %%YAML directive (the first is at line %d)", prev)}, true
			}
			directives[name] = t.Line
		case QuotedLine:
			// A line at or left of the quote's own line is not meant to be
			// inside it: the quote is the mistake.
			if q := toks[t.Open]; strings.TrimSpace(t.Text) != "" && t.Indent <= q.Indent {
				return Problem{q.Line, q.Col, fmt.Sprintf("this quoted string is never closed: line %d, at or left of its key's column, is still inside it", t.Line)}, true
			}
		case FlowLine:
			rest := strings.TrimSpace(t.Text)
			if f := toks[t.Open]; rest != "" && t.Indent <= f.Indent && rest[0] != ']' && rest[0] != '}' {
				return Problem{f.Line, f.Col, fmt.Sprintf("this %s is never closed: line %d, at or left of its line's column, is still inside it", f.Text, t.Line)}, true
			}
		case Error:
			return Problem{t.Line, t.Col, t.Msg}, true
		case Anchor:
			anchors[t.Text[1:]] = true
		case Alias:
			if name := t.Text[1:]; name != "" && !anchors[name] {
				return Problem{t.Line, t.Col, fmt.Sprintf("no &%s before this alias", name)}, true
			}
		case EOF:
			if t.Open < 0 {
				break
			}
			o := toks[t.Open]
			if o.Kind == Quoted {
				return Problem{o.Line, o.Col, "this quoted string is never closed"}, true
			}
			return Problem{o.Line, o.Col, fmt.Sprintf("this %s is never closed", o.Text)}, true
		}
	}
	return Problem{}, false
}
