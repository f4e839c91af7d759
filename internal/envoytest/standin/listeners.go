package standin

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
)

// bindListeners takes each TCP listener's socket over from the parent, or
// binds it, and serves its direct_response routes (or a line naming this
// epoch).
func (s *server) bindListeners() error {
	for _, l := range s.boot.GetStaticResources().GetListeners() {
		sa := l.GetAddress().GetSocketAddress()
		if sa == nil || sa.GetProtocol() != corev3.SocketAddress_TCP || (l.GetBindToPort() != nil && !l.GetBindToPort().GetValue()) {
			continue
		}
		addr := net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))
		var ln net.Listener
		if s.parent != nil {
			if r, passed, err := call(s.parent, message{Op: opPassListenSocket, Address: addr}); err == nil && r.HasFD {
				ln = passed
			}
		}
		if ln == nil {
			var err error
			if ln, err = listen(addr, false); err != nil {
				return fmt.Errorf("error adding listener '%s': %v", addr, err)
			}
		}
		s.mu.Lock()
		s.dataLns[addr] = ln
		s.mu.Unlock()
		handler := s.listenerHandler(l)
		go func() {
			_ = (&http.Server{Handler: s.withDrain(handler), ReadHeaderTimeout: 10 * time.Second}).Serve(ln)
		}()
	}
	return nil
}

// semanticError is the first problem Envoy finds while building clusters,
// listeners and filter factories: our semantic checks, and extensions this
// build lacks. Like the official envoyproxy/envoy image (contrib extensions
// ship only in envoyproxy/envoy-contrib), the stand-in has no contrib ones.
func semanticError(res *bootstrap.Result) string {
	for _, d := range res.Diagnostics {
		if d.Severity == bootstrap.SeverityError && d.Semantic {
			return d.Message
		}
	}
	return missingFactory(res.Bootstrap.ProtoReflect(), "")
}

func missingFactory(m protoreflect.Message, name string) string {
	if a, ok := m.Interface().(*anypb.Any); ok {
		mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
		if err != nil {
			return ""
		}
		if strings.HasPrefix(mt.Descriptor().ParentFile().Path(), "contrib/") {
			typeName := a.GetTypeUrl()[strings.LastIndexByte(a.GetTypeUrl(), '/')+1:]
			return fmt.Sprintf("Didn't find a registered implementation for '%s' with type URL: '%s'", name, typeName)
		}
		inner, err := a.UnmarshalNew()
		if err != nil {
			return ""
		}
		return missingFactory(inner.ProtoReflect(), name)
	}
	if f := m.Descriptor().Fields().ByName("name"); f != nil && f.Kind() == protoreflect.StringKind && !f.IsList() {
		name = m.Get(f).String()
	}
	var found string
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList() && fd.Message() != nil:
			for i := 0; i < v.List().Len() && found == ""; i++ {
				found = missingFactory(v.List().Get(i).Message(), name)
			}
		case fd.IsMap() && fd.MapValue().Message() != nil:
			v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
				found = missingFactory(mv.Message(), name)
				return found == ""
			})
		case fd.Message() != nil && !fd.IsList() && !fd.IsMap():
			found = missingFactory(v.Message(), name)
		}
		return found == ""
	})
	return found
}
