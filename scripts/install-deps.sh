#!/bin/sh
# Installs the Debian 12 packages drover needs, only those missing.
#   scripts/install-deps.sh build   - to build drover
#   scripts/install-deps.sh test    - to build and run every test
#   scripts/install-deps.sh bench   - to run the benchmarks (peers included)
#   scripts/install-deps.sh deb     - to build and check the Debian package (make deb)
#   scripts/install-deps.sh npm     - to pack and check the npm package (make npm)
# Uses sudo when not root. Safe to run again: it does nothing when all is there.
# The test and bench profiles install nginx and haproxy only as programs the
# tests and the harness run themselves on their own ports; their system
# services are not started (a temporary policy-rc.d denies it during the
# install, unless the machine already has one).
set -eu

# libncurses-dev: drover monit (ncursesw)
build_pkgs="gcc make meson ninja-build pkg-config musl-tools libjansson-dev libyaml-dev zlib1g-dev libncurses-dev"
run_pkgs="nodejs python3"
# wrk: `make test` runs the benchmark harness in smoke mode (bench/run.sh --smoke);
# nginx, haproxy: tests/e2e/test_runtime.py puts them in front of an app (nginx -t, haproxy -c)
test_pkgs="libcmocka-dev python3-pytest clang libclang-rt-14-dev valgrind iproute2 util-linux procps psmisc ruby puma wrk nginx haproxy"
bench_pkgs="wrk nginx haproxy gnuplot-nox"
# the shells tests/e2e/test_completion.py loads the completion scripts into;
# man: the man page checks (tests/install, tests/e2e/test_install.py)
test_pkgs="$test_pkgs zsh fish bash-completion man-db"
# tmux: tests/e2e/test_monit.py drives drover monit in a tmux pane
test_pkgs="$test_pkgs tmux"
# prometheus: tests/e2e/test_http.py checks /metrics with promtool and scrapes it with a real server
test_pkgs="$test_pkgs prometheus"
# npm: the npm test peers of tests/node/package.json (socket.io for
# tests/e2e/test_balancing.py, puppeteer-core for tests/e2e/test_dashboard.py),
# installed into tests/node/node_modules
test_pkgs="$test_pkgs npm"
# chromium: tests/e2e/test_dashboard.py opens the web dashboard in headless
# Chromium (driven by puppeteer-core, which downloads no browser of its own)
test_pkgs="$test_pkgs chromium"
# make deb, make check-deb: debian/control's Build-Depends, dpkg-buildpackage, lintian
deb_pkgs="debhelper dpkg-dev fakeroot lintian man-db libncurses-dev"
# make npm, make check-npm: npm pack, npm install -g
npm_pkgs="npm man-db libncurses-dev"

case "${1:-build}" in
build) want="$build_pkgs $run_pkgs" ;;
test) want="$build_pkgs $run_pkgs $test_pkgs" ;;
bench) want="$build_pkgs $run_pkgs $test_pkgs $bench_pkgs" ;;
deb) want="$build_pkgs $run_pkgs $test_pkgs $deb_pkgs" ;;
npm) want="$build_pkgs $run_pkgs $npm_pkgs" ;;
*) echo "usage: $0 build|test|bench|deb|npm" >&2; exit 2 ;;
esac

missing=""
for p in $want; do
    # node may come from elsewhere (nodesource, nvm): a working `node` is enough
    if [ "$p" = nodejs ] && command -v node >/dev/null 2>&1; then continue; fi
    if [ "$p" = npm ] && command -v npm >/dev/null 2>&1; then continue; fi
    if [ "$p" = python3 ] && [ -x /usr/bin/python3 ]; then continue; fi
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in *"install ok installed"*) ;; *) missing="$missing $p" ;; esac
done

# the npm test peers (tests/node/package.json), after the Debian packages
npm_peers() {
    case "${1:-build}" in test | bench) ;; *) return 0 ;; esac
    dir="$(cd "$(dirname "$0")/.." && pwd)/tests/node"
    [ -d "$dir/node_modules/socket.io" ] && [ -d "$dir/node_modules/socket.io-client" ] &&
        [ -d "$dir/node_modules/puppeteer-core" ] && return 0
    echo "installing the npm test peers into $dir/node_modules"
    npm install --prefix "$dir" --no-audit --no-fund --no-package-lock --loglevel=error
}

if [ -z "$missing" ]; then
    npm_peers "${1:-build}"
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=""; else sudo="sudo"; fi
echo "installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
policy=/usr/sbin/policy-rc.d
if [ "${1:-build}" != build ] && [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# temporary, from drover scripts/install-deps.sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
    $sudo chmod 755 "$policy"
    trap '$sudo rm -f "$policy"' EXIT
    trap 'exit 130' INT TERM
fi
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
npm_peers "${1:-build}"
