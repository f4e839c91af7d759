package lsp

import (
	"fmt"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"go.lsp.dev/protocol"
)

// Positions: LSP counts a line's characters in UTF-16 code units (its
// default encoding); check counts them as yaml.v3 does, in characters
// (runes) from 1. These helpers convert between the two and byte offsets.

// lineStart returns the byte offset of line (0-based) in text, or -1 past
// the end.
func lineStart(text string, line int) int {
	off := 0
	for range line {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	return off
}

// lineAt returns line (0-based) of text without its line ending.
func lineAt(text string, line int) string {
	start := lineStart(text, line)
	if start < 0 {
		return ""
	}
	s := text[start:]
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSuffix(s, "\r")
}

// offsetOf converts an LSP position into a byte offset of text. A
// character past the line's end means its end (as the protocol says); a
// line past the text's end is an error.
func offsetOf(text string, p protocol.Position) (int, error) {
	start := lineStart(text, int(p.Line))
	if start < 0 {
		return 0, fmt.Errorf("line %d is past the document's end", p.Line)
	}
	units := 0
	for i, r := range text[start:] {
		if r == '\n' || r == '\r' || units >= int(p.Character) {
			return start + i, nil
		}
		units += utf16Len(r)
	}
	return len(text), nil
}

func utf16Len(r rune) int {
	if n := utf16.RuneLen(r); n > 0 {
		return n
	}
	return 1 // an invalid byte, decoded as U+FFFD
}

// utf16Col converts a 1-based rune column of line into a UTF-16 character
// offset.
func utf16Col(line string, col int) uint32 {
	units, n := 0, 1
	for _, r := range line {
		if n >= col {
			break
		}
		units += utf16Len(r)
		n++
	}
	if n < col {
		units += col - n // past the end (a column after the last character)
	}
	return uint32(units)
}

// byteToUTF16 converts a byte offset within line into UTF-16 units.
func byteToUTF16(line string, b int) uint32 {
	units := 0
	for i, r := range line {
		if i >= b {
			break
		}
		units += utf16Len(r)
	}
	return uint32(units)
}

// runeColOf converts a UTF-16 character offset into a 1-based rune column.
func runeColOf(line string, char uint32) int {
	units, col := 0, 1
	for _, r := range line {
		if units >= int(char) {
			break
		}
		units += utf16Len(r)
		col++
	}
	return col
}

// applyChange applies one didChange content change: the whole text when
// it has no range, else the range replaced.
func applyChange(text string, c contentChange) (string, error) {
	if c.Range == nil {
		return c.Text, nil
	}
	start, err := offsetOf(text, c.Range.Start)
	if err != nil {
		return text, err
	}
	end, err := offsetOf(text, c.Range.End)
	if err != nil {
		return text, err
	}
	if end < start {
		return text, fmt.Errorf("range ends before it starts")
	}
	return text[:start] + c.Text + text[end:], nil
}

// contentChange is TextDocumentContentChangeEvent with an optional range:
// go.lsp.dev/protocol v0.12.0's Range is not a pointer, so a change of the
// whole document could not be told from an insertion at 0:0.
type contentChange struct {
	Range *protocol.Range `json:"range,omitempty"`
	Text  string          `json:"text"`
}

type didChangeParams struct {
	TextDocument   protocol.VersionedTextDocumentIdentifier `json:"textDocument"`
	ContentChanges []contentChange                          `json:"contentChanges"`
}

// tokenEnd returns the byte offset where the token starting at byte b of
// line ends: a quoted string's closing quote, else the first space, colon
// followed by a space, or flow indicator.
func tokenEnd(line string, b int) int {
	if b >= len(line) {
		return len(line)
	}
	if q := line[b]; q == '"' || q == '\'' {
		for i := b + 1; i < len(line); i++ {
			if line[i] == '\\' && q == '"' {
				i++
				continue
			}
			if line[i] == q {
				return i + 1
			}
		}
		return len(line)
	}
	for i := b; i < len(line); {
		r, w := utf8.DecodeRuneInString(line[i:])
		switch r {
		case ' ', '\t', ',', '}', ']', '#':
			return i
		case ':':
			if i+1 == len(line) || line[i+1] == ' ' || line[i+1] == '\t' {
				return i
			}
		}
		i += w
	}
	return len(line)
}

// byteOfRuneCol converts a 1-based rune column of line into a byte offset.
func byteOfRuneCol(line string, col int) int {
	n := 1
	for i := range line {
		if n >= col {
			return i
		}
		n++
	}
	return len(line)
}
