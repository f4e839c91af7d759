package bootstrap

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// generateLarge is envoytest.LargeBootstrap, shared with the language
// server's latency benchmark.
func generateLarge(clusters, listeners int) []byte {
	return envoytest.LargeBootstrap(clusters, listeners)
}

func TestGeneratedLargeBootstrapIsValid(t *testing.T) {
	res := Load("large.yaml", generateLarge(2000, 200), Options{})
	if len(res.Diagnostics) != 0 {
		t.Fatalf("%d diagnostics, first %v", len(res.Diagnostics), res.Diagnostics[0])
	}
	if n := len(res.Bootstrap.GetStaticResources().GetClusters()); n != 2000 {
		t.Errorf("%d clusters", n)
	}
}

// BenchmarkValidate2000Clusters is the check issue's target: under 150 ms a
// validation of 2,000 clusters and 200 listeners on a 2-core machine.
func BenchmarkValidate2000Clusters(b *testing.B) {
	data := generateLarge(2000, 200)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if res := Load("large.yaml", data, Options{}); !res.Valid() {
			b.Fatal(res.Diagnostics[0])
		}
	}
}

// BenchmarkLoadNext2000Clusters is the language server's validation of a
// keystroke on the same bootstrap: a character typed into a cluster's
// field, then erased, each version parsed from the one before.
func BenchmarkLoadNext2000Clusters(b *testing.B) {
	data := generateLarge(2000, 200)
	at := bytes.Index(data, []byte("    lb_policy: ROUND_ROBIN\n")) + len("    lb_policy: ROUND_ROBI")
	typed := slices.Concat(data[:at], []byte("x"), data[at:])
	ctx := context.Background()
	_, prev, _ := LoadNext(ctx, "large.yaml", data, Options{}, nil)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		text := data
		if i%2 == 0 {
			text = typed
		}
		var res *Result
		res, prev, _ = LoadNext(ctx, "large.yaml", text, Options{}, prev)
		if len(res.Diagnostics) != i%2^1 {
			b.Fatalf("version %d: %v", i, res.Diagnostics)
		}
	}
}
