#!/bin/sh
# Installs the Debian 12 packages drover needs, only those missing.
#   scripts/install-deps.sh build   - to build drover
#   scripts/install-deps.sh test    - to build and run every test
#   scripts/install-deps.sh bench   - to run the benchmarks (peers included)
# Uses sudo when not root. Safe to run again: it does nothing when all is there.
# The bench profile installs nginx and haproxy only as programs the harness runs
# itself on its own ports; their system services are not started (a temporary
# policy-rc.d denies it during the install, unless the machine already has one).
set -eu

build_pkgs="gcc make meson ninja-build pkg-config musl-tools libjansson-dev libyaml-dev zlib1g-dev"
run_pkgs="nodejs python3"
# wrk: `make test` runs the benchmark harness in smoke mode (bench/run.sh --smoke)
test_pkgs="libcmocka-dev python3-pytest clang libclang-rt-14-dev valgrind iproute2 util-linux procps psmisc ruby puma wrk"
bench_pkgs="wrk nginx haproxy gnuplot-nox"

case "${1:-build}" in
build) want="$build_pkgs $run_pkgs" ;;
test) want="$build_pkgs $run_pkgs $test_pkgs" ;;
bench) want="$build_pkgs $run_pkgs $test_pkgs $bench_pkgs" ;;
*) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    # node may come from elsewhere (nodesource, nvm): a working `node` is enough
    if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$p" = python3 ] && [ -x /usr/bin/python3 ]; then continue; fi
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
policy=/usr/sbin/policy-rc.d
if [ "${1:-build}" = bench ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from drover scripts/install-deps.sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
