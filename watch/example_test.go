package watch_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/envoy-reloader/envoy-reloader/watch"
)

// New watches a file; a save in place arrives as one batch once the
// debounce is over.
func ExampleNew() {
	dir, err := os.MkdirTemp("", "watch-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	config := filepath.Join(dir, "envoy.yaml")
	if err := os.WriteFile(config, []byte("admin: {}\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}

	w, err := watch.New([]string{config}, nil, watch.Options{Debounce: 50 * time.Millisecond})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	<-w.Ready() // from here on no change is missed

	if err := os.WriteFile(config, []byte("admin: {address: {}}\n"), 0o644); err != nil {
		fmt.Println(err)
		return
	}
	batch := <-w.Batches()
	for _, f := range batch.Changed {
		fmt.Println("changed:", filepath.Base(f))
	}

	cancel()
	fmt.Println("run ended:", <-done)
	// Output:
	// changed: envoy.yaml
	// run ended: <nil>
}
