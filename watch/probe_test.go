package watch

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fsnotify/fsnotify"
)

// deafSource is fsnotify with the events of some directories dropped, as on
// a Docker Desktop or WSL2 bind mount where inotify never fires.
type deafSource struct {
	eventSource
	deaf   string
	events chan fsnotify.Event
	once   sync.Once
}

func newDeafSource(deaf string) func() (eventSource, error) {
	return func() (eventSource, error) {
		real, err := newFsnotifySource()
		if err != nil {
			return nil, err
		}
		s := &deafSource{eventSource: real, deaf: deaf, events: make(chan fsnotify.Event)}
		go s.filter()
		return s, nil
	}
}

func (s *deafSource) filter() {
	defer close(s.events)
	for ev := range s.eventSource.Events() {
		if filepath.Dir(ev.Name) != s.deaf {
			s.events <- ev
		}
	}
}

func (s *deafSource) Events() <-chan fsnotify.Event { return s.events }

func (s *deafSource) Close() error {
	err := s.eventSource.Close()
	// Drain so filter can finish once the real channel closes.
	s.once.Do(func() {
		for range s.events {
		}
	})
	return err
}

func TestProbeWithoutEventsSwitchesToPolling(t *testing.T) {
	deaf, hearing := t.TempDir(), t.TempDir()
	deafFile := plainSetup(t, deaf)
	hearingFile := filepath.Join(hearing, "cert.pem")
	writeFile(t, hearingFile, "c1")
	h := start(t, []string{deafFile, hearingFile}, nil, Options{
		PollAuto: true, ProbeTimeout: 200 * time.Millisecond, FallbackInterval: 20 * time.Millisecond,
		newSource: newDeafSource(deaf),
	})
	logs := h.logs.String()
	if strings.Count(logs, "event=poll_fallback") != 1 || !strings.Contains(logs, "polling "+deaf) {
		t.Fatalf("want exactly one fallback notice, for %s:\n%s", deaf, logs)
	}
	if len(globProbes(t, deaf, hearing)) > 0 {
		t.Errorf("probe files left behind: %v", globProbes(t, deaf, hearing))
	}
	// A save in the deaf directory is still seen, through polling.
	writeFile(t, deafFile, savedContent)
	if got := h.expectReloads(); len(got) != 1 || got[0] != savedContent {
		t.Fatalf("reloads saw %q, want one with %q", got, savedContent)
	}
	// The directory whose events work still uses them.
	writeFile(t, hearingFile, "c2")
	b, _ := h.next()
	if len(b.Changed) != 1 || b.Changed[0] != hearingFile {
		t.Fatalf("batch %+v", b)
	}
}

func TestProbeWithEventsKeepsEvents(t *testing.T) {
	dir := t.TempDir()
	file := plainSetup(t, dir)
	h := start(t, []string{file}, nil, Options{PollAuto: true})
	if strings.Contains(h.logs.String(), "poll_fallback") || !strings.Contains(h.logs.String(), "probe seen") {
		t.Fatalf("events work here, yet:\n%s", h.logs.String())
	}
	if len(globProbes(t, dir)) > 0 {
		t.Errorf("probe file left behind")
	}
	writeFile(t, file, savedContent)
	if got := h.expectReloads(); len(got) != 1 {
		t.Fatalf("reloads %q", got)
	}
}

func globProbes(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		m, err := filepath.Glob(filepath.Join(d, probePrefix+"*"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m...)
	}
	return out
}
