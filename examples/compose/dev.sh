#!/usr/bin/env bash
# `make dev`: bring up the example stack (two Envoys) and run envoy-reloader
# in the foreground (Ctrl-C stops the reloader; `make dev-down` the stack).
# Installs and starts Docker where it can (root, Debian), and falls back to
# the stand-in Envoy image when the Envoy image cannot be pulled (offline).
# `dev.sh down` stops the stack (`make dev-down`).
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

# quietly runs a command with its output kept in a file, and when it fails
# says so in one line with the output's last line.
quietly() {
  local log why
  log="$(mktemp)"
  if ! "$@" >"$log" 2>&1; then
    why="$(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
    echo "$* failed: ${why:-no output} (whole output: $log)" >&2
    exit 1
  fi
  rm -f "$log"
}

apt_install() {
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=l
  quietly apt-get update -qq
  quietly apt-get install -y -qq "$@"
}

# compose runs docker compose quietly and, when it fails, says why in one
# line (docker-compose v1 answers a daemon problem with a Python traceback).
compose() {
  quietly "${compose_cmd[@]}" --project-directory "$here" -f "$here/docker-compose.yaml" -p "$project" "$@"
}

find_compose() {
  if docker compose version >/dev/null 2>&1; then
    compose_cmd=(docker compose)
  elif command -v docker-compose >/dev/null 2>&1; then
    compose_cmd=(docker-compose)
  else
    return 1
  fi
}

if [ "${1:-}" = down ]; then
  # Stopping installs and starts nothing: without a daemon there is no stack.
  if ! docker info >/dev/null 2>&1; then
    echo "no Docker daemon answers, so the example stack is not running"
    exit 0
  fi
  find_compose || { echo "neither 'docker compose' nor 'docker-compose' is installed" >&2; exit 1; }
  compose down --remove-orphans
  say "example stack stopped"
  exit 0
fi

if ! command -v dockerd >/dev/null 2>&1 && ! docker info >/dev/null 2>&1; then
  as_root "Docker is not installed" "apt-get install docker.io"
  say "installing Docker from Debian's packages"
  apt_install docker.io
fi
if ! docker info >/dev/null 2>&1; then
  as_root "no Docker daemon answers" "start dockerd"
  say "starting dockerd (log: /tmp/envoy-reloader-dockerd.log)"
  # In a session of its own: Ctrl-C reaches every process of the terminal's
  # foreground group, and it must stop only the reloader, not the daemon
  # (and with it the stack) that outlives `make dev`.
  setsid dockerd </dev/null >/tmp/envoy-reloader-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/envoy-reloader-dockerd.log" >&2; exit 1; }
fi

if ! find_compose; then
  as_root "neither 'docker compose' nor 'docker-compose' is installed" "apt-get install docker-compose"
  say "installing docker-compose from Debian's packages"
  apt_install docker-compose
  compose_cmd=(docker-compose)
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

say "starting the stack ($ENVOY_IMAGE) with ${compose_cmd[*]}"
compose up -d --force-recreate --remove-orphans

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
echo "  two Envoys: envoy (the front proxy, admin 9901) routes /service to service-envoy (admin 9902)."
echo "  edit  $here/envoy/envoy.yaml  or  service-envoy.yaml  and save:"
echo "        the Envoy whose file changed is reloaded. Ctrl-C stops the reloader, 'make dev-down' the stack."
echo "  try   curl -s localhost:10000/  and  curl -s localhost:10000/service  and  $root/bin/envoy-reloader status"
echo
cd "$root"
exec "$root/bin/envoy-reloader" watch
