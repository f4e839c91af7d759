package restart

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// WantFile is a file Envoy will read after the signal: where it is on this
// machine, where Envoy reads it ("" when the target maps it itself, from
// its mounts), and the digest of the bytes that were validated.
type WantFile struct {
	HostPath  string
	EnvoyPath string
	Digest    [sha256.Size]byte
	// Bootstrap is true for the bootstrap itself (the -c file).
	Bootstrap bool
}

// StaleError says Envoy would not read the validated bytes of a file: the
// reload is not signalled, and the event's result is "stale".
type StaleError struct {
	Target    string
	EnvoyPath string // the path as Envoy reads it
	HostPath  string // the file saved here
	// Mount is the bind mount, as -v would write it ("" when not mounted).
	Mount string
	// Evidence says how staleness was established.
	Evidence string
}

func (e *StaleError) Error() string {
	if e.Mount == "" {
		return fmt.Sprintf("not signalled: Envoy in %s reads %s, which is not mounted from %s (%s), so saves here cannot reach it; "+
			"mount the directory (-v ./envoy:/etc/envoy) and recreate the container once (docker compose up -d --force-recreate, or docker rm -f + docker run)",
			e.Target, e.EnvoyPath, e.HostPath, e.Evidence)
	}
	return fmt.Sprintf("not signalled: Envoy in %s would read stale bytes at %s: the single-file bind mount %s still holds the file as it was "+
		"when the container started (%s), because the save replaced the file by a rename; "+
		"mount the directory instead (-v ./envoy:/etc/envoy) and recreate the container once (docker compose up -d --force-recreate, "+
		"or docker rm -f + docker run), since the old inode stays until then",
		e.Target, e.EnvoyPath, e.Mount, e.Evidence)
}

// staleHint names the editor setting that avoids renames.
const staleHint = "editors that save in place keep a single-file mount working: vim `set backupcopy=yes`, emacs `backup-by-copying`; nano, micro and kakoune already do"

// ErrStale is matched by every *StaleError.
var ErrStale = errors.New("stale")

// Is makes errors.Is(err, ErrStale) true for a *StaleError.
func (e *StaleError) Is(target error) bool { return target == ErrStale }
