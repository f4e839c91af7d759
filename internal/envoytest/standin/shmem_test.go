package standin

import (
	"os"
	"strings"
	"testing"
	"time"
)

// TestAFailedEpochWedgesHotRestart: as in Envoy 1.40 (envoyproxy/envoy#33446),
// an epoch that dies before its workers start leaves the mark, and every
// later epoch refuses to start until something clears it.
func TestAFailedEpochWedgesHotRestart(t *testing.T) {
	base := uint(time.Now().UnixNano()%100000) + 200000
	t.Cleanup(func() { _ = os.Remove(shmPath(base)) })
	steps := []struct {
		name    string
		do      func() error
		wantErr string
	}{
		{"epoch 0 starts", func() error { return attachShm(base, 0) }, ""},
		{"epoch 0 starts its workers", func() error { clearInitializing(base); return nil }, ""},
		{"epoch 1 starts, then dies initializing", func() error { return attachShm(base, 1) }, ""},
		{"epoch 1 again", func() error { return attachShm(base, 1) }, "previous envoy process is still initializing"},
		{"epoch 1 once more", func() error { return attachShm(base, 1) }, "previous envoy process is still initializing"},
		{"the mark cleared (what envoy-hot-restarter does)", func() error { clearInitializing(base); return nil }, ""},
		{"epoch 1 after the restore", func() error { return attachShm(base, 1) }, ""},
	}
	for _, s := range steps {
		err := s.do()
		switch {
		case s.wantErr == "" && err != nil:
			t.Fatalf("%s: %v", s.name, err)
		case s.wantErr != "" && (err == nil || !strings.Contains(err.Error(), s.wantErr)):
			t.Fatalf("%s: %v, want %q", s.name, err, s.wantErr)
		}
	}
}
