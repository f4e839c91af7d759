package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/hotrestartshm"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// Supervisor is the hot restarter of a local Envoy, run by the reloader
// itself (`envoy-reloader run -- envoy …`): it starts epoch 0, starts the
// next epoch on each SIGHUP the reload sends, and owns every process, so
// that none outlives it. It is a restart.Target that offers a check, its
// own Envoy's validate, a watchdog and its log, and local paths.
type Supervisor struct {
	// Argv is Envoy's command line, the binary first; each epoch gets
	// --restart-epoch N after it, and RESTART_EPOCH=N in its environment.
	Argv []string
	// Dir is Envoy's working directory ("" for this process's).
	Dir string
	// Out takes Envoy's lines at Level or above, each prefixed with its
	// epoch, and the supervisor's own at info; nil shows none.
	Out   io.Writer
	Level Level
	// StopTimeout bounds the wait for the epochs to end after SIGTERM,
	// before SIGKILL (default 10 s).
	StopTimeout time.Duration

	spawn  *spawner
	shm    string
	outMu  sync.Mutex
	log    *logRing
	mu     sync.Mutex
	epochs map[int]*epoch // alive, by PID
	next   int            // the number the next epoch gets
	newest *epoch
	// gone is closed once no epoch is left; exit is how the last ended.
	gone     chan struct{}
	goneOnce sync.Once
	exit     string
}

// epoch is one Envoy process.
type epoch struct {
	n       int
	pid     int
	started time.Time
	done    chan struct{}
	status  syscall.WaitStatus // once done
}

const defaultStopTimeout = 10 * time.Second

// Start starts epoch 0. Argv must not name --restart-epoch, nor options
// that would give each epoch its own hot-restart identity (see CheckArgv).
func (s *Supervisor) Start() error {
	if err := CheckArgv(s.Argv); err != nil {
		return err
	}
	path, err := exec.LookPath(s.Argv[0])
	if err != nil {
		return fmt.Errorf("run %s: %w", s.Argv[0], err)
	}
	s.Argv = append([]string{path}, s.Argv[1:]...)
	s.shm, _ = hotrestartshm.Path(s.Argv)
	s.log = newLogRing(logRingLines)
	s.epochs = map[int]*epoch{}
	s.gone = make(chan struct{})
	s.spawn = newSpawner()
	if _, err := s.startEpoch(); err != nil {
		s.spawn.close()
		return err
	}
	return nil
}

// Gone is closed once no epoch is left: Envoy exited on its own.
func (s *Supervisor) Gone() <-chan struct{} { return s.gone }

// Exit says how the last epoch ended, once Gone is closed.
func (s *Supervisor) Exit() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exit
}

// Describe names the target for messages.
func (s *Supervisor) Describe() string { return "the Envoy run here (" + s.Argv[0] + ")" }

// Signal starts the next epoch on SIGHUP; other signals go to every epoch.
func (s *Supervisor) Signal(ctx context.Context, sig syscall.Signal) error {
	if sig != syscall.SIGHUP {
		s.mu.Lock()
		defer s.mu.Unlock()
		for pid := range s.epochs {
			_ = syscall.Kill(pid, sig)
		}
		return nil
	}
	if err := s.awaitInitialized(ctx); err != nil {
		return err
	}
	_, err := s.startEpoch()
	return err
}

// awaitInitialized holds a new epoch while the newest one still
// initializes: Envoy refuses it ("previous envoy process is still
// initializing", source/server/hot_restart_impl.cc). The confirmation
// read the same from admin before the signal; this also covers an admin
// that cannot be read.
func (s *Supervisor) awaitInitialized(ctx context.Context) error {
	if s.shm == "" {
		return nil
	}
	deadline := time.Now().Add(initWait)
	for {
		st, err := hotrestartshm.Read(s.shm)
		s.mu.Lock()
		newest := s.newest
		s.mu.Unlock()
		switch {
		case err != nil || !st.Known || !st.Initializing || newest == nil || newest.exited():
			return nil
		case time.Now().After(deadline):
			return fmt.Errorf("epoch %d is still initializing after %s: %w", newest.n, initWait, restart.ErrHotRestartInitializing)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-newest.done:
		case <-time.After(initPoll):
		}
	}
}

const (
	initWait = 30 * time.Second
	initPoll = 5 * time.Millisecond
)

