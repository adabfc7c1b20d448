#!/usr/bin/env bash
# `make test`: every suite, each compiled once, ending with a per-phase timing table and one
# "N passed, N failed" line summing all of them; exits non-zero on any failure.
#   1. deps: installs what is missing (scripts/install-deps.sh test)
#   2. release: builds what the black-box suites run (sse-relay, sse-bench, its parser tests)
#      and runs the layering check, the parser tests and a 2 s sse-bench smoke run
#   3. black-box: the real binary with real clients (node:test + npm eventsource, Chromium,
#      nginx, haproxy, Redis, podman). Meanwhile the ASan + UBSan build and the fuzz targets
#      compile in the background at SCHED_IDLE priority: they use the CPU the black-box suites
#      leave idle (most of them wait on sockets and timers) and never take it from them.
#   4. sanitized: unit + integration tests under AddressSanitizer + UndefinedBehaviorSanitizer
#      (their only run: the release build does not compile them), then the soak's short form
#      against the sanitized binary (LeakSanitizer at its exit)
#   5. fuzz: each libFuzzer target for a bounded time under ASan + UBSan
# `make check` is the inner loop: scripts/run-tests.sh --check builds the sanitized unit and
# integration tests and runs them, nothing else.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
RELEASE="${BUILD:-build/release}"
ASAN="${ASAN_BUILD:-build/asan}"
LOGS="build/test-logs"
mkdir -p "$LOGS"
check_only=0
[[ "${1:-}" == "--check" ]] && check_only=1

passed=0
failed=0
status=0
started=$(date +%s)
phase_names=()
phase_seconds=()
phase_started=$started

# Closes the running phase under a name for the timing table.
phase_done() {  # name
  local now
  now=$(date +%s)
  phase_names+=("$1")
  phase_seconds+=($((now - phase_started)))
  phase_started=$now
}

timing_table() {
  echo "== timing"
  local i
  for i in "${!phase_names[@]}"; do
    printf '  %-44s %5d s\n' "${phase_names[$i]}" "${phase_seconds[$i]}"
  done
  printf '  %-44s %5d s\n' "total" $(( $(date +%s) - started ))
}

