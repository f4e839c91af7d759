package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes reloader.yaml in dir listing one Envoy per name,
// each with its bootstrap at NAME/envoy.yaml (bootstraps[name]), a
// pid_file target and admin URL admins[name].
func writeProject(t *testing.T, dir string, names []string, bootstraps, admins map[string]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString("envoys:\n")
	for _, name := range names {
		if err := os.MkdirAll(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "envoy.yaml"), []byte(bootstraps[name]), 0o644); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "- name: %s\n  bootstrap: %s/envoy.yaml\n  target: {pid_file: %s.pid}\n  admin: {url: %q}\n", name, name, name, admins[name])
	}
	if err := os.WriteFile(filepath.Join(dir, "reloader.yaml"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeAdmin answers /server_info as an Envoy of epoch epoch does.
func fakeAdmin(t *testing.T, epoch int) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/server_info" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"state":"LIVE","command_line_options":{"restart_epoch":%d},"version":"x"}`, epoch)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// downAdmin is the URL of an admin that no longer answers.
func downAdmin(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

func TestSeveralEnvoysRestartUnknownName(t *testing.T) {
	valid := validBootstrap(t)
	dir := t.TempDir()
	writeProject(t, dir, []string{"front", "service1", "service2"},
		map[string]string{"front": valid, "service1": valid, "service2": valid},
		map[string]string{"front": downAdmin(t), "service1": downAdmin(t), "service2": downAdmin(t)})
	for _, args := range [][]string{{"restart", "nosuch"}, {"restart", "front", "nosuch"}, {"status", "nosuch"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			code, out, errOut := runCLI(t, dir, args...)
			want := `no Envoy named "nosuch" in reloader.yaml (there are: front, service1, service2)`
			if code != 2 || !strings.Contains(errOut, want) || out != "" {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, want)
			}
		})
	}
}

func TestSeveralEnvoysCheckEveryBootstrap(t *testing.T) {
	valid := validBootstrap(t)
	invalid := strings.Replace(valid, "    connect_timeout: 1s", "    connect_timout: 1s", 1)
	tests := []struct {
		name       string
		bootstraps map[string]string
		code       int
		want       []string
		unwanted   []string
	}{
		// The summary names each file with its own counts.
		{"both valid", map[string]string{"front": valid, "back": valid}, 0,
			[]string{"checked 2 files: 0 errors, 0 warnings\n  " + filepath.Join("front", "envoy.yaml") + ": 0 errors, 0 warnings\n  " +
				filepath.Join("back", "envoy.yaml") + ": 0 errors, 0 warnings\n"}, []string{"error:"}},
		{"one invalid", map[string]string{"front": valid, "back": invalid}, 1,
			[]string{filepath.Join("back", "envoy.yaml") + `:28:5: error: unknown field "connect_timout"`, "checked 2 files: 1 error, 0 warnings\n",
				"  " + filepath.Join("front", "envoy.yaml") + ": 0 errors", "  " + filepath.Join("back", "envoy.yaml") + ": 1 error, 0 warnings"},
			[]string{filepath.Join("front", "envoy.yaml") + ":28"}},
		{"both invalid", map[string]string{"front": invalid, "back": invalid}, 1,
			[]string{filepath.Join("front", "envoy.yaml") + ":28:5: error:", filepath.Join("back", "envoy.yaml") + ":28:5: error:", "checked 2 files: 2 errors",
				"  " + filepath.Join("front", "envoy.yaml") + ": 1 error", "  " + filepath.Join("back", "envoy.yaml") + ": 1 error"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeProject(t, dir, []string{"front", "back"}, tt.bootstraps,
				map[string]string{"front": "http://127.0.0.1:9901", "back": "http://127.0.0.1:9902"})
			code, out, errOut := runCLI(t, dir, "check")
			all := out + errOut
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s", code, tt.code, all)
			}
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("the output lacks %q:\n%s", w, all)
				}
			}
			for _, u := range tt.unwanted {
				if strings.Contains(all, u) {
					t.Errorf("the output has %q:\n%s", u, all)
				}
			}
		})
	}
}

func TestSeveralEnvoysStatus(t *testing.T) {
	valid := validBootstrap(t)
	bootstraps := map[string]string{"front": valid, "service1": valid}
	tests := []struct {
		name   string
		admins map[string]string
		code   int
		// rows are each Envoy's first fields: name, admin, epoch, state.
		rows map[string][]string
	}{
		{"both live", map[string]string{"front": fakeAdmin(t, 3), "service1": fakeAdmin(t, 7)}, 0,
			map[string][]string{"front": {"3", "LIVE"}, "service1": {"7", "LIVE"}}},
		{"one down", map[string]string{"front": fakeAdmin(t, 3), "service1": downAdmin(t)}, 1,
			map[string][]string{"front": {"3", "LIVE"}, "service1": {"-", "unreachable:"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeProject(t, dir, []string{"front", "service1"}, bootstraps, tt.admins)
			code, out, errOut := runCLI(t, dir, "status")
			if code != tt.code {
				t.Errorf("exit %d, want %d:\n%s%s", code, tt.code, out, errOut)
			}
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 3 || !strings.HasPrefix(lines[0], "ENVOY") {
				t.Fatalf("want a header and two rows:\n%s", out)
			}
			left := maps.Clone(tt.rows)
			for _, line := range lines[1:] {
				f := strings.Fields(line)
				want, ok := tt.rows[f[0]]
				if !ok || len(f) < 4 || f[1] != tt.admins[f[0]] || f[2] != want[0] || f[3] != want[1] {
					t.Errorf("row %q, want %s %s %v", line, f[0], tt.admins[f[0]], want)
				}
				delete(left, f[0])
			}
			if len(left) != 0 {
				t.Errorf("no rows for %v:\n%s", left, out)
			}

			// The same as JSON: one object per Envoy.
			code, out, _ = runCLI(t, dir, "status", "--log-format", "json")
			if code != tt.code {
				t.Errorf("json: exit %d, want %d", code, tt.code)
			}
			seen := 0
			for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
				var m map[string]any
				if err := json.Unmarshal([]byte(line), &m); err != nil {
					t.Fatalf("%q: %v", line, err)
				}
				seen++
				name, _ := m["envoy"].(string)
				want, ok := tt.rows[name]
				if !ok || m["event"] != "status" || m["admin_url"] != tt.admins[name] {
					t.Errorf("json: %v", m)
					continue
				}
				if epoch, _ := m["epoch"].(float64); want[1] == "LIVE" && (m["state"] != "LIVE" || fmt.Sprint(epoch) != want[0]) {
					t.Errorf("json: %v, want epoch %s LIVE", m, want[0])
				}
				if _, failed := m["error"]; failed != (want[1] != "LIVE") {
					t.Errorf("json: %v, want an error only when unreachable", m)
				}
			}
			if seen != 2 {
				t.Errorf("json: %d objects, want 2:\n%s", seen, out)
			}
		})
	}
}
