package report

import (
	"fmt"
	"time"
)

// spinnerDelay is how long a wait goes unremarked before the spinner shows.
const spinnerDelay = time.Second

var spinnerFrames = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

// StartSpinner shows label with a spinner and the elapsed time once a wait
// passes one second, on a terminal only; stop clears it before the result
// line is printed.
func (p *Printer) StartSpinner(label string) (stop func()) {
	return p.startSpinner(label, spinnerDelay, 100*time.Millisecond)
}

func (p *Printer) startSpinner(label string, delay, tick time.Duration) (stop func()) {
	if !p.Terminal || p.Format != Text {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		start := time.Now()
		timer := time.NewTimer(delay)
		defer timer.Stop()
		select {
		case <-quit:
			return
		case <-timer.C:
		}
		ticker := time.NewTicker(tick)
		defer ticker.Stop()
		for i := 0; ; i++ {
			fmt.Fprintf(p.W, "\r%s %s %.1fs", spinnerFrames[i%len(spinnerFrames)], label, time.Since(start).Seconds())
			select {
			case <-quit:
				fmt.Fprint(p.W, "\r\x1b[K")
				return
			case <-ticker.C:
			}
		}
	}()
	return func() { close(quit); <-done }
}
