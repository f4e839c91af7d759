// Command envoy-hot-restarter does what Envoy's restarter/hot-restarter.py
// does, as a static binary for images without Python (distroless, scratch).
//
//	envoy-hot-restarter [--on-child-failure=exit|keep] [--validate] -- envoy -c /etc/envoy/envoy.yaml --restart-epoch {{epoch}}
//
// It runs the command as epoch 0; each SIGHUP starts the next epoch, with
// RESTART_EPOCH set and {{epoch}} in the arguments replaced, so no start
// script is needed. SIGTERM and SIGINT end every child (SIGKILL after 30 s),
// SIGUSR1 is forwarded, and every child is reaped (as PID 1 it also reaps
// orphans). hot-restarter.py kills everything when a child fails, which
// takes a developer's Envoy down for one bad edit; --on-child-failure=keep
// leaves the running epoch serving and reuses the failed epoch's number.
// With --validate, each SIGHUP first runs the same Envoy in validate mode
// with the child's own flags (validate.go), and a rejected config starts
// no epoch: the verdict is a line of this restarter's log, which
// envoy-reloader reads instead of running `docker exec … --mode validate`.
//
// Envoy refuses a new epoch while another is still initializing, and an
// epoch that dies while initializing leaves that mark in the shared memory
// for good (envoyproxy/envoy#33446). So a SIGHUP that comes while the newest
// epoch initializes is held until it is done, a SIGUSR1 is not forwarded to
// it (Envoy installs its handlers only once initialized, and the signal
// would kill it), and when it dies the restarter clears the mark, so that
// the next epoch can start (internal/hotrestartshm).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/hotrestartshm"
)

// termWait is how long children get to exit after SIGTERM, as in hot-restarter.py.
const termWait = 30 * time.Second

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type restarter struct {
	argv      []string
	onFailure string
	validate  bool
	out       io.Writer
	children  map[int]int // pid -> epoch
	nextEpoch int
	// lastStatus is the exit status the restarter ends with once no child is left.
	lastStatus int

	// shm is Envoy's hot-restart shared memory ("" where it is not known).
	shm string
	// newest is the pid of the newest child.
	newest int
	// init follows the newest child while it may still be initializing.
	init *initWatch
	// heldHUP is a SIGHUP that came while the newest child initialized.
	heldHUP bool
	// heldUSR1 is a SIGUSR1 the newest child gets once initialized.
	heldUSR1 bool
	// stopping is set by SIGTERM or SIGINT: no epoch starts after it.
	stopping bool
}

// initWatch follows one epoch's initialization through the shared memory.
type initWatch struct {
	started time.Time
	sawSet  bool // the epoch has marked itself initializing
}

const (
	// initPoll paces the reads of the shared memory while an epoch
	// initializes (a real one takes 0.1 s or more).
	initPoll = 2 * time.Millisecond
	// initUnseen ends the watch of an epoch never seen initializing: one
	// that does not hot-restart through the shared memory named here.
	initUnseen = time.Second
)

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("envoy-hot-restarter", flag.ContinueOnError)
	fs.SetOutput(stderr)
	onFailure := fs.String("on-child-failure", "exit", "when a child fails: exit (kill all, like hot-restarter.py) or keep (keep the running epoch)")
	validate := fs.Bool("validate", false, "on SIGHUP, run COMMAND in --mode validate first; a rejected config starts no epoch")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: envoy-hot-restarter [--on-child-failure=exit|keep] [--validate] -- COMMAND [ARG...]   ({{epoch}} in ARGs is the restart epoch)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *onFailure != "exit" && *onFailure != "keep" {
		fmt.Fprintf(stderr, "envoy-hot-restarter: --on-child-failure must be exit or keep, not %q\n", *onFailure)
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	r := &restarter{argv: fs.Args(), onFailure: *onFailure, validate: *validate, out: stdout, children: map[int]int{}}
	if path, ok := hotrestartshm.Path(r.argv); ok {
		r.shm = path
	}
	sigs := make(chan os.Signal, 32)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGCHLD)
	if err := r.startChild(); err != nil {
		r.log("cannot start %s: %v", r.argv[0], err)
		return 1
	}
	for {
		var poll <-chan time.Time
		if r.init != nil {
			poll = time.After(initPoll)
		}
		select {
		case <-poll:
			r.pollInit()
		case sig := <-sigs:
			if code, done := r.handle(sig, sigs); done {
				return code
			}
		}
	}
}