// startEpoch starts the next epoch; none once every epoch is gone.
func (s *Supervisor) startEpoch() (*epoch, error) {
	select {
	case <-s.gone:
		return nil, fmt.Errorf("envoy is not running: %s", s.Exit())
	default:
	}
	s.mu.Lock()
	n := s.next
	s.mu.Unlock()
	argv := append(append([]string{}, s.Argv...), "--restart-epoch", strconv.Itoa(n))
	cmd := &exec.Cmd{Path: argv[0], Args: argv, Dir: s.Dir,
		Env:         append(os.Environ(), "RESTART_EPOCH="+strconv.Itoa(n)),
		SysProcAttr: childAttr(),
		// Envoy's own children (none by default) must not hold Wait.
		WaitDelay: time.Second,
	}
	cmd.Stdout = s.lineWriter(n)
	cmd.Stderr = cmd.Stdout
	s.own("forking and execing new child process at epoch %d", n)
	if err := s.spawn.start(cmd); err != nil {
		return nil, fmt.Errorf("start epoch %d of %s: %w", n, argv[0], err)
	}
	e := &epoch{n: n, pid: cmd.Process.Pid, started: time.Now(), done: make(chan struct{})}
	s.mu.Lock()
	s.epochs[e.pid], s.newest, s.next = e, e, n+1
	s.mu.Unlock()
	// The restarter's own words (hot-restarter.py's), which restart reads
	// to tell a failed newest epoch (newestEpochFailed).
	s.own("forked new child process with PID=%d", e.pid)
	go s.reap(cmd, e)
	return e, nil
}

// reap waits for one epoch and says how it ended. Its done closes only
// once all is said and the shared memory restored: then a next epoch may
// start, and Stop may return.
func (s *Supervisor) reap(cmd *exec.Cmd, e *epoch) {
	_ = cmd.Wait()
	e.status, _ = cmd.ProcessState.Sys().(syscall.WaitStatus)
	code := exitCode(e.status)
	s.mu.Lock()
	delete(s.epochs, e.pid)
	newest := s.newest == e
	if newest && code != 0 {
		s.next = e.n // Envoy needs consecutive epochs: the next try reuses this one
	}
	left := len(s.epochs)
	if left == 0 {
		s.exit = fmt.Sprintf("epoch %d exited with code %d", e.n, code)
	}
	s.mu.Unlock()
	if e.status.Signaled() {
		s.own("PID=%d exited with code=%d (killed by signal %d)", e.pid, code, int(e.status.Signal()))
	} else {
		s.own("PID=%d exited with code=%d", e.pid, code)
	}
	if newest && code != 0 && left > 0 {
		s.own("epoch %d failed; the running epoch keeps serving, next restart is epoch %d", e.n, e.n)
		if msg := hotrestartshm.RestoreAfterFailure(s.shm, e.n, "reloader"); msg != "" {
			s.own("%s", msg)
		}
	}
	close(e.done)
	if left == 0 {
		s.goneOnce.Do(func() { close(s.gone) })
	}
}

func (e *epoch) exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}

// Stop ends every epoch: SIGTERM to each one's process group, SIGKILL
// after StopTimeout, and waits for them.
func (s *Supervisor) Stop() {
	timeout := s.StopTimeout
	if timeout <= 0 {
		timeout = defaultStopTimeout
	}
	s.mu.Lock()
	alive := make([]*epoch, 0, len(s.epochs))
	for _, e := range s.epochs {
		alive = append(alive, e)
	}
	s.mu.Unlock()
	for _, e := range alive {
		_ = syscall.Kill(-e.pid, syscall.SIGTERM)
	}
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	expired := false
	for _, e := range alive {
		if !expired {
			select {
			case <-e.done:
				continue
			case <-deadline.C:
				expired = true
			}
		}
		if !e.exited() {
			s.own("epoch %d did not end within %s of SIGTERM: killing it", e.n, timeout)
			_ = syscall.Kill(-e.pid, syscall.SIGKILL)
			<-e.done
		}
	}
	s.spawn.close()
}

// Check: the supervisor is the one instance; it can take a signal while
// an epoch runs.
func (s *Supervisor) Check(context.Context) (string, error) {
	select {
	case <-s.gone:
		return "", fmt.Errorf("envoy is not running: %s", s.Exit())
	default:
		return "run", nil
	}
}

// Watchdog fails once the newest epoch started since the signal exited
// non-zero, or no epoch is left.
func (s *Supervisor) Watchdog(since time.Time) restart.Watchdog {
	return func(context.Context) error {
		s.mu.Lock()
		newest := s.newest
		s.mu.Unlock()
		select {
		case <-s.gone:
			return &restart.StoppedError{Target: s.Describe(), Status: "exited", ExitCode: exitCode(newest.status)}
		default:
		}
		if newest != nil && !newest.started.Before(since) && newest.exited() {
			if code := exitCode(newest.status); code != 0 {
				return &restart.ChildFailedError{Code: code}
			}
		}
		return nil
	}
}

// LogsSince returns Envoy's lines since t (the last max; 0 for all) that
// say why an epoch failed: warnings and worse, its bare start-up errors,
// and the supervisor's own lines. A real Envoy's start logs some 60 info
// lines (its extensions, header maps) that would bury the reason.
func (s *Supervisor) LogsSince(_ context.Context, since time.Time, max int) []string {
	return s.log.since(since, LevelWarning, max)
}
