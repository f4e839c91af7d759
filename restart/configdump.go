package restart

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
)

// bootstrapDumpType is the @type of the bootstrap's entry in /config_dump.
const bootstrapDumpType = "type.googleapis.com/envoy.admin.v3.BootstrapConfigDump"

// ErrNoBootstrapDump is returned when /config_dump holds no bootstrap.
var ErrNoBootstrapDump = errors.New("no BootstrapConfigDump in /config_dump")

// LoadedBootstrap reads the bootstrap Envoy loaded from /config_dump, on a
// fresh connection like every admin request. Only the bootstrap's entry is
// decoded: the other entries may hold types this build does not know
// (another Envoy version's extensions), which must not fail the read.
// ?resource= is not used: it selects repeated fields, and the bootstrap's
// entry is a single message.
//
// It asks for the bootstrap without its node (loadedMask): a real Envoy's
// full dump is some 100 KB, most of it the node's extension list and the
// clusters and listeners dumped again, and LoadedDiff leaves the node out
// anyway. An Envoy whose Bootstrap lacks one of the mask's fields (another
// version) answers 400 to the whole mask (source/server/admin/
// config_dump_handler.cc): then the full dump is read.
func (a *Admin) LoadedBootstrap(ctx context.Context) (*bootstrapv3.Bootstrap, error) {
	body, err := a.get(ctx, "config_dump?mask="+loadedMask)
	var status *statusError
	if errors.As(err, &status) && status.code == http.StatusBadRequest {
		body, err = a.get(ctx, "config_dump")
	}
	if err != nil {
		return nil, err
	}
	var dump struct {
		Configs []json.RawMessage `json:"configs"`
	}
	if err := json.Unmarshal(body, &dump); err != nil {
		return nil, fmt.Errorf("decode %s/config_dump: %w", a.base, err)
	}
	for _, raw := range dump.Configs {
		var head struct {
			Type string `json:"@type"`
		}
		if json.Unmarshal(raw, &head) != nil || head.Type != bootstrapDumpType {
			continue
		}
		// The Any's @type names the message; its other keys are its fields.
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, fmt.Errorf("decode %s/config_dump: %w", a.base, err)
		}
		delete(fields, "@type")
		inner, err := json.Marshal(fields)
		if err != nil {
			return nil, fmt.Errorf("decode %s/config_dump: %w", a.base, err)
		}
		bd := &adminv3.BootstrapConfigDump{}
		if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(inner, bd); err != nil {
			return nil, fmt.Errorf("decode the bootstrap of %s/config_dump: %w", a.base, err)
		}
		return bd.GetBootstrap(), nil
	}
	return nil, fmt.Errorf("%w at %s", ErrNoBootstrapDump, a.base)
}

// loadedMask is a FieldMask of every top-level field of the bootstrap's
// dump but its node, as Envoy parses one (comma-separated proto names).
var loadedMask = func() string {
	var paths []string
	fields := (&bootstrapv3.Bootstrap{}).ProtoReflect().Descriptor().Fields()
	for i := range fields.Len() {
		if name := string(fields.Get(i).Name()); name != "node" {
			paths = append(paths, "bootstrap."+name)
		}
	}
	return strings.Join(paths, ",")
}()

// LoadedDiff compares the bootstrap Envoy loaded with the one that was
// validated, and returns the fields that differ (none: Envoy runs the saved
// config). What Envoy adds itself is left out: the node, which it completes
// from its flags and its build; the --config-yaml overlay, merged into the
// validated bootstrap first as Envoy merges it; and the fields annotated
// udpa.annotations.sensitive, which Envoy prints redacted. Those are left
// out whole on both sides rather than redacted as Envoy would: how Envoy
// treats the non-string fields inside one (a DataSource's watched_directory,
// say) is its business, and a guess wrong there would call a good reload
// stale. The bytes saved for them were checked before the signal.
func LoadedDiff(validated, loaded *bootstrapv3.Bootstrap, overlay *bootstrapv3.Bootstrap) []string {
	want := proto.Clone(validated).(*bootstrapv3.Bootstrap)
	if overlay != nil {
		proto.Merge(want, overlay)
	}
	got := proto.Clone(loaded).(*bootstrapv3.Bootstrap)
	want.Node, got.Node = nil, nil
	dropSensitive(want.ProtoReflect())
	dropSensitive(got.ProtoReflect())
	return diffMessages(want.ProtoReflect(), got.ProtoReflect(), "", maxDiffPaths)
}

// maxDiffPaths bounds the fields an event lists.
const maxDiffPaths = 8

// describeDiff renders differing fields for a message.
func describeDiff(paths []string) string {
	if len(paths) == maxDiffPaths {
		return strings.Join(paths, ", ") + ", …"
	}
	return strings.Join(paths, ", ")
}
