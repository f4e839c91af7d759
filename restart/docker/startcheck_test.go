package docker

import (
	"testing"

	"github.com/docker/docker/api/types/container"
)

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
