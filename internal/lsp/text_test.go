package lsp

import (
	"testing"

	"go.lsp.dev/protocol"
)

func TestUTF16Positions(t *testing.T) {
	line := "a🙂é b" // 🙂 is two UTF-16 units, é one; 4 and 2 bytes
	for _, c := range []struct {
		col   int    // check's 1-based rune column
		units uint32 // LSP character
		byte  int
	}{{1, 0, 0}, {2, 1, 1}, {3, 3, 5}, {4, 4, 7}, {5, 5, 8}, {6, 6, 9}} {
		if got := utf16Col(line, c.col); got != c.units {
			t.Errorf("utf16Col(%d) = %d, want %d", c.col, got, c.units)
		}
		if got := runeColOf(line, c.units); got != c.col {
			t.Errorf("runeColOf(%d) = %d, want %d", c.units, got, c.col)
		}
		if got := byteOfRuneCol(line, c.col); got != c.byte {
			t.Errorf("byteOfRuneCol(%d) = %d, want %d", c.col, got, c.byte)
		}
		if got := byteToUTF16(line, c.byte); got != c.units {
			t.Errorf("byteToUTF16(%d) = %d, want %d", c.byte, got, c.units)
		}
	}
	text := "x: 1\r\n" + line + "\n"
	for _, c := range []struct {
		p    protocol.Position
		want int
	}{{protocol.Position{Line: 1, Character: 3}, 6 + 5}, {protocol.Position{Line: 0, Character: 99}, 4}, {protocol.Position{Line: 2, Character: 0}, len(text)}} {
		if got, err := offsetOf(text, c.p); err != nil || got != c.want {
			t.Errorf("offsetOf(%v) = %d, %v; want %d", c.p, got, err, c.want)
		}
	}
	if _, err := offsetOf(text, protocol.Position{Line: 3}); err == nil {
		t.Error("a line past the end has an offset")
	}
}

func TestApplyChange(t *testing.T) {
	r := func(l1, c1, l2, c2 uint32) *protocol.Range {
		return &protocol.Range{Start: protocol.Position{Line: l1, Character: c1}, End: protocol.Position{Line: l2, Character: c2}}
	}
	text := "a: 🙂1\nb: 2\n"
	for _, c := range []struct {
		ch   contentChange
		want string
	}{
		{contentChange{Text: "whole"}, "whole"},
		{contentChange{Range: r(0, 0, 0, 0), Text: "#"}, "#a: 🙂1\nb: 2\n"},
		{contentChange{Range: r(0, 5, 0, 6), Text: "9"}, "a: 🙂9\nb: 2\n"}, // after the surrogate pair
		{contentChange{Range: r(0, 3, 1, 1), Text: "x"}, "a: x: 2\n"},     // across lines
		{contentChange{Range: r(1, 4, 2, 0), Text: ""}, "a: 🙂1\nb: 2"},
	} {
		got, err := applyChange(text, c.ch)
		if err != nil || got != c.want {
			t.Errorf("%+v: %q, %v; want %q", c.ch, got, err, c.want)
		}
	}
	if _, err := applyChange(text, contentChange{Range: r(1, 1, 0, 0)}); err == nil {
		t.Error("a reversed range was applied")
	}
}

func TestTokenRange(t *testing.T) {
	text := `  "@type": "type.googleapis.com/x" # c` + "\n    name: 🙂abc, b\n"
	for _, c := range []struct {
		line, col  int
		start, end uint32
	}{{1, 3, 2, 9}, {1, 12, 11, 34}, {2, 11, 10, 15}, {2, 5, 4, 8}, {9, 1, 0, 1}} {
		got := tokenRange(text, c.line, c.col)
		if got.Start.Character != c.start || got.End.Character != c.end || got.Start.Line != uint32(max(c.line, 1)-1) {
			t.Errorf("tokenRange(%d, %d) = %+v, want %d-%d", c.line, c.col, got, c.start, c.end)
		}
	}
}
