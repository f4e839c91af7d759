package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/envoy-reloader/envoy-reloader/internal/envoytest"
	"github.com/envoy-reloader/envoy-reloader/restart"
)

// TestValidateBeforeEachEpoch: with --validate, a SIGHUP first runs the
// child's command in validate mode; a rejected config is logged in Envoy's
// words with the verdict line envoy-reloader reads, and starts no epoch;
// an accepted one starts the next epoch as before.
func TestValidateBeforeEachEpoch(t *testing.T) {
	bin := envoytest.Binaries(t)
	adminPort := envoytest.FreePort(t)
	config := filepath.Join(t.TempDir(), "envoy.yaml")
	write := func(text string) {
		if err := os.WriteFile(config, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(envoytest.Config(adminPort, "backend", envoytest.FreePort(t)))
	id := time.Now().UnixNano() % 100000
	log := &envoytest.SyncBuffer{}
	cmd := exec.Command(filepath.Join(bin, "envoy-hot-restarter"), "--on-child-failure=keep", "--validate", "--",
		filepath.Join(bin, "envoy"), "-c", config, "--restart-epoch", "{{epoch}}", "--base-id", fmt.Sprint(id),
		"--socket-path", fmt.Sprintf("@envoytest_%d", id), "--drain-time-s", "1", "--parent-shutdown-time-s", "2")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
		_ = os.Remove(fmt.Sprintf("/dev/shm/envoy_shared_memory_%d", id*10))
		if t.Failed() {
			t.Logf("log:\n%s", log.String())
		}
	})
	waitLog := func(s string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(log.String(), s) {
			if time.Now().After(deadline) {
				t.Fatalf("log never showed %q:\n%s", s, log.String())
			}
			time.Sleep(10 * time.Millisecond) // polling a log that has no notification
		}
	}
	waitLog("starting main dispatch loop")
	hup := func() {
		if err := syscall.Kill(cmd.Process.Pid, syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
	}

	write(strings.Replace(envoytest.Config(adminPort, "bad", envoytest.FreePort(t)), "static_resources:", "static_resourcez:", 1))
	hup()
	waitLog("validated the config for epoch 1: REJECTED (exit code 1); no epoch starts")
	if got := log.String(); !strings.Contains(got, "[envoy-hot-restarter] validate: ") || !strings.Contains(got, "static_resourcez") {
		t.Errorf("Envoy's rejection is not in the log:\n%s", got)
	}
	if strings.Contains(log.String(), "at epoch 1") {
		t.Fatalf("a rejected config started an epoch:\n%s", log.String())
	}

	write(envoytest.Config(adminPort, "good", envoytest.FreePort(t)))
	hup()
	waitLog("validated the config for epoch 1: OK")
	admin, err := restart.NewAdmin("http://127.0.0.1:"+strconv.Itoa(adminPort), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c := &restart.Confirmer{Admin: admin, Interval: 10 * time.Millisecond, Timeout: 10 * time.Second}
	if info, _, err := c.Wait(context.Background(), 0, nil); err != nil || restart.Epoch(info) != 1 {
		t.Fatalf("the accepted config did not go live as epoch 1: %v", err)
	}
}
