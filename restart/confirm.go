package restart

import (
	"context"
	"errors"
	"fmt"
	"time"

	adminv3 "github.com/envoyproxy/go-control-plane/envoy/admin/v3"
)

// Confirmer proves that a hot restart took effect: a strictly higher
// restart_epoch than any seen before, reported LIVE on a fresh connection.
type Confirmer struct {
	Admin    *Admin
	Interval time.Duration
	Timeout  time.Duration
	// ClosedByFailedEpoch, when set, tells from the target whether its
	// newest epoch failed after the running Envoy closed its admin
	// listener: Before asks it only when admin refuses and no epoch is
	// known, and then lets the signal go (the next good save must).
	ClosedByFailedEpoch func(ctx context.Context) bool

	// highest is the highest epoch confirmed or read so far: an old Envoy
	// may still answer (on an old connection, or on a new one where admin
	// shares its socket with SO_REUSEPORT), and must never count as new.
	highest *uint32
	// lineage is when the Envoy of highest first started (now minus its
	// uptime_all_epochs): every epoch of one hot-restart lineage reports the
	// same, and a restarted container reports a later one.
	lineage time.Time
	// blind is set by a Before that could read no epoch at all (admin
	// closed by a failed epoch, no epoch known to this process): Wait then
	// takes a LIVE epoch begun after the signal as the new one.
	blind bool
	// noStats is set once the Envoy has shown no epoch and state gauges:
	// Wait then polls the whole /server_info.
	noStats bool
}

// lineageSlack absorbs uptimes being whole seconds.
const lineageSlack = 2 * time.Second

func lineageOf(info *adminv3.ServerInfo) time.Time {
	return time.Now().Add(-info.GetUptimeAllEpochs().AsDuration())
}

// Epoch is the epoch part of a ServerInfo.
func Epoch(info *adminv3.ServerInfo) uint32 {
	return info.GetCommandLineOptions().GetRestartEpoch()
}

// Forget drops the epochs seen so far, for a target known to be a new
// instance (restarted or recreated), whose epochs start again at 0.
func (c *Confirmer) Forget() {
	c.highest = nil
	c.lineage = time.Time{}
}

// ErrAdminDown marks a Before that could not read the admin endpoint but
// knows the last confirmed epoch: after a failed epoch closed the running
// Envoy's admin listener, only the next good reload brings admin back.
var ErrAdminDown = errors.New("admin endpoint down")

// Before reads the current epoch before a signal: the highest of a few
// fresh reads and of the last confirmed epoch. One read is the whole
// /server_info; the others read only the epoch (Admin.EpochStat), which
// costs a real Envoy a fraction of it, or the whole /server_info where
// that stat cannot be read (an Envoy without it). Several
// reads, because where admin shares its socket (SO_REUSEPORT,
// envoyproxy/envoy#38146) fresh connections reach old epochs too.
func (c *Confirmer) Before(ctx context.Context) (*adminv3.ServerInfo, uint32, error) {
	best, statEpoch, lastErr := c.readEpochs(ctx)
	c.blind = false
	switch {
	case best == nil && c.highest != nil && IsRefused(lastErr):
		return nil, *c.highest, fmt.Errorf("%w: %s refuses connections since the last failed reload: %w", ErrAdminDown, c.Admin.URL(), lastErr)
	case best == nil && IsRefused(lastErr) && c.ClosedByFailedEpoch != nil && c.ClosedByFailedEpoch(ctx):
		c.blind = true
		return nil, 0, fmt.Errorf("%w: %s refuses connections (a failed epoch closes the running Envoy's admin listener): %w", ErrAdminDown, c.Admin.URL(), lastErr)
	case best == nil:
		//lint:ignore ST1005 Envoy is a proper noun
		return nil, 0, fmt.Errorf("Envoy's admin endpoint %s does not answer: %w", c.Admin.URL(), lastErr)
	case best.GetHotRestartInitializing():
		if best, lastErr = c.awaitInitialized(ctx); lastErr != nil {
			return nil, 0, lastErr
		}
	}
	before := Epoch(best)
	if c.highest != nil && before < *c.highest && lineageOf(best).After(c.lineage.Add(lineageSlack)) {
		// A new Envoy (the container restarted): its epochs start again.
		c.highest = nil
	}
	if c.highest != nil && *c.highest > before {
		before = *c.highest
	}
	if statEpoch != nil && *statEpoch > before {
		// A higher epoch never read whole: it counts all the same.
		before = *statEpoch
	}
	c.remember(before, best)
	return best, before, nil
}

