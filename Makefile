# The two commands of the README: `make run` and `make test`.
# Both install what is missing (scripts/install-deps.sh), configure and build.
BUILD      ?= build/release
ASAN_BUILD ?= build/asan
JOBS       ?= 2
ARGS       ?= --demo

.PHONY: run test bench build build-asan deps deps-test unit test-asan blackbox clean

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

## make test: every suite (unit + integration, black-box with real clients, then
## unit + integration again under ASan + UBSan); closes with one "N passed, N failed" line.
test: deps-test
	@scripts/run-tests.sh

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
