package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/restart"
	dockertarget "github.com/envoy-reloader/envoy-reloader/restart/docker"
)

// frontConfig is a front proxy: admin on 9901, and a listener on 10000
// routing everything to the Envoy found by the DNS name service.
func frontConfig(service string) string {
	return fmt.Sprintf(`admin:
  address: {socket_address: {address: 0.0.0.0, port_value: 9901}}
static_resources:
  listeners:
  - name: ingress
    address: {socket_address: {address: 0.0.0.0, port_value: 10000}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: {prefix: "/"}
                route: {cluster: service}
          http_filters:
          - name: envoy.filters.http.router
            typed_config:
              "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router
  clusters:
  - name: service
    connect_timeout: 1s
    type: STRICT_DNS
    load_assignment:
      cluster_name: service
      endpoints:
      - lb_endpoints:
        - endpoint:
            address: {socket_address: {address: %s, port_value: 10000}}
`, service)
}

// TestDataPathThroughAnotherEnvoyLagsTheConfirmation measures the seed's
// keep-alive trap on the data path: once the service Envoy's new epoch is
// confirmed, a front Envoy's pooled upstream connections still reach the
// old, draining epoch, so requests through the front are served the old
// config until the drain closes them (the image's --drain-time-s 5). It
// reports for how long, and fails if the old config outlives the old
// epoch's parent shutdown time.
func TestDataPathThroughAnotherEnvoyLagsTheConfirmation(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		network := uniqueName("envoy-e2e-net")
		docker(t, "network", "create", "--label", testLabel(t), network)
		t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", network).Run() })
		alias := uniqueName("service")
		service := runContainer(t, uniqueName("envoy-e2e-service"), []string{"--network", network, "--network-alias", alias}, nil)
		writeFile(t, service.config, containerConfig("v1"))
		d, err := dockertarget.New(service.name, "", "")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		h := &restart.HotRestart{Target: d, Signal: 1, Confirmer: &restart.Confirmer{Admin: service.admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}}
		if _, err := h.Reload(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		front := &envoyContainer{name: uniqueName("envoy-e2e-front"), dir: t.TempDir()}
		front.config = filepath.Join(front.dir, "envoy.yaml")
		writeFile(t, front.config, frontConfig(alias))
		startPublished(t, front.name, func(ports []string) [][]string {
			args := append(append(append([]string{"run", "-d", "--name", front.name, "--network", network, "-v", front.dir + ":/etc/envoy"}, ownLabels(t)...), ports...), imageOf(t))
			return [][]string{args}
		})
		front.connect(t)
		through := func() string {
			client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 3 * time.Second}
			resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(front.listenerPort) + "/")
			if err != nil {
				return "error: " + err.Error()
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return strings.TrimSpace(string(b))
		}
		deadline := time.Now().Add(15 * time.Second)
		for through() != "cluster v1" { // the front resolves the service's name and connects
			if time.Now().After(deadline) {
				t.Fatalf("the front never served the service's v1: %q", through())
			}
			time.Sleep(50 * time.Millisecond) // DNS and the first upstream connection; no event to wait on
		}
		writeFile(t, service.config, containerConfig("v2"))
		if out, err := h.Reload(context.Background(), nil); err != nil || *out.Epoch != 2 {
			t.Fatalf("confirmation of v2: %+v, %v", out, err)
		}
		confirmed := time.Now()
		old := 0
		for {
			body := through()
			if body == "cluster v2" {
				break
			}
			if body == "cluster v1" {
				old++
			}
			if time.Since(confirmed) > 12*time.Second {
				t.Fatalf("through the front the old config still served 12 s after the confirmation (%q)", body)
			}
			time.Sleep(20 * time.Millisecond) // a client's pace
		}
		t.Logf("through another Envoy on %s: the old config served %d times for %s after the confirmation (service drain 5 s, parent shutdown 10 s)",
			kindOf(t).name, old, time.Since(confirmed).Round(time.Millisecond))
	})
}
