package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// realEnvoy finds the real Envoy as the project's tests do: $ENVOY_BINARY,
// else <repo root>/build/envoy; without one the test skips, except with
// ENVOY_REQUIRED=1 (CI), where it fails.
func realEnvoy(t *testing.T) string {
	t.Helper()
	bin := os.Getenv("ENVOY_BINARY")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "envoy")
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		if os.Getenv("ENVOY_REQUIRED") == "1" {
			t.Fatalf("no Envoy binary at %s (ENVOY_REQUIRED=1): run make envoy or set ENVOY_BINARY", bin)
		}
		t.Skipf("no Envoy binary at %s: run make envoy or set ENVOY_BINARY", bin)
	}
	abs, err := filepath.Abs(bin)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}

// TestCheckEnvoyReportsWhatCheckMisses: a contrib filter is a valid
// go-control-plane type, so check's own rules pass it, but the official
// Envoy build has no contrib extensions; --envoy shows Envoy's rejection in
// its words at the line of the @type it names.
func TestCheckEnvoyReportsWhatCheckMisses(t *testing.T) {
	bin := realEnvoy(t)
	valid := validBootstrap(t)
	dir, broken := writeVariant(t, valid, "    - filters:\n", "    - filters:\n      - name: envoy.filters.network.mysql_proxy\n        typed_config:\n"+
		"          \"@type\": type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy\n          stat_prefix: mysql\n")
	code, out, errOut := runCLI(t, dir, "check", "envoy.yaml")
	if code != 0 {
		t.Fatalf("check alone: exit %d, want 0 (the contrib type is valid to go-control-plane)\n%s%s", code, out, errOut)
	}
	code, out, errOut = runCLI(t, dir, "check", "--envoy="+bin, "envoy.yaml")
	if code != 1 {
		t.Fatalf("check --envoy: exit %d, want 1\n%s%s", code, out, errOut)
	}
	line := 0
	for i, l := range strings.Split(broken, "\n") {
		if strings.Contains(l, "MySQLProxy") {
			line = i + 1
		}
	}
	want := "envoy.yaml:" + strconv.Itoa(line) + ":"
	found := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, want) && strings.Contains(l, "error: envoy --mode validate: Unable to parse JSON as proto (INVALID_ARGUMENT: could not find @type 'type.googleapis.com/envoy.extensions.filters.network.mysql_proxy.v3.MySQLProxy')") {
			found = true
		}
	}
	if !found {
		t.Errorf("no line %q with Envoy's words in:\n%s", want, out)
	}
	// The setting does the same as the flag.
	if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte("validate:\n  envoy_binary: "+bin+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, _ := runCLI(t, dir, "check", "envoy.yaml"); code != 1 || !strings.Contains(out, "MySQLProxy") {
		t.Errorf("validate.envoy_binary: exit %d\n%s", code, out)
	}
}

// TestCheckEnvoyPassesValidBootstrap: a valid bootstrap passes both.
func TestCheckEnvoyPassesValidBootstrap(t *testing.T) {
	bin := realEnvoy(t)
	dir, _ := writeVariant(t, validBootstrap(t), "", "")
	if code, out, errOut := runCLI(t, dir, "check", "--envoy="+bin, "envoy.yaml"); code != 0 {
		t.Errorf("exit %d\n%s%s", code, out, errOut)
	}
}

// TestCheckEnvoyUnavailable: a missing or non-executable Envoy is one line
// on stderr and exit 2, whatever the bootstrap; no Envoy needed.
func TestCheckEnvoyUnavailable(t *testing.T) {
	dir, _ := writeVariant(t, validBootstrap(t), "", "")
	notExec := filepath.Join(dir, "envoy-not-executable")
	if err := os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ arg, want string }{
		{"--envoy=" + filepath.Join(dir, "missing"), "missing: no such file or directory"},
		{"--envoy=" + notExec, "is not an executable file"},
		{"--envoy=" + dir, "is not an executable file"},
	} {
		code, out, errOut := runCLI(t, dir, "check", tc.arg, "envoy.yaml")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], "check --envoy: envoy cannot be run") || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%s: exit %d, stderr %q (stdout %q); want exit 2 and one line saying %q", tc.arg, code, errOut, out, tc.want)
		}
	}
	t.Setenv("PATH", dir)
	if code, _, errOut := runCLI(t, dir, "check", "--envoy", "envoy.yaml"); code != 2 || !strings.Contains(errOut, "no envoy on PATH") {
		t.Errorf("--envoy with no envoy on PATH: exit %d, stderr %q", code, errOut)
	}
}
