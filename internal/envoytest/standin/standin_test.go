package standin_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// TestShowsWhatItRuns: the stand-in serves its direct_response body on the
// listener, its config_path and Envoy 1.40 in /server_info, and in
// /config_dump the bootstrap it loaded, the private key redacted.
func TestShowsWhatItRuns(t *testing.T) {
	adminPort, listenerPort := envoytest.FreePort(t), envoytest.FreePort(t)
	config := filepath.Join(t.TempDir(), "envoy.yaml")
	text := envoytest.HTTPConfig(adminPort, "hello from v1\n", listenerPort, "")
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := envoytest.StartRestarter(t, envoytest.Options{ConfigPath: config})
	r.WaitLog(t, "starting main dispatch loop", 10*time.Second)

	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(listenerPort) + "/anything")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from v1\n" {
		t.Fatalf("listener: %d %q", resp.StatusCode, body)
	}

	admin, err := restart.NewAdmin("http://127.0.0.1:"+strconv.Itoa(adminPort), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	info, err := admin.ServerInfo(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info.GetCommandLineOptions().GetConfigPath() != config || !strings.Contains(info.GetVersion(), "/1.40.") {
		t.Fatalf("server_info: config_path %q, version %q", info.GetCommandLineOptions().GetConfigPath(), info.GetVersion())
	}
	loaded, err := admin.LoadedBootstrap(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(loaded.String(), "[redacted]") || strings.Contains(loaded.String(), "secret") {
		t.Errorf("the private key is not redacted in /config_dump")
	}
	validated := bootstrap.Load(config, []byte(text), bootstrap.Options{})
	if diff := restart.LoadedDiff(validated.Bootstrap, loaded, nil); len(diff) != 0 {
		t.Fatalf("the loaded bootstrap differs from the file in %v", diff)
	}
	other := bootstrap.Load(config, []byte(envoytest.HTTPConfig(adminPort, "hello from v2\n", listenerPort, "")), bootstrap.Options{})
	diff := restart.LoadedDiff(other.Bootstrap, loaded, nil)
	if len(diff) != 1 || !strings.Contains(diff[0], "static_resources.listeners[0].filter_chains[0].filters[0].typed_config") {
		t.Fatalf("another body: diff %v", diff)
	}
}

// TestExampleIngressShowsTheUpstreamBody: the example of `make dev` routes
// its ingress to a cluster whose endpoint is its own upstream listener; the
// stand-in answers with that listener's body, as the example promises curl.
// The example as committed: the quick start invites editing the file.
func TestExampleIngressShowsTheUpstreamBody(t *testing.T) {
	example := envoytest.Pristine(t, "examples/compose/envoy/envoy.yaml")
	adminPort, ingress, upstream := envoytest.FreePort(t), envoytest.FreePort(t), envoytest.FreePort(t)
	text := strings.NewReplacer("port_value: 9901", "port_value: "+strconv.Itoa(adminPort),
		"port_value: 10000", "port_value: "+strconv.Itoa(ingress), "port_value: 8080", "port_value: "+strconv.Itoa(upstream)).Replace(string(example))
	config := filepath.Join(t.TempDir(), "envoy.yaml")
	if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	r := envoytest.StartRestarter(t, envoytest.Options{ConfigPath: config})
	r.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(ingress) + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from the upstream\n" {
		t.Fatalf("ingress: %d %q", resp.StatusCode, body)
	}
}

// TestExampleServiceRouteReachesTheServiceEnvoy: the front Envoy of `make
// dev` routes /service to a cluster whose endpoint is another Envoy, by
// name (service-envoy on the stack's network, localhost here); the
// stand-in forwards the request there, and answers 503 as Envoy does while
// that Envoy does not answer. The examples as committed, not as edited.
func TestExampleServiceRouteReachesTheServiceEnvoy(t *testing.T) {
	front := envoytest.Pristine(t, "examples/compose/envoy/envoy.yaml")
	service := envoytest.Pristine(t, "examples/compose/envoy/service-envoy.yaml")
	frontAdmin, ingress, upstream := envoytest.FreePort(t), envoytest.FreePort(t), envoytest.FreePort(t)
	serviceAdmin, serviceListener := envoytest.FreePort(t), envoytest.FreePort(t)
	if !strings.Contains(string(front), "address: service-envoy, port_value: 10001") {
		t.Fatal("the front Envoy no longer names service-envoy:10001")
	}
	frontText := strings.NewReplacer("port_value: 9901", "port_value: "+strconv.Itoa(frontAdmin),
		"port_value: 10000", "port_value: "+strconv.Itoa(ingress), "port_value: 8080", "port_value: "+strconv.Itoa(upstream),
		"address: service-envoy, port_value: 10001", "address: localhost, port_value: "+strconv.Itoa(serviceListener)).Replace(string(front))
	serviceText := strings.NewReplacer("port_value: 9902", "port_value: "+strconv.Itoa(serviceAdmin),
		"port_value: 10001", "port_value: "+strconv.Itoa(serviceListener)).Replace(string(service))
	dir := t.TempDir()
	frontConfig, serviceConfig := filepath.Join(dir, "envoy.yaml"), filepath.Join(dir, "service-envoy.yaml")
	if err := os.WriteFile(frontConfig, []byte(frontText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(serviceConfig, []byte(serviceText), 0o644); err != nil {
		t.Fatal(err)
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://127.0.0.1:" + strconv.Itoa(ingress) + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(body)
	}

	r := envoytest.StartRestarter(t, envoytest.Options{ConfigPath: frontConfig})
	r.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	if code, body := get("/service"); code != http.StatusServiceUnavailable {
		t.Fatalf("/service with no service Envoy: %d %q, want 503", code, body)
	}
	s := envoytest.StartRestarter(t, envoytest.Options{ConfigPath: serviceConfig})
	s.WaitLog(t, "starting main dispatch loop", 10*time.Second)
	if code, body := get("/service"); code != 200 || body != "hello from the service Envoy\n" {
		t.Fatalf("/service: %d %q", code, body)
	}
	if code, body := get("/"); code != 200 || body != "hello from the upstream\n" {
		t.Fatalf("/: %d %q", code, body)
	}
}
