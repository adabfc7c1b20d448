#!/usr/bin/env bash
# Installs the Debian 12 packages sse-relay needs to build and test, and only what is missing.
# Shared by `make run`, `make test` and the Dockerfile so all three agree on one list.
#   scripts/install-deps.sh build   -> compiler, CMake, Ninja and the libraries
#   scripts/install-deps.sh test    -> build + what the black-box tests drive (node, npm)
#   scripts/install-deps.sh bench   -> test + nchan, the anchor of `make bench`
set -euo pipefail

profile="${1:-build}"

build_pkgs=(
  g++ cmake ninja-build make pkg-config
  libboost1.81-dev          # Asio (C++20 coroutines), Beast, header-only System
  libboost-url1.81-dev      # query-string parsing for /api/events/stream
  libsimdjson-dev libfmt-dev doctest-dev
  prometheus-cpp-dev        # /metrics: registry + text serializer (core library only)
  libhiredis-dev            # Redis: RESP reader and command formatter (RELAY_BUS=redis://)
  libjwt-dev                # JWT signature checks (subscriber and producer tokens)
  libssl-dev                # OpenSSL: the JWT public key's type
)
# chromium: the dashboard tests (playwright-core); clang + libclang-rt-14-dev: libFuzzer
# redis-server: the Redis event log's tests (started by the tests themselves)
# podman, runc, debootstrap: the container test (scripts/build-image.sh, no registry needed)
test_pkgs=(nodejs npm nginx-light haproxy chromium clang libclang-rt-14-dev redis-server podman runc debootstrap
           prometheus)  # prometheus: promtool for the alert rules, a real server for the dashboard
bench_pkgs=(libnginx-mod-nchan)

pkgs=("${build_pkgs[@]}")
if [[ "$profile" == "test" || "$profile" == "bench" ]]; then pkgs+=("${test_pkgs[@]}"); fi
if [[ "$profile" == "bench" ]]; then pkgs+=("${bench_pkgs[@]}"); fi

missing=()
for p in "${pkgs[@]}"; do
  # A package counts as present only when dpkg says it is fully installed.
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    # node/npm may come from another source on a developer machine: accept the binaries.
    case "$p" in
      nodejs) command -v node >/dev/null 2>&1 && continue ;;
      npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [[ $(id -u) -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
