// Package adminurl is the one rule for an Envoy admin endpoint's address,
// shared by reloader.yaml's checks and the admin client.
package adminurl

import (
	"fmt"
	"net/url"
)

// Parse accepts an http:// or https:// URL with a host: the admin endpoint
// is reached over TCP only (a unix socket admin cannot be read over a
// fresh connection the way this tool reads it).
func Parse(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%q must be an http:// or https:// URL with a host", raw)
	}
	return u, nil
}
