package restart

import (
	"errors"
	"fmt"
)

// ErrAmbiguous is returned when the target matches several containers: a
// signal is never sent to a guess.
var ErrAmbiguous = errors.New("the target matches several containers")

// StoppedError says the target stopped during a reload.
type StoppedError struct {
	Target   string
	Status   string
	ExitCode int
}

// Is makes errors.Is(err, ErrTargetStopped) true.
func (e *StoppedError) Is(target error) bool { return target == ErrTargetStopped }

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%s stopped (%s, exit code %d)", e.Target, e.Status, e.ExitCode)
}
