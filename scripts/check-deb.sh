#!/bin/bash
# check-deb.sh [DIR]: checks the package `make deb` left in DIR (default
# build-deb/): lintian reports no error (warnings are printed), the files are
# where the layout says (dpkg -c), and the installed-layout test
# (tests/e2e/test_install.py) passes on the package unpacked with dpkg -x
# into a fresh root. `make check-deb` runs it after `make deb`; CI runs that.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-build-deb}
version=$(dpkg-parsechangelog -S Version)
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$dir/drover_${version}_${arch}.deb
changes=$dir/drover_${version}_${arch}.changes
[ -f "$deb" ] || { echo "check-deb: no $deb (make deb)" >&2; exit 1; }

echo "check-deb: $deb, $(du -k "$deb" | cut -f1) KB, installed size $(dpkg-deb -f "$deb" Installed-Size) KB"

# lintian: errors fail, the rest is shown (-I: info tags too)
status=0
lintian_out=$(lintian -I --fail-on error "$changes" 2>&1) || status=$?
lintian_out=$(grep -v '^running with root privileges' <<<"$lintian_out" || true)
if [ "$status" != 0 ]; then
    echo "$lintian_out"
    echo "check-deb: lintian reports errors" >&2
    exit 1
fi
echo "check-deb: lintian: ${lintian_out:-clean}" | sed '2,$s/^/  /'

# the layout
listing=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
missing=0
for f in /usr/bin/drover /usr/bin/droverd /usr/bin/drover-runtime \
    /usr/lib/drover/droverd /usr/lib/drover/drover-sup /usr/lib/drover/drover-gzip \
    /usr/lib/drover/drover-monit \
    /usr/lib/drover/libdrover-preload.so \
    /usr/share/man/man1/drover.1.gz /usr/share/man/man1/drover-runtime.1.gz \
    /usr/share/man/man5/drover-ecosystem.5.gz /usr/share/man/man8/droverd.8.gz \
    /usr/share/bash-completion/completions/drover /usr/share/zsh/vendor-completions/_drover \
    /usr/share/fish/vendor_completions.d/drover.fish \
    /usr/share/doc/drover/copyright /usr/share/doc/drover/examples/drover@.service; do
    grep -qx "$f" <<<"$listing" || { echo "check-deb: the package lacks $f" >&2; missing=1; }
done
[ "$missing" = 0 ]

# installed from the package: the e2e test of the installed layout
root=$(mktemp -d /tmp/drover-deb-root.XXXXXX)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
DROVER_INSTALL_ROOT=$root ${PYTEST:-/usr/bin/python3 -m pytest} -q tests/e2e/test_install.py
echo "check-deb: ok"
