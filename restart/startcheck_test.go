package restart

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
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

// A -c file on a named volume (which Compose's driver_opts may bind to a
// directory here) is not known to be copied in: MountCheck warns instead
// of refusing to start.
func TestVolumeOverFindsTheVolumeHoldingAPath(t *testing.T) {
	mounts := []container.MountPoint{
		{Type: "bind", Source: "/home/me/bin", Destination: "/usr/local/bin/x"},
		{Type: "volume", Name: "envoy-config", Source: "/var/lib/docker/volumes/envoy-config/_data", Destination: "/etc/envoy"},
	}
	for path, want := range map[string]string{
		"/etc/envoy/envoy.yaml": "envoy-config",
		"/etc/envoy":            "envoy-config",
		"/etc/envoyx/a.yaml":    "",
		"/usr/local/bin/x":      "",
	} {
		if got := volumeOver(mounts, path); got != want {
			t.Errorf("volumeOver(%s) = %q, want %q", path, got, want)
		}
	}
}
