package restart

import (
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// TestLoadedElsewhereIsStale: Envoy runs -c on another file than the
// watched one; the new epoch is LIVE, but /server_info's config_path shows
// it does not run the saved file, and the event names both.
func TestLoadedElsewhereIsStale(t *testing.T) {
	e := startLocalEnvoy(t)
	watched := filepath.Join(t.TempDir(), "envoy.yaml")
	writeFile(t, watched, envoytest.Config(e.adminPort, "edited", e.listenerPort))
	h := &HotRestart{Target: &pidTarget{PID: e.restarter.PID()}, Signal: syscall.SIGHUP, Confirmer: e.confirmer()}
	out, err := reloadFile(t, h, watched)
	if !errors.Is(err, ErrStale) || out.Epoch == nil || !strings.Contains(err.Error(), e.config) || !strings.Contains(err.Error(), watched) {
		t.Fatalf("reload: %+v, %v", out, err)
	}
}

// TestConfigYAMLOverlayIsNotADifference: Envoy started with --config-yaml
// runs the file merged with it; the proof merges it too and confirms.
func TestConfigYAMLOverlayIsNotADifference(t *testing.T) {
	e := startLocalEnvoy(t, "--config-yaml", "stats_flush_interval: 7s")
	h := &HotRestart{Target: &pidTarget{PID: e.restarter.PID()}, Signal: syscall.SIGHUP, Confirmer: e.confirmer()}
	writeFile(t, e.config, envoytest.Config(e.adminPort, "edited", e.listenerPort))
	out, err := reloadFile(t, h, e.config)
	if err != nil || out.Loaded == 0 || len(out.Warnings) != 0 {
		t.Fatalf("reload: %+v, %v", out, err)
	}
}

func load(t *testing.T, text string) *bootstrap.Result {
	t.Helper()
	res := bootstrap.Load("envoy.yaml", []byte(text), bootstrap.Options{})
	if !res.Valid() {
		t.Fatalf("invalid: %v", res.Diagnostics)
	}
	return res
}

// TestLoadedDiff: what Envoy fills in (node), merges (--config-yaml) and
// redacts is not a difference; a changed body is, named by its field.
func TestLoadedDiff(t *testing.T) {
	saved := load(t, envoytest.HTTPConfig(9901, "v2", 10000, "")).Bootstrap
	// As /config_dump shows it: the private key redacted (Envoy's
	// MessageUtil::redact), the node filled in from flags.
	redactedKey := strings.Replace(envoytest.HTTPConfig(9901, "v2", 10000, ""),
		"private_key: {inline_string: "+envoytest.PrivateKeyYAML()+"}", `private_key: {inline_string: "[redacted]"}`, 1)
	if !strings.Contains(redactedKey, "[redacted]") {
		t.Fatal("the test config has no private key to redact")
	}
	loaded := load(t, redactedKey+"node: {id: from-flags, user_agent_name: envoy}\nstats_flush_interval: 7s\n").Bootstrap
	overlay := load(t, "stats_flush_interval: 7s\n").Bootstrap
	if d := LoadedDiff(saved, loaded, overlay); len(d) != 0 {
		t.Fatalf("node, overlay and redaction aside, they are equal; got %v", d)
	}
	if d := LoadedDiff(saved, loaded, nil); len(d) != 1 || d[0] != "stats_flush_interval" {
		t.Fatalf("without the overlay: %v", d)
	}
	old := load(t, envoytest.HTTPConfig(9901, "v1", 10000, "")+"stats_flush_interval: 7s\n").Bootstrap
	d := LoadedDiff(saved, old, overlay)
	if len(d) != 1 || !strings.HasPrefix(d[0], "static_resources.listeners[0].filter_chains[0].filters[0].typed_config.route_config") {
		t.Fatalf("another body: %v", d)
	}
}

// Envoy clears the non-string fields inside a sensitive field when it
// prints a config (MessageUtil::redact): a saved
// private key with watched_directory set must still compare equal, however
// Envoy redacts (found by review: every such reload was called stale).
func TestLoadedDiffIgnoresSensitiveFieldsWhole(t *testing.T) {
	withKey := `admin: {address: {socket_address: {address: 127.0.0.1, port_value: 9901}}}
static_resources:
  secrets:
  - name: server
    tls_certificate:
      certificate_chain: {inline_string: "cert"}
      private_key: {inline_string: "secret", watched_directory: {path: /etc/envoy/certs}}
`
	saved := load(t, withKey).Bootstrap
	loaded := load(t, strings.Replace(withKey, `inline_string: "secret", watched_directory: {path: /etc/envoy/certs}`, `inline_string: "[redacted]"`, 1)).Bootstrap
	if d := LoadedDiff(saved, loaded, nil); len(d) != 0 {
		t.Fatalf("a redacted private key whose other fields Envoy cleared: %v", d)
	}
	other := load(t, strings.Replace(withKey, `inline_string: "cert"`, `inline_string: "other"`, 1)).Bootstrap
	if d := LoadedDiff(saved, other, nil); len(d) != 1 {
		t.Fatalf("a certificate chain (not sensitive) that differs: %v", d)
	}
}