// handle acts on one signal; done is true when the restarter ends.
func (r *restarter) handle(sig os.Signal, sigs <-chan os.Signal) (code int, done bool) {
	switch sig {
	case syscall.SIGHUP:
		if r.init != nil {
			r.log("got SIGHUP while epoch %d is still initializing: the next epoch starts once it is done "+
				"(Envoy refuses one before: previous envoy process is still initializing)", r.children[r.newest])
			r.heldHUP = true
			return 0, false
		}
		r.log("got SIGHUP")
		r.startNext()
	case syscall.SIGUSR1:
		r.log("got SIGUSR1")
		r.signalAll(syscall.SIGUSR1)
	case syscall.SIGTERM, syscall.SIGINT:
		r.log("got %s", sigName(sig))
		return r.terminateAll(sigs), true
	case syscall.SIGCHLD:
		return r.reap()
	}
	return 0, false
}

func (r *restarter) startNext() {
	if r.validate && !r.validateNext() {
		return
	}
	if err := r.startChild(); err != nil {
		r.log("cannot start %s: %v", r.argv[0], err)
	}
}

// pollInit reads whether the newest epoch is still initializing.
func (r *restarter) pollInit() {
	s, err := hotrestartshm.Read(r.shm)
	w := r.init
	switch {
	case err == nil && s.Known && s.Initializing:
		w.sawSet = true
	case err == nil && s.Known && w.sawSet:
		r.initDone() // the epoch started its workers and cleared the mark itself
	case !w.sawSet && time.Since(w.started) > initUnseen:
		r.initDone()
	}
}

// initDone ends the watch of the newest epoch and starts the epoch a held
// SIGHUP asked for.
func (r *restarter) initDone() {
	r.init = nil
	if r.stopping {
		r.heldHUP, r.heldUSR1 = false, false
		return
	}
	if r.heldUSR1 {
		r.heldUSR1 = false
		if _, alive := r.children[r.newest]; alive {
			r.log("forwarding the held SIGUSR1 to epoch %d", r.children[r.newest])
			_ = syscall.Kill(r.newest, syscall.SIGUSR1)
		}
	}
	if r.heldHUP {
		r.heldHUP = false
		r.log("starting the epoch held back by a SIGHUP")
		r.startNext()
	}
}

func sigName(sig os.Signal) string {
	if s, ok := sig.(syscall.Signal); ok && s == syscall.SIGINT {
		return "SIGINT"
	}
	return "SIGTERM"
}

func (r *restarter) log(format string, args ...any) {
	fmt.Fprintf(r.out, "[%s][%d][INFO][core] [envoy-hot-restarter] %s\n",
		time.Now().Format("2006-01-02 15:04:05.000"), os.Getpid(), fmt.Sprintf(format, args...))
}

// childArgv is the command for epoch, {{epoch}} replaced.
func (r *restarter) childArgv(epoch int) []string {
	argv := make([]string, len(r.argv))
	for i, a := range r.argv {
		argv[i] = strings.ReplaceAll(a, "{{epoch}}", strconv.Itoa(epoch))
	}
	return argv
}

