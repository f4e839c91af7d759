// Package yamlsyntax is config/bootstrap's syntax room: where yaml.v3 fails,
// it finds the place a person would blame. yaml.v3 reports only libyaml's
// context mark, often lines above the mistake; this package reads the file
// with one lexer (this file) and two readings of its tokens: the block
// structure line by line (indent.go) and the token-level mistakes libyaml's
// scanner stops at (tokens.go).
//
// The lexer has the shape of Go's text/template/parse/lex.go: a state
// function per state, each returning the next, and tokens with positions.
// It is the one place that knows whether a line starts inside a quoted
// scalar, a flow collection or a block scalar.
package yamlsyntax

import "strings"

// yamlEscapes are the characters a backslash may escape in a double-quoted
// YAML scalar (YAML 1.2 §5.7), besides the x, u and U hex escapes.
const yamlEscapes = "0abt\tnvfre \"/\\N_LPxuU"

// stateFn is a state of the lexer: it reads some input and returns the next.
type stateFn func(*lexer) stateFn

type lexer struct {
	lines  []string
	line   int // index into lines of the line being read
	pos    int // byte offset in lines[line]
	indent int // the current line's indentation
	tokens []Token
	flows  []int // indexes of the open brackets, innermost last
	quote  int   // index of the open quote, or -1
	// scalarParent is the column a block scalar's lines must be deeper
	// than, or -2 outside one: the key's column, or the dash's.
	scalarParent int
	// nodeCol is the column of the key or dash a node on this line sits
	// under, for the block scalar that may follow.
	nodeCol int
	// stop, when not nil, is asked every so many lines whether to give
	// up (the caller no longer wants the answer).
	stop func() bool
}

// Lex reads data into tokens. It never fails: a mistake is an Error token
// and the lexer reads on.
func Lex(data string) []Token { return lex(strings.Split(data, "\n"), nil) }

// lex is Lex of data's lines, stopping early once stop says so.
func lex(lines []string, stop func() bool) []Token {
	l := &lexer{lines: lines, quote: -1, scalarParent: -2, stop: stop}
	for state := lexLine; state != nil; {
		state = state(l)
	}
	return l.tokens
}

func (l *lexer) text() string { return strings.TrimSuffix(l.lines[l.line], "\r") }

// emit adds a token at byte offset at of the current line and returns its index.
func (l *lexer) emit(k Kind, at int, text string) int {
	l.tokens = append(l.tokens, Token{Kind: k, Line: l.line + 1, Col: at + 1, Indent: l.indent, Text: text, Open: -1})
	return len(l.tokens) - 1
}

func (l *lexer) errorf(at int, msg string) {
	i := l.emit(Error, at, "")
	l.tokens[i].Msg = msg
}

// innermost is the quote or bracket a line starts inside, or -1.
func (l *lexer) innermost() int {
	if l.quote >= 0 {
		return l.quote
	}
	if len(l.flows) > 0 {
		return l.flows[len(l.flows)-1]
	}
	return -1
}

// nextLine moves to the next line, or ends the input.
func nextLine(l *lexer) stateFn {
	l.line++
	l.pos = 0
	if l.stop != nil && l.line&255 == 0 && l.stop() {
		return nil
	}
	return lexLine
}

// lexLine starts a line: it says what the line is in and hands over to the
// state that reads its content.
func lexLine(l *lexer) stateFn {
	if l.line >= len(l.lines) {
		i := l.emit(EOF, 0, "")
		l.tokens[i].Line = len(l.lines)
		l.tokens[i].Open = l.innermost()
		return nil
	}
	text := l.text()
	l.indent = len(text) - len(strings.TrimLeft(text, " "))
	l.pos, l.nodeCol = l.indent, -1
	rest := strings.TrimSpace(text)
	switch {
	case l.quote >= 0:
		i := l.emit(QuotedLine, l.indent, text[l.indent:])
		l.tokens[i].Open = l.quote
		return lexQuoted
	case len(l.flows) > 0:
		i := l.emit(FlowLine, l.indent, text[l.indent:])
		l.tokens[i].Open = l.innermost()
		return lexFlow
	case l.scalarParent >= -1 && (rest == "" || l.indent > l.scalarParent):
		l.emit(BlockText, l.indent, text[l.indent:])
		return nextLine
	}
	l.scalarParent = -2
	switch {
	case rest == "" || rest[0] == '#':
		l.emit(Blank, l.indent, rest)
		return nextLine
	case text[0] == '%':
		l.emit(Directive, 0, rest)
		return nextLine
	case (strings.HasPrefix(text, "---") || strings.HasPrefix(text, "...")) && (len(text) == 3 || text[3] == ' ' || text[3] == '\t'):
		l.emit(Document, 0, text[:3])
		l.pos = 3
		return lexNode
	}
	l.emit(Indent, l.indent, text[l.indent:])
	return lexNode
}

