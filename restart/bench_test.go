package restart_test

import (
	"bufio"
	"context"
	"crypto/sha256"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest/standin"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

const corpusDir = "../../shared/corpus/envoy-examples"

// largestCorpusBootstrap is the corpus's largest bootstrap (by bytes).
func largestCorpusBootstrap(b *testing.B) string {
	f, err := os.Open(filepath.Join(corpusDir, "MANIFEST"))
	if err != nil {
		b.Skipf("no corpus: %v", err)
	}
	defer f.Close()
	best, size := "", int64(0)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kind, path, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if !ok || kind != "bootstrap" {
			continue
		}
		p := filepath.Join(corpusDir, strings.TrimSpace(path))
		if fi, err := os.Stat(p); err == nil && fi.Size() > size {
			best, size = p, fi.Size()
		}
	}
	return best
}

// BenchmarkLoadedProof is the proof after LIVE for the corpus's largest
// bootstrap: /config_dump read on a fresh connection, decoded, and compared
// with the validated bootstrap.
func BenchmarkLoadedProof(b *testing.B) {
	path := largestCorpusBootstrap(b)
	res, err := bootstrap.LoadFile(path, bootstrap.Options{})
	if err != nil || !res.Valid() {
		b.Fatalf("%s: %v %v", path, err, res.Diagnostics)
	}
	dump, err := standin.ConfigDumpJSON(res.Bootstrap, time.Now())
	if err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(dump) }))
	defer srv.Close()
	admin, err := restart.NewAdmin(srv.URL, 2*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(dump)), "dump-bytes")
	for b.Loop() {
		loaded, err := admin.LoadedBootstrap(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if d := restart.LoadedDiff(res.Bootstrap, loaded, nil); len(d) != 0 {
			b.Fatalf("%s: differs in %v", path, d)
		}
	}
}

// BenchmarkReachDirectRead is the pre-signal check of one file by a direct
// read: here this process's own root stands for the container's.
func BenchmarkReachDirectRead(b *testing.B) {
	path, _ := filepath.Abs(largestCorpusBootstrap(b))
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	digest := sha256.Sum256(data)
	for b.Loop() {
		got, err := os.ReadFile(filepath.Join("/proc/self/root", path))
		if err != nil || sha256.Sum256(got) != digest {
			b.Fatal("differs")
		}
	}
}