# Adds the doctest case counts of a ctest log to the totals.
count_doctest() {
  local counts
  counts=$(awk -F'|' '/\[doctest\] test cases:/ {
             for (i = 2; i <= NF; i++) {
               if ($i ~ /passed/) { gsub(/[^0-9]/, "", $i); p += $i }
               if ($i ~ /failed/) { gsub(/[^0-9]/, "", $i); f += $i }
             }
           } END { print p + 0, f + 0 }' "$1")
  passed=$((passed + ${counts% *}))
  failed=$((failed + ${counts#* }))
}

# Configures a build dir once.
configure() {  # dir, extra cmake args...
  local dir="$1"; shift
  [[ -f "$dir/build.ninja" ]] || cmake -S . -B "$dir" -G Ninja "$@" >/dev/null
}

# Runs ctest in a build dir; one ctest test is one doctest executable or one script check.
run_ctest() {  # dir, label, extra ctest args...
  local dir="$1" label="$2"; shift 2
  local log="$LOGS/$label.log"
  echo "== $label: ctest in $dir"
  (cd "$dir" && ctest --output-on-failure -V "$@") >"$log" 2>&1
  local rc=$?
  grep -E '^ *[0-9]+/[0-9]+ Test|tests passed|\[doctest\] (test cases|Status)' "$log"
  count_doctest "$log"
  # The script checks (not doctest) count as one test each where they ran.
  local check
  for check in layering bench_smoke; do
    if grep -q "Test.*$check" "$log"; then
      if grep -qE "(^|: )$check: ok" "$log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
    fi
  done
  if [[ $rc -ne 0 ]]; then
    echo "-- $label failed; full log: $log"; tail -60 "$log"; status=1
  fi
}

ASAN_CONFIG=(-DCMAKE_BUILD_TYPE=Debug -DRELAY_SANITIZE=ON)
asan_targets=(unit_tests integration_tests sse-relay)

# The unit + integration tests under ASan + UBSan (make test and make check alike).
run_sanitized_tests() {
  export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
  run_ctest "$ASAN" sanitized -R '^(unit_tests|integration_tests)$'
  phase_done "unit + integration tests (ASan + UBSan)"
}

if [[ $check_only -eq 1 ]]; then
  configure "$ASAN" "${ASAN_CONFIG[@]}" || exit 1
  cmake --build "$ASAN" -j "$JOBS" --target unit_tests integration_tests || { echo "sanitizer build failed"; exit 1; }
  phase_done "build: sanitized unit + integration tests"
  run_sanitized_tests
  timing_table
  echo "$passed passed, $failed failed"
  exit $status
fi

scripts/install-deps.sh test || { echo "installing the dependencies failed"; exit 1; }
(cd tests/blackbox && { [[ -d node_modules/eventsource && -d node_modules/@opentelemetry/otlp-proto-exporter-base && -d node_modules/playwright-core && -d node_modules/yaml && -d node_modules/ajv-formats && -d node_modules/typescript && -d node_modules/@axe-core/playwright ]] || npm ci --no-audit --no-fund --loglevel=error; }) ||
  { echo "npm ci in tests/blackbox failed"; exit 1; }
phase_done "deps: Debian packages, npm ci"

echo "== build (release): what the black-box suites run"
configure "$RELEASE" -DCMAKE_BUILD_TYPE=RelWithDebInfo || { echo "release configure failed"; exit 1; }
cmake --build "$RELEASE" -j "$JOBS" --target sse-relay sse-bench bench_tests || { echo "release build failed"; exit 1; }
phase_done "build: release relay + load tool"
run_ctest "$RELEASE" release-checks -R '^(layering|bench_tests|bench_smoke)$'
phase_done "layering, load-tool tests, bench smoke"

# The sanitized and fuzz builds, in the background at idle priority (see the header).
background_log="$LOGS/background-builds.log"
(
  idle=()
  command -v chrt >/dev/null && idle=(chrt --idle 0)
  configure "$ASAN" "${ASAN_CONFIG[@]}" &&
    "${idle[@]}" cmake --build "$ASAN" -j "$JOBS" --target "${asan_targets[@]}" &&
    echo "background: sanitized build done after $(( $(date +%s) - started )) s" ||
    { echo "background: sanitized build failed"; exit 1; }
  FUZZ_BUILD_ONLY=1 "${idle[@]}" scripts/run-fuzz.sh ||
    { echo "background: fuzz build failed"; exit 2; }
  echo "background: fuzz build done after $(( $(date +%s) - started )) s"
) >"$background_log" 2>&1 &
background_pid=$!

echo "== black-box: real binary, real clients"
if (cd tests/blackbox && RELAY_BINARY="$PWD/../../$RELEASE/sse-relay" node --test ./*.test.mjs) >"$LOGS/blackbox.log" 2>&1; then
  :
else
  echo "-- black-box failed; full log: $LOGS/blackbox.log"; grep -B2 -A25 '^not ok' "$LOGS/blackbox.log" | head -120; status=1
fi
bp=$(grep -E '^# pass ' "$LOGS/blackbox.log" | awk '{print $3}')
bf=$(grep -E '^# fail ' "$LOGS/blackbox.log" | awk '{print $3}')
grep -E '^(ok|not ok) ' "$LOGS/blackbox.log"
if [[ -z "$bp" ]]; then echo "-- black-box suite did not report"; tail -30 "$LOGS/blackbox.log"; bf=$((${bf:-0} + 1)); status=1; fi
passed=$((passed + ${bp:-0}))
failed=$((failed + ${bf:-0}))
phase_done "black-box suites (builds continue behind)"

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer, fuzz targets): waiting for the background"
wait "$background_pid"
background_rc=$?
grep '^background:' "$background_log"
phase_done "sanitized + fuzz builds (rest after black-box)"

if [[ $background_rc -eq 1 ]]; then
  echo "sanitizer build failed; log: $background_log"; tail -40 "$background_log"
  failed=$((failed + 1)); status=1
else
  run_sanitized_tests
  # The soak's short form against the sanitized binary: LeakSanitizer runs at its exit, and
  # any report (or a non-zero exit) fails the test.
  echo "== soak under AddressSanitizer (LeakSanitizer at exit)"
  if (cd tests/blackbox && RELAY_BINARY="$PWD/../../$ASAN/sse-relay" SOAK_SUBSCRIBERS=200 SOAK_SECONDS=8 \
        ASAN_OPTIONS=detect_leaks=1 node --test soak.test.mjs) >"$LOGS/soak-asan.log" 2>&1; then
    passed=$((passed + 2)); grep -E '^(ok|not ok) ' "$LOGS/soak-asan.log"
  else
    echo "-- soak under ASan failed; full log: $LOGS/soak-asan.log"; grep -A30 '^not ok' "$LOGS/soak-asan.log" | head -60
    failed=$((failed + 1)); status=1
  fi
  phase_done "soak under ASan"
fi

echo "== fuzz: libFuzzer targets under ASan + UBSan, ${FUZZ_SECONDS:-20} s each from the seed corpus"
scripts/run-fuzz.sh "${FUZZ_SECONDS:-20}" | tee "$LOGS/fuzz.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
passed=$((passed + $(grep -c ': ok,' "$LOGS/fuzz.log")))
failed=$((failed + $(grep -cE 'FAILED|fails again|build failed' "$LOGS/fuzz.log")))
phase_done "fuzz runs"

timing_table
echo "$passed passed, $failed failed"
exit $status
