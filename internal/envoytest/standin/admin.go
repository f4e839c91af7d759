package standin

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"
)

// bindAdmin binds the admin address of the bootstrap and serves it.
func (s *server) bindAdmin() error {
	sa := s.boot.GetAdmin().GetAddress().GetSocketAddress()
	if sa == nil {
		return nil
	}
	addr := net.JoinHostPort(sa.GetAddress(), strconv.Itoa(int(sa.GetPortValue())))
	l, err := listen(addr, s.opts.adminReusePort)
	if err != nil {
		return err
	}
	s.mu.Lock()
	s.adminLn = l
	s.mu.Unlock()
	s.log.info("source/server/admin/admin.cc", 150, "admin address: %s", l.Addr())
	go func() {
		_ = (&http.Server{Handler: s.withDrain(s.adminMux()), ReadHeaderTimeout: 10 * time.Second}).Serve(l)
	}()
	return nil
}

func (s *server) adminMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("/server_info", s.serverInfo)
	mux.HandleFunc("/config_dump", s.configDump)
	mux.HandleFunc("/stats", s.stats)
	mux.HandleFunc("/ready", func(w http.ResponseWriter, _ *http.Request) {
		state := adminv3.ServerInfo_State(s.state.Load())
		if state != adminv3.ServerInfo_LIVE {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprintf(w, "%s\n", state)
	})
	mux.HandleFunc("/hot_restart_version", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, hotRestartVersion)
	})
	mux.HandleFunc("/quitquitquit", postOnly(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, "OK\n")
		w.(http.Flusher).Flush()
		s.shutdownParent()
		s.quit(0)
	}))
	mux.HandleFunc("/drain_listeners", postOnly(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("skip_exit") && !r.URL.Query().Has("graceful") {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, "skip_exit requires graceful\n")
			return
		}
		s.stopListeners()
		fmt.Fprint(w, "OK\n")
	}))
	mux.HandleFunc("/healthcheck/fail", postOnly(func(w http.ResponseWriter, _ *http.Request) {
		s.state.Store(int32(adminv3.ServerInfo_DRAINING))
		fmt.Fprint(w, "OK\n")
	}))
	mux.HandleFunc("/healthcheck/ok", postOnly(func(w http.ResponseWriter, _ *http.Request) {
		s.state.Store(int32(adminv3.ServerInfo_LIVE))
		fmt.Fprint(w, "OK\n")
	}))
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "invalid path. admin commands are:\n  /server_info\n  /ready\n  /stats\n  /quitquitquit\n")
	})
	return mux
}

// postOnly answers other methods as Envoy's admin does for mutating handlers.
func postOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			fmt.Fprintf(w, "Method %s not allowed, POST required.", r.Method)
			return
		}
		h(w, r)
	}
}

// serverInfo writes ServerInfo as Envoy does: every field, zero values
// included, whole-second uptimes, restart_epoch only in command_line_options.
func (s *server) serverInfo(w http.ResponseWriter, _ *http.Request) {
	now := time.Now()
	o := s.opts
	info := &adminv3.ServerInfo{
		Version:            Version,
		State:              adminv3.ServerInfo_State(s.state.Load()),
		UptimeCurrentEpoch: durationpb.New(now.Sub(s.start).Truncate(time.Second)),
		UptimeAllEpochs:    durationpb.New(now.Sub(s.originalStart).Truncate(time.Second)),
		HotRestartVersion:  hotRestartVersion,
		// The shared memory's mark, as Envoy 1.40 reports it
		// (source/server/admin/server_info_handler.cc).
		HotRestartInitializing: shmInitializing(o.baseID),
		CommandLineOptions: &adminv3.CommandLineOptions{
			BaseId:                uint64(o.baseID),
			Concurrency:           uint32(o.concurrency),
			ConfigPath:            o.configPath,
			ConfigYaml:            o.configYAML,
			LocalAddressIpVersion: adminv3.CommandLineOptions_v4,
			LogLevel:              o.logLevel,
			LogFormat:             "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v",
			FileFlushInterval:     durationpb.New(10 * time.Second),
			DrainTime:             durationpb.New(o.drainTime),
			ParentShutdownTime:    durationpb.New(o.parentShutdownTime),
			Mode:                  adminv3.CommandLineOptions_Serve,
			RestartEpoch:          uint32(o.restartEpoch),
			DrainStrategy:         drainStrategy(o.drainStrategy),
			SocketPath:            o.socketPath,
			DisabledExtensions:    []string{},
		},
		Node: &corev3.Node{
			Id:            s.boot.GetNode().GetId(),
			Cluster:       s.boot.GetNode().GetCluster(),
			UserAgentName: "envoy",
		},
	}
	b, err := protojson.MarshalOptions{EmitUnpopulated: true, UseProtoNames: true, Indent: " "}.Marshal(info)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, max-age=0")
	_, _ = w.Write(b)
}

func drainStrategy(s string) adminv3.CommandLineOptions_DrainStrategy {
	if s == "immediate" {
		return adminv3.CommandLineOptions_Immediate
	}
	return adminv3.CommandLineOptions_Gradual
}
