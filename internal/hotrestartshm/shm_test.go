package hotrestartshm

import (
	"os"
	"path/filepath"
	"testing"
)

func TestShmPathFollowsTheBaseID(t *testing.T) {
	for _, tc := range []struct {
		argv []string
		want string
		ok   bool
	}{
		{[]string{"envoy", "-c", "x"}, "/dev/shm/envoy_shared_memory_0", true},
		{[]string{"envoy", "--base-id", "7"}, "/dev/shm/envoy_shared_memory_70", true},
		{[]string{"envoy", "--base-id=12"}, "/dev/shm/envoy_shared_memory_120", true},
		{[]string{"envoy", "--use-dynamic-base-id"}, "", false},
		{[]string{"envoy", "--base-id", "x"}, "", false},
	} {
		got, ok := Path(tc.argv)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Path(%v) = %q, %v; want %q, %v", tc.argv, got, ok, tc.want, tc.ok)
		}
	}
}

func TestRestoreTouchesOnlyALayoutItKnows(t *testing.T) {
	dir := t.TempDir()
	known := filepath.Join(dir, "known")
	b := make([]byte, Size)
	b[0], b[8], b[FlagsOffset], b[FlagsOffset+1] = Size, Version, 0x3, 0x1
	if err := os.WriteFile(known, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Read(known); err != nil || !s.Known || !s.Initializing {
		t.Fatalf("readShm = %+v, %v", s, err)
	}
	if err := ClearInitializing(known); err != nil {
		t.Fatal(err)
	}
	after, _ := os.ReadFile(known)
	if after[FlagsOffset] != 0x2 || after[FlagsOffset+1] != 0x1 {
		t.Errorf("flags after the restore: % x, want only bit 0 cleared", after[FlagsOffset:])
	}
	other := filepath.Join(dir, "other")
	b[8] = 12 // another hot restart version
	if err := os.WriteFile(other, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, _ := Read(other); !s.Exists || s.Known {
		t.Errorf("a version-12 region read as %+v", s)
	}
	if s, _ := Read(filepath.Join(dir, "none")); s.Exists {
		t.Errorf("a missing region read as existing")
	}
}
