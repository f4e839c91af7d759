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
		d.checkFilterChains(entry)
		d.checkRegex(entry)
		d.checkExtension(entry, byName)
		d.checkMisc(entry)
		d.checkDeprecated(entry)
	}
}
