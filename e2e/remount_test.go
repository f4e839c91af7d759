package e2e

import (
	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"

	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestRecreatedContainerWithANewMountIsFollowed: the container is recreated
// (as `docker compose up` does after a volume is edited) with another host
// directory where the bootstrap's certificate is. The reloader maps the
// certificate anew and watches it there: a save of the new file reloads
// Envoy. Before, the mounts were read once at start and the save went
// unnoticed.
func TestRecreatedContainerWithANewMountIsFollowed(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		dir := t.TempDir()
		certsA, certsB := filepath.Join(dir, "certs-a"), filepath.Join(dir, "certs-b")
		for _, d := range []string{certsA, certsB} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			writeFile(t, filepath.Join(d, "ca.pem"), envoytest.CertPEM(filepath.Base(d)))
		}
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", "/etc/certs/ca.pem"))
		c := runMounted(t, dir, []string{dir + ":/etc/envoy", certsA + ":/etc/certs"}, nil, false)
		r := startReloader(t, c, "")

		docker(t, "rm", "-f", c.name)
		args := append([]string{"run", "-d", "--name", c.name}, ownLabels(t)...)
		args = append(args, "-p", fmt.Sprintf("127.0.0.1:%d:9901", c.adminPort), "-p", fmt.Sprintf("127.0.0.1:%d:10000", c.listenerPort),
			"-v", dir+":/etc/envoy", "-v", certsB+":/etc/certs", imageOf(t))
		docker(t, args...)
		c.waitEpoch(t, 0)
		if n := r.wait(t, "remapped"); !strings.Contains(n["message"].(string), "1 referenced file") {
			t.Fatalf("remapped: %v", n)
		}

		newCA := filepath.Join(certsB, "ca.pem")
		writeFile(t, newCA, envoytest.CertPEM("renewed"))
		ev := r.wait(t, "reload")
		var files []string
		for _, f := range ev["files"].([]any) {
			files = append(files, f.(string))
		}
		if ev["result"] != "ok" || num(ev, "epoch") != 1 || !slices.Contains(files, newCA) {
			t.Fatalf("the save of the newly mounted certificate: %v", ev)
		}
	})
}
