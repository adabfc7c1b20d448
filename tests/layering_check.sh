#!/usr/bin/env bash
# Dependencies point inward only (DESIGN 2):
#   domain <- proto <- service/telemetry <- service <- infra/* (infra/redis apart) <- app
# All headers share one include root, so a wrong arrow would compile; this check fails it.
set -u
root="${1:-.}"
fail=0

# Prints the include lines of a folder's sources matching `pattern`, minus those matching
# `allowed` (an empty `allowed` allows nothing).
includes() {  # folder, pattern, allowed
  local hits
  hits=$(grep -nE "#include [<\"]($2)" "$root/$1"/*.hpp "$root/$1"/*.cpp 2>/dev/null)
  if [[ -n "$3" ]]; then hits=$(grep -vE "#include [<\"]($3)" <<<"$hits"); fi
  printf '%s' "$hits"
}
check() {  # folder, forbidden pattern, allowed exceptions, why
  local hits
  hits=$(includes "$1" "$2" "$3")
  if [[ -n "$hits" ]]; then
    echo "layering: $1/ must not include $4:"; echo "$hits"; fail=1
  fi
}

check domain 'proto/|service/|infra/|app/|boost/|simdjson' '' "proto, service, infra, app, Boost or simdjson"
check proto 'service/|infra/|app/|boost/' '' "service, infra, app or Boost (no Asio in wire formats)"
# The telemetry SDK sees proto/ and two interfaces of the core, nothing else of it.
check service/telemetry 'service/|infra/|app/|boost/beast|boost/url' \
  'service/(telemetry/|clock\.hpp|hosted_service\.hpp)' "the rest of service, infra, app, Beast or Boost.URL"
check service 'infra/|app/|boost/beast|boost/url' '' "infra, app, Beast or Boost.URL"
# The Redis adapter is its own library (relay_redis): it sees the service ports and its own
# folder, never the HTTP front, auth or telemetry (config_values.hpp: number parsing only).
check infra/redis 'infra/|app/' 'infra/(redis/|config/config_values\.hpp)' "the rest of infra, or app"
# The composition root (app/) is above every adapter: none of them reaches it.
for folder in "$root"/infra/*/; do
  folder="${folder%/}"
  check "infra/${folder##*/}" 'app/' '' "app (the composition root)"
done
stray=$(ls "$root"/infra/*.hpp "$root"/infra/*.cpp "$root"/service/main.cpp 2>/dev/null)
if [[ -n "$stray" ]]; then
  echo "layering: infra/ holds folders only, main lives in app/:"; echo "$stray"; fail=1
fi

if [[ $fail -eq 0 ]]; then echo "layering: ok"; fi
exit $fail
