package lsp

// flowAt reads the text of a line up to the cursor, from its key on, for
// an unclosed flow collection ({...} or [...]): the keys of the flow
// mappings the cursor is in (outermost first; a sequence's key once for
// its elements), the keys already written in the innermost one, and
// whether the cursor is at a value (of valueKey) or at a key. ok is false
// outside flow collections.
func flowAt(s string) (keys []string, present map[string]bool, valueKey, partial string, ok bool) {
	type level struct {
		key     string // "" for a mapping that is an element of a sequence
		present map[string]bool
	}
	var stack []level
	var token []byte
	lastKey := ""
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\'':
			end := tokenEnd(s, i)
			token = append(token, s[i:end]...)
			i = end - 1
		case c == '{' || c == '[':
			stack = append(stack, level{key: lastKey, present: map[string]bool{}})
			lastKey, token = "", nil
		case c == '}' || c == ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			lastKey, token = "", nil
		case c == ',':
			lastKey, token = "", nil
		case c == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '{' || s[i+1] == '['):
			lastKey = trimQuotes(string(token))
			if len(stack) > 0 {
				stack[len(stack)-1].present[lastKey] = true
			}
			token = nil
		case c == ' ' && len(token) == 0:
		default:
			token = append(token, c)
		}
	}
	if len(stack) == 0 {
		return nil, nil, "", "", false
	}
	for _, l := range stack {
		if l.key != "" {
			keys = append(keys, l.key)
		}
	}
	return keys, stack[len(stack)-1].present, lastKey, trimQuotes(string(token)), true
}

func trimQuotes(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	if len(s) >= 1 && (s[0] == '"' || s[0] == '\'') {
		return s[1:]
	}
	return s
}
