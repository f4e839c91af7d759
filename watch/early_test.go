package watch

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// A save in place, which must wait out the whole debounce, is hinted early
// once quiet; a save by rename at its rename, before its settle ends; and
// the batch still comes, after the hint.
func TestEarlyHintOfAWriteInPlace(t *testing.T) {
	tests := []struct {
		name string
		save func(t *testing.T, file, content string)
	}{
		{"write in place", savePatternNamed(t, "write in place")},
		{"truncate then write", savePatternNamed(t, "truncate then write")},
		{"temp file renamed over", savePatternNamed(t, "temp file renamed over")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			file := plainSetup(t, t.TempDir())
			h := start(t, []string{file}, nil, Options{Debounce: 400 * time.Millisecond, Early: 20 * time.Millisecond})
			saved := time.Now()
			tc.save(t, file, savedContent)
			var hintedAt time.Time
			for _, hint := range hintsBeforeBatch(t, h, file) {
				if !slices.Contains(hint.files, file) {
					t.Fatalf("hinted %v, want %s", hint.files, file)
				}
				if hint.content != savedContent {
					t.Fatalf("hinted while the file holds %q", hint.content)
				}
				hintedAt = hint.at
			}
			switch {
			case hintedAt.IsZero():
				t.Fatal("no early hint before the batch")
			case hintedAt.Sub(saved) >= 400*time.Millisecond:
				t.Fatalf("hinted %s after the save: not before the debounce ended", hintedAt.Sub(saved))
			}
		})
	}
}

// Every write of a burst restarts the quiet period: a writer still
// writing is not hinted in between.
func TestEarlyHintWaitsForQuiet(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{Debounce: time.Second, Early: 300 * time.Millisecond})
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_TRUNC, 0)
	must(t, err)
	defer f.Close()
	// Writes 100 ms apart, five of them: never 300 ms quiet while writing.
	for i := range 5 {
		if _, err := f.WriteString("chunk\n"); err != nil {
			t.Fatal(err)
		}
		select {
		case <-h.w.Early():
			t.Fatalf("hinted after write %d, while the writer goes on", i+1)
		case <-time.After(100 * time.Millisecond):
		}
	}
	select {
	case <-h.w.Early():
	case <-time.After(5 * time.Second):
		t.Fatal("no hint once the writer stopped")
	}
}

// A rename is hinted at once only when nothing else pending is still being
// written: a file written in place beside it waits for its own quiet.
func TestRenameBesideAWriteWaitsForQuiet(t *testing.T) {
	dir := t.TempDir()
	renamed, written := filepath.Join(dir, "envoy.yaml"), filepath.Join(dir, "cds.yaml")
	must(t, os.WriteFile(renamed, []byte("a: 1\n"), 0o644))
	must(t, os.WriteFile(written, []byte("b: 1\n"), 0o644))
	h := start(t, []string{renamed, written}, nil, Options{Debounce: time.Second, Early: 300 * time.Millisecond})
	must(t, os.WriteFile(written, []byte("b: 2\n"), 0o644))
	must(t, os.WriteFile(renamed+".tmp", []byte("a: 2\n"), 0o644))
	must(t, os.Rename(renamed+".tmp", renamed))
	select {
	case <-h.w.Early():
		t.Fatalf("hinted %v at the rename while %s waits out its quiet", h.w.TakeEarly(), written)
	case <-time.After(150 * time.Millisecond):
	}
	select {
	case <-h.w.Early():
		if files := h.w.TakeEarly(); !slices.Contains(files, renamed) || !slices.Contains(files, written) {
			t.Fatalf("hinted %v, want both files", files)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no hint once the write was quiet")
	}
}

// TestEarlyDefault: a save in place is hinted after a few quiet
// milliseconds, or Settle when it is shorter, and never once Settle is
// off; an Early given is kept.
func TestEarlyDefault(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
		want time.Duration
	}{
		{"defaults", Options{}, earlyQuiet},
		{"a longer settle", Options{Settle: 40 * time.Millisecond}, earlyQuiet},
		{"a shorter settle", Options{Settle: 2 * time.Millisecond}, 2 * time.Millisecond},
		{"settle off", Options{Settle: -1}, 150 * time.Millisecond},
		{"given", Options{Early: 30 * time.Millisecond}, 30 * time.Millisecond},
	} {
		t.Run(c.name, func(t *testing.T) {
			w, err := New(nil, nil, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if w.opts.Early != c.want {
				t.Errorf("Early = %v, want %v", w.opts.Early, c.want)
			}
		})
	}
}

// earlyHint is one hint as a test saw it: the files hinted, when, and
// what file held then.
type earlyHint struct {
	files   []string
	at      time.Time
	content string
}

// hintsBeforeBatch collects the early hints until the batch that brings
// file, for at most 5 s.
func hintsBeforeBatch(t *testing.T, h *harness, file string) []earlyHint {
	t.Helper()
	var hints []earlyHint
	for {
		select {
		case <-h.w.Early():
			files := h.w.TakeEarly()
			data, _ := os.ReadFile(file)
			hints = append(hints, earlyHint{files: files, at: time.Now(), content: string(data)})
		case b := <-h.w.Batches():
			if !slices.Contains(b.Changed, file) {
				t.Fatalf("batch %+v", b)
			}
			return hints
		case <-time.After(5 * time.Second):
			t.Fatal("no batch within 5s")
		}
	}
}

// A save by rename is hinted once, at its rename: the quiet period that
// follows brings no second hint of the same bytes before the batch.
func TestRenameHintedOnce(t *testing.T) {
	file := plainSetup(t, t.TempDir())
	h := start(t, []string{file}, nil, Options{Debounce: time.Second, Settle: 300 * time.Millisecond, Early: 20 * time.Millisecond})
	savePatternNamed(t, "temp file renamed over")(t, file, savedContent)
	hints := len(hintsBeforeBatch(t, h, file))
	if hints != 1 {
		t.Fatalf("%d early hints of one save by rename, want 1", hints)
	}
}
