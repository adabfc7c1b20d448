# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), configure and build.
BUILD      ?= build/release
ASAN_BUILD ?= build/asan
JOBS       ?= 2
ARGS       ?= --demo

.PHONY: run test check bench build build-asan deps deps-test clean

deps:
	@scripts/install-deps.sh build

deps-test:
	@scripts/install-deps.sh test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo

$(ASAN_BUILD)/build.ninja:
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRELAY_SANITIZE=ON

build: deps $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

build-asan: deps $(ASAN_BUILD)/build.ninja
	cmake --build $(ASAN_BUILD) -j $(JOBS)

## make run: install, build and start the relay on its embedded default (in-memory log).
run: build
	$(BUILD)/sse-relay $(ARGS)

## make test: every suite (black-box with real clients on the release binary, unit +
## integration under ASan + UBSan, the soak under ASan, the fuzz targets); installs what is
## missing first and closes with a per-phase timing table and one "N passed, N failed" line.
test:
	@scripts/run-tests.sh

## make check: the inner loop after a change to C++ sources: the sanitized unit + integration
## tests, built incrementally and run (no black-box suites, no fuzzing).
check:
	@scripts/run-tests.sh --check

## make bench: the relay beside nchan on this machine (tests/bench/run_bench.mjs); prints
## one table and writes JSON + markdown under build/bench-results/. Not part of make test.
bench:
	@scripts/install-deps.sh bench
	@cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build $(BUILD) -j $(JOBS) --target sse-relay sse-bench
	node tests/bench/run_bench.mjs --relay $(BUILD)/sse-relay --bench $(BUILD)/tests/sse-bench $(BENCH_ARGS)
	node tests/bench/bus_bench.mjs --relay $(BUILD)/sse-relay --bench $(BUILD)/tests/sse-bench $(BUS_BENCH_ARGS)

clean:
	rm -rf build
