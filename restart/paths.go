package restart

import (
	"path/filepath"
	"strings"
)

// PathMap maps directories as Envoy sees them (inside its container) to
// where they are on this machine, so referenced files can be watched.
type PathMap map[string]string

// HostPath maps p by the longest matching container directory.
func (m PathMap) HostPath(p string) (string, bool) {
	best, host := "", ""
	for container, h := range m {
		c := filepath.Clean(container)
		if (p == c || strings.HasPrefix(p, c+string(filepath.Separator))) && len(c) > len(best) {
			best, host = c, h
		}
	}
	if best == "" {
		return "", false
	}
	return filepath.Join(host, strings.TrimPrefix(p, best)), true
}

// HostPaths is the one rule that maps a path a bootstrap names to where the
// file is on this machine, for the watch set and the freshness check alike.
type HostPaths struct {
	// Bootstrap is the bootstrap's path here: a relative path it names is
	// taken relative to its directory.
	Bootstrap string
	// Paths are reloader.yaml's paths: (container directory → here); when
	// set, they replace the container's mounts.
	Paths PathMap
	// Mounts, when set, gives the target's bind mounts as last seen, so
	// that a container recreated with other mounts is followed.
	Mounts func() PathMap
}

// Host is where p is here; an absolute path no mapping covers is taken as
// it is.
func (h HostPaths) Host(p string) string {
	if !filepath.IsAbs(p) {
		return filepath.Join(filepath.Dir(h.Bootstrap), p)
	}
	m := h.Paths
	if len(m) == 0 && h.Mounts != nil {
		m = h.Mounts()
	}
	if host, ok := m.HostPath(p); ok {
		return host
	}
	return p
}
