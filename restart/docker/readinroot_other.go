//go:build !linux

package docker

import (
	"errors"
	"time"
)

// errNoResolveInRoot: only Linux has /proc/<pid>/root and openat2.
var errNoResolveInRoot = errors.New("reading in a container's root needs Linux")

// readInRoot is unavailable here: the check says it could not verify.
func readInRoot(root, p string) ([]byte, error) { return nil, errNoResolveInRoot }

// birthTime is not read here.
func birthTime(string) (time.Time, bool) { return time.Time{}, false }
