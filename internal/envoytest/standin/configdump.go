package standin

import (
	"net/http"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	typev3 "github.com/envoyproxy/go-control-plane/envoy/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// configDump serves /config_dump in Envoy's shape: a ConfigDump whose
// configs are Anys, the first a BootstrapConfigDump of the bootstrap this
// epoch loaded — with the node completed as Envoy completes it from its
// build, and sensitive fields printed "[redacted]" as Envoy prints them.
func (s *server) configDump(w http.ResponseWriter, _ *http.Request) {
	out, err := ConfigDumpJSON(s.boot, s.start)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(out)
}

// ConfigDumpJSON is /config_dump for a loaded bootstrap, as Envoy writes it.
func ConfigDumpJSON(boot *bootstrapv3.Bootstrap, loaded time.Time) ([]byte, error) {
	b := proto.Clone(boot).(*bootstrapv3.Bootstrap)
	if b.Node == nil {
		b.Node = &corev3.Node{}
	}
	b.Node.UserAgentName = "envoy"
	b.Node.UserAgentVersionType = &corev3.Node_UserAgentBuildVersion{UserAgentBuildVersion: &corev3.BuildVersion{
		Version: &typev3.SemanticVersion{MajorNumber: 1, MinorNumber: 40},
	}}
	redact(b.ProtoReflect(), false)
	bd, err := anypb.New(&adminv3.BootstrapConfigDump{Bootstrap: b, LastUpdated: timestamppb.New(loaded)})
	if err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{UseProtoNames: true, Indent: " "}.Marshal(&adminv3.ConfigDump{Configs: []*anypb.Any{bd}})
}
