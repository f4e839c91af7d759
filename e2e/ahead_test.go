package e2e

import "testing"

// A save in place waits out the debounce; the container's envoy --mode
// validate runs during that wait, and the reload uses its verdict
// (envoy_validate_ahead). A save by rename is whole at its rename: its
// validate starts there, while the settle passes.
func TestSavesAreValidatedInTheContainerAhead(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		c := runEnvoy(t, uniqueName("envoy-e2e-ahead"))
		r := startReloader(t, c, "")
		writeFile(t, c.config, withNode(containerConfig("a"), "in-place"))
		ev := r.wait(t, "reload")
		if ev["result"] != "ok" || num(ev, "epoch") != 1 || ev["envoy_validate_ahead"] != true || ev["envoy_validate_ms"] == nil {
			t.Fatalf("save in place: %v", ev)
		}
		if got := c.nodeID(t); got != "in-place" {
			t.Fatalf("Envoy runs node %q", got)
		}
		saveAtomically(t, c.config, withNode(containerConfig("a"), "renamed"))
		ev = r.wait(t, "reload")
		if ev["result"] != "ok" || num(ev, "epoch") != 2 || ev["envoy_validate_ahead"] != true || ev["envoy_validate_ms"] == nil {
			t.Fatalf("save by rename: %v", ev)
		}
		if got := c.nodeID(t); got != "renamed" {
			t.Fatalf("Envoy runs node %q", got)
		}
	})
}