// startChild starts the command as the next epoch.
func (r *restarter) startChild() error {
	epoch := r.nextEpoch
	r.log("forking and execing new child process at epoch %d", epoch)
	argv := r.childArgv(epoch)
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return err
	}
	proc, err := os.StartProcess(path, argv, &os.ProcAttr{
		Env:   append(os.Environ(), "RESTART_EPOCH="+strconv.Itoa(epoch)),
		Files: []*os.File{os.Stdin, os.Stdout, os.Stderr},
		// A child must not outlive its restarter.
		Sys: &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM},
	})
	if err != nil {
		return err
	}
	r.children[proc.Pid] = epoch
	r.newest = proc.Pid
	if r.shm != "" {
		r.init = &initWatch{started: time.Now()}
	}
	r.nextEpoch++
	r.log("forked new child process with PID=%d", proc.Pid)
	// The process is waited for by reap, through wait4 on any child.
	_ = proc.Release()
	return nil
}

func (r *restarter) signalAll(sig syscall.Signal) {
	for pid := range r.children {
		if sig == syscall.SIGUSR1 && pid == r.newest && r.init != nil {
			// Envoy's default action for it, before its handlers exist, is to exit.
			r.log("holding SIGUSR1 for epoch %d until it is initialized", r.children[pid])
			r.heldUSR1 = true
			continue
		}
		_ = syscall.Kill(pid, sig)
	}
}

// reap collects every exited child (and any orphan given to PID 1). It
// returns done with the exit status when the restarter should end.
func (r *restarter) reap() (code int, done bool) {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			break
		}
		epoch, mine := r.children[pid]
		if !mine {
			continue // an orphan reparented to us: reaped, nothing more
		}
		delete(r.children, pid)
		initializing := pid == r.newest && r.init != nil
		if pid == r.newest {
			r.init, r.heldUSR1 = nil, false
		}
		if ws.Exited() && ws.ExitStatus() == 0 {
			r.log("PID=%d exited with code=0", pid)
			r.lastStatus = 0
			continue
		}
		if ws.Signaled() {
			r.log("PID=%d exited with code=%d (killed by signal %d)", pid, 128+int(ws.Signal()), int(ws.Signal()))
		} else {
			r.log("PID=%d exited with code=%d", pid, ws.ExitStatus())
		}
		r.lastStatus = 1
		if r.onFailure == "exit" {
			r.log("Due to abnormal exit, force killing all child processes and exiting")
			r.signalAll(syscall.SIGKILL)
			r.waitAll(time.Now().Add(termWait))
			return 1, true
		}
		if epoch == r.nextEpoch-1 {
			r.nextEpoch = epoch // Envoy needs consecutive epochs: the next try reuses this one
		}
		r.log("epoch %d failed; the running epoch keeps serving (--on-child-failure=keep), next restart is epoch %d", epoch, r.nextEpoch)
		if initializing {
			if msg := hotrestartshm.RestoreAfterFailure(r.shm, epoch, "restarter"); msg != "" {
				r.log("%s", msg)
			}
		}
	}
	if r.init == nil && r.heldHUP && len(r.children) > 0 {
		r.initDone()
	}
	if len(r.children) == 0 {
		r.log("exiting due to lack of child processes")
		return r.lastStatus, true
	}
	return 0, false
}

// terminateAll sends SIGTERM to every child and waits for them, then kills
// the ones still there.
func (r *restarter) terminateAll(sigs <-chan os.Signal) int {
	r.stopping = true // a held SIGHUP must not start an epoch now
	r.signalAll(syscall.SIGTERM)
	deadline := time.Now().Add(termWait)
	timeout := time.After(termWait)
	for len(r.children) > 0 {
		select {
		case <-sigs:
			r.reap()
		case <-timeout:
			r.log("force killing %d remaining child processes", len(r.children))
			r.signalAll(syscall.SIGKILL)
			r.waitAll(deadline.Add(5 * time.Second))
			return 1
		}
	}
	r.log("all children exited")
	return 0
}

// waitAll reaps until no child is left or the deadline passes.
func (r *restarter) waitAll(deadline time.Time) {
	for len(r.children) > 0 && time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if err != nil && !errors.Is(err, syscall.EINTR) {
			return
		}
		delete(r.children, pid)
	}
}
