#!/usr/bin/env bash
# Dependencies point inward only (DESIGN 2): domain <- proto <- service <- infra <- main.
# All headers share one include root, so a wrong arrow would compile; this check fails it.
set -u
root="${1:-.}"
fail=0
check() {  # layer, forbidden include pattern, why
  local hits
  hits=$(grep -nE "#include [<\"]($2)" "$root/$1"/*.hpp "$root/$1"/*.cpp 2>/dev/null | grep -v "^$root/$1/main.cpp")
  if [[ -n "$hits" ]]; then
    echo "layering: $1/ must not include $3:"; echo "$hits"; fail=1
  fi
}
check domain 'proto/|service/|infra/|boost/|simdjson' "proto, service, infra, Boost or simdjson"
check proto 'service/|infra/|boost/' "service, infra or Boost (no Asio in wire formats)"
check service 'infra/|boost/beast|boost/url' "infra, Beast or Boost.URL"
# The Redis adapter is its own library (relay_redis): it sees the service ports and its own
# folder, never the HTTP front, auth or telemetry (config_values.hpp: number parsing only).
hits=$(grep -nE '#include "infra/' "$root"/infra/redis/*.hpp "$root"/infra/redis/*.cpp 2>/dev/null |
  grep -vE '#include "infra/(redis/|config_values\.hpp)')
if [[ -n "$hits" ]]; then
  echo "layering: infra/redis/ must not include the rest of infra:"; echo "$hits"; fail=1
fi
if [[ $fail -eq 0 ]]; then echo "layering: ok"; fi
exit $fail
