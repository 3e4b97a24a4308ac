# drover - top-level entry points. README documents `make run` and `make test`.
#
#   make run      install build deps, build, start the example app as a cluster
#   make test     install test deps, build (plain and ASan+UBSan), run every test
#   make bench    run the benchmarks against PM2, node cluster, nginx, HAProxy
#   make install  install under PREFIX (default /usr/local)
#   make format   clang-format every C file

PREFIX ?= /usr/local
BUILD ?= build
ASAN_BUILD ?= build-asan
PYTEST ?= /usr/bin/python3 -m pytest
DROVER = $(BUILD)/drover

.PHONY: all build deps run test test-unit test-asan test-e2e bench bench-smoke install format clean

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

run: deps build
	@scripts/run-example.sh $(BUILD)

test:
	@scripts/install-deps.sh test
	$(MAKE) build
	$(MAKE) test-unit test-asan test-e2e bench-smoke

test-unit: build
	meson test -C $(BUILD) --print-errorlogs

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dsup_libc=system -Dbuildtype=debug

test-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    meson test -C $(ASAN_BUILD) --print-errorlogs

test-e2e: build
	DROVER_BUILD=$(abspath $(BUILD)) $(PYTEST) -q -x tests/e2e

bench:
	@scripts/install-deps.sh bench
	$(MAKE) build
	bench/run.sh

bench-smoke: build
	@if [ -x bench/run.sh ]; then bench/run.sh --smoke; fi

install: build
	meson install -C $(BUILD)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)
