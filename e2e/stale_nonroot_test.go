package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSingleFileMountRenameSaveIsStaleWithoutRoot: a reloader that may not
// read the container's root (/proc/<pid>/root of a root process) falls back
// to the host file's evidence: a single-file mount whose file was replaced
// after the container started is stale all the same, and not signalled.
func TestSingleFileMountRenameSaveIsStaleWithoutRoot(t *testing.T) {
	onEachEnvoy(t, func(t *testing.T) {
		requireDocker(t)
		if os.Getuid() != 0 {
			t.Skip("needs root, to run the reloader as another user")
		}
		dir := t.TempDir()
		writeFile(t, filepath.Join(dir, "envoy.yaml"), httpConfig("v1\n", ""))
		c := runMounted(t, dir, []string{filepath.Join(dir, "envoy.yaml") + ":/etc/envoy/envoy.yaml"}, nil, false)
		// The user nobody reaches the Engine through a socket of this test's
		// own, and reads the test's directories and the reloader binary.
		proxy := newDockerProxy(t)
		for _, p := range []string{proxy.path, filepath.Dir(proxy.path), dir, filepath.Dir(dir), filepath.Dir(reloaderBin)} {
			if err := os.Chmod(p, 0o777); err != nil {
				t.Fatal(err)
			}
		}
		asNobody := func(cmd *exec.Cmd) {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
		}
		r := startReloaderPrepared(t, dir, "target:\n  container: "+c.name+"\n", c.adminPort, asNobody, "DOCKER_HOST="+proxy.host(), "HOME=/")
		saved := httpConfig("v2\n", "")
		saveRenaming(t, c.config, saved)
		ev := r.wait(t, "reload")
		assertStale(t, c, ev, saved, "v1\n", c.config+":/etc/envoy/envoy.yaml")
		if msg := ev["error"].(string); strings.Contains(msg, "mount namespace") {
			t.Fatalf("nobody read the container's root: %s", msg)
		}
		t.Log(ev["error"])
	})
}
