package yamlsyntax

// Kind is what a token is.
type Kind uint8

// Line tokens: one starts every line and says what the line is in.
const (
	Indent     Kind = iota // a line of block structure; Indent is its indentation
	Blank                  // a blank or comment-only line
	BlockText              // a line of a block scalar's content
	QuotedLine             // a line that starts inside a quoted scalar; Open is the quote
	FlowLine               // a line that starts inside [ ] or { }; Open is the innermost bracket
	Directive              // a %-directive line; Text is the line
	Document               // a line starting with --- or ...
	EOF                    // the end of the input; Open is a quote or bracket left open
)

// Tokens within a line.
const (
	Dash        Kind = iota + 16 // "- ", a sequence entry
	Colon                        // ":", a mapping value indicator
	Comma                        // "," in a flow collection
	FlowOpen                     // "[" or "{"
	FlowClose                    // "]" or "}"
	Plain                        // a plain scalar; Text is it, trimmed
	Quoted                       // the opening quote of a quoted scalar
	QuoteEnd                     // the closing quote
	BlockHeader                  // "|" or ">" and its indicators
	Anchor                       // "&name"
	Alias                        // "*name"
	Tag                          // "!tag"
	Error                        // a mistake the lexer saw; Msg says it
)

// Token is one token: what it is and where (1-based line, 1-based byte
// column), the indentation of its line, and for QuotedLine, FlowLine and EOF
// the index of the quote or bracket still open (-1 for none).
type Token struct {
	Kind   Kind
	Line   int
	Col    int
	Indent int
	Text   string
	Msg    string
	Open   int
}
