#!/usr/bin/env bash
# Builds the relay's image with podman where no registry is reachable: a Debian 12 base made
# with debootstrap from the mirror this machine's apt sources already use, imported and
# tagged as the Dockerfile's base name, then `podman build --pull=never`.
#   scripts/build-image.sh [tag]                 compile the relay inside the image build
#   scripts/build-image.sh --binary PATH [tag]   pack a relay already built on this Debian 12
#                                                host (the Dockerfile's `prebuilt` target)
# Tag defaults to localhost/sse-relay:latest. Podman's layer cache keys each step on its
# inputs, so an unchanged Dockerfile and binary rebuild in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=""
if [[ "${1:-}" == "--binary" ]]; then
  binary="${2:?--binary needs a path}"
  shift 2
fi
tag="${1:-localhost/sse-relay:latest}"
export CONTAINERS_CONF="${CONTAINERS_CONF:-$PWD/deploy/podman/containers.conf}"
base="localhost/debian:12-slim"

if ! podman image exists "$base"; then
  mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
  [[ -n "$mirror" ]] || mirror=$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  [[ -n "$mirror" ]] || { echo "build-image: no Debian mirror in the apt sources" >&2; exit 1; }
  root=$(mktemp -d)
  trap 'rm -rf "$root"' EXIT
  started=$SECONDS
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  tar -C "$root" -c . | podman import - "$base" >/dev/null
  echo "build-image: base $base from debootstrap in $((SECONDS - started)) s" >&2
fi
started=$SECONDS
target=()
if [[ -n "$binary" ]]; then
  # The build context sees build/ only through this one file (.dockerignore).
  mkdir -p build/image
  strip --strip-debug -o build/image/sse-relay "$binary"  # the image carries no debug info
  target=(--target prebuilt)
fi
podman build --pull=never --format docker --network host "${target[@]}" \
  --build-arg "RELAY_COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
  -f docker/Dockerfile -t "$tag" . >&2
echo "build-image: $tag built in $((SECONDS - started)) s" >&2
