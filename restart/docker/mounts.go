package docker

import (
	"context"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// mountsSeen are the bind mounts of the container the target found last.
// The reload loop and FollowStarts both look containers up, hence the lock.
type mountsSeen struct {
	mu     sync.Mutex
	mounts restart.PathMap
}

func (m *mountsSeen) set(info container.InspectResponse) {
	next := restart.PathMap{}
	for _, b := range bindMounts(info) {
		next[b.Destination] = b.Source
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mounts = next
}

// BindMounts are the bind mounts (destination → source) of the container
// this target found last, nil before the first; read at every use, so that
// a container recreated with other mounts has its files mapped anew.
func (d *Container) BindMounts() restart.PathMap {
	d.seenMounts.mu.Lock()
	defer d.seenMounts.mu.Unlock()
	return d.seenMounts.mounts
}

// FollowStarts calls changed whenever a container of this target starts —
// recreated by `docker compose up`, or started after the reloader — until
// ctx ends, having recorded its mounts: the caller compares them with what
// it watches (another lookup may have recorded them first). A lost event
// stream (the Engine restarted) is opened again after a pause.
func (d *Container) FollowStarts(ctx context.Context, changed func()) {
	args := filters.NewArgs(filters.Arg("type", string(events.ContainerEventType)), filters.Arg("event", string(events.ActionStart)))
	if d.Service != "" {
		args.Add("label", composeServiceLabel+"="+d.Service)
	} else {
		args.Add("container", d.Container)
	}
	const most = 30 * time.Second
	pause := time.Second
	for {
		msgs, errs := d.cli.Events(ctx, events.ListOptions{Filters: args})
	stream:
		for {
			select {
			case <-ctx.Done():
				return
			case <-errs:
				break stream
			case <-msgs:
				pause = time.Second
				// Find matches the target exactly (the filters are looser);
				// it records the mounts it sees.
				if _, err := d.Find(ctx); err == nil {
					changed()
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
			pause = min(2*pause, most)
		}
	}
}
