#!/bin/sh
# check-man.sh DROVER PAGE...: the man pages the build printed pass
# `man --warnings=all` (groff's warnings: bad escapes, unknown requests,
# lines it cannot break, ...), the build made every page drover knows, and
# the verb tables they come from agree (`drover __manpage --check`).
# Skips (77) the groff part where man is not installed.
set -eu
drover=$1
shift
"$drover" __manpage --check
for name in $("$drover" __manpage --list); do
    found=""
    for page in "$@"; do [ "$(basename "$page")" = "$name" ] && found=1; done
    [ -n "$found" ] || { echo "the build makes no $name (man/meson.build)"; exit 1; }
done
if ! command -v man >/dev/null 2>&1; then
    echo "man is not installed (apt-get install man-db): groff's warnings not checked"
    exit 77
fi
status=0
for page in "$@"; do
    if ! out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings=all -E UTF-8 -l "$page" 2>&1 >/dev/null); then
        echo "$page: man failed: $out"
        status=1
    elif [ -n "$out" ]; then
        printf '%s:\n%s\n' "$page" "$out"
        status=1
    fi
done
exit "$status"
