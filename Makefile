# drover - top-level entry points. README documents `make run` and `make test`.
#
#   make run      install build deps, build, start the example app as a cluster
#   make test     install test deps, build (plain and ASan+UBSan), run every test
#   make bench    run the benchmarks against PM2, node cluster, nginx, HAProxy
#   make fuzz     run every libFuzzer target (tests/fuzz) FUZZ_SECONDS (60) s each
#   make check-fresh  prove `make run` and `make test` on a clean Debian 12 root
#   make test-containers  the examples/docker and examples/kubernetes images, compose,
#                 swarm and manifests on a private dockerd (tests/containers)
#   make install  install under PREFIX (default /usr/local)
#   make deb      build drover_<version>_<arch>.deb (debian/) in a clean copy, into build-deb/
#   make check-deb    make deb, then lintian, the file list and the installed-layout test on it
#   make npm      pack the npm package (builds from source on install) into build-npm/
#   make check-npm    make npm, then npm install -g it into a temporary prefix and run it
#   make format   clang-format every C file

PREFIX ?= /usr/local
BUILD ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
PYTEST ?= /usr/bin/python3 -m pytest
DROVER = $(BUILD)/drover

VALGRIND = valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
	--child-silent-after-fork=yes --quiet
SAN_ENV = ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# the e2e suites that drive the core (daemon, supervisor, CLI, shim) run a
# second time against the ASan+UBSan binaries
E2E_ASAN = tests/e2e/test_foundation.py tests/e2e/test_daemon_survival.py tests/e2e/test_cluster.py \
	tests/e2e/test_drain.py tests/e2e/test_least_conn.py

.PHONY: all build build-tests deps run test test-unit test-asan test-valgrind test-e2e test-e2e-asan \
	bench bench-smoke check-fresh test-containers fuzz install deb check-deb npm check-npm format clean

all: build

deps:
	@scripts/install-deps.sh build

$(BUILD)/build.ninja:
	meson setup $(BUILD) --prefix=$(PREFIX)

build: $(BUILD)/build.ninja
	ninja -C $(BUILD)

# `make run` needs no cmocka: its build dir has tests=auto (unit tests built
# only when cmocka is found). The test targets need them: they set up the
# build dir with tests=enabled, or switch an existing one to it (a missing
# cmocka is then an error), and leave one already enabled alone (no reconfigure).
# $(call tests_enabled,DIR,SETUP_OPTIONS)
tests_enabled = @if [ ! -f $(1)/build.ninja ]; then set -x; meson setup $(1) $(2) -Dtests=enabled; \
	elif ! grep -qs '"name": "tests", "value": "enabled"' $(1)/meson-info/intro-buildoptions.json; \
	then set -x; meson configure $(1) -Dtests=enabled; fi

build-tests:
	$(call tests_enabled,$(BUILD),--prefix=$(PREFIX))
	ninja -C $(BUILD)

run: deps build
	@scripts/run-example.sh $(BUILD)

test:
	@scripts/install-deps.sh test
	$(MAKE) build-tests
	$(MAKE) test-unit test-asan test-valgrind test-e2e test-e2e-asan bench-smoke

test-unit: build-tests
	meson test -C $(BUILD) --print-errorlogs

ASAN_SETUP = -Db_sanitize=address,undefined -Db_lundef=false -Dsup_libc=system -Dbuildtype=debug

$(ASAN_BUILD)/build.ninja:
	meson setup $(ASAN_BUILD) $(ASAN_SETUP) -Dtests=enabled

test-asan:
	$(call tests_enabled,$(ASAN_BUILD),$(ASAN_SETUP))
	ninja -C $(ASAN_BUILD)
	$(SAN_ENV) meson test -C $(ASAN_BUILD) --print-errorlogs

test-valgrind: build-tests
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

# the container examples on real engines: a private dockerd (never the
# system's), a local Debian base image, compose, swarm, kustomize; cleans up
# every container, image, bridge and iptables rule it made
test-containers:
	PYTEST="$(PYTEST)" scripts/test-containers.sh

# libFuzzer (clang) on every parser of outside input; new inputs and crashes go
# to $(FUZZ_BUILD)/fuzz-work, never into the seed corpus tests/fuzz/corpus
fuzz:
	@scripts/install-deps.sh test
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_BUILD=$(FUZZ_BUILD) scripts/fuzz.sh

# README's `make run` and `make test` in a fresh Debian 12 chroot (root, network)
check-fresh:
	scripts/check-fresh.sh

install: build
	meson install -C $(BUILD)

DEB_OUT ?= build-deb

deb:
	@scripts/install-deps.sh deb
	scripts/make-deb.sh $(DEB_OUT)

check-deb: deb
	scripts/check-deb.sh $(DEB_OUT)

NPM_OUT ?= build-npm

npm: build
	@scripts/install-deps.sh npm
	scripts/make-npm.sh $(NPM_OUT) $(BUILD)

check-npm: npm
	scripts/check-npm.sh $(NPM_OUT)

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
