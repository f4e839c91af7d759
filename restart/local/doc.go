// Package local is restart's target for an Envoy run on this machine, with
// no container: a hot restarter someone else started, signalled by PID or
// PID file (Process), or the reloader itself as the hot restarter of the
// Envoy it starts (Supervisor, for `envoy-reloader run`).
//
// The protocol it plugs into (signal, confirm, outcomes) is package restart.
package local
