package restart

import (
	"strings"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// reified is the typed message an Any holding a TypedStruct stands for,
// when its type is known here. /config_dump shows a TypedStruct as Envoy
// re-spelled it: MessageUtil::redact reifies every TypedStruct of a known
// type and turns it back into a Struct through JSON
// (source/common/protobuf/utility.cc, redactTypedStruct), so defaults
// disappear, keys are re-spelled and int64s become strings. Compared as
// typed messages, the saved and the loaded payload are equal exactly when
// Envoy runs what was saved.
func reified(a *anypb.Any) (proto.Message, bool) {
	var typeURL string
	var value *structpb.Struct
	switch a.GetTypeUrl() {
	case "type.googleapis.com/xds.type.v3.TypedStruct":
		ts := &xdstypev3.TypedStruct{}
		if a.UnmarshalTo(ts) != nil {
			return nil, false
		}
		typeURL, value = ts.GetTypeUrl(), ts.GetValue()
	case "type.googleapis.com/udpa.type.v1.TypedStruct":
		ts := &udpatypev1.TypedStruct{}
		if a.UnmarshalTo(ts) != nil {
			return nil, false
		}
		typeURL, value = ts.GetTypeUrl(), ts.GetValue()
	default:
		return nil, false
	}
	name := typeURL[strings.LastIndexByte(typeURL, '/')+1:]
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(name)
	if err != nil {
		return nil, false
	}
	b, err := protojson.Marshal(value)
	if err != nil {
		return nil, false
	}
	m := mt.New().Interface()
	if err := protojson.Unmarshal(b, m); err != nil {
		return nil, false
	}
	return m, true
}
