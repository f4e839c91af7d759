package lsp

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// The latency benchmarks run the built binary on the 2,000-cluster /
// 200-listener bootstrap of config/bootstrap's BenchmarkValidate2000Clusters.

func percentile(ms []float64, p float64) float64 {
	s := slices.Clone(ms)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

func lineOf(text, line string) int {
	i := strings.Index(text, "\n"+line+"\n")
	if i < 0 {
		panic("no line " + line)
	}
	return strings.Count(text[:i+1], "\n")
}

func startLarge(b *testing.B) (*client, func(), string, string) {
	dir := b.TempDir()
	text := string(envoytest.LargeBootstrap(2000, 200))
	path := filepath.Join(dir, "large.yaml")
	c, stop := startBinary(b, dir)
	c.open(fileURI(path), text, 1)
	if ds := c.diagnostics(fileURI(path), 1); len(ds) != 0 {
		b.Fatalf("large bootstrap: %v", ds)
	}
	return c, stop, path, text
}

// rssMB is the server's resident memory now, and its peak (VmRSS, VmHWM).
func rssMB(pid int) (now, peak float64) {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0 // no /proc here
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) == 3 && (f[0] == "VmRSS:" || f[0] == "VmHWM:") {
			kb, _ := strconv.ParseFloat(f[1], 64)
			if f[0] == "VmRSS:" {
				now = kb / 1024
			} else {
				peak = kb / 1024
			}
		}
	}
	return now, peak
}

// BenchmarkKeystrokes2000Clusters: each iteration types 50 keystrokes 30
// ms apart into the large file (a field typed, then erased); p50/p95 are
// from the last didChange to the publication of its version, over the
// iterations (run with -benchtime=20x).
func BenchmarkKeystrokes2000Clusters(b *testing.B) {
	c, stop, path, text := startLarge(b)
	defer stop()
	u := fileURI(path)
	// Enter at the end of a cluster's lb_policy line, 24 characters of a
	// field, then 25 backspaces: the text is the same after each burst.
	line := lineOf(text, "    lb_policy: ROUND_ROBIN")
	end := len("    lb_policy: ROUND_ROBIN")
	typed := "\n    respect_dns_ttl: tru"
	version := int32(1)
	var lat []float64
	b.ResetTimer()
	for b.Loop() {
		var last time.Time
		for k := range 50 {
			version++
			var change map[string]any
			switch {
			case k == 0:
				change = map[string]any{"range": map[string]any{"start": pos(line, end), "end": pos(line, end)}, "text": "\n"}
			case k < 25:
				change = map[string]any{"range": map[string]any{"start": pos(line+1, k-1), "end": pos(line+1, k-1)}, "text": typed[k : k+1]}
			case k < 49:
				i := 48 - k
				change = map[string]any{"range": map[string]any{"start": pos(line+1, i), "end": pos(line+1, i+1)}, "text": ""}
			default:
				change = map[string]any{"range": map[string]any{"start": pos(line, end), "end": pos(line+1, 0)}, "text": ""}
			}
			if k > 0 {
				time.Sleep(30 * time.Millisecond)
			}
			c.notify("textDocument/didChange", map[string]any{"textDocument": map[string]any{"uri": u, "version": version},
				"contentChanges": []map[string]any{change}})
			last = time.Now()
		}
		if ds := c.diagnostics(u, version); len(ds) != 0 {
			b.Fatalf("after the keystrokes: %v", ds)
		}
		lat = append(lat, float64(time.Since(last).Microseconds())/1000)
	}
	b.StopTimer()
	for i := 1; i < len(c.published); i++ {
		if c.published[i] < c.published[i-1] {
			b.Errorf("version %d published after %d", c.published[i], c.published[i-1])
		}
	}
	now, peak := rssMB(c.pid)
	// The validation alone, on this machine now: the latency less this is
	// the debounce and the server's own cost.
	var val []float64
	for range 5 {
		t0 := time.Now()
		bootstrap.Load(path, []byte(text), bootstrap.Options{})
		val = append(val, float64(time.Since(t0).Microseconds())/1000)
	}
	b.ReportMetric(percentile(val, 0.5), "validate-ms")
	b.ReportMetric(percentile(lat, 0.5), "p50-ms")
	b.ReportMetric(percentile(lat, 0.95), "p95-ms")
	b.ReportMetric(now, "rss-MB")
	b.ReportMetric(peak, "peak-rss-MB")
	b.ReportMetric(float64(len(c.published)-1)/float64(b.N), "publications/burst")
}

// BenchmarkCompletionHover2000Clusters: completion and hover at places
// across the large file, p95 of each.
func BenchmarkCompletionHover2000Clusters(b *testing.B) {
	c, stop, path, text := startLarge(b)
	defer stop()
	u := fileURI(path)
	doc := map[string]any{"uri": u}
	lp := lineOf(text, "  - name: cluster_1000") + 3 // its lb_policy
	ct := lineOf(text, "          stat_prefix: ingress_100") + 1
	completions := []map[string]any{
		pos(lp, len("    lb_policy: ")),             // an enum, deep in the clusters
		pos(ct, len("          codec_type: ")),      // an enum inside an HCM
		pos(lp+1, len("    load_assignment:")),      // a key's value: nothing to offer
		pos(ct+2, len("            name: routes_")), // a string
	}
	hovers := []map[string]any{pos(lp-1, 6), pos(ct, 12), pos(lp+2, 8)}
	var comp, hov []float64
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		t0 := time.Now()
		c.result("textDocument/completion", map[string]any{"textDocument": doc, "position": completions[i%len(completions)]}, nil)
		comp = append(comp, float64(time.Since(t0).Microseconds())/1000)
		t0 = time.Now()
		c.result("textDocument/hover", map[string]any{"textDocument": doc, "position": hovers[i%len(hovers)]}, nil)
		hov = append(hov, float64(time.Since(t0).Microseconds())/1000)
	}
	b.StopTimer()
	b.ReportMetric(percentile(comp, 0.5), "completion-p50-ms")
	b.ReportMetric(percentile(comp, 0.95), "completion-p95-ms")
	b.ReportMetric(percentile(hov, 0.95), "hover-p95-ms")
	now, _ := rssMB(c.pid)
	b.ReportMetric(now, "rss-MB")
}
