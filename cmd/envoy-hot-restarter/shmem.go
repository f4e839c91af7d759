package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Envoy's hot-restart shared memory, as Envoy 1.40 lays it out
// (source/server/hot_restart_impl.h, struct SharedMemory; measured on the
// release binary): size_ and version_ as uint64, two pthread mutexes, then
// flags_. Hot restart version 11.104 names this layout.
const (
	shmSize          = 104
	shmVersion       = 11
	shmFlagsOffset   = 96
	flagInitializing = 0x1
)

// shmDir is where shm_open puts its files; a variable for tests.
var shmDir = "/dev/shm"

// shmPath is the shared memory of the Envoy that argv runs: Envoy names it
// after ten times its --base-id (source/server/hot_restart_impl.cc,
// attachSharedMemory). With --use-dynamic-base-id the name is not known
// here, and ok is false.
func shmPath(argv []string) (path string, ok bool) {
	baseID := 0
	for i := 0; i < len(argv); i++ {
		arg := argv[i]
		switch {
		case arg == "--use-dynamic-base-id", arg == "--disable-hot-restart":
			return "", false
		case arg == "--base-id" && i+1 < len(argv):
			i++
			arg = "--base-id=" + argv[i]
			fallthrough
		case strings.HasPrefix(arg, "--base-id="):
			n, err := strconv.Atoi(strings.TrimPrefix(arg, "--base-id="))
			if err != nil || n < 0 {
				return "", false
			}
			baseID = n
		}
	}
	return fmt.Sprintf("%s/envoy_shared_memory_%d", shmDir, baseID*10), true
}

// shmState is what the shared memory says of the Envoy processes sharing it.
type shmState struct {
	exists       bool // some epoch has attached it
	known        bool // its layout is the one above
	initializing bool // an epoch has begun and not yet started its workers
}

func readShm(path string) (shmState, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return shmState{}, nil
	}
	if err != nil {
		return shmState{}, fmt.Errorf("read Envoy's shared memory: %w", err)
	}
	s := shmState{exists: true}
	if len(b) != shmSize || binary.LittleEndian.Uint64(b[0:8]) != shmSize || binary.LittleEndian.Uint64(b[8:16]) != shmVersion {
		return s, nil
	}
	s.known = true
	s.initializing = binary.LittleEndian.Uint64(b[shmFlagsOffset:])&flagInitializing != 0
	return s, nil
}

// clearInitializing does what Envoy's drainParentListeners does for an
// epoch that died before getting there: without it, every later epoch
// exits with "previous envoy process is still initializing"
// (envoyproxy/envoy#33446). Only the restarter, which starts every epoch
// and has just reaped the one that set the flag, knows it is safe.
func clearInitializing(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open Envoy's shared memory: %w", err)
	}
	defer f.Close()
	var flags [8]byte
	if _, err := f.ReadAt(flags[:], shmFlagsOffset); err != nil {
		return fmt.Errorf("read Envoy's shared-memory flags: %w", err)
	}
	v := binary.LittleEndian.Uint64(flags[:]) &^ flagInitializing
	binary.LittleEndian.PutUint64(flags[:], v)
	if _, err := f.WriteAt(flags[:], shmFlagsOffset); err != nil {
		return fmt.Errorf("write Envoy's shared-memory flags: %w", err)
	}
	return nil
}
