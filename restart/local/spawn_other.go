//go:build !linux

package local

import (
	"os/exec"
	"syscall"
)

// childAttr: each Envoy process leads a process group of its own, so that
// the terminal's Ctrl-C reaches only the reloader. There is no
// parent-death signal outside Linux: a reloader killed by SIGKILL leaves
// its Envoy running there.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true}
}

type spawner struct{}

func newSpawner() *spawner                   { return &spawner{} }
func (s *spawner) start(cmd *exec.Cmd) error { return cmd.Start() }
func (s *spawner) close()                    {}
