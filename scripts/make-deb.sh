#!/bin/bash
# make-deb.sh [OUT]: builds drover_<version>_<arch>.deb with
# `dpkg-buildpackage -us -uc -b` (debian/, dh's meson buildsystem) in a clean
# copy of the tree (the files git tracks plus the new ones it does not ignore,
# as they are in the working tree: no build dirs, no .git), and leaves the
# .deb, .buildinfo and .changes in OUT (default build-deb/). `make deb` runs it;
# `make check-deb` then checks the package (scripts/check-deb.sh).
# Needs the `deb` packages of scripts/install-deps.sh. DEB_BUILD_OPTIONS is
# passed through (nocheck skips the unit tests inside the build).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
out=${1:-build-deb}
case "$out" in /*) ;; *) out=$root/$out ;; esac

version=$(dpkg-parsechangelog -S Version)
meson_version=$(sed -n "s/^ *version : '\([^']*\)',*$/\1/p" meson.build | head -n 1)
if [ "$version" != "$meson_version" ]; then
    echo "make-deb: debian/changelog says $version, meson.build says $meson_version" >&2
    exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

# outside the repository, so the build's `git describe` finds no .git and
# reads .git-revision instead
tmp=$(mktemp -d /tmp/drover-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
src=$tmp/drover-$version
mkdir "$src"
git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
    tar --null -T - -cf - | tar -xf - -C "$src"
git describe --always --dirty --abbrev=12 --match='v[0-9]*' >"$src/.git-revision" 2>/dev/null ||
    echo unknown >"$src/.git-revision"

start=$(date +%s)
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 || {
    tail -n 60 "$tmp/build.log" >&2
    echo "make-deb: dpkg-buildpackage failed (the log's end above)" >&2
    exit 1
}
mkdir -p "$out"
rm -f "$out"/drover*_*
# the package, its -dbgsym, .buildinfo and .changes
mv "$tmp"/drover*_"$version"_* "$out"/
cp "$tmp/build.log" "$out/build.log"
deb=$out/drover_${version}_${arch}.deb
echo "make-deb: $deb ($(du -k "$deb" | cut -f1) KB, built in $(($(date +%s) - start)) s; log: $out/build.log)"
