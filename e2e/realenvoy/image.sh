#!/usr/bin/env bash
# image.sh ENVOY_BINARY RESTARTER TAG: builds the real-Envoy image FROM
# scratch: the binary, exactly the libraries ldd lists (symlinks followed),
# an empty /tmp, and envoy-hot-restarter as PID 1. Nothing is pulled.
set -euo pipefail
envoy="$1" restarter="$2" tag="$3"
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
root="$ctx/root"
mkdir -p "$root/usr/local/bin" "$root/etc/envoy" "$root/tmp"
chmod 1777 "$root/tmp"
cp "$envoy" "$root/usr/local/bin/envoy"
cp "$restarter" "$root/usr/local/bin/envoy-hot-restarter"
libs="$(ldd "$envoy" | grep -o '/[^ ]*' || true)"
[ -n "$libs" ] || { echo "ldd lists no library for $envoy" >&2; exit 1; }
for lib in $libs; do
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp "$(dirname "$0")/Dockerfile" "$ctx/Dockerfile"
out="$(docker build -q -t "$tag" "$ctx" 2>&1)" || { echo "$out" >&2; exit 1; }
echo "built $tag ($(echo $libs | wc -w) libraries from ldd)"
