package local

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"time"
)

// Level is a level of Envoy's log (source/common/common/logger.h's
// names): the lines shown are those at the level chosen or above.
type Level int

// Envoy's levels, lowest first.
const (
	LevelTrace Level = iota
	LevelDebug
	LevelInfo
	LevelWarning
	LevelError
	LevelCritical
	LevelOff
)

var levelNames = []string{"trace", "debug", "info", "warning", "error", "critical", "off"}

// ParseLevel reads a level by Envoy's name for it (warn for warning too).
func ParseLevel(name string) (Level, error) {
	if name == "warn" {
		return LevelWarning, nil
	}
	for i, n := range levelNames {
		if n == name {
			return Level(i), nil
		}
	}
	return 0, fmt.Errorf("unknown Envoy log level %q (use %s)", name, strings.Join(levelNames, ", "))
}

func (l Level) String() string { return levelNames[l] }

// lineLevel reads the level of one of Envoy's lines, in its default format
// "[%Y-%m-%d %T.%e][%t][%l][%n] [%g:%#] %v" (source/common/common/logger.h,
// DEFAULT_LOG_FORMAT); ok is false for a line in no known format.
func lineLevel(line string) (Level, bool) {
	if !strings.HasPrefix(line, "[") {
		return 0, false
	}
	fields := strings.SplitN(line, "]", 4)
	if len(fields) < 4 {
		return 0, false
	}
	l, err := ParseLevel(strings.TrimPrefix(fields[2], "["))
	return l, err == nil
}

// lineWriter splits one epoch's output into lines, keeps each, and shows
// the ones at the chosen level. A line in no known format (Envoy's bare
// start-up errors, such as "previous envoy process is still
// initializing") is always shown; a continuation line of a multi-line
// message shares its first line's fate.
type lineWriter struct {
	s       *Supervisor
	epoch   int
	partial []byte
	level   Level
}

func (s *Supervisor) lineWriter(epoch int) *lineWriter {
	return &lineWriter{s: s, epoch: epoch, level: LevelCritical}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		w.line(string(w.partial[:i]))
		w.partial = w.partial[i+1:]
	}
	if len(w.partial) > 64<<10 { // a line that never ends
		w.line(string(w.partial))
		w.partial = nil
	}
	return len(p), nil
}

func (w *lineWriter) line(text string) {
	if l, ok := lineLevel(text); ok {
		w.level = l
	} else if !strings.HasPrefix(text, " ") && !strings.HasPrefix(text, "\t") {
		w.level = LevelCritical
	}
	w.s.log.add(text, w.level)
	if w.level >= w.s.Level {
		w.s.show(fmt.Sprintf("[epoch %d] %s\n", w.epoch, text))
	}
}

// own logs a line of the supervisor's own, in the restarter's words,
// shown with a time stamp in Envoy's format, to set beside its lines.
func (s *Supervisor) own(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	s.log.add("[envoy-reloader run] "+text, LevelCritical)
	if s.Level <= LevelInfo {
		s.show("[run] [" + time.Now().Format(envoyStamp) + "] " + text + "\n")
	}
}

// envoyStamp is Envoy's log time stamp, "[%Y-%m-%d %T.%e]".
const envoyStamp = "2006-01-02 15:04:05.000"

func (s *Supervisor) show(text string) {
	if s.Out == nil {
		return
	}
	s.outMu.Lock()
	defer s.outMu.Unlock()
	_, _ = s.Out.Write([]byte(text))
}

// logRingLines is how many of Envoy's lines are kept for diagnosis: a
// real Envoy logs about 60 per epoch at info.
const logRingLines = 2000

// logRing keeps the last lines with the time each came.
type logRing struct {
	mu    sync.Mutex
	max   int
	lines []timedLine
}

type timedLine struct {
	at    time.Time
	text  string
	level Level
}

func newLogRing(max int) *logRing { return &logRing{max: max} }

func (r *logRing) add(text string, level Level) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, timedLine{time.Now(), text, level})
	if len(r.lines) > r.max {
		r.lines = append(r.lines[:0], r.lines[len(r.lines)-r.max:]...)
	}
}

// since returns the lines at level or above added since t, the last max
// of them (0: all).
func (r *logRing) since(t time.Time, level Level, max int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, l := range r.lines {
		if !l.at.Before(t) && l.level >= level {
			out = append(out, l.text)
		}
	}
	if max > 0 && len(out) > max {
		out = out[len(out)-max:]
	}
	return out
}
