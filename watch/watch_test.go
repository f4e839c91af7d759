package watch

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const testDebounce = 60 * time.Millisecond

// quietPeriod is how long a test waits to be sure no further batch comes:
// many debounce windows, since the absence of an event has no event.
const quietPeriod = 10 * testDebounce

// savedContent is what each save pattern writes over the initial "v1".
const savedContent = "v2\n"

// harness runs a watcher and records what each batch saw of the file.
type harness struct {
	t    *testing.T
	w    *Watcher
	file string
	logs *envoytest.SyncBuffer
}

func start(t *testing.T, files, patterns []string, opts Options) *harness {
	t.Helper()
	logs := &envoytest.SyncBuffer{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if opts.Debounce == 0 {
		opts.Debounce = testDebounce
	}
	w, err := New(files, patterns, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Errorf("Run did not return within 5s of its cancel")
		}
		if t.Failed() {
			t.Logf("watcher log:\n%s", logs.String())
		}
	})
	select {
	case <-w.Ready():
	case <-time.After(5 * time.Second):
		t.Fatal("watcher not ready")
	}
	h := &harness{t: t, w: w, logs: logs}
	if len(files) > 0 {
		h.file = files[0]
	}
	return h
}

// next waits for a batch and returns it with the file's content at that time.
func (h *harness) next() (Batch, string) {
	h.t.Helper()
	select {
	case b := <-h.w.Batches():
		content, _ := os.ReadFile(h.file)
		return b, string(content)
	case <-time.After(5 * time.Second):
		h.t.Fatal("no batch within 5s")
		return Batch{}, ""
	}
}

// expectReloads collects batches until none comes for quietPeriod and
// returns the contents seen by the batches that changed the file.
func (h *harness) expectReloads() []string {
	h.t.Helper()
	done := make(chan struct{})
	close(done)
	return h.collectUntil(done)
}

