// Package envoytest holds test helpers around the stand-in Envoy (package
// standin): building it and the hot restarter, and running them locally.
package envoytest

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// repoRoot is the module root, found from this file's location.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Binaries builds (once per test process) the stand-in Envoy, named envoy,
// and envoy-hot-restarter, static as for images, and returns their directory.
func Binaries(tb testing.TB) string {
	tb.Helper()
	buildOnce.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "envoytest-bin-")
		if buildErr != nil {
			return
		}
		for name, pkg := range map[string]string{"envoy": "./internal/envoytest/cmd/envoy", "envoy-hot-restarter": "./cmd/envoy-hot-restarter"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(binDir, name), pkg)
			cmd.Dir = repoRoot()
			cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binDir
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	port, err := PickPort()
	if err != nil {
		tb.Fatal(err)
	}
	return port
}

// PickPort is FreePort for callers that are not tests (benchmarks).
func PickPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Config is a small valid bootstrap that a real Envoy and the stand-in
// both serve: admin, and one listener per port on 127.0.0.1 answering
// every request with 200, the body "cluster <cluster>" and the header
// x-epoch, the epoch Envoy runs (RESTART_EPOCH, which the hot restarter
// sets). The cluster, with no endpoints, only makes configs differ.
func Config(adminPort int, cluster string, listenerPorts ...int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "admin:\n  address: {socket_address: {address: 127.0.0.1, port_value: %d}}\nstatic_resources:\n  listeners:\n", adminPort)
	for i, port := range listenerPorts {
		fmt.Fprintf(&b, `  - name: listener_%d
    address: {socket_address: {address: 127.0.0.1, port_value: %d}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: listener_%d
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                direct_response: {status: 200, body: {inline_string: "cluster %s\n"}}
              response_headers_to_add:
              - header: {key: x-epoch, value: "%%ENVIRONMENT(RESTART_EPOCH)%%"}
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
`, i, port, i, cluster)
	}
	fmt.Fprintf(&b, "  clusters:\n  - name: %s\n    connect_timeout: 1s\n", cluster)
	return b.String()
}

// EpochHeader is the response header Config's listeners carry the serving
// epoch in.
const EpochHeader = "x-epoch"

// PrivateKeyYAML is KeyPEM as HTTPConfig writes it, a YAML quoted string.
func PrivateKeyYAML() string { return strconv.Quote(KeyPEM()) }

// Options configure a locally run restarter and stand-in.
type Options struct {
	ConfigPath string
	// OnChildFailure is the restarter's --on-child-failure (default keep).
	OnChildFailure     string
	DrainTimeS         int // default 600, as Envoy
	ParentShutdownTime int // seconds, default 900
	ExtraArgs          []string
}

// Restarter is a running envoy-hot-restarter with the stand-in as its child.
type Restarter struct {
	Cmd *exec.Cmd
	log *SyncBuffer
}

// StartRestarter runs the restarter with the stand-in locally, with its own
// base id and socket path so that tests never meet each other's epochs.
func StartRestarter(tb testing.TB, o Options) *Restarter {
	tb.Helper()
	bin := Binaries(tb)
	if o.OnChildFailure == "" {
		o.OnChildFailure = "keep"
	}
	if o.DrainTimeS == 0 {
		o.DrainTimeS = 600
	}
	if o.ParentShutdownTime == 0 {
		o.ParentShutdownTime = 900
	}
	id := time.Now().UnixNano() % 100000
	args := []string{"--on-child-failure=" + o.OnChildFailure, "--",
		filepath.Join(bin, "envoy"), "-c", o.ConfigPath, "--restart-epoch", "{{epoch}}",
		"--base-id", fmt.Sprint(id), "--socket-path", fmt.Sprintf("@envoytest_%d", id),
		"--drain-time-s", fmt.Sprint(o.DrainTimeS), "--parent-shutdown-time-s", fmt.Sprint(o.ParentShutdownTime)}
	args = append(args, o.ExtraArgs...)
	r := &Restarter{Cmd: exec.Command(filepath.Join(bin, "envoy-hot-restarter"), args...), log: &SyncBuffer{}}
	r.Cmd.Stdout, r.Cmd.Stderr = r.log, r.log
	if err := r.Cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = r.Cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = r.Cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = r.Cmd.Process.Kill()
			<-done
		}
		// Envoy leaves its shared memory behind; these are the test's own.
		_ = os.Remove(fmt.Sprintf("/dev/shm/envoy_shared_memory_%d", id*10))
		if tb.Failed() {
			tb.Logf("restarter and stand-in log:\n%s", r.Log())
		}
	})
	return r
}

// PID is the restarter's process ID, the target of the hot-restart signal.
func (r *Restarter) PID() int { return r.Cmd.Process.Pid }

// Log is everything the restarter and its children printed so far.
func (r *Restarter) Log() string { return r.log.String() }

// WaitLog waits until the log holds s.
func (r *Restarter) WaitLog(tb testing.TB, s string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(r.Log(), s) {
		if time.Now().After(deadline) {
			tb.Fatalf("log never showed %q:\n%s", s, r.Log())
		}
		time.Sleep(10 * time.Millisecond) // polling a log that has no notification
	}
}

// SyncBuffer is a bytes.Buffer that goroutines and processes may write
// while a test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// HTTPConfig is a bootstrap whose listener answers every request with
// status 200 and body (a direct_response), so that a client sees which
// config the live epoch runs. Its cluster holds an inline private key, a
// field Envoy redacts in /config_dump; with caFile, the cluster's TLS
// context also names that file (a referenced file).
func HTTPConfig(adminPort int, body string, listenerPort int, caFile string) string {
	ca := ""
	if caFile != "" {
		ca = fmt.Sprintf("\n          validation_context:\n            trusted_ca: {filename: %s}", caFile)
	}
	return fmt.Sprintf(`admin:
  address: {socket_address: {address: 127.0.0.1, port_value: %d}}
static_resources:
  listeners:
  - name: http
    address: {socket_address: {address: 127.0.0.1, port_value: %d}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: http
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                direct_response: {status: 200, body: {inline_string: %q}}
              response_headers_to_add:
              - header: {key: x-epoch, value: "%%ENVIRONMENT(RESTART_EPOCH)%%"}
  clusters:
  - name: upstream
    connect_timeout: 1s
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        common_tls_context:
          tls_certificates:
          - certificate_chain: {inline_string: %s}
            private_key: {inline_string: %s}%s
`, adminPort, listenerPort, body, strconv.Quote(CertPEM("upstream")), PrivateKeyYAML(), ca)
}

// RealEnvoy is the path of the real Envoy binary (make envoy installs it at
// build/envoy; ENVOY_BINARY overrides). Where there is none it skips the
// test when required is true (a failure with ENVOY_REQUIRED=1, as in CI),
// and returns "" when it is not.
func RealEnvoy(tb testing.TB, required bool) string {
	tb.Helper()
	path := os.Getenv("ENVOY_BINARY")
	if path == "" {
		path = filepath.Join(repoRoot(), "build", "envoy")
	}
	if _, err := os.Stat(path); err == nil {
		return path
	}
	why := fmt.Sprintf("no real Envoy at %s (make envoy installs it)", path)
	switch {
	case os.Getenv("ENVOY_REQUIRED") == "1":
		tb.Fatalf("ENVOY_REQUIRED=1 but %s", why)
	case required:
		tb.Skipf("skipping: %s", why)
	}
	return ""
}
