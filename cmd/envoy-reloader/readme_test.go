package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/envoy-reloader/envoy-reloader/config"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// The runnable blocks of the README and of docs/*.md, so that they cannot
// drift from the code. A
// fenced block right after a line
//
//	<!-- runnable -->                 is run: a transcript when its lines
//	                                  start with "$ " (each command, then its
//	                                  exact output), else one command a line;
//	<!-- runnable: reloader.yaml -->  must load as a reloader.yaml;
//	<!-- runnable: compose -->        is a Compose service that runs Envoy as
//	                                  the example stack does (entrypoint and
//	                                  command), its config mounted as a
//	                                  directory.
//
// Commands run in a directory holding git's copy of the files the quick
// start invites editing (reloader.yaml, examples/compose), never the working
// copies. `envoy-reloader …` runs in this process (no build), `make T` is
// checked with `make -n T` (make dev starts Docker, make test runs for
// minutes), anything else with bash. A command ends with status 0 unless it
// says "# exit N". In expected output, "…" stands for any text, and a line
// of "…" alone for any lines.

type readmeBlock struct {
	file string // README.md or docs/….md
	line int    // the fence's line in it
	kind string // "" (commands) or "reloader.yaml"
	body []string
}

func readmeBlocks(t *testing.T, root, name string) []readmeBlock {
	t.Helper()
	file := filepath.Join(root, name)
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	marker := regexp.MustCompile(`^<!-- runnable(?:: (\S+))? -->$`)
	var blocks []readmeBlock
	var cur *readmeBlock
	pending := ""
	armed := false
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && strings.HasPrefix(line, "```"):
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, line)
		case armed && strings.HasPrefix(line, "```"):
			cur, armed = &readmeBlock{file: name, line: n, kind: pending}, false
		case armed:
			t.Fatalf("%s:%d: a runnable marker must be followed by a fenced block", file, n)
		default:
			if m := marker.FindStringSubmatch(line); m != nil {
				pending, armed = m[1], true
			}
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if cur != nil || armed {
		t.Fatalf("%s: a runnable block is not closed", file)
	}
	return blocks
}

// readmeStep is one command of a block and what it must print.
type readmeStep struct {
	line    int
	command string
	exit    int
	output  []string // nil: not compared
}

var exitComment = regexp.MustCompile(`\s+#\s*exit (\d+)\s*$`)

func readmeSteps(t *testing.T, b readmeBlock) []readmeStep {
	t.Helper()
	transcript := false
	for _, l := range b.body {
		transcript = transcript || strings.HasPrefix(l, "$ ")
	}
	var steps []readmeStep
	for i, l := range b.body {
		n := b.line + 1 + i
		if transcript {
			if strings.HasPrefix(l, "$ ") {
				steps = append(steps, readmeStep{line: n, command: l[2:], output: []string{}})
			} else if len(steps) == 0 {
				t.Fatalf("%s:%d: output before the first command", b.file, n)
			} else {
				steps[len(steps)-1].output = append(steps[len(steps)-1].output, l)
			}
			continue
		}
		if strings.TrimSpace(l) != "" {
			steps = append(steps, readmeStep{line: n, command: l})
		}
	}
	for i := range steps {
		s := &steps[i]
		if m := exitComment.FindStringSubmatch(s.command); m != nil {
			s.exit, _ = strconv.Atoi(m[1])
		}
		if c := strings.Index(s.command, " #"); c >= 0 {
			s.command = s.command[:c]
		}
		s.command = strings.TrimSpace(s.command)
	}
	return steps
}

// outputPattern matches an output against lines where "…" is any text and
// a line of "…" any lines.
func outputPattern(lines []string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString(`\A`)
	for _, l := range lines {
		if l == "…" {
			b.WriteString(`(?:.*\n)*?`)
			continue
		}
		parts := strings.Split(l, "…")
		for i, p := range parts {
			if i > 0 {
				b.WriteString(`.*`)
			}
			b.WriteString(regexp.QuoteMeta(p))
		}
		b.WriteString(`\n`)
	}
	b.WriteString(`\z`)
	return regexp.MustCompile(b.String())
}