// readEpochs makes Before's fresh reads, concurrently: one whole
// /server_info and two of the epoch stat (whole where the stat is
// missing). A higher epoch seen only in a stat is read whole again, from
// the same shared socket, for its uptimes and its initializing mark.
func (c *Confirmer) readEpochs(ctx context.Context) (best *adminv3.ServerInfo, statEpoch *uint32, lastErr error) {
	type read struct {
		info  *adminv3.ServerInfo
		epoch *uint32 // from the stat alone
		err   error
	}
	reads := make(chan read, 3)
	for i := range 3 { // concurrently: each on its own fresh connection
		go func() {
			if i > 0 {
				if epoch, err := c.Admin.EpochStat(ctx); err == nil {
					reads <- read{epoch: &epoch}
					return
				}
			}
			info, err := c.Admin.ServerInfo(ctx)
			reads <- read{info: info, err: err}
		}()
	}
	for range 3 {
		r := <-reads
		switch {
		case r.epoch != nil:
			if statEpoch == nil || *r.epoch > *statEpoch {
				statEpoch = r.epoch
			}
		case r.err != nil:
			lastErr = r.err
		case best == nil || Epoch(r.info) > Epoch(best):
			best = r.info
		}
	}
	for try := 0; statEpoch != nil && (best == nil || *statEpoch > Epoch(best)) && try < 3; try++ {
		info, err := c.Admin.ServerInfo(ctx)
		if err != nil {
			lastErr = err
			continue
		}
		if best == nil || Epoch(info) > Epoch(best) {
			best = info
		}
	}
	return best, statEpoch, lastErr
}

// stillAt reports whether two fresh reads of the epoch gauge, together,
// show epoch and nothing higher, so that an epoch read ahead (Prepare) can
// stand for Before's reads: every answer must come, and none may be
// higher. It then remembers epoch as Before would.
func (c *Confirmer) stillAt(ctx context.Context, epoch uint32) bool {
	if c.highest != nil && *c.highest > epoch {
		return false
	}
	reads := make(chan error, 2)
	for range 2 {
		go func() {
			got, err := c.Admin.EpochStat(ctx)
			if err == nil && got != epoch {
				err = fmt.Errorf("epoch %d, not %d", got, epoch)
			}
			reads <- err
		}()
	}
	ok := true
	for range 2 {
		if err := <-reads; err != nil {
			ok = false
		}
	}
	if ok {
		c.blind = false
		c.remember(epoch, nil)
	}
	return ok
}

// ErrHotRestartInitializing: Envoy's hot restart stayed "initializing",
// so Envoy would refuse a new epoch ("previous envoy process is still
// initializing"): a new epoch is still starting, or one died while
// starting and left the mark in the shared memory (envoyproxy/envoy#33446),
// which only envoy-hot-restarter clears.
//
//lint:ignore ST1005 Envoy is a proper noun
var ErrHotRestartInitializing = errors.New("Envoy's hot restart is still initializing")

// awaitInitialized waits, before a signal, for hot_restart_initializing to
// be false: a SIGHUP sooner starts an epoch that Envoy refuses.
func (c *Confirmer) awaitInitialized(ctx context.Context) (*adminv3.ServerInfo, error) {
	deadline := time.Now().Add(c.Timeout)
	for {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(c.Interval):
		}
		info, err := c.Admin.ServerInfo(ctx)
		switch {
		case err == nil && !info.GetHotRestartInitializing():
			return info, nil
		case time.Now().After(deadline):
			return nil, fmt.Errorf("%w after %s (hot_restart_initializing: true in %s/server_info)", ErrHotRestartInitializing, c.Timeout, c.Admin.URL())
		}
	}
}

func (c *Confirmer) remember(epoch uint32, info *adminv3.ServerInfo) {
	if c.highest == nil || epoch > *c.highest {
		c.highest = &epoch
	}
	if info != nil && Epoch(info) == *c.highest {
		c.lineage = lineageOf(info)
	}
}

// restartedSince reports whether info comes from an Envoy started anew
// (a later lineage than the one remembered) that hot-restarted into an
// epoch begun after the signal.
func (c *Confirmer) restartedSince(info *adminv3.ServerInfo, signalled time.Time) bool {
	if c.highest == nil || Epoch(info) == 0 || !lineageOf(info).After(c.lineage.Add(lineageSlack)) {
		return false
	}
	began := time.Now().Add(-info.GetUptimeCurrentEpoch().AsDuration())
	return !began.Before(signalled.Add(-lineageSlack))
}

// begunSince reports whether info's epoch began after the signal (uptimes
// are whole seconds).
func begunSince(info *adminv3.ServerInfo, signalled time.Time) bool {
	began := time.Now().Add(-info.GetUptimeCurrentEpoch().AsDuration())
	return !began.Before(signalled.Add(-lineageSlack))
}

// ErrNotConfirmed is wrapped by every failure of Wait.
//
//lint:ignore ST1005 Envoy is a proper noun, and this is the message users read
var ErrNotConfirmed = errors.New("Envoy did not take the new config")

// Failure says how a confirmation failed.
type Failure struct {
	// Refused is true when the admin endpoint refused connections at the
	// end: the new epoch died after the old one closed its admin listener.
	Refused bool
	// Stuck is the state the new epoch was stuck in, when it came up but
	// never became LIVE.
	Stuck string
	Last  error
}

