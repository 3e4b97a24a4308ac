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

VALGRIND = valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--child-silent-after-fork=yes --quiet
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# the e2e suites that drive the core (daemon, supervisor, CLI, shim) run a
# second time against the ASan+UBSan binaries
E2E_ASAN = tests/e2e/test_foundation.py tests/e2e/test_daemon_survival.py tests/e2e/test_cluster.py

.PHONY: all build deps run test test-unit test-asan test-valgrind test-e2e test-e2e-asan \
	bench bench-smoke install format clean

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
	$(MAKE) test-unit test-asan test-valgrind test-e2e test-e2e-asan bench-smoke

test-unit: build
	meson test -C $(BUILD) --print-errorlogs

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Db_lundef=false \
	    -Dsup_libc=system -Dbuildtype=debug

test-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	$(SAN_ENV) meson test -C $(ASAN_BUILD) --print-errorlogs

test-valgrind: build
	meson test -C $(BUILD) --print-errorlogs --wrap="$(VALGRIND)"

test-e2e: build
	DROVER_BUILD=$(abspath $(BUILD)) $(PYTEST) -q tests/e2e

# leaks are not checked here: daemons and supervisors are killed, not exited
test-e2e-asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    DROVER_BUILD=$(abspath $(ASAN_BUILD)) $(PYTEST) -q $(E2E_ASAN)

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
