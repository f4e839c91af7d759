package docker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/docker/api/types/container"

	"github.com/envoy-reloader/envoy-reloader/config/bootstrap"

	"github.com/envoy-reloader/envoy-reloader/restart"
)

// ErrNotWatched is wrapped by MountCheck's error when Envoy in the
// container does not read the watched bootstrap at all: edits can never
// reach it, so watch and restart refuse to start.
//
//lint:ignore ST1005 Envoy is a proper noun
var ErrNotWatched = errors.New("Envoy does not read the watched bootstrap")

// MountCheck looks, at start, at how the container sees the watched
// bootstrap. It fails when the container's -c file is not mounted from the
// watched bootstrap (copied into the image or with docker cp, a Compose
// configs: entry, or -c naming another file), and warns, once per mount,
// when the bootstrap or a file it references is a single-file bind mount,
// which a save that renames the file leaves behind. The container's
// single-file mounts are recorded as first seen, for the inode evidence of
// later reloads.
func (d *Container) MountCheck(ctx context.Context, watched string) (warnings []string, err error) {
	info, err := d.Find(ctx)
	if err != nil {
		return nil, err
	}
	d.inodesOf(info)
	mounts := bindMounts(info)
	watched = restart.AbsPath(watched)
	if cp := ConfigPathOf(info); cp != "" {
		m, ok := mountOf(mounts, cp)
		if vol := volumeOver(info.Mounts, cp); !ok && vol != "" {
			// A named volume (Compose's driver_opts can bind it to a
			// directory here) is no proof either way: say so, do not refuse.
			warnings = append(warnings, fmt.Sprintf("could not verify that Envoy in %s reads the watched %s: it reads %s from the Docker volume %s", d.Describe(), watched, cp, vol))
		} else if !ok {
			return nil, fmt.Errorf("%w: Envoy in %s reads %s, which is not mounted from this machine (copied into the image or with docker cp), "+
				"while envoy-reloader watches %s: mount the bootstrap's directory (-v ./envoy:%s) and recreate the container",
				ErrNotWatched, d.Describe(), cp, watched, filepath.Dir(cp))
		}
		host := restart.AbsPath(hostOf(m, cp))
		// Only a mount whose source is a file here is evidence: Docker
		// Desktop names sources as its VM sees them.
		if _, statErr := os.Stat(host); statErr == nil && host != watched {
			return nil, fmt.Errorf("%w: Envoy in %s reads %s (here %s), while envoy-reloader watches %s: set bootstrap in reloader.yaml to the file Envoy reads, or start Envoy with -c on the watched one",
				ErrNotWatched, d.Describe(), cp, host, watched)
		}
	}
	files := []string{}
	if res, err := bootstrap.LoadFile(watched, bootstrap.Options{}); err == nil {
		for _, ref := range res.ReferencedFiles {
			if filepath.IsAbs(ref.Path) {
				files = append(files, ref.Path)
			}
		}
	}
	seen := map[string]bool{}
	check := func(m bindMount, what string) {
		if seen[m.Source] || !m.isSingleFile() {
			return
		}
		seen[m.Source] = true
		warnings = append(warnings, SingleFileWarning(what, m.Source, m.Destination))
	}
	if host, m, ok := envoyPathOf(mounts, watched); ok && host != "" {
		check(m, "the bootstrap")
	}
	for _, f := range files {
		if m, ok := mountOf(mounts, f); ok {
			check(m, f)
		}
	}
	return warnings, nil
}

// SingleFileWarning says why a single-file bind mount is a trap, and the fix.
func SingleFileWarning(what, source, destination string) string {
	return fmt.Sprintf("%s is a single-file bind mount (%s:%s): saves that rename the file (vim's and emacs's defaults, sed -i, git checkout) will not reach Envoy; "+
		"mount the directory instead (-v ./envoy:%s) and recreate the container once",
		what, source, destination, filepath.Dir(destination))
}

// volumeOver names the non-bind mount (a named volume) that holds path in
// the container, or "".
func volumeOver(mounts []container.MountPoint, path string) string {
	best, name := "", ""
	for _, m := range mounts {
		if m.Type == "bind" || len(m.Destination) <= len(best) {
			continue
		}
		if path == m.Destination || strings.HasPrefix(path, strings.TrimSuffix(m.Destination, "/")+"/") {
			best, name = m.Destination, cmp.Or(m.Name, m.Source)
		}
	}
	return name
}
