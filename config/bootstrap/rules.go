package bootstrap

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
)

// rules check the decoded tree as Envoy does once its protos have parsed:
// PGV's constraints (validate.go), the load-time rules below and the
// semantic checks across the bootstrap (semantic.go). They report to the
// decoder's list, at the decoded messages' nodes.
type rules struct {
	*sink
	*tree
	// ignored holds the listeners Envoy drops (a second one of a name);
	// the rules of building listeners skip them and what is inside them.
	ignored map[*decodedMessage]bool
	// refs are the names start-up references resolve against, made once.
	refs *startRefs
}

// loadTimeRules runs the rules Envoy enforces while it builds its
// listeners, routes and clusters, after its protos have parsed and
// validated: filter-chain order, regex compilation, extension lookup by type
// URL, deprecations and the rules_misc.go checks. One pass over the decoded
// messages serves them all, so the cost grows with the bootstrap only once.
func (r *rules) loadTimeRules(b *bootstrapv3.Bootstrap) {
	byName := extensionLookupByName(b)
	st := r.startRefs(b)
	for _, entry := range r.messages {
		// Interface() costs a reflection look-up: done once, not per rule.
		m := entry.msg.Interface()
		if r.isIgnored(entry) {
			r.checkDeprecated(entry)
			continue
		}
		r.checkFilterChains(entry, m)
		r.checkRegex(entry, m)
		r.checkExtension(entry, m, byName)
		r.checkMisc(entry, m)
		r.checkStart(entry, m, st)
		r.checkDeprecated(entry)
	}
}
