// Package local tests `envoy-reloader run` end to end on the real Envoy
// (build/envoy, `make envoy`), with no Docker: the built reloader starts
// Envoy itself in a project-like temporary directory, and the tests save
// its bootstrap as editors do, read its JSON events, and check Envoy's
// processes by PID.
package local
