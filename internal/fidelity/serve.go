package fidelity

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"gopkg.in/yaml.v3"
)

// Some rules Envoy enforces only when it starts serving, not in
// `--mode validate` (it does not build the stats matcher, nor register
// inline headers): check follows the start. Where check refuses what
// validate mode accepts, the harness starts the real Envoy briefly and
// counts the case as both rejecting when the start refuses the config.

// startTimeout bounds one start; an Envoy neither up nor gone by then
// leaves the disagreement as it is.
const startTimeout = 15 * time.Second

// baseIDs gives each start a hot-restart base id of its own, so starts
// running side by side (and any other Envoy on the machine) never share
// shared memory or domain sockets.
var baseIDs atomic.Int64

func init() { baseIDs.Store(int64(40000 + os.Getpid()%10000*10)) }

// netns reports, once, whether `unshare -n` works here: each start then
// gets a network namespace of its own, so a listener's fixed port cannot
// clash with another start's or the machine's.
var netns = sync.OnceValue(func() bool {
	return exec.Command("unshare", "-n", "true").Run() == nil
})

// StartVerdict is what a brief start in serve mode said.
type StartVerdict struct {
	Refused bool   // Envoy exited refusing the config
	Message string // its critical line, when it refused
}

// startServing copies data into a directory of its own inside dir (so
// relative paths resolve as for validate), with the admin port set to 0,
// and runs Envoy until it is up (killed then) or exits. A start that
// neither comes up nor exits within startTimeout is inconclusive (an error).
func startServing(ctx context.Context, bin string, data []byte, dir string) (StartVerdict, error) {
	tmp, err := os.MkdirTemp(dir, "start-")
	if err != nil {
		return StartVerdict{}, err
	}
	defer os.RemoveAll(tmp)
	file := filepath.Join(tmp, "envoy.yaml")
	if err := os.WriteFile(file, adminPortZero(data), 0o644); err != nil {
		return StartVerdict{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	args := []string{"-c", file, "-l", "info", "--base-id", fmt.Sprint(baseIDs.Add(1)),
		"--service-node", "fidelity", "--service-cluster", "fidelity"}
	name := bin
	if netns() {
		name, args = "unshare", append([]string{"-n", bin}, args...)
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.StderrPipe()
	if err != nil {
		return StartVerdict{}, err
	}
	cmd.Stdout = io.Discard
	if err := cmd.Start(); err != nil {
		return StartVerdict{}, err
	}
	up, critical := scanStart(out)
	if up {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return StartVerdict{}, nil
	}
	err = cmd.Wait()
	if ctx.Err() != nil {
		return StartVerdict{}, fmt.Errorf("envoy neither started nor exited in %s", startTimeout)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(critical, "initializing config") {
		// Not a refusal of the config (a crash, a port taken, a signal):
		// it proves nothing either way.
		return StartVerdict{}, fmt.Errorf("envoy exited without refusing the config: %v %s", err, critical)
	}
	return StartVerdict{Refused: true, Message: critical}, nil
}

// scanStart reads Envoy's log until it is serving or the stream ends,
// keeping the first critical line.
func scanStart(r io.Reader) (up bool, critical string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, "starting main dispatch loop"):
			return true, critical
		case critical == "" && strings.Contains(line, "[critical]"):
			critical = strings.TrimSpace(line)
		}
	}
	return false, critical
}

// adminPortZero rewrites admin.address.socket_address.port_value to 0 in
// place (the token at its line and column), leaving every other byte as
// it was: a re-encoded document could read differently to yaml-cpp.
func adminPortZero(data []byte) []byte {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return data
	}
	n := get(get(get(get(doc.Content[0], "admin"), "address"), "socket_address"), "port_value")
	if n == nil || n.Kind != yaml.ScalarNode || n.Style != 0 || n.Line < 1 {
		return data
	}
	lines := strings.SplitAfter(string(data), "\n")
	if n.Line > len(lines) {
		return data
	}
	l := lines[n.Line-1]
	col := n.Column - 1
	if col < 0 || col+len(n.Value) > len(l) || l[col:col+len(n.Value)] != n.Value {
		return data
	}
	lines[n.Line-1] = l[:col] + "0" + l[col+len(n.Value):]
	return []byte(strings.Join(lines, ""))
}
