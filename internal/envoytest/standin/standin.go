// Package standin is a stand-in for Envoy, for tests only: no Envoy binary
// can be installed where the tests run, so this program behaves like Envoy
// wherever envoy-reloader can observe it — hot restart, admin, failures.
//
// It follows Envoy's start-up order (../shared/reference/envoy-hot-restart.md
// §8.2): parse and validate the config (failing here never touches the
// parent); ask the parent epoch to close its admin listener; bind admin;
// semantic checks and listener sockets (failing here leaves the parent
// serving traffic with no admin); become LIVE; tell the parent to drain,
// whose old connections then carry "Connection: close" with rising
// probability; after the parent shutdown time, the parent exits 0.
//
// What it accepts is decided here, never by the product's validator
// (config/bootstrap), so that a test where "Envoy rejected it" is not the
// product agreeing with itself. Each rule models one place in Envoy:
//
// Phase 1 (load.go), InstanceUtil::loadBootstrapConfig in
// source/server/server.cc:
//   - YAML to JSON as source/common/protobuf/yaml_utility.cc does; a YAML
//     syntax error is the parser's own text.
//   - JSON to envoy.config.bootstrap.v3.Bootstrap, strictly, Any types
//     resolved from the types this program links (extensions.go):
//     MessageUtil::loadFromJson in source/common/protobuf/utility.cc —
//     "Protobuf message (type … reason INVALID_ARGUMENT:…) has unknown
//     fields" when a lenient parse succeeds, else "Unable to parse JSON as
//     proto (INVALID_ARGUMENT:…): <json>" (unknown "@type" included).
//   - --config-yaml parsed the same way and merged over the file with
//     proto merge semantics (bootstrap.MergeFrom in server.cc).
//   - protoc-gen-validate constraints on the merged bootstrap, not inside
//     Any payloads: "Proto constraint validation failed (…): …"
//     (MessageUtil::validate, ProtoValidationException in utility.cc).
//
// Phase 4 (checks.go), after admin is bound, in MainImpl::initialize's
// order (source/server/configuration_impl.cc): clusters, then listeners.
//   - Duplicate static cluster: "cluster manager: duplicate cluster '…'"
//     (source/common/upstream/cluster_manager_impl.cc).
//   - Typed configs: a contrib type has no factory in the official image,
//     "Didn't find a registered implementation for '<name>' with type URL:
//     '<type>'"; a payload breaking its constraints fails as above
//     (getAndCheckFactory, translateToFactoryConfig in
//     source/common/config/utility.h).
//   - A static route_config (validate_clusters defaults to true) naming a
//     cluster that is not static: "route: unknown cluster '…'", "unknown
//     weighted cluster", "unknown shadow cluster"
//     (source/common/router/config_impl.cc).
//   - Two listeners on one address: "error adding listener: '<name>' has
//     duplicate address '<addr>' as existing listener"
//     (source/common/listener_manager/listener_manager_impl.cc). A second
//     static listener of the same name is not an error: Envoy drops it
//     (ListenerImpl::blockUpdate, listener_impl.h), and so does this.
//   - Then binding each listener, unless the parent passes its socket over:
//     "listener '<name>' failed to bind or apply socket options: cannot
//     bind '<addr>': Address already in use", then the failure of the
//     config with "cannot bind …" alone (createListenSocketFactory in
//     listener_manager_impl.cc; listeners.go).
//
// --mode validate runs phases 1 and 4 and binds nothing
// (source/server/config_validation/server.cc).
package standin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
)

// hotRestartVersion is what Envoy 1.3x reports.
const hotRestartVersion = "11.104"

// Version is the build string /server_info reports: the Envoy release whose
// API the project validates against (go-control-plane envoy v1.40.0 is
// generated from Envoy 1.40's protos; see go.mod).
const Version = "0000000000000000000000000000000000000000/1.40.0-standin/Clean/RELEASE/BoringSSL"

type server struct {
	opts  options
	log   *logger
	out   io.Writer
	start time.Time
	boot  *bootstrapv3.Bootstrap

	originalStart time.Time
	state         atomic.Int32 // adminv3.ServerInfo_State

	mu         sync.Mutex
	adminLn    net.Listener
	dataLns    map[string]net.Listener
	drainStart time.Time
	parent     *net.UnixConn

	exit     chan int
	exitOnce sync.Once
}

// Main runs the stand-in with Envoy's command line and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args)
	if err != nil {
		fmt.Fprintf(stderr, "error: %v\n", err)
		return 1
	}
	if opts.hotRestartVersion {
		fmt.Fprintln(stderr, hotRestartVersion)
		return 0
	}
	s := &server{
		opts: opts, log: newLogger(stderr), out: stdout, start: time.Now(),
		dataLns: map[string]net.Listener{}, exit: make(chan int, 1),
	}
	s.originalStart = s.start
	s.state.Store(int32(adminv3.ServerInfo_PRE_INITIALIZING))
	return s.run()
}

