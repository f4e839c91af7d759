package bootstrap

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
)

// envoyCase is one start-up rule's case: want is check's error ("" for a
// config Envoy accepts) at line, envoy a part of the 1.40.0 binary's own
// message (want when empty; "skip": a case check accepts on purpose and
// Envoy does not, which is not run through Envoy). @DIR@ in the document is a directory holding
// cert.pem and key.pem (a matching pair), as a user's machine has them.
type envoyCase struct {
	name, yaml, want string
	line             int
	envoy            string
}

// ruleAdmin ends every case's document: the admin check wants an address.
const ruleAdmin = "admin: {address: {socket_address: {address: 127.0.0.1, port_value: 0}}}\n"

// runEnvoyCases loads each case with check and, where a real Envoy is
// installed ($ENVOY_BINARY, else build/envoy), runs `envoy --mode validate`
// on the same document: the tables are the binary's verdicts, and this
// keeps them so.
func runEnvoyCases(t *testing.T, cases []envoyCase) {
	t.Helper()
	bin := os.Getenv("ENVOY_BINARY")
	if bin == "" {
		bin = filepath.Join("..", "..", "build", "envoy")
	}
	if _, err := os.Stat(bin); err != nil {
		bin = ""
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "cert.pem"), []byte(envoytest.CertPEM("rules")), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "key.pem"), []byte(envoytest.KeyPEM()), 0o644); err != nil {
				t.Fatal(err)
			}
			doc := strings.ReplaceAll(tc.yaml, "@DIR@", dir) + "\n" + ruleAdmin
			path := filepath.Join(dir, "envoy.yaml")
			if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
				t.Fatal(err)
			}
			res := Load(path, []byte(doc), Options{})
			var errs []Diagnostic
			found := false
			for _, d := range res.Diagnostics {
				if d.Severity == SeverityError {
					errs = append(errs, d)
					found = found || d.Message == tc.want && d.Line == tc.line
				}
			}
			switch {
			case tc.want == "" && len(errs) > 0:
				t.Errorf("Envoy accepts it; check says %v", errs)
			case tc.want != "" && !found:
				t.Errorf("check says %v; want %q at line %d", errs, tc.want, tc.line)
			}
			if bin == "" || tc.envoy == "skip" {
				return // no Envoy, or a case check accepts on purpose
			}
			cmd := exec.Command(bin, "--mode", "validate", "-c", path, "-l", "critical", "--service-node", "n", "--service-cluster", "c")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			err := cmd.Run()
			envoy := tc.envoy
			if envoy == "" {
				envoy = tc.want
			}
			flat := strings.Join(strings.Fields(out.String()), " ")
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("the real Envoy refuses it: %s", flat)
			case tc.want != "" && err == nil:
				t.Errorf("the real Envoy accepts it")
			case tc.want != "" && !strings.Contains(flat, envoy):
				t.Errorf("the real Envoy says %s; want %q in it", flat, envoy)
			}
		})
	}
}
