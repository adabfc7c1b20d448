#!/usr/bin/env bash
# bench_smoke (ctest): a short sse-bench run against the real relay, so the load tool of
# `make bench` cannot rot. Asserts on the tool's own verdicts: every subscriber connected,
# every event delivered exactly once, a fixed rate kept.
set -euo pipefail
relay="$1"; bench="$2"
log=$(mktemp); out=$(mktemp)
"$relay" --host 127.0.0.1 --port 0 >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log" "$out"' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$log" | head -1)
  [[ -n "$port" ]] && break
  sleep 0.05
done
[[ -n "$port" ]] || { echo "bench_smoke: relay did not start"; cat "$log"; exit 1; }

"$bench" --port "$port" --subscribers 20 --rate 200 --duration 2 --publishers 2 \
  --server-pid "$pid" --label smoke --json >"$out"
cat "$out"
check() {  # jq-free: the report is one flat-enough JSON line
  grep -q "$1" "$out" || { echo "bench_smoke: expected $1"; exit 1; }
}
check '"connected":20,"connect_failures":0'
check '"published":400,"publish_errors":0'
check '"deliveries":8000,'
check '"missing":0,"duplicates":0'
check '"sustained":true'
echo "bench_smoke: ok"
