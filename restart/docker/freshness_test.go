package docker

import (
	"crypto/sha256"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// fakeContainer is a project directory on the "host" and a container root
// whose /etc/envoy is what a bind mount shows the container.
type fakeContainer struct {
	host, root string
}

func newFake(t *testing.T) fakeContainer {
	t.Helper()
	f := fakeContainer{host: t.TempDir(), root: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(f.root, "etc/envoy"), 0o755); err != nil {
		t.Fatal(err)
	}
	return f
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// renameSave saves as vim does by default: a new file renamed over the old.
func renameSave(t *testing.T, path, content string) {
	t.Helper()
	write(t, path+".new", content)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
}

func want(host, content string) restart.WantFile {
	return restart.WantFile{HostPath: host, EnvoyPath: "/etc/envoy/envoy.yaml", Digest: sha256.Sum256([]byte(content)), Bootstrap: true}
}

func TestFreshnessDirectRead(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	inContainer := filepath.Join(f.root, "etc/envoy/envoy.yaml")
	mounts := []bindMount{{Source: host, Destination: "/etc/envoy/envoy.yaml"}}
	write(t, host, "v2")
	fr := &freshness{target: "container c", mounts: mounts, procRoot: f.root}

	write(t, inContainer, "v2")
	if v := fr.check(want(host, "v2")); v.stale != nil || v.unverified != "" {
		t.Fatalf("same bytes in the container: %+v", v)
	}
	write(t, inContainer, "v1") // the mount kept the old inode
	v := fr.check(want(host, "v2"))
	if v.stale == nil || !errors.Is(v.stale, restart.ErrStale) {
		t.Fatalf("old bytes in the container: %+v", v)
	}
	for _, s := range []string{host + ":/etc/envoy/envoy.yaml", "-v ./envoy:/etc/envoy", "--force-recreate", "docker rm -f"} {
		if !strings.Contains(v.stale.Error(), s) {
			t.Errorf("the message lacks %q: %s", s, v.stale)
		}
	}
	// A newer save reached the container after validation: not stale (the
	// check that the file is unchanged since validation stops that signal).
	write(t, host, "v3")
	write(t, inContainer, "v3")
	if v := fr.check(want(host, "v2")); v.stale != nil {
		t.Fatalf("a newer save is not stale: %v", v.stale)
	}
}

func TestFreshnessDirectReadNotMounted(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v2")
	write(t, filepath.Join(f.root, "etc/envoy/envoy.yaml"), "v1") // docker cp'd in
	v := (&freshness{target: "container c", procRoot: f.root}).check(want(host, "v2"))
	if v.stale == nil || v.stale.Mount != "" || !strings.Contains(v.stale.Error(), "not mounted from "+host) {
		t.Fatalf("a copied-in bootstrap: %+v", v)
	}
}

// TestFreshnessInode: where the container's root cannot be read, a
// single-file mount whose host file has another inode than when the
// instance was first seen is stale; an in-place save is not.
func TestFreshnessInode(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v1")
	mounts := []bindMount{{Source: host, Destination: "/etc/envoy/envoy.yaml"}}
	// procRoot "": as for a user who may not read /proc/<pid>/root.
	fr := &freshness{target: "container c", mounts: mounts, seen: recordInodes(mounts)}

	write(t, host, "v2") // in place: same inode
	if v := fr.check(want(host, "v2")); v.stale != nil || v.unverified != "" {
		t.Fatalf("in-place save: %+v", v)
	}
	renameSave(t, host, "v3")
	v := fr.check(want(host, "v3"))
	if v.stale == nil || v.stale.Mount != host+":/etc/envoy/envoy.yaml" || !strings.Contains(v.stale.Evidence, "inode") {
		t.Fatalf("rename save: %+v", v)
	}
	// Unknown Engine (Docker Desktop, a remote host): no inode verdict.
	if v := (&freshness{target: "container c", mounts: mounts}).check(want(host, "v3")); v.stale != nil || v.unverified == "" {
		t.Fatalf("without local evidence the check must say it could not verify: %+v", v)
	}
}

func TestFreshnessDirectoryMount(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v1")
	mounts := []bindMount{{Source: f.host, Destination: "/etc/envoy"}}
	fr := &freshness{target: "container c", mounts: mounts, seen: recordInodes(mounts)}
	renameSave(t, host, "v2")
	if v := fr.check(restart.WantFile{HostPath: host, Digest: sha256.Sum256([]byte("v2"))}); v.stale != nil || v.unverified != "" {
		t.Fatalf("a directory mount follows renames: %+v", v)
	}
}

func TestEnvoyPathOf(t *testing.T) {
	mounts := []bindMount{{Source: "/p", Destination: "/etc/envoy"}, {Source: "/p/certs/a.pem", Destination: "/certs/a.pem"}}
	for host, wantPath := range map[string]string{"/p/envoy.yaml": "/etc/envoy/envoy.yaml", "/p/certs/a.pem": "/certs/a.pem", "/q/x": ""} {
		got, _, _ := envoyPathOf(mounts, host)
		if got != wantPath {
			t.Errorf("envoyPathOf(%s) = %q, want %q", host, got, wantPath)
		}
	}
}

// TestLocalInit: this test's own process stands for a container's init.
func TestLocalInit(t *testing.T) {
	if _, err := os.Stat("/proc/self/cmdline"); err != nil {
		t.Skip("no /proc here")
	}
	self := container.InspectResponse{ContainerJSONBase: &container.ContainerJSONBase{Path: os.Args[0], State: &container.State{Pid: os.Getpid()}}}
	if !localInit(self) {
		t.Fatal("this process is visible here")
	}
	self.Path = "/usr/local/bin/something-else"
	self.ID = "0123456789ab"
	if localInit(self) {
		t.Fatal("a process that is not the container's init must not count")
	}
}

// TestFreshnessAbsoluteSymlinkResolvesInTheContainer: a bootstrap that is
// an absolute symlink inside the container is read where the container
// resolves it, not on this machine's root.
func TestFreshnessAbsoluteSymlinkResolvesInTheContainer(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v2")
	write(t, filepath.Join(f.root, "etc/envoy/real.yaml"), "v2")
	if err := os.Symlink("/etc/envoy/real.yaml", filepath.Join(f.root, "etc/envoy/envoy.yaml")); err != nil {
		t.Fatal(err)
	}
	fr := &freshness{target: "container c", mounts: []bindMount{{Source: f.host, Destination: "/etc/envoy"}}, procRoot: f.root}
	if v := fr.check(want(host, "v2")); v.stale != nil || v.unverified != "" {
		t.Fatalf("the symlink must resolve inside the container's root: %+v", v)
	}
}

// TestFreshnessBirthTime: a single-file mount's host file created after
// the container started is stale even with no record of the old inode (a
// one-shot restart after a rename save); one created before is not.
func TestFreshnessBirthTime(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v1")
	if _, ok := birthTime(host); !ok {
		t.Skip("this file system does not record birth times")
	}
	mounts := []bindMount{{Source: host, Destination: "/etc/envoy/envoy.yaml"}}
	started, _ := birthTime(host)
	fr := &freshness{target: "container c", mounts: mounts, seen: map[string]fileID{}, started: started}
	if v := fr.check(want(host, "v1")); v.stale != nil {
		t.Fatalf("a file as old as the container: %v", v.stale)
	}
	// File times come from the kernel's coarse clock, which ticks every few
	// milliseconds; there is no event to wait for.
	time.Sleep(20 * time.Millisecond)
	renameSave(t, host, "v2")
	v := fr.check(want(host, "v2"))
	if v.stale == nil || !strings.Contains(v.stale.Evidence, "after the container started") {
		t.Fatalf("a file created after the container started: %+v", v)
	}
}

// TestFreshnessImageFilesAreNotChecked: a referenced file that is not
// mounted from here (a CA bundle at the same path in the image and here)
// is not what the user saves: never stale.
func TestFreshnessImageFilesAreNotChecked(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "ca.pem")
	write(t, host, "this machine's bundle")
	if err := os.MkdirAll(filepath.Join(f.root, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(f.root, "certs/ca.pem"), "the image's bundle")
	fr := &freshness{target: "container c", mounts: []bindMount{{Source: f.host + "/other", Destination: "/etc/envoy"}}, procRoot: f.root}
	if v := fr.check(restart.WantFile{HostPath: host, EnvoyPath: "/certs/ca.pem", Digest: sha256.Sum256([]byte("this machine's bundle"))}); v.stale != nil || v.unverified != "" {
		t.Fatalf("a file of the image: %+v", v)
	}
}

// An Engine that names a mount's source in its own file system (Docker
// Desktop's WSL2 integration, a remote Engine) proves nothing about a path
// that differs from ours: could not verify, never stale. Where the source
// is a path here, another file mounted in the bootstrap's place is stale.
func TestFreshnessForeignMountSourceIsNotStale(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v1")
	foreign := []bindMount{{Source: "/run/desktop/mnt/host/wsl/docker-desktop-bind-mounts/Ubuntu/0123abcd", Destination: "/etc/envoy/envoy.yaml"}}
	if v := (&freshness{target: "container c", mounts: foreign}).check(want(host, "v1")); v.stale != nil || v.unverified == "" {
		t.Fatalf("a source that is not a path here: %+v", v)
	}
	other := filepath.Join(f.host, "other.yaml")
	write(t, other, "v0")
	local := []bindMount{{Source: other, Destination: "/etc/envoy/envoy.yaml"}}
	if v := (&freshness{target: "container c", mounts: local}).check(want(host, "v1")); v.stale == nil || !strings.Contains(v.stale.Error(), other) {
		t.Fatalf("another file of this machine mounted in its place: %+v", v)
	}
}

// A directory mount whose file differs between the container's read and
// the host's (a save landing in between) is not left behind by any rename:
// could not verify, not stale.
func TestFreshnessDirectoryMountChangingUnderTheCheck(t *testing.T) {
	f := newFake(t)
	host := filepath.Join(f.host, "envoy.yaml")
	write(t, host, "v3") // the host file moved on after both reads' moment
	write(t, filepath.Join(f.root, "etc/envoy/envoy.yaml"), "v1")
	mounts := []bindMount{{Source: f.host, Destination: "/etc/envoy"}}
	v := (&freshness{target: "container c", mounts: mounts, procRoot: f.root}).check(want(host, "v2"))
	if v.stale != nil || v.unverified == "" {
		t.Fatalf("a directory mount changing under the check: %+v", v)
	}
}
