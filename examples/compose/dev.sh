#!/usr/bin/env bash
# `make dev`: bring up the example stack and run envoy-reloader in the
# foreground (Ctrl-C stops the reloader; `make dev-down` the stack).
# Installs and starts Docker where it can (root, Debian), and falls back to
# the stand-in Envoy image when the Envoy image cannot be pulled (offline).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ENVOY_IMAGE="${ENVOY_IMAGE:-envoyproxy/envoy:v1.40-latest}"
project=envoy-reloader-example

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -ne 0 ]; then
    echo "$1 — run this as root, or do it yourself: $2" >&2
    exit 1
  fi
}

if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  as_root "Docker is not installed" "apt-get install docker.io"
  say "installing Docker from Debian's packages"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi
if ! docker info >/dev/null 2>&1; then
  as_root "no Docker daemon answers" "start dockerd"
  say "starting dockerd (log: /tmp/envoy-reloader-dockerd.log)"
  nohup dockerd >/tmp/envoy-reloader-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/envoy-reloader-dockerd.log" >&2; exit 1; }
fi

if docker compose version >/dev/null 2>&1; then
  compose=(docker compose)
elif command -v docker-compose >/dev/null 2>&1; then
  compose=(docker-compose)
else
  as_root "neither 'docker compose' nor 'docker-compose' is installed" "apt-get install docker-compose"
  say "installing docker-compose from Debian's packages"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker-compose >/dev/null
  compose=(docker-compose)
fi

standin=""
if ! docker image inspect "$ENVOY_IMAGE" >/dev/null 2>&1; then
  say "pulling $ENVOY_IMAGE"
  if ! docker pull -q "$ENVOY_IMAGE" >/dev/null 2>&1; then
    echo
    echo "Cannot pull $ENVOY_IMAGE: this machine seems to be offline."
    echo "Running the same stack on the stand-in Envoy image instead."
    make -s -C "$root" image-standin >/dev/null
    export ENVOY_IMAGE=envoy-reloader-standin:dev
    standin=1
  fi
fi

say "starting the stack ($ENVOY_IMAGE) with ${compose[*]}"
(cd "$here" && "${compose[@]}" -p "$project" up -d --force-recreate --remove-orphans)

if [ -n "$standin" ]; then
  cat <<'BANNER'

  ┌──────────────────────────────────────────────────────────────────────┐
  │  STAND-IN ENVOY: configs are validated and hot restarts are real,    │
  │  but no real Envoy runs them. Pull envoyproxy/envoy and re-run       │
  │  `make dev` for the real thing.                                      │
  └──────────────────────────────────────────────────────────────────────┘
BANNER
fi
echo
echo "  edit  $here/envoy/envoy.yaml  and save; Ctrl-C stops the reloader, 'make dev-down' the stack."
echo "  try   curl -s localhost:10000/   and   $root/bin/envoy-reloader status"
echo
cd "$root"
exec "$root/bin/envoy-reloader" watch
