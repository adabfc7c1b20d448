#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang under ASan+UBSan and runs each one
# for a bounded time from its committed seed corpus (fixed seed, so a run is repeatable),
# after replaying every kept crash input (tests/fuzz/regressions/<target>/) once.
#   scripts/run-fuzz.sh [seconds per target, default 20]
# FUZZ_BUILD_ONLY=1 builds and stops (make test builds in the background, runs later). Targets
# run JOBS (default 2) at a time, each on its own core; the lines print in target order.
# Prints one line per target: "fuzz <target>: ok, N runs, cov C, ft F" or what failed; exits
# non-zero when any target crashed, leaked or broke an invariant (the input is kept under
# build/fuzz/crashes/ to be moved to tests/fuzz/regressions/ once fixed).
set -uo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH="${1:-20}"
BUILD="${FUZZ_BUILD:-build/fuzz}"
TARGETS=(fuzz_cloudevents fuzz_publish_request fuzz_stream_request fuzz_sse_encoder fuzz_forwarded fuzz_jwt_token fuzz_chunked_body fuzz_redis_reply fuzz_stream_record)

if [[ ! -f "$BUILD/build.ninja" ]]; then
  CC=clang CXX=clang++ cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DRELAY_FUZZ=ON -DRELAY_SANITIZE=ON -DRELAY_TESTS=OFF >/dev/null || exit 1
fi
cmake --build "$BUILD" -j "${JOBS:-2}" --target fuzzers >"$BUILD/build.log" 2>&1 ||
  { echo "fuzz: build failed"; tail -30 "$BUILD/build.log"; exit 1; }

[[ "${FUZZ_BUILD_ONLY:-0}" == "1" ]] && exit 0

mkdir -p "$BUILD/crashes"
# Runs one target; its verdict goes to $BUILD/<target>.verdict, exit status 1 on failure.
fuzz_one() {  # target
  local target="$1"
  local bin="$BUILD/tests/fuzz/$target"
  local log="$BUILD/$target.log"
  local verdict="$BUILD/$target.verdict"
  local work="$BUILD/corpus/$target"  # new inputs go here, never into the committed seeds
  mkdir -p "$work"
  local regressions=(tests/fuzz/regressions/"$target"/*)
  if [[ -e "${regressions[0]}" ]]; then
    if ! "$bin" "${regressions[@]}" >"$log.regressions" 2>&1; then
      { echo "fuzz $target: a kept regression input fails again"; tail -30 "$log.regressions"; } >"$verdict"
      return 1
    fi
  fi
  "$bin" -seed=1 -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="$BUILD/crashes/$target-" \
    "$work" "tests/fuzz/corpus/$target" >"$log" 2>&1
  local rc=$?
  local runs cov
  runs=$(awk '/stat::number_of_executed_units/ {print $2}' "$log")
  cov=$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
  if [[ $rc -ne 0 ]]; then
    { echo "fuzz $target: FAILED (exit $rc); log: $log"; grep -E 'ERROR|SUMMARY|artifact' "$log" | head -10; } >"$verdict"
    return 1
  fi
  echo "fuzz $target: ok, ${runs:-?} runs in ${SECONDS_EACH} s, ${cov:-no coverage line}" >"$verdict"
}

status=0
pids=()
for target in "${TARGETS[@]}"; do
  while (( $(jobs -rp | wc -l) >= ${JOBS:-2} )); do wait -n; done
  fuzz_one "$target" &
  pids+=($!)
done
for i in "${!TARGETS[@]}"; do
  wait "${pids[$i]}" || status=1
  cat "$BUILD/${TARGETS[$i]}.verdict"
done
exit $status
