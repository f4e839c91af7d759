package local

import (
	"os/exec"
	"runtime"
	"syscall"
)

// childAttr: each Envoy process leads a process group of its own, so that
// the terminal's Ctrl-C reaches only the reloader, which ends the epochs
// in order, and a stop reaches whatever Envoy started. Pdeathsig kills it
// when the reloader dies, even by SIGKILL.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// spawner starts every child from one OS thread that stays alive while
// the supervisor runs: Linux sends the parent-death signal when the
// thread that forked a child ends, not the process (prctl(2),
// PR_SET_PDEATHSIG), and the Go runtime may end an idle thread.
type spawner struct {
	reqs chan spawnReq
}

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

func newSpawner() *spawner {
	s := &spawner{reqs: make(chan spawnReq)}
	go func() {
		// Never unlocked: the thread ends with this goroutine, once every
		// child is gone.
		runtime.LockOSThread()
		for r := range s.reqs {
			r.done <- r.cmd.Start()
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	s.reqs <- spawnReq{cmd, done}
	return <-done
}

func (s *spawner) close() { close(s.reqs) }
