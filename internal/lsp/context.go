package lsp

import (
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
)

// The message at the cursor is found from the indentation alone, so that
// completion and hover work on half-typed YAML that does not parse: the
// keys of the enclosing blocks are read upwards from the cursor's line,
// then followed from Bootstrap through the proto descriptors, each
// typed_config by the @type among its block's keys.

// yline is one block-style YAML line, read without a parser.
type yline struct {
	blank    bool  // empty or a comment
	dashes   []int // byte columns of its "- " sequence entries
	keyCol   int   // byte column of its key (or of the text after the dashes)
	key      string
	hasColon bool
	value    string // after "key:", comment removed
}

func parseLine(s string) yline {
	s = strings.TrimRight(s, "\r")
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	y := yline{}
	for i < len(s) && s[i] == '-' && (i+1 == len(s) || s[i+1] == ' ') {
		y.dashes = append(y.dashes, i)
		i++
		for i < len(s) && s[i] == ' ' {
			i++
		}
	}
	y.keyCol = i
	rest := s[i:]
	if len(y.dashes) == 0 && (rest == "" || rest[0] == '#') {
		y.blank = true
		return y
	}
	if rest != "" && (rest[0] == '"' || rest[0] == '\'') {
		if end := tokenEnd(rest, 0); end > 1 && rest[end-1] == rest[0] {
			y.key = rest[1 : end-1]
			rest = rest[end:]
			if r := strings.TrimLeft(rest, " "); strings.HasPrefix(r, ":") {
				y.hasColon, y.value = true, cleanValue(r[1:])
			}
			return y
		}
		y.key = strings.TrimLeft(rest, "\"'")
		return y
	}
	end := tokenEnd(rest, 0)
	y.key = rest[:end]
	if end < len(rest) && rest[end] == ':' {
		y.hasColon, y.value = true, cleanValue(rest[end+1:])
	}
	return y
}

func cleanValue(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, " #"); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if strings.HasPrefix(v, "#") {
		return ""
	}
	return v
}

// frame is one enclosing key, outermost first.
type frame struct {
	key  string
	line int // 0-based
	col  int // byte column of the key
}

// enclosing returns the keys of the blocks that contain a key at byte
// column col of line (a sequence entry when dashCol >= 0), outermost first.
func enclosing(lines []string, line, col, dashCol int) []frame {
	var out []frame
	c, inDash := col, false
	if dashCol >= 0 {
		c, inDash = dashCol, true
	}
	for i := line - 1; i >= 0 && (c > 0 || inDash); i-- {
		y := parseLine(lines[i])
		if y.blank {
			continue
		}
		if y.key == "" && len(y.dashes) > 0 { // a bare "-" line
			if d := y.dashes[0]; d < c || (inDash && d == c) {
				c, inDash = d, true
			}
			continue
		}
		isParent := y.hasColon && (y.value == "" || y.value == "|" || y.value == ">") &&
			(y.keyCol < c || (inDash && y.keyCol == c))
		if inDash && len(y.dashes) > 0 && y.dashes[0] == c {
			continue // a sibling entry of the same sequence
		}
		switch {
		case isParent:
			out = append(out, frame{key: y.key, line: i, col: y.keyCol})
			c, inDash = y.keyCol, false
			if len(y.dashes) > 0 {
				c, inDash = y.dashes[0], true
			}
		case !inDash && len(y.dashes) > 0 && y.dashes[0] < c:
			c, inDash = y.dashes[0], true // a sibling key of the entry we are in
		}
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// scope is what the enclosing keys lead to.
type scope struct {
	msg      protoreflect.MessageDescriptor // the message whose fields are at the cursor
	anyField protoreflect.FieldDescriptor   // the Any field msg came from, if any
	typeURL  string                         // that Any's @type, as written
}

var anyName = protoreflect.FullName("google.protobuf.Any")

// resolve follows the frames from Bootstrap. It returns false where a key
// is not a field, or leads to a scalar.
func resolve(lines []string, frames []frame) (scope, bool) {
	sc := scope{msg: (&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor()}
	var mapValue protoreflect.FieldDescriptor
	for _, f := range frames {
		var next protoreflect.FieldDescriptor
		if mapValue != nil {
			next, mapValue = mapValue, nil
		} else {
			fd := field(sc.msg, f.key)
			if fd == nil {
				return sc, false
			}
			if fd.IsMap() {
				mapValue = fd.MapValue()
				sc.anyField = fd
				continue
			}
			next = fd
		}
		if next.Message() == nil {
			return sc, false
		}
		if next.Message().FullName() == anyName {
			sc.anyField = next
			sc.typeURL = typeIn(lines, f)
			sc.msg = next.Message()
			if md := lookupType(sc.typeURL); md != nil {
				sc.msg = md
			}
			continue
		}
		sc.msg, sc.anyField, sc.typeURL = next.Message(), nil, ""
	}
	if mapValue != nil {
		return sc, false // at a map's keys
	}
	return sc, true
}

// field finds a message's field by its proto or JSON name.
func field(md protoreflect.MessageDescriptor, name string) protoreflect.FieldDescriptor {
	if fd := md.Fields().ByName(protoreflect.Name(name)); fd != nil {
		return fd
	}
	return md.Fields().ByJSONName(name)
}

func lookupType(url string) protoreflect.MessageDescriptor {
	url = strings.Trim(url, "\"'")
	name := url[strings.LastIndexByte(url, '/')+1:]
	if name == "" {
		return nil
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(name))
	if err != nil {
		return nil
	}
	return mt.Descriptor()
}

// typeIn finds the @type among the keys of f's block.
func typeIn(lines []string, f frame) string {
	childCol := -1
	for i := f.line + 1; i < len(lines); i++ {
		y := parseLine(lines[i])
		if y.blank {
			continue
		}
		first := y.keyCol
		if len(y.dashes) > 0 {
			first = y.dashes[0]
		}
		if first <= f.col {
			break
		}
		if childCol < 0 {
			childCol = y.keyCol
		}
		if y.keyCol == childCol && y.key == "@type" && y.hasColon {
			return strings.Trim(y.value, "\"'")
		}
	}
	return ""
}

// siblingKeys are the keys already written in the block that holds line's
// key at byte column col.
func siblingKeys(lines []string, line, col int) map[string]bool {
	keys := map[string]bool{}
	// scan reads line i and says whether the block goes on past it.
	scan := func(i int, up bool) bool {
		y := parseLine(lines[i])
		if y.blank {
			return true
		}
		if len(y.dashes) > 0 && y.dashes[len(y.dashes)-1] < col {
			// An entry's first line: ours going up, the next one going down.
			if up && y.keyCol == col && y.hasColon {
				keys[y.key] = true
			}
			return false
		}
		if y.keyCol < col {
			return false
		}
		if y.keyCol == col && y.hasColon {
			keys[y.key] = true
		}
		return true
	}
	if y := parseLine(lines[line]); len(y.dashes) == 0 {
		for i := line - 1; i >= 0 && scan(i, true); i-- {
		}
	}
	for i := line + 1; i < len(lines) && scan(i, false); i++ {
	}
	return keys
}
