package restart

import (
	"strings"
	"testing"
)

func TestReloaderYAMLWarnsOfASingleFileMount(t *testing.T) {
	c := Candidate{Name: "envoy", Image: "envoyproxy/envoy", ConfigPath: "/etc/envoy/envoy.yaml", HostConfig: "/p/envoy.yaml",
		SingleFileMount: "/p/envoy.yaml:/etc/envoy/envoy.yaml", HotRestarter: true}
	y := c.ReloaderYAML("/p")
	for _, want := range []string{"# warning: the bootstrap is a single-file bind mount (/p/envoy.yaml:/etc/envoy/envoy.yaml)", "-v ./envoy:/etc/envoy", "\nbootstrap: envoy.yaml\n"} {
		if !strings.Contains(y, want) {
			t.Errorf("reloader.yaml lacks %q:\n%s", want, y)
		}
	}
	c.SingleFileMount = ""
	if strings.Contains(c.ReloaderYAML("/p"), "warning") {
		t.Error("a directory mount is no trap")
	}
}
