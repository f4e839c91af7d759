package report

import (
	"fmt"
	"os/exec"
	"sync"

	"github.com/envoy-reloader/envoy-reloader/internal/reload"
)

// Notifier raises desktop notifications through notify-send where it is
// installed; elsewhere it does nothing, silently.
type Notifier struct {
	// Success also notifies confirmed reloads, not only failures.
	Success bool
	command string
	running sync.WaitGroup
}

// NewNotifier finds notify-send on PATH.
func NewNotifier(success bool) *Notifier {
	path, _ := exec.LookPath("notify-send")
	return &Notifier{Success: success, command: path}
}

// Event notifies about one reload attempt when it failed (or, with
// Success, when it was confirmed).
func (n *Notifier) Event(ev reload.Event) {
	if n == nil || n.command == "" || ev.Event != "reload" {
		return
	}
	var title, body, urgency string
	switch ev.Result {
	case reload.ResultInvalid, reload.ResultFailed, reload.ResultStale:
		title, urgency = "Envoy config not applied", "critical"
		body = ev.Error
		for _, d := range ev.Diagnostics {
			if body == "" && d.Severity == "error" {
				body = d.String()
			}
		}
	case reload.ResultOK:
		if !n.Success || ev.Epoch == nil {
			return
		}
		title, urgency, body = fmt.Sprintf("Envoy epoch %d live", *ev.Epoch), "low", fileLabel(ev.Files)
	default:
		return
	}
	if ev.Envoy != "" {
		title += " (" + ev.Envoy + ")" // which of several Envoys, seen from another window
	}
	cmd := exec.Command(n.command, "--app-name=envoy-reloader", "--urgency="+urgency, title, body)
	if cmd.Start() == nil {
		n.running.Add(1)
		go func() { // reaped, never blocking the reload loop
			defer n.running.Done()
			_ = cmd.Wait()
		}()
	}
}

// Wait waits for the notifications started so far to be delivered.
func (n *Notifier) Wait() {
	if n != nil {
		n.running.Wait()
	}
}
