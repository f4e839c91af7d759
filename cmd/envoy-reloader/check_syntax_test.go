package main

import "testing"

// syntaxCases cover issue 11, item 2: each kind of YAML syntax error placed
// at the offending token (libyaml's problem, not its context mark, which
// yaml.v3 reports), with libyaml's message and what to do about it.
var syntaxCases = []yamlCase{
	{name: "over-indented key", source: "indentation analysis",
		old: "    connect_timeout: 1s", new: "     connect_timeout: 1s",
		want: []wantDiag{{28, "connect_timeout", "error", "YAML: mapping values are not allowed in this context: this line is indented to column 6, deeper than the block it continues (column 5)"}}},
	{name: "dedented key", source: "indentation analysis",
		old: "    load_assignment:", new: "   load_assignment:",
		want: []wantDiag{{30, "load_assignment", "error", "YAML: did not find expected key: this line is indented to column 4, which matches no enclosing block (blocks nearby start at column 5, 3)"}}},
	{name: "first child over-indented", source: "indentation analysis: off-step opener",
		old: "      cluster_name: backend", new: "       cluster_name: backend",
		want: []wantDiag{{31, "cluster_name", "error", "YAML: did not find expected key: this line is indented to column 8, off the file's usual step, so line 32 (column 7) no longer fits any block"}}},
	{name: "list item out of place", source: "indentation analysis",
		old: "    type: STATIC", new: "    type: STATIC\n   - oops",
		want: []wantDiag{{30, "- oops", "error", "YAML: did not find expected key: this line is indented to column 4, which matches no enclosing block (blocks nearby start at column 5, 3)"}}},
	{name: "tab indentation", source: "libyaml scanner",
		old: "    connect_timeout: 1s", new: "\tconnect_timeout: 1s",
		want: []wantDiag{{28, "\t", "error", "YAML: found a tab character that violates indentation (YAML indents with spaces only)"}}},
	{name: "unclosed double quote", source: "libyaml scanner: quoted scalar",
		old: "stat_prefix: ingress", new: `stat_prefix: "ingress`,
		want: []wantDiag{{14, `"ingress`, "error", "YAML: did not find expected alphabetic or numeric character: this quoted string is never closed: line 15, at or left of its key's column, is still inside it"}}},
	{name: "unclosed single quote", source: "libyaml scanner: quoted scalar",
		old: "stat_prefix: ingress", new: `stat_prefix: 'ingress`,
		want: []wantDiag{{14, `'ingress`, "error", "YAML: found unexpected end of stream: this quoted string is never closed: line 15, at or left of its key's column, is still inside it"}}},
	{name: "unclosed flow mapping", source: "libyaml parser: flow mapping",
		old: "socket_address: {address: 127.0.0.1, port_value: 9901}", new: "socket_address: {address: 127.0.0.1, port_value: 9901",
		want: []wantDiag{{3, "{", "error", "YAML: did not find expected ',' or '}': this { is never closed: line 4, at or left of its line's column, is still inside it"}}},
	{name: "unclosed flow sequence", source: "libyaml parser: flow sequence",
		old: `domains: ["*"]`, new: `domains: ["*"`,
		want: []wantDiag{{18, "[", "error", "YAML: did not find expected ',' or ']': this [ is never closed: line 19, at or left of its line's column, is still inside it"}}},
	{name: "stray closing bracket", source: "libyaml parser",
		old: `domains: ["*"]`, new: `domains: ["*"]]`,
		want: []wantDiag{{18, "]|]", "error", "YAML: did not find expected key: found ] with no matching opening bracket"}}},
	{name: "unknown alias", source: "yaml.v3 composer: unknown anchor",
		old: "connect_timeout: 1s", new: "connect_timeout: *nope",
		want: []wantDiag{{28, "*nope", "error", "YAML: unknown anchor 'nope' referenced: no &nope before this alias"}}},
	{name: "unknown escape", source: "libyaml scanner: double-quoted escapes",
		old: "stat_prefix: ingress", new: `stat_prefix: "ingr\qess"`,
		want: []wantDiag{{14, `\q`, "error", `YAML: found unknown escape character: \q is not a YAML escape; write \\ for a backslash`}}},
	{name: "at sign starting a value", source: "libyaml scanner: reserved indicator",
		old: "stat_prefix: ingress", new: "stat_prefix: @ingress",
		want: []wantDiag{{14, "@", "error", "YAML: found character that cannot start any token: @ cannot start a plain value; quote the value"}}},
	{name: "backquote starting a value", source: "libyaml scanner: reserved indicator",
		old: "stat_prefix: ingress", new: "stat_prefix: `ingress`",
		want: []wantDiag{{14, "`", "error", "YAML: found character that cannot start any token: ` cannot start a plain value; quote the value"}}},
	{name: "text after a quoted value", source: "libyaml parser",
		old: "stat_prefix: ingress", new: `stat_prefix: "ingress" x`,
		want: []wantDiag{{14, `" |x`, "error", "YAML: did not find expected key: text after a quoted string; quote the whole value"}}},
	{name: "anchor without a name", source: "libyaml scanner: anchor",
		old: "stat_prefix: ingress", new: "stat_prefix: & ingress",
		want: []wantDiag{{14, "&", "error", "YAML: did not find expected alphabetic or numeric character: & must be followed by an anchor name"}}},
	{name: "second %YAML directive", source: "libyaml parser: directives",
		old: "admin:", new: "%YAML 1.1\n%YAML 1.1\n---\nadmin:",
		want: []wantDiag{{2, "%YAML", "error", "YAML: found duplicate %YAML directive: a second %YAML directive (the first is at line 1)"}}},
}

func TestCheckSyntaxErrorsAtTheToken(t *testing.T) {
	runYAMLCases(t, syntaxCases)
	if len(syntaxCases) < 10 {
		t.Errorf("only %d kinds; issue 11 asks for at least 10", len(syntaxCases))
	}
}
