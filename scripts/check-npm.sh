#!/bin/bash
# check-npm.sh [DIR]: checks the npm package `make npm` left in DIR (default
# build-npm/): without the build tools its install script builds nothing and
# names the apt-get line; `npm install -g ./drover-<version>.tgz` into a
# fresh prefix builds drover, links bin/drover and the man pages, and the
# installed drover runs an app with its own daemon and supervisor;
# `npm uninstall -g` removes it. Loopback only; the build takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
dir=${1:-build-npm}
version=$(sed -n "s/^ *version : '\([^']*\)',*$/\1/p" meson.build | head -n 1)
tgz=$(realpath "$dir/drover-$version.tgz")
tmp=$(mktemp -d /tmp/drover-npm-check.XXXXXX)
home=$tmp/home
cleanup() {
    [ -x "$tmp/prefix/bin/drover" ] && DROVER_HOME=$home "$tmp/prefix/bin/drover" kill >/dev/null 2>&1
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "check-npm: $*" >&2; exit 1; }
echo "check-npm: $tgz, $(du -k "$tgz" | cut -f1) KB"

# 1. no build tools: the install script names what to install, builds nothing
mkdir "$tmp/unpacked" "$tmp/nodeonly"
tar -xzf "$tgz" -C "$tmp/unpacked"
ln -s "$(command -v node)" "$tmp/nodeonly/node"
if out=$(PATH=$tmp/nodeonly node "$tmp/unpacked/package/npm/install.js" 2>&1); then
    fail "the install script succeeded without meson: $out"
fi
grep -q 'apt-get install .*meson.*ninja-build' <<<"$out" || fail "no apt-get line: $out"
[ ! -e "$tmp/unpacked/package/build-npm" ] || fail "it started a build anyway"
if out=$("$tmp/unpacked/package/bin/drover" version 2>&1); then fail "the placeholder ran: $out"; fi
grep -q 'npm rebuild' <<<"$out" || fail "the placeholder says: $out"

# 2. npm install -g into a fresh prefix
start=$(date +%s)
npm install -g --prefix "$tmp/prefix" --no-audit --no-fund --foreground-scripts "$tgz" \
    >"$tmp/install.log" 2>&1 || { tail -n 40 "$tmp/install.log"; fail "npm install -g failed"; }
echo "check-npm: npm install -g took $(($(date +%s) - start)) s"
pkg=$tmp/prefix/lib/node_modules/drover
export PATH=$tmp/prefix/bin:/usr/bin:/bin DROVER_HOME=$home HOME=$tmp NO_COLOR=1
[ "$(command -v drover)" = "$tmp/prefix/bin/drover" ] || fail "drover is $(command -v drover)"
drover version | grep -qF "helpers     $pkg/lib/drover" || fail "$(drover version)"
MANPAGER="cat" man -M "$tmp/prefix/share/man" 1 drover 2>/dev/null | grep -q completion ||
    fail "man drover: no page linked under $tmp/prefix/share/man"

# 3. the installed drover runs an app: its own daemon and supervisor
cd "$tmp"
drover start "$repo/tests/apps/sleeper.sh" --name npm-check -s
pid=$(drover pid npm-check)
sup=$(awk '{print $4}' "/proc/$pid/stat")
daemon=$(cat "$home/daemon.lock")
[ "$(readlink -f "/proc/$daemon/exe")" = "$pkg/lib/drover/droverd" ] || fail "daemon: $(readlink -f "/proc/$daemon/exe")"
[ "$(readlink -f "/proc/$sup/exe")" = "$pkg/lib/drover/drover-sup" ] || fail "supervisor: $(readlink -f "/proc/$sup/exe")"
drover kill >/dev/null

# 4. npm uninstall -g removes it
npm uninstall -g --prefix "$tmp/prefix" drover >/dev/null 2>&1
if [ -e "$tmp/prefix/bin/drover" ] || [ -e "$pkg" ]; then fail "npm uninstall -g left files"; fi
echo "check-npm: ok"
