// Package docker is restart's Docker target: an Envoy whose hot restarter
// is a container's PID 1. It finds the container (by name, label or image,
// and init's discovery), signals it, reads its logs and mounts, runs Envoy's
// own validate inside it, and tells whether the files Envoy reads through a
// bind mount are the ones on the host (freshness.go).
//
// The protocol it plugs into (signal, confirm, outcomes) is package restart.
package docker
