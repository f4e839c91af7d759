package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// viaReloader saves in place (nano, vim with backupcopy=yes): the reload
// waits the full debounce.
func (b *bench) viaReloader() (time.Duration, error) { return b.viaReloaderSave(false) }

// viaReloaderRename saves by renaming a new file over the bootstrap
// (JetBrains' safe write, sed -i): the reload waits only watch.settle.
func (b *bench) viaReloaderRename() (time.Duration, error) { return b.viaReloaderSave(true) }

func (b *bench) viaReloaderSave(rename bool) (time.Duration, error) {
	b.epoch++
	b.version++
	content := []byte(config(fmt.Sprintf("v%d", b.version)))
	tmp := b.config + ".tmp"
	if rename {
		if err := os.WriteFile(tmp, content, 0o644); err != nil {
			return 0, err
		}
	}
	written := time.Now()
	if rename {
		if err := os.Rename(tmp, b.config); err != nil {
			return 0, err
		}
	} else if err := os.WriteFile(b.config, content, 0o644); err != nil {
		return 0, err
	}
	ev, err := b.waitEvent("reload", 30*time.Second)
	if err != nil {
		return 0, err
	}
	total := time.Since(written)
	if ev["result"] != "ok" || int(ev["epoch"].(float64)) != b.epoch {
		return 0, fmt.Errorf("reload %v", ev)
	}
	if _, err := b.waitEpoch(b.epoch, time.Now().Add(5*time.Second)); err != nil {
		return 0, err
	}
	start, err := b.standinStart(b.epoch)
	if err != nil {
		return 0, err
	}
	phases, wait := b.phases, debounce
	if rename {
		phases, wait = b.renamePhases, settle
	}
	for _, k := range phaseKeys {
		v, _ := ev[k].(float64)
		phases[k] = append(phases[k], v)
	}
	if b.selfValidate {
		return total, b.recordSelf(rename, total, wait, start)
	}
	overhead := float64((total - wait - start).Microseconds()) / 1000
	envoyValidate, _ := ev["envoy_validate_ms"].(float64)
	if rename {
		b.renameNoValOverheads = append(b.renameNoValOverheads, overhead-envoyValidate)
		return total, nil
	}
	b.overheads = append(b.overheads, overhead)
	b.noValOverheads = append(b.noValOverheads, overhead-envoyValidate)
	return total, nil
}

// dropWarmUp forgets the phases and overheads of the warm-up saves, whose
// times are not counted either.
func (b *bench) dropWarmUp() {
	clear(b.phases)
	clear(b.renamePhases)
	clear(b.selfTimes)
	b.overheads, b.noValOverheads, b.renameNoValOverheads = nil, nil, nil
}

var logStamp = regexp.MustCompile(`^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3})\]`)

// standinStart is the stand-in's own start-up time for epoch, from the
// container's log: the restarter forking it ("forking and execing new child
// process at epoch N") to its "starting main dispatch loop".
func (b *bench) standinStart(epoch int) (time.Duration, error) {
	// Docker's log may lag the admin endpoint by a little: read it again.
	for try := 0; ; try++ {
		d, err := b.standinStartOnce(epoch)
		if err == nil || try == 20 {
			return d, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *bench) standinStartOnce(epoch int) (time.Duration, error) {
	out, err := exec.Command("docker", "logs", "--tail", "400", b.name).CombinedOutput()
	if err != nil {
		return 0, err
	}
	var begin time.Time
	for _, l := range strings.Split(string(out), "\n") {
		m := logStamp.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		t, _ := time.Parse("2006-01-02 15:04:05.000", m[1])
		if strings.Contains(l, fmt.Sprintf("new child process at epoch %d", epoch)) {
			begin = t
		}
		if !begin.IsZero() && strings.Contains(l, "starting main dispatch loop") {
			return t.Sub(begin), nil
		}
	}
	return 0, fmt.Errorf("no start-up of epoch %d in the log", epoch)
}

// viaKeepAlive is the original report: SIGHUP, then a Go client with the
// default transport polls /server_info until it reports the new epoch.
func (b *bench) viaKeepAlive() (time.Duration, error) {
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	read := func() (int, error) {
		resp, err := client.Get(b.adminURL + "/server_info")
		if err != nil {
			return -1, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`"restart_epoch":\s*(\d+)`).FindSubmatch(body)
		if m == nil {
			return -1, fmt.Errorf("no epoch in %q", body)
		}
		return strconv.Atoi(string(m[1]))
	}
	if _, err := read(); err != nil { // the connection a long-running client already has
		return 0, err
	}
	b.epoch++
	start := time.Now()
	if out, err := exec.Command("docker", "kill", "-s", "HUP", b.name).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("docker kill: %v: %s", err, out)
	}
	for time.Since(start) < keepAliveCap {
		if e, err := read(); err == nil && e == b.epoch {
			return time.Since(start), nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	b.capped++
	return keepAliveCap, nil
}

func (b *bench) viaDockerRestart() (time.Duration, error) {
	start := time.Now()
	if out, err := exec.Command("docker", "restart", b.name).CombinedOutput(); err != nil {
		return 0, fmt.Errorf("docker restart: %v: %s", err, out)
	}
	b.epoch = 0
	if _, err := b.waitEpoch(0, time.Now().Add(60*time.Second)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// viaQuitquitquit asks Envoy to exit and lets Docker's restart policy start
// the container again. Docker doubles its restart delay unless the container
// ran for 10 s, so each run starts from a container up that long, the
// common case of edits minutes apart.
func (b *bench) viaQuitquitquit() (time.Duration, error) {
	startedAt, err := b.waitUp(10 * time.Second)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := http.Post(b.adminURL+"/quitquitquit", "text/plain", nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	// The old Envoy answers until it has exited: wait for the new start.
	for {
		now, err := b.startedAt()
		if err != nil {
			return 0, err
		}
		if now.After(startedAt) {
			break
		}
		if time.Since(start) > time.Minute {
			return 0, fmt.Errorf("the container did not restart")
		}
		time.Sleep(5 * time.Millisecond)
	}
	b.epoch = 0
	if _, err := b.waitEpoch(0, time.Now().Add(60*time.Second)); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func (b *bench) startedAt() (time.Time, error) {
	out, err := exec.Command("docker", "inspect", "-f", "{{.State.StartedAt}}", b.name).Output()
	if err != nil {
		return time.Time{}, err
	}
	return time.Parse(time.RFC3339Nano, strings.TrimSpace(string(out)))
}

// waitUp waits until the container has run for d and returns its start.
func (b *bench) waitUp(d time.Duration) (time.Time, error) {
	started, err := b.startedAt()
	if err != nil {
		return started, err
	}
	if wait := d - time.Since(started); wait > 0 {
		time.Sleep(wait)
	}
	return started, nil
}