// collectUntil consumes batches while writes go on, until done is closed
// and then no batch comes for quietPeriod.
func (h *harness) collectUntil(done <-chan struct{}) []string {
	var contents []string
	record := func(b Batch) {
		if len(b.Changed) > 0 {
			content, _ := os.ReadFile(h.file)
			contents = append(contents, string(content))
		}
	}
	for done != nil {
		select {
		case b := <-h.w.Batches():
			record(b)
		case <-done:
			done = nil
		}
	}
	for {
		select {
		case b := <-h.w.Batches():
			record(b)
		case <-time.After(quietPeriod):
			return contents
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestChmodAndIdenticalSavesDoNotReload(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{})
	must(t, os.Chmod(file, 0o600))
	writeFile(t, file, "v1\n")
	tmp := file + ".tmp"
	writeFile(t, tmp, "v1\n")
	must(t, os.Rename(tmp, file))
	if got := h.expectReloads(); len(got) != 0 {
		t.Fatalf("reloads %q for saves that changed nothing", got)
	}
	for _, want := range []string{"chmod only (ignored)", "content unchanged (no reload)"} {
		if !strings.Contains(h.logs.String(), want) {
			t.Errorf("verbose log lacks %q", want)
		}
	}
}

func TestOtherFilesAreIgnored(t *testing.T) {
	dir := t.TempDir()
	file := plainSetup(t, dir)
	h := start(t, []string{file}, nil, Options{})
	writeFile(t, filepath.Join(dir, "notes.txt"), "x")
	writeFile(t, filepath.Join(dir, ".envoy.yaml.swp"), "x")
	if got := h.expectReloads(); len(got) != 0 {
		t.Fatalf("reloads %q for other files", got)
	}
	if !strings.Contains(h.logs.String(), "another file (ignored)") {
		t.Errorf("verbose log does not explain the ignored event:\n%s", h.logs.String())
	}
}

func TestMissingFileIsPickedUpWhenItAppears(t *testing.T) {
	dir := t.TempDir()
	bootstrap := plainSetup(t, dir)
	cert := filepath.Join(dir, "certs", "server.pem") // neither file nor directory exists yet
	h := start(t, []string{bootstrap, cert}, nil, Options{})
	must(t, os.Mkdir(filepath.Join(dir, "certs"), 0o755))
	writeFile(t, cert, "cert")
	b, _ := h.next()
	if len(b.Changed) != 1 || b.Changed[0] != cert {
		t.Fatalf("batch %+v, want the new certificate", b)
	}
}

func TestDeletedFileIsReportedMissingThenReturns(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{})
	must(t, os.Remove(file))
	b, _ := h.next()
	if len(b.Missing) != 1 || len(b.Changed) != 0 {
		t.Fatalf("batch %+v, want the file missing", b)
	}
	writeFile(t, file, "back\n")
	b, content := h.next()
	if len(b.Changed) != 1 || content != "back\n" {
		t.Fatalf("batch %+v content %q, want the file back", b, content)
	}
}

func TestExtraPatterns(t *testing.T) {
	dir := t.TempDir()
	file := plainSetup(t, dir)
	h := start(t, []string{file}, []string{filepath.Join(dir, "lua", "*.lua")}, Options{})
	must(t, os.Mkdir(filepath.Join(dir, "lua"), 0o755))
	writeFile(t, filepath.Join(dir, "lua", "filter.lua"), "print(1)")
	writeFile(t, filepath.Join(dir, "lua", "README"), "not matched")
	b, _ := h.next()
	if len(b.Changed) != 1 || filepath.Base(b.Changed[0]) != "filter.lua" {
		t.Fatalf("batch %+v, want filter.lua", b)
	}
}

func TestSetFilesChangesTheWatchedSet(t *testing.T) {
	dir := t.TempDir()
	file := plainSetup(t, dir)
	other := filepath.Join(dir, "cds.yaml")
	writeFile(t, other, "a")
	h := start(t, []string{file}, nil, Options{})
	must(t, h.w.SetFiles([]string{file, other}, nil))
	// SetFiles is asynchronous; a change to the old file is ordered after it.
	writeFile(t, file, "v2\n")
	if b, _ := h.next(); len(b.Changed) != 1 || b.Changed[0] != file {
		t.Fatalf("batch %+v", b)
	}
	writeFile(t, other, "b")
	if b, _ := h.next(); len(b.Changed) != 1 || b.Changed[0] != other {
		t.Fatalf("batch %+v, want the newly watched file", b)
	}
}

func TestBurstIsDebounced(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{Debounce: 150 * time.Millisecond, MaxWait: 2 * time.Second})
	last := "write 49\n"
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 50 {
			_ = os.WriteFile(file, fmt.Appendf(nil, "write %d\n", i), 0o644)
			time.Sleep(20 * time.Millisecond) // the pace of the burst under test
		}
	}()
	got := h.collectUntil(done) // consumes while the burst goes on
	if len(got) < 1 || len(got) > 2 || got[len(got)-1] != last {
		t.Fatalf("%d reloads %q; want one or two, the last seeing %q", len(got), got, last)
	}
}

func TestMaxWaitBoundsAContinuousStream(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{Debounce: 100 * time.Millisecond, MaxWait: 300 * time.Millisecond})
	done := make(chan struct{})
	go func() {
		defer close(done)
		stop := time.Now().Add(1 * time.Second)
		for i := 0; time.Now().Before(stop); i++ {
			_ = os.WriteFile(file, fmt.Appendf(nil, "write %d\n", i), 0o644)
			time.Sleep(20 * time.Millisecond) // faster than the debounce, so only max wait ends a batch
		}
	}()
	if got := h.collectUntil(done); len(got) < 3 {
		t.Fatalf("%d batches in 1s of writes with a 300ms max wait; want at least 3", len(got))
	}
}

func TestSlowConsumerGetsOneMergedBatch(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	ready := make(chan struct{}, 10)
	h := start(t, []string{file}, nil, Options{OnBatchReady: func() { ready <- struct{}{} }})
	writeFile(t, file, "a\n")
	// The consumer does not receive (a reload in flight) while more changes come.
	waitReady(t, ready) // the first batch is complete and waits
	writeFile(t, file, "b\n")
	writeFile(t, file, "c\n")
	waitReady(t, ready) // the changes merged into it, complete again
	if got := h.expectReloads(); len(got) != 1 || got[0] != "c\n" {
		t.Fatalf("batches saw %q, want one merged batch seeing the last content", got)
	}
}

func waitReady(t *testing.T, ready <-chan struct{}) {
	t.Helper()
	select {
	case <-ready:
	case <-time.After(5 * time.Second):
		t.Fatal("no batch became ready within 5s")
	}
}
