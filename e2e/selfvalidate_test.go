package e2e

import (
	"strings"
	"testing"
)

// TestRestarterValidatesWithoutDockerExec: with envoy-hot-restarter
// --validate as PID 1, the reloader runs no `docker exec … --mode
// validate`: a config only Envoy rejects (a contrib extension) is refused
// by the restarter, read from its log in Envoy's words, and starts no
// epoch; a good one goes live.
func TestRestarterValidatesWithoutDockerExec(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runContainer(t, uniqueName("envoy-e2e"), []string{"--entrypoint", "/usr/local/bin/envoy-hot-restarter"},
			append([]string{"--on-child-failure=keep", "--validate", "--"}, envoyCommand(t)...))
		r := startReloader(t, c, "")
		contrib := strings.Replace(containerConfig("contrib"), "    - filters:\n", "    - filters:\n"+
			"      - name: envoy.filters.network.mysql_proxy\n        typed_config:\n"+
			"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy\n"+
			"          stat_prefix: mysql\n", 1)
		writeFile(t, c.config, contrib)
		ev := r.wait(t, "reload")
		if ev["result"] != "invalid" || ev["reason"] != "envoy_rejected" || !strings.Contains(logLines(ev), "MySQLProxy") {
			t.Fatalf("reload of the contrib config: %v", ev)
		}
		if _, ran := ev["envoy_validate_ms"]; ran {
			t.Errorf("a validate ran before the signal (docker exec): %v", ev)
		}
		if c.epoch(t) != 0 || strings.Contains(docker(t, "logs", c.name), "at epoch 1") {
			t.Fatalf("the rejected config started an epoch")
		}
		writeFile(t, c.config, containerConfig("good"))
		ev = r.wait(t, "reload")
		if ev["result"] != "ok" || ev["epoch"] != float64(1) {
			t.Fatalf("reload of the good config: %v", ev)
		}
		if _, ran := ev["envoy_validate_ms"]; ran {
			t.Errorf("a validate ran before the signal (docker exec): %v", ev)
		}
		if body, epoch := c.serve(t); epoch != "1" || body != "cluster good\n" {
			t.Fatalf("the listener serves %q from epoch %q", body, epoch)
		}
		if !strings.Contains(docker(t, "logs", c.name), "validated the config for epoch 1: OK") {
			t.Errorf("the restarter did not validate the good config")
		}
	})
}
