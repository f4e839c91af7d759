// Package watch reports changes to a set of files as debounced batches, and
// survives every way editors, git and Kubernetes replace files.
//
// It watches parent directories (never the files, whose inodes editors
// replace), decides per event whether it concerns a watched file, and hashes
// contents only when a burst is over, so intermediate states of a save and
// byte-identical saves cause no batch. Where file events never arrive
// (Docker Desktop and WSL2 bind mounts, NFS), it finds out with a probe file
// and polls that directory instead. A save renamed into place is delivered
// after a short settle; a burst still waiting out its debounce is hinted
// early (early.go) so that consumers can start slow checks. It knows
// nothing of Envoy.
package watch

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Options tune a Watcher. Zero values take the defaults noted.
type Options struct {
	// Debounce is the quiet time after the last change before a batch is
	// delivered (default 150ms).
	Debounce time.Duration
	// Settle replaces Debounce after an event that completes a save: a new
	// file renamed over a watched name, or a symlink in its chain swapped
	// (default 15ms; negative: always wait the full Debounce). Such a save
	// is whole the moment the rename lands; the short wait only gathers the
	// events that come with it. Writes in place keep the full Debounce:
	// nothing tells when a writer that may reopen the file is done.
	Settle time.Duration
	// MaxWait delivers a batch at the latest this long after its first
	// change, even while changes keep coming (default 2s; negative: never).
	MaxWait time.Duration
	// PollAuto probes each directory at start and polls the ones whose file
	// events do not arrive.
	PollAuto bool
	// PollInterval > 0 polls every directory at that interval and uses no
	// file events at all.
	PollInterval time.Duration
	// FallbackInterval is the polling interval of directories PollAuto
	// switched to polling (default 500ms).
	FallbackInterval time.Duration
	// ProbeTimeout is how long the probe waits for its event (default 1s).
	ProbeTimeout time.Duration
	// Logger gets every raw event and its decision at debug level, and
	// polling notices at warn level (default: discard).
	Logger *slog.Logger

	// Early is the quiet time after which a burst still waiting out its
	// debounce is hinted on Early() (default: Settle, at most 5ms; never
	// when Settle is off; negative: never).
	Early time.Duration

	// OnBatchReady, when set, is called from the watcher's goroutine each
	// time a batch is complete and waits for its consumer: the event tests
	// synchronise on where they would otherwise sleep.
	OnBatchReady func()

	// newSource replaces fsnotify in tests that simulate lost events.
	newSource func() (eventSource, error)
}

// Batch is one debounced set of changes.
type Batch struct {
	// Changed are the watched files whose content changed or that appeared.
	Changed []string
	// Missing are watched files that are gone (deleted and not back yet).
	Missing []string
	// FirstEvent is when the first change of the batch was seen.
	FirstEvent time.Time
	// Ready is when the batch was complete (debounce or max wait over).
	Ready time.Time
}

// Files returns every path of the batch, changed and missing.
func (b Batch) Files() []string {
	return append(slices.Clone(b.Changed), b.Missing...)
}

// Watcher delivers batches of changes on Batches while Run runs.
type Watcher struct {
	opts    Options
	log     *slog.Logger
	batches chan Batch

	mu       sync.Mutex
	next     *watchSet // set by SetFiles, picked up by Run
	nextSeen chan struct{}

	ready     chan struct{}
	readyOnce sync.Once

	early earlyHints
}

// watchSet is what to watch: exact files and glob patterns.
type watchSet struct {
	files    []string
	patterns []string
}

// earlyQuiet is the longest default Options.Early.
const earlyQuiet = 5 * time.Millisecond