func (s *server) quit(code int) { s.exitOnce.Do(func() { s.exit <- code }) }

// fail logs Envoy 1.40's lines for a configuration error in serve mode and
// returns 1: the critical line names the config by its debug string, the
// file's path on a line of its own (InstanceBase::initialize in
// source/server/server.cc; validate mode's text is another, see validate).
func (s *server) fail(what string) int {
	s.log.critical("source/server/server.cc", 449, "error `%s` initializing config 'goo.gle/debugstr   \n  %s'", what, s.opts.configPath)
	s.log.info("source/server/server.cc", 1159, "exiting")
	s.log.raw(what)
	return 1
}

func (s *server) run() int {
	if s.opts.mode == "validate" {
		return s.validate()
	}
	// The domain socket and the shared memory come first, before the
	// config is read, and fail with a bare line (HotRestartImpl in
	// source/exe/stripped_main_base.cc, RpcStream::bindDomainSocket).
	childLn, err := listenParent(socketName(s.opts.socketPath, s.opts.baseID, s.opts.restartEpoch))
	if err != nil {
		s.log.raw(fmt.Sprintf("unable to bind domain socket with base_id=%d, id=%d, errno=98 (see --base-id option)", s.opts.baseID*10, s.opts.restartEpoch%3))
		return 1
	}
	defer childLn.Close()
	if err := attachShm(s.opts.baseID, s.opts.restartEpoch); err != nil {
		s.log.raw(err.Error())
		return 1
	}
	s.log.info("source/server/server.cc", 430, "initializing epoch %d (base id=%d, hot restart version=%s)", s.opts.restartEpoch, s.opts.baseID, hotRestartVersion)
	// Phase 1: parse and validate; errors here never contact the parent.
	boot, what := loadBootstrap(s.opts.configPath, s.opts.configYAML)
	if what != "" {
		return s.fail(what)
	}
	s.boot = boot
	// Phase 2: the parent closes its admin listener.
	if s.opts.restartEpoch > 0 {
		if code, ok := s.contactParent(); !ok {
			return code
		}
	}
	// Phase 3: bind admin.
	if err := s.bindAdmin(); err != nil {
		return s.fail(err.Error())
	}
	s.state.Store(int32(adminv3.ServerInfo_INITIALIZING))
	// Phase 4: what Envoy finds while building clusters and listeners.
	if what := semanticError(s.boot); what != "" {
		return s.fail(what)
	}
	// Phase 5: listener sockets, taken over from the parent where it has them.
	if err := s.bindListeners(); err != nil {
		return s.fail(err.Error())
	}
	// Envoy installs its signal handlers only here, once initialize() is
	// done (RunHelper in source/server/server.cc): a SIGTERM, SIGHUP or
	// SIGUSR1 before now ends the process by the signal's default action.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1)
	defer signal.Stop(sigs)
	if s.opts.initDelay > 0 {
		time.Sleep(s.opts.initDelay) // models the time a real Envoy takes to initialize
	}
	s.state.Store(int32(adminv3.ServerInfo_LIVE))
	s.log.info("source/server/server.cc", 988, "all dependencies initialized. starting workers")
	s.log.info("source/server/server.cc", 1007, "starting main dispatch loop")
	go s.serveChildren(childLn)
	// Phase 6 and 7: drain the parent, then end it. Only here, after LIVE,
	// is the shared memory's initializing mark cleared
	// (HotRestartImpl::drainParentListeners).
	clearInitializing(s.opts.baseID)
	if s.parent != nil {
		_ = send(s.parent, message{Op: opDrainListeners}, nil)
		time.AfterFunc(s.opts.parentShutdownTime, func() {
			s.log.info("source/server/server.cc", 1041, "shutting down parent after drain")
			_ = send(s.parent, message{Op: opTerminate}, nil)
		})
	}
	return s.wait(sigs)
}

// validate is --mode validate: phases 1 and 4 only; no port, no parent.
func (s *server) validate() int {
	if s.opts.initDelay > 0 {
		time.Sleep(s.opts.initDelay) // models a slow validate (a real Envoy initializes first)
	}
	boot, what := loadBootstrap(s.opts.configPath, s.opts.configYAML)
	if what == "" {
		what = semanticError(boot)
	}
	if what != "" {
		s.log.critical("source/server/config_validation/server.cc", 65, "error initializing configuration '%s': %s", s.opts.configPath, what)
		return 1
	}
	fmt.Fprintf(s.out, "configuration '%s' OK\n", s.opts.configPath)
	return 0
}

