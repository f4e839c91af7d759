package bootstrap

import (
	"fmt"
	"strings"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	metricsv3 "github.com/envoyproxy/go-control-plane/envoy/config/metrics/v3"
)

// checkStatsTags mirrors TagProducerImpl (source/common/stats/tag_producer_impl.cc)
// and TagExtractorImplBase::createTagExtractor (source/common/stats/tag_extractor_impl.cc):
// a tag given by a regex needs a name, and a tag with neither regex nor
// fixed value needs one of the default tag names, whose regexes Envoy has.
// Those names all start with "envoy." but cipher_suite (TagNameValues in
// source/common/config/well_known_names.h); a name outside them is refused
// for sure, and an "envoy." name check does not know is left to Envoy.
func (r *rules) checkStatsTags(b *bootstrapv3.Bootstrap) {
	for i, t := range b.GetStatsConfig().GetStatsTags() {
		if _, fixed := t.GetTagValue().(*metricsv3.TagSpecifier_FixedValue); fixed {
			continue // TagExtractorFixedImpl takes any name
		}
		e := r.byMsg[t]
		if e == nil {
			continue
		}
		name := t.GetTagName()
		path := fmt.Sprintf("stats_config.stats_tags[%d]", i)
		switch {
		case t.GetRegex() == "" && (name == "" || !strings.HasPrefix(name, "envoy.") && name != "cipher_suite"):
			r.errorf(e.at, path, "No regex specified for tag specifier and no default regex for name: '%s'", name)
		case t.GetRegex() != "" && name == "":
			r.errorf(e.at, path+".tag_name", "tag_name cannot be empty")
		}
	}
}
