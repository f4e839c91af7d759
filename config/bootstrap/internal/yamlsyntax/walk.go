package yamlsyntax

import "strings"

// walker follows the block structure of a file line by line over the
// lexer's tokens, as a person reading it would.
type walker struct {
	lines []string // the file's lines, for the block scalars' check
	// conflict is called at a line that fits no open block; returning
	// false stops the walk. opened, when not nil, sees every block opened
	// under a key or dash.
	conflict func(clash) bool
	opened   func(block)

	stack       []block
	pendingCol  int  // the column of a key or dash waiting for its block
	pendingDash bool // that it is a dash
	pending     bool // a block may open on the next line (or the root)
	scalarValue bool // the previous line ended in a plain scalar
	inScalar    bool // the lines are a block scalar's
	// scalarIndent is the indentation of the block scalar's first line
	// (-1 before it), scalarFirst that line.
	scalarIndent, scalarFirst int
}

// walk follows the block structure. After a conflict it recovers by taking
// the line as a new block. It stops early once stop (when not nil) says so.
func walk(toks []Token, lines []string, stop func() bool, conflict func(clash) bool, opened func(block)) {
	w := &walker{lines: lines, conflict: conflict, opened: opened}
	w.reset()
	for i, n := 0, 0; i < len(toks); n++ {
		if stop != nil && n&1023 == 1023 && stop() {
			return
		}
		t := toks[i]
		end := i + 1
		for end < len(toks) && toks[end].Kind >= Dash {
			end++
		}
		onLine := toks[i+1 : end]
		i = end
		if !w.line(t, onLine) {
			return
		}
	}
}

// reset starts a document: only the root is open, and it waits.
func (w *walker) reset() {
	w.stack = []block{{col: -1, offset: -1}}
	w.pending, w.pendingCol = true, -1
}

func (w *walker) push(b block) {
	w.stack = append(w.stack, b)
	if w.opened != nil && b.offset >= 0 {
		w.opened(b)
	}
}

// line reads one line, t its line token and onLine the tokens on it; it
// returns false to stop the walk.
func (w *walker) line(t Token, onLine []Token) bool {
	switch {
	case t.Kind == BlockText && w.inScalar:
		return w.scalarLine(t)
	case t.Kind == Blank || t.Kind == QuotedLine || t.Kind == FlowLine || t.Kind == Directive || t.Kind == BlockText:
		return true
	}
	w.inScalar = false
	if t.Kind == Document {
		w.reset()
		return true
	}
	if t.Kind != Indent || t.Text[0] == '\t' {
		return true
	}
	sh := shapeOf(t.Indent, onLine)
	if ok, fits := w.fit(t.Line, sh); !ok {
		return false
	} else if !fits {
		return true
	}
	w.opens(t.Line, sh)
	return true
}

// scalarLine checks a block scalar's line: its indentation is its first
// line's, and a later line less indented but still inside its parent
// breaks it.
func (w *walker) scalarLine(t Token) bool {
	if rest := strings.TrimSpace(t.Text); rest == "" || rest[0] == '#' || t.Text[0] == '\t' {
		return true
	}
	ind, line := t.Indent, t.Line
	if w.scalarIndent < 0 {
		w.scalarIndent, w.scalarFirst = ind, line
		return true
	}
	if ind >= w.scalarIndent {
		return true
	}
	if w.conflict != nil {
		blame := line
		// The rest agreeing with this line: the first line slipped.
		if next := nextIndent(w.lines, line); next == ind && line == w.scalarFirst+1 {
			blame = w.scalarFirst
		}
		if !w.conflict(clash{stack: w.stack, line: line, indent: w.scalarIndent, scalarBlame: blame}) {
			return false
		}
	}
	w.scalarIndent = ind
	return true
}

// fit places a line of structure in the open blocks: it opens the block a
// key or dash waits for, or continues one still open, or clashes. fits is
// false for a plain scalar's next line, which has no structure.
func (w *walker) fit(line int, sh lineShape) (ok, fits bool) {
	c := sh.indent
	startsDash := len(sh.dashes) > 0 && sh.dashes[0] == c
	if w.pending && (c > w.pendingCol || (c == w.pendingCol && startsDash && !w.pendingDash)) {
		offset := c - w.pendingCol
		if w.pendingCol < 0 {
			offset = -1 // the root
		}
		w.push(block{col: c, seq: startsDash, line: line, offset: offset})
		return true, true
	}
	var popped []block
	for len(w.stack) > 1 && w.stack[len(w.stack)-1].col > c {
		popped = append(popped, w.stack[len(w.stack)-1])
		w.stack = w.stack[:len(w.stack)-1]
	}
	top := w.stack[len(w.stack)-1]
	if top.col == c && top.seq && !startsDash && len(w.stack) > 2 && w.stack[len(w.stack)-2].col == c {
		// A sequence at its key's column ends where the mapping goes on.
		w.stack = w.stack[:len(w.stack)-1]
		top = w.stack[len(w.stack)-1]
	}
	if top.col < c && len(popped) == 0 && w.scalarValue && len(sh.dashes) == 0 && sh.keyCol < 0 {
		return true, false // a plain scalar going on over several lines
	}
	if top.col == c && top.seq == startsDash {
		return true, true
	}
	involved := append(popped, top)
	if top.col == c && len(w.stack) > 1 {
		involved = append(involved, w.stack[len(w.stack)-2])
	}
	if w.conflict != nil && !w.conflict(clash{stack: w.stack, involved: involved, line: line, indent: c, deeper: top.col < c && len(popped) == 0}) {
		return false, false
	}
	if top.col != c {
		w.push(block{col: c, seq: startsDash, line: line, offset: -1})
	} else {
		w.stack[len(w.stack)-1].seq = startsDash
	}
	return true, true
}

// opens records what a line opens: nested dashes and a key after a dash
// open blocks on the line itself; a key or dash with no value waits for
// its block on the next lines.
func (w *walker) opens(line int, sh lineShape) {
	w.pending = false
	for j, d := range sh.dashes {
		if j > 0 {
			w.push(block{col: d, seq: true, line: line, offset: -1})
		}
	}
	if sh.keyCol >= 0 && sh.keyCol != sh.indent {
		w.push(block{col: sh.keyCol, line: line, offset: -1})
	}
	w.scalarValue = false
	switch sh.value {
	case valueNone:
		if sh.keyCol >= 0 {
			w.pending, w.pendingCol, w.pendingDash = true, sh.keyCol, false
		} else if len(sh.dashes) > 0 {
			w.pending, w.pendingCol, w.pendingDash = true, sh.dashes[len(sh.dashes)-1], true
		}
	case valueBlock:
		w.inScalar, w.scalarIndent = true, -1
	case valueScalar:
		w.scalarValue = true
	}
}