// skipBlanks moves past spaces and tabs; it reports whether the line goes on.
func (l *lexer) skipBlanks() bool {
	text := l.text()
	for l.pos < len(text) && (text[l.pos] == ' ' || text[l.pos] == '\t') {
		l.pos++
	}
	return l.pos < len(text)
}

// blankAt reports whether the byte at i is a blank or the end of the line.
func blankAt(s string, i int) bool { return i >= len(s) || s[i] == ' ' || s[i] == '\t' }

// lexNode reads where a node may start in block context: after the
// indentation, a dash or a colon.
func lexNode(l *lexer) stateFn {
	if !l.skipBlanks() {
		return nextLine
	}
	text := l.text()
	c := text[l.pos]
	switch {
	case c == '#':
		return nextLine
	case c == '-' && blankAt(text, l.pos+1):
		l.emit(Dash, l.pos, "-")
		l.nodeCol = l.pos
		l.pos++
		return lexNode
	case c == '|' || c == '>':
		l.emit(BlockHeader, l.pos, strings.TrimSpace(text[l.pos:]))
		l.scalarParent = l.nodeCol
		if l.scalarParent < 0 {
			l.scalarParent = l.indent
		}
		return nextLine
	case c == '[' || c == '{':
		l.flows = append(l.flows, l.emit(FlowOpen, l.pos, text[l.pos:l.pos+1]))
		l.pos++
		return lexFlow
	case c == ']' || c == '}':
		l.errorf(l.pos, "found "+string(c)+" with no matching opening bracket")
		l.pos++
		return lexNode
	case c == '"' || c == '\'':
		l.quote = l.emit(Quoted, l.pos, text[l.pos:l.pos+1])
		l.pos++
		return lexQuoted
	}
	if l.lexProperty() {
		return lexNode
	}
	return lexPlain
}

// lexProperty reads an anchor, an alias or a tag at l.pos, or a reserved
// indicator; it reports whether it read one.
func (l *lexer) lexProperty() bool {
	text := l.text()
	switch c := text[l.pos]; c {
	case '&', '*':
		name := anchorName(text[l.pos+1:])
		if name == "" {
			l.errorf(l.pos, string(c)+" must be followed by an anchor name")
		}
		kind := Anchor
		if c == '*' {
			kind = Alias
		}
		l.emit(kind, l.pos, text[l.pos:l.pos+1+len(name)])
		l.pos += 1 + len(name)
		return true
	case '!':
		end := strings.IndexAny(text[l.pos:], " \t")
		if end < 0 {
			end = len(text) - l.pos
		}
		l.emit(Tag, l.pos, text[l.pos:l.pos+end])
		l.pos += end
		return true
	case '@', '`':
		// Reserved: libyaml stops here. Read on as if it were plain.
		l.errorf(l.pos, string(c)+" cannot start a plain value; quote the value")
	}
	return false
}

// anchorName reads the name after & or *: anything up to a blank or a flow
// indicator, as libyaml reads it.
func anchorName(s string) string {
	end := strings.IndexAny(s, " \t,[]{}")
	if end < 0 {
		end = len(s)
	}
	return s[:end]
}

// lexPlain reads a plain scalar in block context: up to a ": " (it was a
// key), a " #" or the end of the line.
func lexPlain(l *lexer) stateFn {
	text := l.text()
	start := l.pos
	for i := start; i < len(text); i++ {
		switch {
		case text[i] == ':' && blankAt(text, i+1):
			l.emit(Plain, start, strings.TrimSpace(text[start:i]))
			l.emit(Colon, i, ":")
			l.nodeCol, l.pos = start, i+1
			return lexNode
		case text[i] == '#' && i > start && (text[i-1] == ' ' || text[i-1] == '\t'):
			l.emit(Plain, start, strings.TrimSpace(text[start:i]))
			return nextLine
		}
	}
	l.emit(Plain, start, strings.TrimSpace(text[start:]))
	return nextLine
}

