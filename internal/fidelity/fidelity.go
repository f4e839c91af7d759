// Package fidelity is the differential harness of issue 21: bootstraps and
// seeded variants of them go through both `check` (package bootstrap, in
// process) and a real `envoy --mode validate`, and the verdicts are compared.
package fidelity

import (
	"bufio"
	"context"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/internal/envoyvalidate"
)

// Source is one valid bootstrap variants start from.
type Source struct {
	Name string // for reports
	Path string // where it was read
	Data []byte
}

// Outcome classes.
const (
	BothAccept  = "both accept"
	BothReject  = "both reject"
	FalseAccept = "false accept" // check accepts what Envoy refuses
	FalseReject = "false reject" // check refuses what Envoy accepts
)

// Case is one bootstrap judged by both.
type Case struct {
	Kind, Source string
	Index        int
	Data         []byte
	Class        string
	// SamePlace, for both-reject: check names (one of) the places Envoy's
	// message names; NoPath when Envoy's message names no field.
	SamePlace, NoPath bool
	// AtStart, for both-reject: validate mode accepted it and the serving
	// Envoy refused it when it started (Envoy.Message is the start's).
	AtStart bool
	Envoy   envoyvalidate.Verdict
	Check   []bootstrap.Diagnostic
}

// Config says what to run.
type Config struct {
	Envoy    string // the binary
	Seed     uint64
	Variants int // how many generated variants
	Workers  int
	Timeout  time.Duration // the whole run; 0: none
	// Sources are the valid bootstraps; Base cases are run for each.
	Sources []Source
	// Progress, when set, gets a line now and then.
	Progress io.Writer
}

// Report is a run's result.
type Report struct {
	Base, Variants []Case
	Skipped        []string // sources Envoy refuses as they are, with why
	Took           time.Duration
	TimedOut       bool
}

// LoadSources reads the corpus bootstraps listed in corpusDir/MANIFEST
// (missing corpus: none) and the files given.
func LoadSources(corpusDir string, files ...string) ([]Source, error) {
	var out []Source
	if f, err := os.Open(filepath.Join(corpusDir, "MANIFEST")); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			kind, path, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
			if ok && kind == "bootstrap" {
				files = append(files, filepath.Join(corpusDir, strings.TrimSpace(path)))
			}
		}
		f.Close()
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		out = append(out, Source{Name: shortName(p), Path: p, Data: b})
	}
	return out, nil
}

func shortName(p string) string {
	dir, base := filepath.Split(p)
	return filepath.Base(dir) + "/" + base
}

// Run judges every source and cfg.Variants variants of those Envoy accepts.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	start := time.Now()
	if cfg.Workers < 1 {
		cfg.Workers = 2
	}
	if cfg.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Timeout)
		defer cancel()
	}
	root, err := os.MkdirTemp("", "fidelity-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(root)
	pair, err := keyPair()
	if err != nil {
		return nil, err
	}
	wds := make([]workdir, len(cfg.Sources))
	for i, s := range cfg.Sources {
		if wds[i], err = prepare(root, i, s, pair); err != nil {
			return nil, err
		}
	}
	rep := &Report{}
	var runErr error
	var errOnce sync.Once
	judgeAll := func(cases []*Case, wdOf func(*Case) workdir) {
		jobs := make(chan *Case)
		var wg sync.WaitGroup
		for range cfg.Workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for c := range jobs {
					if err := judge(ctx, cfg.Envoy, c, wdOf(c)); err != nil && ctx.Err() == nil {
						errOnce.Do(func() { runErr = err })
					}
				}
			}()
		}
		for i, c := range cases {
			if ctx.Err() != nil {
				break
			}
			jobs <- c
			if cfg.Progress != nil && i > 0 && i%500 == 0 {
				fmt.Fprintf(cfg.Progress, "  %d/%d judged (%s)\n", i, len(cases), time.Since(start).Round(time.Second))
			}
		}
		close(jobs)
		wg.Wait()
	}
	base := make([]*Case, len(cfg.Sources))
	for i, s := range cfg.Sources {
		base[i] = &Case{Kind: "corpus as is", Source: s.Name, Index: i, Data: wds[i].data}
	}
	judgeAll(base, func(c *Case) workdir { return wds[c.Index] })
	var usable []int
	for i, c := range base {
		if c.Class == "" {
			continue
		}
		rep.Base = append(rep.Base, *c)
		if c.Envoy.OK {
			usable = append(usable, i)
		} else {
			rep.Skipped = append(rep.Skipped, fmt.Sprintf("%s: %s", c.Source, firstLine(c.Envoy.Message)))
		}
	}
	if runErr != nil {
		return rep, runErr
	}
	kinds := envoytest.VariantKinds()
	var variants []*Case
	if len(usable) > 0 {
		for i := 0; i < cfg.Variants; i++ {
			k := i % len(kinds)
			r := mrand.New(mrand.NewPCG(cfg.Seed, uint64(i)))
			for try := 0; try < 8; try++ {
				si := usable[r.IntN(len(usable))]
				data := kinds[k].Make(wds[si].data, r)
				if data == nil || string(data) == string(wds[si].data) {
					continue
				}
				variants = append(variants, &Case{Kind: kinds[k].Name, Source: cfg.Sources[si].Name, Index: si, Data: data})
				break
			}
		}
	}
	judgeAll(variants, func(c *Case) workdir { return wds[c.Index] })
	for _, c := range variants {
		if c.Class != "" {
			rep.Variants = append(rep.Variants, *c)
		}
	}
	rep.TimedOut = ctx.Err() != nil
	rep.Took = time.Since(start)
	return rep, runErr
}