func (s *server) contactParent() (int, bool) {
	name := socketName(s.opts.socketPath, s.opts.baseID, s.opts.restartEpoch-1)
	var p *net.UnixConn
	var err error
	for attempt := 0; ; attempt++ {
		if p, err = dialParent(name); err == nil {
			break
		}
		if s.opts.skipHotRestartOnNoParent {
			s.log.warn("source/server/hot_restarting_child.cc", 112, "hot restart sendmsg() connection refused, falling back to regular restart")
			return 0, true
		}
		if attempt == 10 {
			s.log.critical("source/server/hot_restarting_base.cc", 150, "hot restart sendmsg() failed: returned -1, errno 111")
			_ = syscall.Kill(os.Getpid(), syscall.SIGABRT)
			select {} // the signal ends the process, like Envoy's RELEASE_ASSERT
		}
		s.log.error("source/server/hot_restarting_base.cc", 146, "hot restart sendmsg() connection refused, retrying")
		time.Sleep(time.Second) // Envoy's own retry pace
	}
	r, _, err := call(p, message{Op: opShutdownAdmin})
	if err != nil {
		return s.fail(fmt.Sprintf("hot restart: parent did not answer: %v", err)), false
	}
	s.parent = p
	s.originalStart = time.Unix(0, r.OriginalStartUnixNan)
	return 0, true
}

func (s *server) wait(sigs <-chan os.Signal) int {
	for {
		select {
		case code := <-s.exit:
			s.log.info("source/server/server.cc", 602, "exiting")
			return code
		case sig := <-sigs:
			switch sig {
			case syscall.SIGHUP:
				s.log.warn("source/server/server.cc", 880, "caught and eating SIGHUP. See documentation for how to hot restart.")
			case syscall.SIGUSR1:
				s.log.info("source/server/server.cc", 885, "caught SIGUSR1. Reopening access logs.")
			default:
				s.log.warn("source/server/server.cc", 870, "caught ENVOY_SIGTERM")
				s.shutdownParent()
				s.quit(0)
			}
		}
	}
}

// shutdownParent is what Envoy's shutdown() does to a still running parent.
func (s *server) shutdownParent() {
	if s.parent != nil {
		_ = send(s.parent, message{Op: opTerminate}, nil)
	}
}

// serveChildren answers the hot-restart requests of the next epochs.
func (s *server) serveChildren(ln *net.UnixListener) {
	for {
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		go s.serveChild(c)
	}
}

func (s *server) serveChild(c *net.UnixConn) {
	defer c.Close()
	for {
		m, _, err := receive(c)
		if err != nil {
			return
		}
		switch m.Op {
		case opShutdownAdmin:
			s.log.warn("source/server/server.cc", 1066, "shutting down admin due to child startup")
			s.mu.Lock()
			if s.adminLn != nil && !s.opts.adminReusePort {
				_ = s.adminLn.Close() // accepted connections stay open and keep being answered
			}
			s.mu.Unlock()
			s.log.warn("source/server/server.cc", 1070, "terminating parent process")
			s.shutdownParent()
			_ = send(c, message{OriginalStartUnixNan: s.originalStart.UnixNano()}, nil)
		case opPassListenSocket:
			s.mu.Lock()
			l, ok := s.dataLns[m.Address]
			s.mu.Unlock()
			if ok {
				_ = send(c, message{HasFD: true}, l)
			} else {
				_ = send(c, message{}, nil)
			}
		case opDrainListeners:
			s.log.info("source/server/server.cc", 1081, "closing and draining listeners")
			s.stopListeners()
		case opTerminate:
			s.log.info("source/server/server.cc", 1090, "shutting down due to child request")
			s.quit(0)
			return
		}
	}
}

// stopListeners stops accepting on the data listeners and starts the drain.
func (s *server) stopListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.dataLns {
		_ = l.Close()
	}
	if s.drainStart.IsZero() {
		s.drainStart = time.Now()
	}
}

// drainClose decides, as Envoy's drain manager does, whether a response on
// an old connection closes it: never before the drain, then with
// probability elapsed/drain-time (gradual) or always (immediate).
func (s *server) drainClose() bool {
	s.mu.Lock()
	started := s.drainStart
	s.mu.Unlock()
	if started.IsZero() {
		return false
	}
	if s.opts.drainStrategy == "immediate" || s.opts.drainTime <= 0 {
		return true
	}
	elapsed := time.Since(started)
	return elapsed >= s.opts.drainTime || rand.Int64N(int64(s.opts.drainTime)) < int64(elapsed)
}

// withDrain adds the drain decision to every response.
func (s *server) withDrain(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.drainClose() {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

func listen(addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if reusePort {
		lc.Control = func(_, _ string, c syscall.RawConn) error {
			var serr error
			err := c.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, 0xf /* SO_REUSEPORT */, 1)
			})
			return errors.Join(err, serr)
		}
	}
	l, err := lc.Listen(context.Background(), "tcp", addr)
	if err != nil {
		// Envoy prints strerror: "Address already in use", "Cannot assign
		// requested address".
		var errno syscall.Errno
		if errors.As(err, &errno) {
			text := errno.Error()
			return nil, fmt.Errorf("cannot bind '%s': %s%s", addr, strings.ToUpper(text[:1]), text[1:])
		}
		return nil, fmt.Errorf("cannot bind '%s': %v", addr, err)
	}
	return l, nil
}
