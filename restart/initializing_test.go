package restart

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestBeforeWaitsForHotRestartToFinishInitializing: Envoy refuses a new
// epoch while hot_restart_initializing is true (it is, from LIVE until the
// workers start, and for good after a failed epoch without the
// restarter's restore), so no signal goes before it is false.
func TestBeforeWaitsForHotRestartToFinishInitializing(t *testing.T) {
	for _, tc := range []struct {
		name         string
		initializing int32 // reads that say true
		wantErr      error
	}{
		{"not initializing", 0, nil},
		{"initializing for a few reads", 5, nil},
		{"initializing for good", 1 << 30, ErrHotRestartInitializing},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var reads atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				n := reads.Add(1)
				fmt.Fprintf(w, `{"state":"LIVE","hot_restart_initializing":%v,"command_line_options":{"restart_epoch":3}}`, n <= tc.initializing)
			}))
			defer srv.Close()
			admin, err := NewAdmin(srv.URL, time.Second)
			if err != nil {
				t.Fatal(err)
			}
			c := &Confirmer{Admin: admin, Interval: time.Millisecond, Timeout: 200 * time.Millisecond}
			info, before, err := c.Before(context.Background())
			switch {
			case tc.wantErr != nil:
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("Before: %v, want %v", err, tc.wantErr)
				}
			case err != nil || before != 3 || info.GetHotRestartInitializing():
				t.Fatalf("Before: %v, epoch %d, initializing %v", err, before, info.GetHotRestartInitializing())
			case reads.Load() <= tc.initializing:
				t.Fatalf("Before returned after %d reads, while %d said initializing", reads.Load(), tc.initializing)
			}
		})
	}
}