var fileSeq struct {
	sync.Mutex
	n int
}

// judge runs both on c, in its source's directory.
func judge(ctx context.Context, bin string, c *Case, wd workdir) error {
	fileSeq.Lock()
	fileSeq.n++
	name := fmt.Sprintf("v%06d.yaml", fileSeq.n)
	fileSeq.Unlock()
	path := filepath.Join(wd.dir, name)
	if err := os.WriteFile(path, c.Data, 0o644); err != nil {
		return err
	}
	defer os.Remove(path)
	res := bootstrap.Load(path, c.Data, bootstrap.Options{})
	// The node's id and cluster, which xDS and SDS config sources need,
	// come from the command line as the real-world Envoys get them
	// (Envoy Gateway passes --service-node and --service-cluster).
	v, err := envoyvalidate.Run(ctx, bin, name, wd.dir, "--service-node", "fidelity", "--service-cluster", "fidelity")
	if err != nil {
		return err
	}
	c.Envoy, c.Check = v, errorsOf(res.Diagnostics)
	checkOK := res.Valid()
	switch {
	case checkOK && v.OK:
		c.Class = BothAccept
	case !checkOK && !v.OK:
		c.Class = BothReject
		c.NoPath = v.Path == ""
		for _, d := range c.Check {
			if envoyvalidate.SamePlace(d.Path, v.Path) {
				c.SamePlace = true
			}
		}
	case checkOK:
		c.Class = FalseAccept
	default:
		c.Class = FalseReject
		// Only for these few: a start costs far more than a validate.
		sv, err := startServing(ctx, bin, c.Data, wd.dir)
		if err == nil && sv.Refused {
			c.Class, c.AtStart, c.NoPath = BothReject, true, true
			c.Envoy.Message = sv.Message
		}
	}
	return nil
}

func errorsOf(ds []bootstrap.Diagnostic) []bootstrap.Diagnostic {
	var out []bootstrap.Diagnostic
	for _, d := range ds {
		if d.Severity == bootstrap.SeverityError {
			out = append(out, d)
		}
	}
	return out
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// Row is one kind's line of the agreement table.
type Row struct {
	Kind                                    string
	N, BothAccept, BothReject, Same, NoPath int
	AtStart                                 int // of BothReject: refused only by the start
	FalseAccept, FalseReject                int
}

// Table groups cases by kind, in VariantKinds order.
func Table(cases []Case) []Row {
	byKind := map[string]*Row{}
	var order []string
	for _, c := range cases {
		r := byKind[c.Kind]
		if r == nil {
			r = &Row{Kind: c.Kind}
			byKind[c.Kind] = r
			order = append(order, c.Kind)
		}
		r.N++
		switch c.Class {
		case BothAccept:
			r.BothAccept++
		case BothReject:
			r.BothReject++
			if c.SamePlace {
				r.Same++
			}
			if c.NoPath {
				r.NoPath++
			}
			if c.AtStart {
				r.AtStart++
			}
		case FalseAccept:
			r.FalseAccept++
		case FalseReject:
			r.FalseReject++
		}
	}
	rank := map[string]int{}
	for i, k := range envoytest.VariantKinds() {
		rank[k.Name] = i + 1
	}
	sort.SliceStable(order, func(i, j int) bool { return rank[order[i]] < rank[order[j]] })
	rows := make([]Row, 0, len(order))
	for _, k := range order {
		rows = append(rows, *byKind[k])
	}
	return rows
}

// Print writes the table as Markdown.
func Print(w io.Writer, title string, rows []Row) {
	fmt.Fprintf(w, "\n%s\n\n| kind | n | both accept | both reject (same place / Envoy names no field / at start) | false accept | false reject |\n|---|---:|---:|---:|---:|---:|\n", title)
	var t Row
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d (%d / %d / %d) | %d | %d |\n", r.Kind, r.N, r.BothAccept, r.BothReject, r.Same, r.NoPath, r.AtStart, r.FalseAccept, r.FalseReject)
		t.N, t.BothAccept, t.BothReject, t.Same, t.NoPath = t.N+r.N, t.BothAccept+r.BothAccept, t.BothReject+r.BothReject, t.Same+r.Same, t.NoPath+r.NoPath
		t.AtStart, t.FalseAccept, t.FalseReject = t.AtStart+r.AtStart, t.FalseAccept+r.FalseAccept, t.FalseReject+r.FalseReject
	}
	fmt.Fprintf(w, "| **all %d kinds** | %d | %d | %d (%d / %d / %d) | %d | %d |\n", len(rows), t.N, t.BothAccept, t.BothReject, t.Same, t.NoPath, t.AtStart, t.FalseAccept, t.FalseReject)
}

// Disagreements lists the false accepts and rejects, one line each.
func Disagreements(cases []Case) []string {
	var out []string
	for _, c := range cases {
		if c.Class != FalseAccept && c.Class != FalseReject {
			continue
		}
		what := firstLine(c.Envoy.Message)
		if c.Class == FalseReject {
			what = "check: " + firstLine(c.Check[0].Message)
		}
		out = append(out, fmt.Sprintf("%s [%s] %s: %s", c.Class, c.Kind, c.Source, what))
	}
	slices.Sort(out)
	return out
}
