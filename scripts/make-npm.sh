#!/bin/bash
# make-npm.sh [OUT [BUILD]]: packs drover's npm package, drover-<version>.tgz,
# into OUT (default build-npm/) with `npm pack`: the sources (as in the
# working tree, like make-deb.sh), npm/package.json with meson.build's
# version, npm/install.js (builds and installs drover into the package's
# directory on `npm install`), a placeholder bin/drover that the build
# replaces, and the man pages, printed by BUILD's drover (default build/):
# npm links a global package's man pages before its install script runs.
# `make npm` runs it; `make check-npm` installs the result (check-npm.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-build-npm}
build=${2:-build}
[ -x "$build/drover" ] || { echo "make-npm: no $build/drover (make build)" >&2; exit 1; }
case "$out" in /*) ;; *) out=$root/$out ;; esac
version=$(sed -n "s/^ *version : '\([^']*\)',*$/\1/p" meson.build | head -n 1)

tmp=$(mktemp -d /tmp/drover-npm.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
stage=$tmp/drover
mkdir "$stage"
# what the build reads (scripts/embed_assets.py: the dashboard's assets at
# build time): no tests, benchmarks or packaging of other kinds
git ls-files -z --cached --others --exclude-standard -- README.md meson.build meson_options.txt \
    src man completion examples ':(glob)docs/*.md' scripts/embed_assets.py |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$stage"
mkdir "$stage/npm" "$stage/bin"
cp npm/install.js "$stage/npm/"
sed "s/@VERSION@/$version/" npm/package.json >"$stage/package.json"
cp npm/placeholder-drover "$stage/bin/drover"
git describe --always --dirty --abbrev=12 --match='v[0-9]*' >"$stage/git-revision" 2>/dev/null ||
    echo unknown >"$stage/git-revision"
for page in drover.1 drover-runtime.1 drover-ecosystem.5 droverd.8; do
    mkdir -p "$stage/share/man/man${page##*.}"
    DROVER_HOME=$tmp/home "$build/drover" __manpage "${page%.*}" >"$stage/share/man/man${page##*.}/$page"
done
mkdir -p "$out"
rm -f "$out"/drover-*.tgz
(cd "$stage" && npm pack --silent --pack-destination "$out" >/dev/null)
tgz=$out/drover-$version.tgz
[ -f "$tgz" ]
echo "make-npm: $tgz ($(du -k "$tgz" | cut -f1) KB)"