// lexQuoted reads inside a quoted scalar, over as many lines as it takes.
func lexQuoted(l *lexer) stateFn {
	text := l.text()
	q := l.tokens[l.quote].Text[0]
	for l.pos < len(text) {
		c := text[l.pos]
		switch {
		case q == '"' && c == '\\':
			if l.pos+1 < len(text) && !strings.ContainsRune(yamlEscapes, rune(text[l.pos+1])) {
				l.errorf(l.pos, text[l.pos:l.pos+2]+` is not a YAML escape; write \\ for a backslash`)
			}
			l.pos += 2
			continue
		case q == '\'' && c == '\'' && l.pos+1 < len(text) && text[l.pos+1] == '\'':
			l.pos += 2
			continue
		case c == q:
			l.nodeCol = l.tokens[l.quote].Col - 1
			l.quote = -1
			l.emit(QuoteEnd, l.pos, string(q))
			l.pos++
			if len(l.flows) > 0 {
				return lexFlow
			}
			return lexAfterQuoted
		}
		l.pos++
	}
	return nextLine
}

// lexAfterQuoted reads what follows a quoted scalar in block context: a
// colon (it was a key), a comment, or nothing.
func lexAfterQuoted(l *lexer) stateFn {
	if !l.skipBlanks() {
		return nextLine
	}
	text := l.text()
	switch text[l.pos] {
	case ':':
		l.emit(Colon, l.pos, ":")
		l.pos++
		return lexNode
	case '#':
		return nextLine
	}
	l.errorf(l.pos, "text after a quoted string; quote the whole value")
	return lexPlain
}

// lexFlow reads inside [ ] and { }, over as many lines as it takes.
func lexFlow(l *lexer) stateFn {
	if !l.skipBlanks() {
		return nextLine
	}
	text := l.text()
	c := text[l.pos]
	switch {
	case c == '#' && (l.pos == 0 || text[l.pos-1] == ' ' || text[l.pos-1] == '\t'):
		return nextLine
	case c == ',':
		l.emit(Comma, l.pos, ",")
	case c == ':':
		l.emit(Colon, l.pos, ":")
	case c == '[' || c == '{':
		l.flows = append(l.flows, l.emit(FlowOpen, l.pos, text[l.pos:l.pos+1]))
	case c == ']' || c == '}':
		l.emit(FlowClose, l.pos, text[l.pos:l.pos+1])
		l.flows = l.flows[:len(l.flows)-1]
		l.pos++
		if len(l.flows) == 0 {
			return lexAfterFlow
		}
		return lexFlow
	case c == '"' || c == '\'':
		l.quote = l.emit(Quoted, l.pos, text[l.pos:l.pos+1])
		l.pos++
		return lexQuoted
	default:
		if l.lexProperty() {
			return lexFlow
		}
		return lexFlowPlain
	}
	l.pos++
	return lexFlow
}

// lexFlowPlain reads a plain scalar inside a flow collection: up to a flow
// indicator, a ": ", a " #" or the end of the line.
func lexFlowPlain(l *lexer) stateFn {
	text := l.text()
	start := l.pos
	i := start
	for ; i < len(text); i++ {
		c := text[i]
		if strings.IndexByte(",[]{}", c) >= 0 || (c == ':' && (blankAt(text, i+1) || strings.IndexByte(",[]{}", text[i+1]) >= 0)) ||
			(c == '#' && i > start && (text[i-1] == ' ' || text[i-1] == '\t')) {
			break
		}
	}
	if i == start {
		// A character that starts no token here (| or > inside a flow).
		i++
	}
	l.emit(Plain, start, strings.TrimSpace(text[start:i]))
	l.pos = i
	return lexFlow
}

// lexAfterFlow reads what follows a flow collection in block context: a
// colon (it was a key), a comment, a stray bracket, or nothing.
func lexAfterFlow(l *lexer) stateFn {
	if !l.skipBlanks() {
		return nextLine
	}
	text := l.text()
	switch c := text[l.pos]; c {
	case ':':
		l.emit(Colon, l.pos, ":")
		l.pos++
		return lexNode
	case '#':
		return nextLine
	case ']', '}':
		l.errorf(l.pos, "found "+string(c)+" with no matching opening bracket")
		l.pos++
		return lexAfterFlow
	}
	return lexPlain
}
