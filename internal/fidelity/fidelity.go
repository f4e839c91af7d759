// Package fidelity is the differential harness of issue 21: bootstraps and
// seeded variants of them go through both `check` (package bootstrap, in
// process) and a real `envoy --mode validate`, and the verdicts are compared.
package fidelity

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

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
	Envoy             envoyvalidate.Verdict
	Check             []bootstrap.Diagnostic
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

// workdir is one source's directory, with the files it references.
type workdir struct {
	dir  string
	data []byte // the bootstrap, its absolute paths moved into dir
}

// prepare creates, in a directory of its own, every file the bootstrap
// references as a user's machine would have them: certificates and keys (one
// self-signed pair, so every certificate matches every key), Lua scripts,
// xDS files copied from beside the source, directories for runtime roots
// and access logs. Absolute paths are moved under the directory.
func prepare(root string, i int, src Source, pair [2][]byte) (workdir, error) {
	dir := filepath.Join(root, fmt.Sprintf("src%03d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return workdir{}, err
	}
	text := string(src.Data)
	var doc yaml.Node
	if yaml.Unmarshal(src.Data, &doc) != nil {
		return workdir{dir: dir, data: src.Data}, nil
	}
	var walk func(n *yaml.Node, parentKey string, parent *yaml.Node)
	seen := map[string]bool{}
	walk = func(n *yaml.Node, parentKey string, parent *yaml.Node) {
		if n.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(n.Content); j += 2 {
				k, v := n.Content[j].Value, n.Content[j+1]
				if v.Kind == yaml.ScalarNode && v.Value != "" && !seen[v.Value] {
					switch {
					case k == "filename" || k == "inline_filename":
						seen[v.Value] = true
						text = materialize(text, dir, v.Value, src, pair, parent)
					case k == "path" && (parentKey == "path_config_source" || get(n, "@type") != nil) && !strings.HasPrefix(v.Value, "/dev/"):
						seen[v.Value] = true
						text = materialize(text, dir, v.Value, src, pair, parent)
					case k == "symlink_root" || k == "subdirectory" && parentKey == "disk_layer":
						seen[v.Value] = true
						target := v.Value
						if filepath.IsAbs(target) {
							text = strings.ReplaceAll(text, target, dir+target)
						}
						_ = os.MkdirAll(filepath.Join(dir, target), 0o755)
						if filepath.IsAbs(target) {
							_ = os.MkdirAll(dir+target, 0o755)
						}
					}
				}
				walk(v, k, n)
			}
			return
		}
		for _, c := range n.Content {
			walk(c, parentKey, parent)
		}
	}
	walk(doc.Content[0], "", nil)
	return workdir{dir: dir, data: []byte(text)}, nil
}

func get(m *yaml.Node, k string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == k {
			return m.Content[i+1]
		}
	}
	return nil
}

func materialize(text, dir, ref string, src Source, pair [2][]byte, parent *yaml.Node) string {
	local := filepath.Join(dir, ref)
	if filepath.IsAbs(ref) {
		local = dir + ref
		text = strings.ReplaceAll(text, ref, local)
	}
	_ = os.MkdirAll(filepath.Dir(local), 0o755)
	base := strings.ToLower(filepath.Base(ref))
	var content []byte
	switch {
	case strings.Contains(base, "key"):
		content = pair[1]
	case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".crt") || strings.HasSuffix(base, ".cert"):
		content = pair[0]
	case strings.HasSuffix(base, ".lua"):
		content = []byte("function envoy_on_request(h) end\nfunction envoy_on_response(h) end\n")
	case strings.HasSuffix(base, ".yaml") || strings.HasSuffix(base, ".yml") || strings.HasSuffix(base, ".json"):
		content = sibling(src.Path, filepath.Base(ref))
		if content == nil && strings.Contains(base, "secret") {
			name := "secret"
			if parent != nil {
				if n := get(parent, "name"); n != nil {
					name = n.Value
				}
			}
			content = []byte(fmt.Sprintf("resources:\n- \"@type\": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret\n  name: %s\n  generic_secret: {secret: {inline_string: x}}\n", name))
		}
		if content == nil {
			// An xDS file the source does not ship (Envoy Gateway's SDS
			// files exist only in its pods): no resources, valid YAML and JSON.
			content = []byte(`{"resources": []}` + "\n")
		}
	case strings.HasSuffix(base, ".log"):
		content = []byte{}
	}
	if content != nil {
		_ = os.WriteFile(local, content, 0o644)
	}
	return text
}

// sibling finds a file of that name in or under the source's directory
// (a compose file mounts ./configs/cds.yaml as /var/lib/envoy/cds.yaml).
func sibling(srcPath, name string) []byte {
	var found []byte
	_ = filepath.WalkDir(filepath.Dir(srcPath), func(p string, d os.DirEntry, err error) error {
		if err == nil && found == nil && !d.IsDir() && d.Name() == name {
			found, _ = os.ReadFile(p)
		}
		return nil
	})
	return found
}

func keyPair() ([2][]byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return [2][]byte{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"}, DNSNames: []string{"example.com", "localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return [2][]byte{}, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return [2][]byte{}, err
	}
	return [2][]byte{pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})}, nil
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
	fmt.Fprintf(w, "\n%s\n\n| kind | n | both accept | both reject (same place / Envoy names no field) | false accept | false reject |\n|---|---:|---:|---:|---:|---:|\n", title)
	var t Row
	for _, r := range rows {
		fmt.Fprintf(w, "| %s | %d | %d | %d (%d / %d) | %d | %d |\n", r.Kind, r.N, r.BothAccept, r.BothReject, r.Same, r.NoPath, r.FalseAccept, r.FalseReject)
		t.N, t.BothAccept, t.BothReject, t.Same, t.NoPath = t.N+r.N, t.BothAccept+r.BothAccept, t.BothReject+r.BothReject, t.Same+r.Same, t.NoPath+r.NoPath
		t.FalseAccept, t.FalseReject = t.FalseAccept+r.FalseAccept, t.FalseReject+r.FalseReject
	}
	fmt.Fprintf(w, "| **all %d kinds** | %d | %d | %d (%d / %d) | %d | %d |\n", len(rows), t.N, t.BothAccept, t.BothReject, t.Same, t.NoPath, t.FalseAccept, t.FalseReject)
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
