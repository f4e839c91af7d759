// Package hotrestartshm reads and restores Envoy's hot-restart shared
// memory: whether an epoch is still initializing, and the mark an epoch
// that died while initializing leaves (envoyproxy/envoy#33446). It is
// shared by the restarter that ships in images (cmd/envoy-hot-restarter)
// and by run's supervisor (restart/local), which both start every epoch.
package hotrestartshm

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
	// Size is the region's size, and its first uint64.
	Size = 104
	// Version is its second uint64.
	Version = 11
	// FlagsOffset is where flags_ begins.
	FlagsOffset = 96
	// FlagInitializing is flags_' bit for an epoch still initializing.
	FlagInitializing = 0x1
)

// Dir is where shm_open puts its files; a variable for tests.
var Dir = "/dev/shm"

// Path is the shared memory of the Envoy that argv runs: Envoy names it
// after ten times its --base-id (source/server/hot_restart_impl.cc,
// attachSharedMemory). With --use-dynamic-base-id the name is not known
// here, and ok is false.
func Path(argv []string) (path string, ok bool) {
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
	return fmt.Sprintf("%s/envoy_shared_memory_%d", Dir, baseID*10), true
}

// State is what the shared memory says of the Envoy processes sharing it.
type State struct {
	Exists       bool // some epoch has attached it
	Known        bool // its layout is the one above
	Initializing bool // an epoch has begun and not yet started its workers
}

// Read reads the region at path; a missing one is the zero State.
func Read(path string) (State, error) {
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return State{}, nil
	}
	if err != nil {
		return State{}, fmt.Errorf("read Envoy's shared memory: %w", err)
	}
	s := State{Exists: true}
	if len(b) != Size || binary.LittleEndian.Uint64(b[0:8]) != Size || binary.LittleEndian.Uint64(b[8:16]) != Version {
		return s, nil
	}
	s.Known = true
	s.Initializing = binary.LittleEndian.Uint64(b[FlagsOffset:])&FlagInitializing != 0
	return s, nil
}

// ClearInitializing does what Envoy's drainParentListeners does for an
// epoch that died before getting there: without it, every later epoch
// exits with "previous envoy process is still initializing"
// (envoyproxy/envoy#33446). Only the restarter, which starts every epoch
// and has just reaped the one that set the flag, knows it is safe.
func ClearInitializing(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open Envoy's shared memory: %w", err)
	}
	defer f.Close()
	var flags [8]byte
	if _, err := f.ReadAt(flags[:], FlagsOffset); err != nil {
		return fmt.Errorf("read Envoy's shared-memory flags: %w", err)
	}
	v := binary.LittleEndian.Uint64(flags[:]) &^ FlagInitializing
	binary.LittleEndian.PutUint64(flags[:], v)
	if _, err := f.WriteAt(flags[:], FlagsOffset); err != nil {
		return fmt.Errorf("write Envoy's shared-memory flags: %w", err)
	}
	return nil
}

// RestoreAfterFailure clears the mark a failed newest epoch left in
// Envoy's shared memory at path (envoyproxy/envoy#33446), for whoever
// starts the epochs (who: "reloader", "restarter") and so knows that no
// other epoch initializes: the mark can only be the failed one's. It
// returns the line to log, or "" when there was nothing to restore.
func RestoreAfterFailure(path string, epoch int, who string) string {
	if path == "" {
		return ""
	}
	st, err := Read(path)
	switch {
	case err != nil:
		return fmt.Sprintf("cannot restore Envoy's hot-restart state after epoch %d failed: %v", epoch, err)
	case st.Exists && !st.Known:
		return fmt.Sprintf("cannot restore Envoy's hot-restart state after epoch %d failed: %s has a layout this %s does not know", epoch, path, who)
	case st.Initializing:
		if err := ClearInitializing(path); err != nil {
			return fmt.Sprintf("cannot restore Envoy's hot-restart state after epoch %d failed: %v", epoch, err)
		}
		return fmt.Sprintf("epoch %d failed while initializing; restored Envoy's hot-restart state (cleared the initializing flag in %s, envoyproxy/envoy#33446), so the next epoch can start", epoch, path)
	}
	return ""
}