// shellWords splits a command line on blanks, with '…' and "…" quoting.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote := false, rune(0)
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, in = r, true
		case r == ' ' || r == '\t':
			if in {
				words, cur, in = append(words, cur.String()), strings.Builder{}, false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func runReadmeStep(t *testing.T, root, dir string, s readmeStep) (int, string) {
	t.Helper()
	words := shellWords(s.command)
	switch {
	case len(words) > 0 && words[0] == "envoy-reloader":
		code, out, errOut := runCLI(t, dir, words[1:]...)
		return code, out + errOut
	case len(words) > 1 && words[0] == "make":
		cmd := exec.Command("make", append([]string{"-n", "-C", root}, words[1:]...)...)
		out, err := cmd.CombinedOutput()
		return exitCode(t, err), string(out)
	default:
		cmd := exec.Command("bash", "-c", s.command)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		return exitCode(t, err), string(out)
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	t.Fatal(err)
	return -1
}

func TestReadmeRunnableBlocks(t *testing.T) {
	root := envoytest.RepoRoot(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make: the README's make commands cannot be checked")
	}
	blocks := readmeBlocks(t, root, "README.md")
	docs, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	for _, d := range docs {
		blocks = append(blocks, readmeBlocks(t, root, filepath.Join("docs", filepath.Base(d)))...)
	}
	var made []string
	for _, b := range blocks {
		t.Run(fmt.Sprintf("%s:%d", b.file, b.line), func(t *testing.T) {
			switch b.kind {
			case "reloader.yaml":
				dir := t.TempDir()
				file := filepath.Join(dir, "reloader.yaml")
				if err := os.WriteFile(file, []byte(strings.Join(b.body, "\n")+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if _, err := config.Load(config.Options{File: file}); err != nil {
					t.Errorf("%s:%d: the reloader.yaml does not load: %v", b.file, b.line, err)
				}
				return
			case "compose":
				checkComposeSnippet(t, b)
				return
			case "":
			default:
				t.Fatalf("%s:%d: unknown runnable kind %q", b.file, b.line, b.kind)
			}
			// One directory for the whole block: a step may use what an
			// earlier one wrote.
			dir := envoytest.PristineTree(t, envoytest.UserEditable...)
			for _, s := range readmeSteps(t, b) {
				if w := shellWords(s.command); len(w) > 1 && w[0] == "make" {
					made = append(made, w[1:]...)
				}
				code, out := runReadmeStep(t, root, dir, s)
				if code != s.exit {
					t.Errorf("%s:%d: %s: exit %d, want %d\n%s", b.file, s.line, s.command, code, s.exit, out)
					continue
				}
				if s.output != nil && !outputPattern(s.output).MatchString(out) {
					t.Errorf("%s:%d: %s prints\n%s\nthe page shows\n%s", b.file, s.line, s.command, out, strings.Join(s.output, "\n"))
				}
			}
		})
	}
	// The quick start's two commands are among those checked.
	for _, want := range []string{"dev", "test"} {
		if !strings.Contains(" "+strings.Join(made, " ")+" ", " "+want+" ") {
			t.Errorf("make %s is in no runnable block of the README (checked: %v)", want, made)
		}
	}
}

// Every `make TARGET` the README and the docs name is a target of the
// Makefile.
func TestReadmeMakeTargetsExist(t *testing.T) {
	root := envoytest.RepoRoot(t)
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	ref := regexp.MustCompile("(?m)(?:`|^)make ([a-z][a-z-]*)")
	targets := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllSubmatch(b, -1) {
			targets[string(m[1])] = filepath.Base(f)
		}
	}
	if len(targets) < 5 {
		t.Fatalf("only %d make targets named: %v", len(targets), targets)
	}
	for target, where := range targets {
		var out bytes.Buffer
		cmd := exec.Command("make", "-n", "-C", root, target)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			t.Errorf("%s names `make %s`: make -n %s: %v\n%s", where, target, target, err, out.String())
		}
	}
}

// Every relative link of the README and the docs leads to a file.
func TestReadmeLinksExist(t *testing.T) {
	root := envoytest.RepoRoot(t)
	files, _ := filepath.Glob(filepath.Join(root, "docs", "*.md"))
	files = append(files, filepath.Join(root, "README.md"))
	link := regexp.MustCompile(`\]\(([^)#:]+)(?:#[^)]*)?\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range link.FindAllSubmatch(b, -1) {
			target := filepath.Join(filepath.Dir(f), string(m[1]))
			if _, err := os.Stat(target); err != nil {
				t.Errorf("%s links to %s, which does not exist", filepath.Base(f), m[1])
			}
		}
	}
}

type composeFile struct {
	Services map[string]struct {
		Entrypoint []string `yaml:"entrypoint"`
		Command    []string `yaml:"command"`
		Volumes    []string `yaml:"volumes"`
	} `yaml:"services"`
}

// checkComposeSnippet: the README's Compose service starts Envoy exactly as
// the example stack's envoy service does (git's copy), and mounts a
// directory, never the bootstrap file alone, at /etc/envoy.
func checkComposeSnippet(t *testing.T, b readmeBlock) {
	t.Helper()
	var snippet, example composeFile
	if err := yaml.Unmarshal([]byte(strings.Join(b.body, "\n")), &snippet); err != nil {
		t.Fatalf("%s:%d: %v", b.file, b.line, err)
	}
	if err := yaml.Unmarshal(envoytest.Pristine(t, "examples/compose/docker-compose.yaml"), &example); err != nil {
		t.Fatal(err)
	}
	got, want := snippet.Services["envoy"], example.Services["envoy"]
	if strings.Join(got.Entrypoint, " ") != strings.Join(want.Entrypoint, " ") || strings.Join(got.Command, " ") != strings.Join(want.Command, " ") {
		t.Errorf("%s:%d: the envoy service runs\n%q %q\nthe example stack\n%q %q", b.file, b.line, got.Entrypoint, got.Command, want.Entrypoint, want.Command)
	}
	mounted := false
	for _, v := range got.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 && parts[1] == "/etc/envoy" {
			mounted = !strings.HasSuffix(parts[0], ".yaml")
		}
	}
	if !mounted {
		t.Errorf("%s:%d: no directory is mounted at /etc/envoy: %q", b.file, b.line, got.Volumes)
	}
}