// watchdogEvery paces the watchdog while waiting.
const watchdogEvery = 200 * time.Millisecond

// Watchdog is polled while waiting; a non-nil error ends the wait at once
// (the container stopped, the restarter logged a failed child).
type Watchdog func(ctx context.Context) error

// Wait polls until an epoch higher than before is LIVE, the timeout passes,
// or watchdog reports a failure.
func (c *Confirmer) Wait(ctx context.Context, before uint32, watchdog Watchdog) (*adminv3.ServerInfo, *Failure, error) {
	info, fail, _, err := c.wait(ctx, before, watchdog, nil)
	return info, fail, err
}

// wait is Wait that calls onLive when the gauges show a new epoch LIVE,
// just before the whole /server_info that confirms it, so that a read the
// confirmation leads to can go beside it; withLive says the confirmation
// came from that very read.
func (c *Confirmer) wait(ctx context.Context, before uint32, watchdog Watchdog, onLive func()) (_ *adminv3.ServerInfo, _ *Failure, withLive bool, _ error) {
	deadline := time.Now().Add(c.Timeout)
	ticker := time.NewTicker(c.Interval)
	defer ticker.Stop()
	var fail Failure
	signalled := time.Now()
	// The watchdog asks the Engine (an inspect and a log read): not at
	// once, when a new epoch cannot have failed yet and the calls would
	// only hold up the next read of the admin endpoint.
	nextWatchdog := signalled.Add(watchdogEvery)
	// Most polls read two gauges (tens of bytes); the whole /server_info
	// (over 100 KB from a real Envoy, and a main-thread job for it) is read
	// when they show a new epoch LIVE, to confirm it and say what it is,
	// and every watchdogEvery for what only it shows (a container that
	// restarted, an epoch begun since the signal when none was known).
	nextFull := signalled.Add(watchdogEvery)
	for {
		full := c.blind || c.noStats || !time.Now().Before(nextFull)
		live := false
		if !full {
			live = c.pollGauges(ctx, before, &fail)
			full = live || c.noStats
		}
		if live && onLive != nil {
			onLive()
		}
		if full {
			nextFull = time.Now().Add(watchdogEvery)
			if info, done := c.pollServerInfo(ctx, before, signalled, &fail); done {
				return info, nil, live, nil
			}
		}
		if watchdog != nil && !time.Now().Before(nextWatchdog) {
			nextWatchdog = time.Now().Add(watchdogEvery)
			if werr := watchdog(ctx); werr != nil {
				return nil, &fail, false, werr
			}
		}
		if time.Now().After(deadline) {
			return nil, &fail, false, fmt.Errorf("%w: no epoch above %d was LIVE within %s", ErrNotConfirmed, before, c.Timeout)
		}
		select {
		case <-ctx.Done():
			return nil, &fail, false, ctx.Err()
		case <-ticker.C:
		}
	}
}

// pollGauges reads the epoch and state gauges; it reports whether they
// show a new epoch LIVE. An Envoy without them sets noStats (and is not
// asked again): the whole /server_info is wanted then.
func (c *Confirmer) pollGauges(ctx context.Context, before uint32, fail *Failure) (live bool) {
	epoch, state, err := c.Admin.EpochState(ctx)
	switch {
	case errors.Is(err, ErrNoStat):
		c.noStats = true
		return false
	case err == nil && epoch > before && state == adminv3.ServerInfo_LIVE:
		return true
	case err == nil && epoch > before:
		*fail = Failure{Stuck: state.String()}
	case err != nil:
		*fail = Failure{Refused: IsRefused(err), Last: err}
	default:
		*fail = Failure{}
	}
	return false
}

// pollServerInfo reads the whole /server_info; done is true when it shows
// the new epoch LIVE.
func (c *Confirmer) pollServerInfo(ctx context.Context, before uint32, signalled time.Time, fail *Failure) (*adminv3.ServerInfo, bool) {
	info, err := c.Admin.ServerInfo(ctx)
	switch {
	case err == nil && Epoch(info) > before && info.GetState() == adminv3.ServerInfo_LIVE && !c.blind:
		c.remember(Epoch(info), info)
		return info, true
	case err == nil && info.GetState() == adminv3.ServerInfo_LIVE && c.blind && begunSince(info, signalled):
		// No epoch was known before: the admin that answers now is the
		// new epoch's, for the old one's stays closed.
		c.blind = false
		c.remember(Epoch(info), info)
		return info, true
	case err == nil && info.GetState() == adminv3.ServerInfo_LIVE && c.restartedSince(info, signalled):
		// The container restarted around the signal: this Envoy's own
		// epochs count, and one begun after the signal is ours.
		c.highest = nil
		c.remember(Epoch(info), info)
		return info, true
	case err == nil && Epoch(info) > before:
		*fail = Failure{Stuck: info.GetState().String()}
	case err != nil:
		*fail = Failure{Refused: IsRefused(err), Last: err}
	default:
		*fail = Failure{}
	}
	return nil, false
}
