// Package report renders what the CLI tells its user: diagnostics and reload
// events, as aligned text (coloured on a terminal) or as one JSON object a line.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// Format is text or json.
type Format string

const (
	// Text is for people: one line per diagnostic or reload.
	Text Format = "text"
	// JSON is for editors and scripts: one JSON object per line.
	JSON Format = "json"
)

// ParseFormat checks a --format or --log-format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case Text, JSON:
		return Format(s), nil
	}
	return "", fmt.Errorf("unknown format %q: use text or json", s)
}

// Printer writes reports to one stream in one format.
type Printer struct {
	W      io.Writer
	Format Format
	// Color turns on ANSI colours for text.
	Color bool
	// Terminal allows live output (the spinner) that only a terminal shows well.
	Terminal bool

	// envoys are the names of the Envoys watched, when there are several:
	// then each text line names its Envoy, aligned and coloured.
	envoys []string
	width  int
}

// NameEnvoys makes text lines name their Envoy when there are several.
func (p *Printer) NameEnvoys(names []string) {
	if len(names) < 2 {
		p.envoys, p.width = nil, 0
		return
	}
	p.envoys = names
	for _, n := range names {
		p.width = max(p.width, len(n))
	}
}

// envoyColors tell Envoys apart at a glance; none is red, yellow or green,
// which say how a reload went.
var envoyColors = []string{"\x1b[36m", "\x1b[35m", "\x1b[34m", "\x1b[96m", "\x1b[95m", "\x1b[94m"}

// who is the Envoy column of a text line: "" with one Envoy.
func (p *Printer) who(name string) string {
	if p.envoys == nil {
		return ""
	}
	col := fmt.Sprintf("%-*s ", p.width, name)
	for i, n := range p.envoys {
		if n == name {
			return p.paint(envoyColors[i%len(envoyColors)], col)
		}
	}
	return col
}

// NewPrinter returns a printer for w, with colour when w is a terminal and
// NO_COLOR is unset (https://no-color.org).
func NewPrinter(w io.Writer, format Format) *Printer {
	tty := IsTerminal(w)
	return &Printer{W: w, Format: format, Terminal: tty, Color: useColor(format, tty, os.Getenv("NO_COLOR"))}
}

// useColor is the colour rule: text, on a terminal, and NO_COLOR unset or
// empty (https://no-color.org: any non-empty value turns colour off).
func useColor(format Format, terminal bool, noColor string) bool {
	return format == Text && terminal && noColor == ""
}

// IsTerminal reports whether w is a character device such as a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

const (
	red    = "\x1b[31m"
	yellow = "\x1b[33m"
	green  = "\x1b[32m"
	reset  = "\x1b[0m"
)

func (p *Printer) paint(color, s string) string {
	if !p.Color {
		return s
	}
	return color + s + reset
}

// Diagnostics prints each diagnostic, prefixed by indent in text form.
func (p *Printer) Diagnostics(ds []bootstrap.Diagnostic, indent string) {
	for _, d := range ds {
		if p.Format == JSON {
			p.json(d)
			continue
		}
		color := red
		if d.Severity == bootstrap.SeverityWarning {
			color = yellow
		}
		fmt.Fprintf(p.W, "%s%s:%d:%d: %s: %s\n", indent, d.File, d.Line, d.Col, p.paint(color, string(d.Severity)), d.Message)
	}
}

// Checked is what `check` found in one file.
type Checked struct {
	File             string
	Errors, Warnings int
}

// Summary prints the closing lines of `check` (text only): the totals, and
// when several files were checked, each file with its own counts.
func (p *Printer) Summary(files []Checked) {
	if p.Format == JSON {
		return
	}
	var errors, warnings int
	for _, f := range files {
		errors, warnings = errors+f.Errors, warnings+f.Warnings
	}
	noun := "files"
	if len(files) == 1 {
		noun = "file"
	}
	p.summaryLine("", fmt.Sprintf("checked %d %s", len(files), noun), errors, warnings)
	if len(files) < 2 {
		return
	}
	for _, f := range files {
		p.summaryLine("  ", f.File, f.Errors, f.Warnings)
	}
}

func (p *Printer) summaryLine(indent, what string, errors, warnings int) {
	color := green
	if errors > 0 {
		color = red
	}
	fmt.Fprintln(p.W, indent+p.paint(color, fmt.Sprintf("%s: %s, %s", what, plural(errors, "error"), plural(warnings, "warning"))))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// JSON prints v as one JSON line.
func (p *Printer) JSON(v any) { p.json(v) }

func (p *Printer) json(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		b = []byte(fmt.Sprintf(`{"event":"error","message":%q}`, err.Error()))
	}
	b = append(b, '\n')
	_, _ = p.W.Write(b)
}
