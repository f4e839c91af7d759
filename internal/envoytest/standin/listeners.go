package standin

import (
	"net"
	"net/http"
	"strconv"
	"time"

	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
)

// bindListeners takes each TCP listener's socket over from the parent, or
// binds it, and serves its direct_response routes and forwards its routes
// to clusters elsewhere (or answers with a line naming this
// epoch).
func (s *server) bindListeners() error {
	for _, l := range activeListeners(s.boot) {
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
				// Envoy 1.40's two lines: the listener manager's, then the
				// serve-mode failure with the bind error alone
				// (source/common/listener_manager/listener_manager_impl.cc).
				s.log.line("error", "source/common/listener_manager/listener_manager_impl.cc", 1405, "listener '%s' failed to bind or apply socket options: %v", l.GetName(), err)
				return err
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
