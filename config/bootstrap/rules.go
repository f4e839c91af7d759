package bootstrap

import (
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
)

// loadTimeRules runs the rules Envoy enforces while it builds its
// listeners, routes and clusters, after its protos have parsed and
// validated: filter-chain order, regex compilation, extension lookup by type
// URL, deprecations and the rules_misc.go checks. One pass over the decoded
// messages serves them all, so the cost grows with the bootstrap only once.
func (d *decoder) loadTimeRules(b *bootstrapv3.Bootstrap) {
	byName := extensionLookupByName(b)
	for _, entry := range d.messages {
		// Interface() costs a reflection look-up: done once, not per rule.
		m := entry.msg.Interface()
		if d.isIgnored(entry) {
			d.checkDeprecated(entry)
			continue
		}
		d.checkFilterChains(entry, m)
		d.checkRegex(entry, m)
		d.checkExtension(entry, m, byName)
		d.checkMisc(entry, m)
		d.checkDeprecated(entry)
	}
}
