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