// New returns a watcher of files and of the files matching patterns
// (filepath.Match syntax; only the last path element may hold wildcards).
func New(files, patterns []string, opts Options) (*Watcher, error) {
	if opts.Debounce <= 0 {
		opts.Debounce = 150 * time.Millisecond
	}
	if opts.MaxWait == 0 {
		opts.MaxWait = 2 * time.Second
	}
	if opts.Settle == 0 {
		opts.Settle = 15 * time.Millisecond
	}
	if opts.Settle < 0 || opts.Settle > opts.Debounce {
		opts.Settle = opts.Debounce
	}
	if opts.Early == 0 {
		// A writer's truncate and write come microseconds apart, so a few
		// quiet milliseconds already mean the save is most likely whole;
		// the hint's checks are used only if the bytes stay the same, and
		// starting them sooner hides more of a docker exec validate.
		opts.Early = opts.Settle
		if opts.Settle < opts.Debounce {
			opts.Early = min(opts.Settle, earlyQuiet)
		}
	}
	if opts.FallbackInterval <= 0 {
		opts.FallbackInterval = 500 * time.Millisecond
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.newSource == nil {
		opts.newSource = newFsnotifySource
	}
	set, err := normalize(files, patterns)
	if err != nil {
		return nil, err
	}
	return &Watcher{
		opts:     opts,
		log:      opts.Logger,
		batches:  make(chan Batch),
		next:     set,
		nextSeen: make(chan struct{}, 1),
		ready:    make(chan struct{}),
		early:    earlyHints{token: make(chan struct{}, 1)},
	}, nil
}

func normalize(files, patterns []string) (*watchSet, error) {
	set := &watchSet{}
	for _, f := range files {
		abs, err := filepath.Abs(f)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", f, err)
		}
		if !slices.Contains(set.files, abs) {
			set.files = append(set.files, abs)
		}
	}
	for _, p := range patterns {
		abs, err := filepath.Abs(p)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", p, err)
		}
		if _, err := filepath.Match(abs, ""); err != nil {
			return nil, fmt.Errorf("watch pattern %q: %w", p, err)
		}
		if hasMeta(filepath.Dir(abs)) {
			return nil, fmt.Errorf("watch pattern %q: only the file name may hold wildcards", p)
		}
		set.patterns = append(set.patterns, abs)
	}
	return set, nil
}

func hasMeta(p string) bool {
	for _, c := range p {
		switch c {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// Batches delivers each batch once the consumer receives it. Changes that
// come while the consumer is busy are merged into the next batch, so a slow
// consumer sees exactly one more batch, never a queue of them.
func (w *Watcher) Batches() <-chan Batch { return w.batches }

// Ready is closed once Run watches every directory and the probes have
// settled which directories are polled: from then on no change is missed.
func (w *Watcher) Ready() <-chan struct{} { return w.ready }

func (w *Watcher) markReady() { w.readyOnce.Do(func() { close(w.ready) }) }

// SetFiles replaces the watched set, e.g. when the bootstrap now references
// other files. Their current contents become the baseline.
func (w *Watcher) SetFiles(files, patterns []string) error {
	set, err := normalize(files, patterns)
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.next = set
	w.mu.Unlock()
	select {
	case w.nextSeen <- struct{}{}:
	default:
	}
	return nil
}

func (w *Watcher) takeNext() *watchSet {
	w.mu.Lock()
	defer w.mu.Unlock()
	set := w.next
	w.next = nil
	return set
}

// Run watches until ctx is done. It returns an error only when watching
// cannot start at all.
func (w *Watcher) Run(ctx context.Context) error {
	var src eventSource
	if w.opts.PollInterval <= 0 {
		var err error
		if src, err = w.opts.newSource(); err != nil {
			return fmt.Errorf("start file events: %w", err)
		}
		defer src.Close()
	}
	r := newRunner(w, src)
	defer r.stop()
	return r.loop(ctx)
}

// eventSource is where file events come from: fsnotify, or a test double.
type eventSource interface {
	Add(dir string) error
	Remove(dir string) error
	Events() <-chan fsnotify.Event
	Errors() <-chan error
	Close() error
}

type fsnotifySource struct{ w *fsnotify.Watcher }

func newFsnotifySource() (eventSource, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	return fsnotifySource{w}, nil
}

func (s fsnotifySource) Add(dir string) error          { return s.w.Add(dir) }
func (s fsnotifySource) Remove(dir string) error       { return s.w.Remove(dir) }
func (s fsnotifySource) Events() <-chan fsnotify.Event { return s.w.Events }
func (s fsnotifySource) Errors() <-chan error          { return s.w.Errors }
func (s fsnotifySource) Close() error                  { return s.w.Close() }
