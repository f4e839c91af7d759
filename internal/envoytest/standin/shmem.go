package standin

import (
	"encoding/binary"
	"fmt"
	"os"
)

// Envoy's hot-restart shared memory, laid out as Envoy 1.40 lays it
// (source/server/hot_restart_impl.h, struct SharedMemory: size_, version_,
// two pthread mutexes, flags_), so that envoy-hot-restarter reads and
// restores the stand-in's exactly as a real Envoy's.
const (
	shmSize          = 104
	shmVersion       = 11
	shmFlagsOffset   = 96
	flagInitializing = 0x1
)

// shmDir is where shm_open puts its files.
const shmDir = "/dev/shm"

func shmPath(baseID uint) string {
	return fmt.Sprintf("%s/envoy_shared_memory_%d", shmDir, baseID*10)
}

// attachShm is attachSharedMemory (source/server/hot_restart_impl.cc):
// epoch 0 makes the region anew; a later epoch refuses to start while the
// region says another is still initializing, and otherwise marks itself
// so. Nothing but drainParentListeners clears the mark, so an epoch that
// dies before its workers start leaves it set for every later one
// (envoyproxy/envoy#33446). The error is the bare line Envoy prints.
func attachShm(baseID, epoch uint) error {
	path := shmPath(baseID)
	if epoch == 0 {
		_ = os.Remove(path)
		b := make([]byte, shmSize)
		binary.LittleEndian.PutUint64(b[0:], shmSize)
		binary.LittleEndian.PutUint64(b[8:], shmVersion)
		binary.LittleEndian.PutUint64(b[shmFlagsOffset:], flagInitializing)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return fmt.Errorf("cannot open shared memory region %s check user permissions. Error: %v", path, err)
		}
		return nil
	}
	flags, err := readShmFlags(path)
	if err != nil {
		return err
	}
	if flags&flagInitializing != 0 {
		return fmt.Errorf("previous envoy process is still initializing")
	}
	return writeShmFlags(path, flags|flagInitializing)
}

// clearInitializing is what drainParentListeners does to the region.
func clearInitializing(baseID uint) {
	path := shmPath(baseID)
	if flags, err := readShmFlags(path); err == nil {
		_ = writeShmFlags(path, flags&^flagInitializing)
	}
}

func readShmFlags(path string) (uint64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("cannot open shared memory region %s check user permissions. Error: %v", path, err)
	}
	if len(b) != shmSize || binary.LittleEndian.Uint64(b[8:]) != shmVersion {
		//lint:ignore ST1005 Envoy's own words
		return 0, fmt.Errorf("Hot restart version mismatch")
	}
	return binary.LittleEndian.Uint64(b[shmFlagsOffset:]), nil
}

func writeShmFlags(path string, flags uint64) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], flags)
	_, err = f.WriteAt(b[:], shmFlagsOffset)
	return err
}

// shmInitializing reads the mark for /server_info.
func shmInitializing(baseID uint) bool {
	flags, err := readShmFlags(shmPath(baseID))
	return err == nil && flags&flagInitializing != 0
}
