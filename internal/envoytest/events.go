package envoytest

import (
	"bufio"
	"encoding/json"
	"io"
)

// Events reads the JSON lines of `envoy-reloader --log-format json` from r
// into a channel closed at EOF. A line that is not a JSON object goes to
// bad, when set, instead (a test fails on it; a benchmark ignores it).
func Events(r io.Reader, bad func(line string)) <-chan map[string]any {
	ch := make(chan map[string]any, 1000)
	go func() {
		defer close(ch)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20) // a reload with Envoy's log lines is long
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				if bad != nil {
					bad(sc.Text())
				}
				continue
			}
			ch <- m
		}
	}()
	return ch
}
