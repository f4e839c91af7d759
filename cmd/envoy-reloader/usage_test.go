package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// Every command's --help shows its boolean flags as --name, the usual Go CLI
// form, never --name[=true|false], and still names every flag.
func TestHelpShowsBooleanFlagsBare(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{{}, {"watch"}, {"check"}, {"restart"}, {"status"}, {"init"}, {"version"}} {
		t.Run(strings.Join(append([]string{"cmd"}, args...), " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, append(args, "--help")...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			// A string flag with an optional value (check --envoy[=PATH])
			// shows that value; a boolean never does.
			if strings.Contains(out, "[=true|false]") || strings.Contains(out, "[=false]") || strings.Contains(out, "[=true]") {
				t.Errorf("a boolean flag shown with [=…]:\n%s", out)
			}
			for _, want := range []string{"  -h, --help ", "  -v, --verbose ", "      --log-format string "} {
				if !strings.Contains(out, want) {
					t.Errorf("no %q in:\n%s", want, out)
				}
			}
		})
	}
}

// flagUsages prints what pflag prints but for the bare boolean flags: the
// same flags, the same order and alignment rules, defaults kept.
func TestFlagUsagesAgreesWithPflagButForBooleans(t *testing.T) {
	fs := pflag.NewFlagSet("x", pflag.ContinueOnError)
	fs.Bool("dry-run", false, "never signal")
	fs.BoolP("yes", "y", true, "a bool that defaults to true")
	fs.String("config", "", "a file")
	fs.Duration("debounce", 0, "a duration")
	tests := []struct{ flag, want string }{
		{"dry-run", `(?m)^      --dry-run +never signal$`},
		{"yes", `(?m)^  -y, --yes +a bool that defaults to true \(default true\)$`},
		{"config", `(?m)^      --config string +a file$`},
		{"debounce", `(?m)^      --debounce duration +a duration$`},
	}
	got := flagUsages(fs)
	for _, tt := range tests {
		if !regexp.MustCompile(tt.want).MatchString(got) {
			t.Errorf("%s: no line matching %s in:\n%s", tt.flag, tt.want, got)
		}
	}
	if strings.Count(got, "\n") != strings.Count(fs.FlagUsages(), "\n") {
		t.Errorf("flagUsages has other lines than pflag's:\n%s\npflag:\n%s", got, fs.FlagUsages())
	}
	// Parsing is untouched: the flag set shown is a copy.
	if err := fs.Parse([]string{"--dry-run", "--yes=false"}); err != nil {
		t.Fatal(err)
	}
	if v, _ := fs.GetBool("dry-run"); !v {
		t.Error("--dry-run alone did not set it")
	}
	if v, _ := fs.GetBool("yes"); v {
		t.Error("--yes=false did not clear it")
	}
}

// The usage template is cobra's with both flag lists replaced; a cobra
// release that renamed them would otherwise bring [=true|false] back.
func TestUsageTemplateReplacesBothFlagLists(t *testing.T) {
	tmpl := newRootCmd().UsageTemplate()
	if strings.Contains(tmpl, ".FlagUsages") || strings.Count(tmpl, "flagUsages .") != 2 {
		t.Fatalf("usage template:\n%s", tmpl)
	}
}

// --version prints exactly what the version command prints.
func TestVersionFlagPrintsTheVersionCommand(t *testing.T) {
	dir := t.TempDir()
	code, cmdOut, _ := runCLI(t, dir, "version")
	flagCode, flagOut, errOut := runCLI(t, dir, "--version")
	if code != 0 || flagCode != 0 || flagOut != cmdOut || !strings.HasPrefix(cmdOut, "envoy-reloader ") || errOut != "" {
		t.Errorf("version: exit %d %q; --version: exit %d %q, stderr %q", code, cmdOut, flagCode, flagOut, errOut)
	}
}
