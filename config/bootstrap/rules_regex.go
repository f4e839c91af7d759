package bootstrap

import (
	"errors"
	"regexp/syntax"
	"strings"

	xdsmatcherv3 "github.com/cncf/xds/go/xds/type/matcher/v3"
	matcherv3 "github.com/envoyproxy/go-control-plane/envoy/type/matcher/v3"
	"google.golang.org/protobuf/proto"
)

// checkRegex compiles every RE2 regex Envoy compiles when it loads the
// config. Both envoy.type.matcher.v3.RegexMatcher and its xds twin are
// compiled by Regex::Utility::parseRegex (source/common/common/regex.cc),
// wherever they appear: route and header matches, string matchers,
// regex_rewrite, CORS origins, RBAC, matchers. Envoy refuses a pattern RE2
// cannot compile with "Invalid regex '<pattern>': <RE2's reason>"; the reason
// here is Go's regexp/syntax parser's, which accepts RE2's syntax (see the
// docs/check.md for the few differences).
func (r *rules) checkRegex(entry *decodedMessage, msg proto.Message) {
	var re string
	switch m := msg.(type) {
	case *matcherv3.RegexMatcher:
		re = m.GetRegex()
	case *xdsmatcherv3.RegexMatcher:
		re = m.GetRegex()
	default:
		return
	}
	if _, err := syntax.Parse(re, syntax.Perl); err != nil && !re2Only(err) {
		r.errorf(entry.pos("regex"), joinPath(entry.path, "regex"), "Invalid regex '%s': %s", re, regexReason(err))
	}
}

// regexReason drops the "error parsing regexp: " prefix Go adds, leaving the
// reason and the offending fragment.
func regexReason(err error) string {
	return strings.TrimPrefix(err.Error(), "error parsing regexp: ")
}

// re2Only reports an error for syntax RE2 has and Go's parser lacks: \C,
// RE2's "any byte", is the one such escape.
func re2Only(err error) bool {
	var se *syntax.Error
	return errors.As(err, &se) && se.Code == syntax.ErrInvalidEscape && se.Expr == `\C`
}
