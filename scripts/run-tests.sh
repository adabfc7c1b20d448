#!/usr/bin/env bash
# `make test`: every suite, in the order a failure is cheapest to find.
#   1. unit + in-process integration tests (doctest, via ctest) on the release build, the
#      sse-bench parser tests and a 2 s sse-bench smoke run against the relay
#   2. black-box tests of the real binary with real clients (node:test + npm eventsource)
#   3. unit + integration tests again under AddressSanitizer + UndefinedBehaviorSanitizer
#      and the soak's short form against the sanitized binary (LeakSanitizer at its exit)
#   4. each libFuzzer target (tests/fuzz) for a bounded time under ASan + UBSan
# Ends with one "N passed, N failed" line summing all of them; exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

JOBS="${JOBS:-2}"
RELEASE="${BUILD:-build/release}"
ASAN="${ASAN_BUILD:-build/asan}"
LOGS="build/test-logs"
mkdir -p "$LOGS"

passed=0
failed=0
status=0
started=$(date +%s)

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

# Configures (once) and builds one configuration.
build() {  # dir, extra cmake args...
  local dir="$1"; shift
  if [[ ! -f "$dir/build.ninja" ]]; then
    cmake -S . -B "$dir" -G Ninja "$@" >/dev/null || return 1
  fi
  cmake --build "$dir" -j "$JOBS"
}

# Runs ctest in a build dir; one ctest test is one doctest executable (or the layering check).
run_ctest() {  # dir, label, extra ctest args...
  local dir="$1" label="$2"; shift 2
  local log="$LOGS/$label.log"
  echo "== $label: ctest in $dir"
  (cd "$dir" && ctest --output-on-failure -V "$@") >"$log" 2>&1
  local rc=$?
  grep -E '^ *[0-9]+/[0-9]+ Test|tests passed|\[doctest\] (test cases|Status)' "$log"
  count_doctest "$log"
  if grep -qE '(^|: )layering: ok' "$log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  # The sse-bench smoke run (not a doctest) counts as one test where it ran.
  if grep -q 'Test.*bench_smoke' "$log"; then
    if grep -qE '(^|: )bench_smoke: ok' "$log"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  fi
  if [[ $rc -ne 0 ]]; then
    echo "-- $label failed; full log: $log"; tail -60 "$log"; status=1
  fi
}

echo "== build (release)"
build "$RELEASE" -DCMAKE_BUILD_TYPE=RelWithDebInfo || { echo "release build failed"; exit 1; }
run_ctest "$RELEASE" unit-integration

echo "== black-box: real binary, real clients"
(cd tests/blackbox && { [[ -d node_modules/eventsource && -d node_modules/@opentelemetry/otlp-proto-exporter-base && -d node_modules/playwright-core && -d node_modules/yaml ]] || npm ci --no-audit --no-fund --loglevel=error; })
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

echo "== build (AddressSanitizer + UndefinedBehaviorSanitizer)"
if build "$ASAN" -DCMAKE_BUILD_TYPE=Debug -DRELAY_SANITIZE=ON; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_ctest "$ASAN" sanitized -E bench_smoke  # a load run measures nothing under ASan
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
else
  echo "sanitizer build failed"; failed=$((failed + 1)); status=1
fi

echo "== fuzz: libFuzzer targets under ASan + UBSan, ${FUZZ_SECONDS:-20} s each from the seed corpus"
scripts/run-fuzz.sh "${FUZZ_SECONDS:-20}" | tee "$LOGS/fuzz.log"
[[ ${PIPESTATUS[0]} -eq 0 ]] || status=1
passed=$((passed + $(grep -c ': ok,' "$LOGS/fuzz.log")))
failed=$((failed + $(grep -cE 'FAILED|fails again|build failed' "$LOGS/fuzz.log")))

echo "== make test took $(( $(date +%s) - started )) s"
echo "$passed passed, $failed failed"
exit $status
