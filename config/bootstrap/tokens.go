package bootstrap

import (
	"fmt"
	"strings"
)

// Token-level syntax errors. libyaml knows where these are (its problem
// mark) but yaml.v3 passes on only the line of the context mark, which for an
// unclosed quote or bracket is often lines away. findTokenProblem scans the
// file the way libyaml's scanner does for these few cases and points at the
// offending character itself.

// yamlEscapes are the characters a backslash may escape in a double-quoted
// YAML scalar (YAML 1.2 §5.7), besides the x, u and U hex escapes.
const yamlEscapes = "0abt\tnvfre \"/\\N_LPxuU"

// findTokenProblem returns the first token-level problem in data, given the
// libyaml message that made yaml.v3 fail; ok is false when none is found.
func findTokenProblem(data, libyamlMsg string) (indentProblem, bool) {
	lines := strings.Split(data, "\n")
	anchors := map[string]bool{}
	var quote byte // an open quoted scalar
	qLine, qCol, qIndent := 0, 0, 0
	type open struct{ line, col, indent int }
	var flows []open // open flow brackets
	blockAbove := -2 // inside a block scalar: lines deeper than this
	directives := map[string]int{}
	for i, text := range lines {
		line := i + 1
		indent := len(text) - len(strings.TrimLeft(text, " "))
		trimmed := strings.TrimSpace(text)
		if blockAbove >= -1 {
			if trimmed == "" || indent > blockAbove {
				continue
			}
			blockAbove = -2
		}
		if quote == 0 && len(flows) == 0 && strings.HasPrefix(text, "%") {
			name, _, _ := strings.Cut(trimmed, " ")
			if prev, dup := directives[name]; dup && name == "%YAML" {
				return indentProblem{line, 1, fmt.Sprintf("a second %%YAML directive (the first is at line %d)", prev)}, true
			}
			directives[name] = line
			continue
		}
		if quote != 0 && trimmed != "" && indent <= qIndent {
			return indentProblem{qLine, qCol, fmt.Sprintf("this quoted string is never closed: line %d, at or left of its key's column, is still inside it", line)}, true
		}
		if quote == 0 && len(flows) > 0 && trimmed != "" && indent <= flows[len(flows)-1].indent && !strings.HasPrefix(trimmed, "]") && !strings.HasPrefix(trimmed, "}") {
			f := flows[len(flows)-1]
			return indentProblem{f.line, f.col, fmt.Sprintf("this %c is never closed: line %d, at or left of its line's column, is still inside it", lines[f.line-1][f.col-1], line)}, true
		}
		tokenStart := quote == 0 // at the start of a token (after indentation, "- ", ": ", "[", "{", ",")
		afterQuote := false
		for j := 0; j < len(text); j++ {
			c := text[j]
			col := j + 1
			if quote != 0 {
				switch {
				case quote == '"' && c == '\\':
					if j+1 < len(text) && !strings.ContainsRune(yamlEscapes, rune(text[j+1])) {
						return indentProblem{line, col, fmt.Sprintf("%s is not a YAML escape; write \\\\ for a backslash", text[j:j+2])}, true
					}
					j++
				case quote == '\'' && c == '\'' && j+1 < len(text) && text[j+1] == '\'':
					j++
				case c == quote:
					quote, afterQuote = 0, true
				}
				continue
			}
			if c == ' ' {
				continue
			}
			if c == '#' && (j == 0 || text[j-1] == ' ') {
				break
			}
			if afterQuote && len(flows) == 0 && c != ':' && c != '#' {
				return indentProblem{line, col, "text after a quoted string; quote the whole value"}, true
			}
			afterQuote = false
			if !tokenStart {
				switch {
				case c == ':' && (j+1 == len(text) || text[j+1] == ' ') && len(flows) == 0:
					tokenStart = true
					if rest := strings.TrimSpace(text[j+1:]); rest != "" && (rest[0] == '|' || rest[0] == '>') {
						blockAbove = indent
						j = len(text)
					}
				case len(flows) > 0 && (c == ',' || c == ':'):
					tokenStart = true
				case c == ']' || c == '}':
					if len(flows) == 0 {
						return indentProblem{line, col, fmt.Sprintf("found %c with no matching opening bracket", c)}, true
					}
					flows = flows[:len(flows)-1]
				}
				continue
			}
			switch c {
			case '"', '\'':
				quote, qLine, qCol, qIndent = c, line, col, indent
			case '@', '`':
				return indentProblem{line, col, fmt.Sprintf("%c cannot start a plain value; quote the value", c)}, true
			case '&', '*':
				name := anchorName(text[j+1:])
				if name == "" {
					return indentProblem{line, col, fmt.Sprintf("%c must be followed by an anchor name", c)}, true
				}
				if c == '&' {
					anchors[name] = true
				} else if !anchors[name] {
					return indentProblem{line, col, fmt.Sprintf("no &%s before this alias", name)}, true
				}
				j += len(name)
				continue
			case '[', '{':
				flows = append(flows, open{line, col, indent})
				continue
			case ']', '}':
				if len(flows) == 0 {
					return indentProblem{line, col, fmt.Sprintf("found %c with no matching opening bracket", c)}, true
				}
				flows = flows[:len(flows)-1]
				tokenStart = false
				continue
			case '-':
				if j+1 == len(text) || text[j+1] == ' ' {
					continue
				}
			case '|', '>':
				if len(flows) == 0 {
					blockAbove = indent
					j = len(text)
					continue
				}
			case '!':
				for j < len(text) && text[j] != ' ' {
					j++
				}
				continue
			}
			tokenStart = false
		}
	}
	if quote != 0 {
		return indentProblem{qLine, qCol, "this quoted string is never closed"}, true
	}
	if len(flows) > 0 {
		f := flows[len(flows)-1]
		return indentProblem{f.line, f.col, fmt.Sprintf("this %c is never closed", lines[f.line-1][f.col-1])}, true
	}
	return indentProblem{}, false
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
