#!/bin/bash
# scripts/check-fresh.sh - `make check-fresh`: proves README's two commands
# work on a clean Debian 12 machine. As root, it
#   1. builds a minimal Debian 12 (bookworm) root with mmdebstrap (or
#      debootstrap) from this machine's apt mirror, cached as a tarball for a
#      week under $DROVER_CHECK_FRESH_CACHE (default /var/cache/drover-check-fresh);
#   2. extracts it to a temporary dir, copies the committed checkout into it
#      (`git archive`, HEAD or $CHECK_FRESH_REV: uncommitted changes are not
#      tested) and mounts what a chroot needs;
#   3. runs README's `make run` in it, checks that the example answers on
#      http://127.0.0.1:8080/, stops it (`build/drover kill`), then runs
#      README's `make test`;
#   4. always kills every process left in the root, unmounts and removes it.
# The root shares this machine's network (apt reaches the mirror through it)
# and its port space: port 8080 must be free. Downloaded .debs are kept in the
# cache dir, so reruns download little. Prints each phase's duration at the end.
set -eu
set -o pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
cache=${DROVER_CHECK_FRESH_CACHE:-/var/cache/drover-check-fresh}
rev=${CHECK_FRESH_REV:-HEAD}
suite=bookworm
max_age_days=7
port=8080
# where the checkout lands inside the root. Not in /root, which is 0700: an
# e2e test (test_cluster's privileged port one) runs an app from the checkout
# as `nobody`, who cannot read it there (CHECK_FRESH_SRC=/root/drover shows it)
src_in_root=${CHECK_FRESH_SRC:-/usr/local/src/drover}
# the root lives on a tmpfs (fast to fill and to drop; it only takes what is
# written, about 1.2 GB after `make test`); 0: on disk under $TMPDIR
tmpfs_size=${CHECK_FRESH_TMPFS_SIZE:-16g}

root=""       # the temporary root, once created
cgroup=""     # the cgroup v2 dir the root's processes run in, if any
bg_pid=""     # what run_bg waits for
mounts=()     # mount points made, in order
phases=()     # "name seconds" per finished phase
t_start=$EPOCHREALTIME

say() { printf '[check-fresh] %s\n' "$*"; }
die() { printf '[check-fresh] error: %s\n' "$*" >&2; exit 1; }

# --- phases and timings ----------------------------------------------------

phase_name=""
phase_t0=""
phase() { # phase NAME: ends the current phase (if any) and starts NAME
    phase_end
    phase_name=$1
    phase_t0=$EPOCHREALTIME
    say "== $phase_name"
}
phase_end() {
    [ -n "$phase_name" ] || return 0
    phases+=("$(awk -v a="$phase_t0" -v b="$EPOCHREALTIME" -v n="$phase_name" \
        'BEGIN { printf "%-28s %7.1f s", n, b - a }')")
    phase_name=""
}
print_timings() {
    local line
    say "timings:"
    for line in "${phases[@]}"; do printf '  %s\n' "$line"; done
    awk -v a="$t_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "  %-28s %7.1f s\n", "total", b - a }'
}

# --- cleanup: always, also on failure and Ctrl-C --------------------------

# stops the command run_bg waits for: TERM, then KILL if it has not exited
# within 2 minutes (on TERM, mmdebstrap finishes its current step, then
# unmounts and removes its temporary root: killing it would leave them)
stop_bg() {
    local i state
    [ -n "$bg_pid" ] || return 0
    kill -TERM "$bg_pid" 2>/dev/null || return 0
    say "waiting for pid $bg_pid ($(cat "/proc/$bg_pid/comm" 2>/dev/null || echo gone)) to stop"
    for i in $(seq 1 1200); do
        state=$(sed 's/.*) //' "/proc/$bg_pid/stat" 2>/dev/null | cut -d' ' -f1)
        if [ -z "$state" ] || [ "$state" = Z ]; then break; fi
        sleep 0.1
    done
    kill -KILL "$bg_pid" 2>/dev/null
    wait "$bg_pid" 2>/dev/null
    bg_pid=""
}

# pids of the processes whose root directory is the temporary root (or below)
root_pids() {
    local p r
    for p in /proc/[0-9]*; do
        r=$(readlink "$p/root" 2>/dev/null) || continue
        case "$r" in "$root" | "$root"/*) printf '%s\n' "${p#/proc/}" ;; esac
    done
}

kill_root_procs() {
    local i pids=""
    for i in $(seq 1 100); do
        # cgroup.kill also reaches a process that is not yet (or no more) chrooted
        if [ -n "$cgroup" ] && [ -e "$cgroup/cgroup.kill" ]; then
            echo 1 >"$cgroup/cgroup.kill" 2>/dev/null || true
        fi
        pids=$(root_pids)
        [ -n "$pids" ] || return 0
        # shellcheck disable=SC2086 # one pid a word
        kill -KILL $pids 2>/dev/null || true
        sleep 0.1
    done
    say "warning: processes left in $root: ${pids//$'\n'/ }" >&2
}

# mount points at or under the root, deepest first (mountinfo field 5; the
# root's path comes from mktemp, so it has no escaped characters)
mounts_under_root() {
    awk -v r="$root" '$5 == r || index($5, r "/") == 1 { print $5 }' /proc/self/mountinfo | sort -r
}

cleanup() {
    local rc=$? i m
    set +e
    trap '' INT TERM HUP
    phase_end
    stop_bg
    if [ -n "${tarball:-}" ]; then rm -f "$tarball.new"; fi # an interrupted build
    if [ -n "$root" ]; then
        phase "cleanup"
        say "cleaning up $root"
        kill_root_procs
        if [ -d "$root/usr" ]; then say "the root used $(df -h --output=used "$root" 2>/dev/null | tail -n 1)"; fi
        for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
            m=${mounts[i]}
            umount -R "$m" 2>/dev/null || umount -R -l "$m" 2>/dev/null || umount -l "$m"
        done
        # anything mounted in the root by what ran there
        for m in $(mounts_under_root); do umount -l "$m"; done
        if [ -n "$(mounts_under_root)" ]; then
            # never rm -rf through a bind mount of /dev or /sys
            say "error: still mounted under $root, not removed:" >&2
            mounts_under_root >&2
            rc=1
        else
            rm -rf --one-file-system "$root"
        fi
    fi
    if [ -n "$cgroup" ]; then
        # depth first: the daemon's per-instance cgroups live below it
        for i in 1 2 3 4 5; do
            find "$cgroup" -depth -type d -exec rmdir {} + 2>/dev/null
            [ -d "$cgroup" ] || break
            sleep 0.2
        done
        [ ! -d "$cgroup" ] || say "warning: cgroup $cgroup not removed" >&2
    fi
    phase_end
    print_timings
    if [ "$rc" -eq 0 ]; then say "PASSED: make run and make test on a fresh Debian 12"; else say "FAILED (exit $rc)"; fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# runs "$@" in the background and waits, so that Ctrl-C or a TERM interrupts
# the wait at once (cleanup then kills what runs in the root)
run_bg() {
    local rc=0
    "$@" &
    bg_pid=$!
    wait "$bg_pid" || rc=$?
    bg_pid=""
    case "$rc" in
    # Ctrl-C reaches what runs in the root too: it may end before our trap runs
    129 | 130 | 143) say "interrupted"; exit "$rc" ;;
    esac
    return "$rc"
}

# runs "$@" as root inside the root, in the checkout, with a clean login-like
# environment and no stdin, in the check's cgroup when there is one. The
# arguments go through as argv: nothing is interpolated into a shell string.
extra_ca="" # set with the mounts below
in_root() {
    (
        if [ -n "$cgroup" ]; then echo "$BASHPID" >"$cgroup/cgroup.procs"; fi
        # shellcheck disable=SC2016 # "$1" and "$@" are the inner sh's argv
        exec chroot "$root" /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/sh \
            PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
            TERM="${TERM:-dumb}" ${extra_ca:+NODE_EXTRA_CA_CERTS=$extra_ca} \
            /bin/sh -c 'cd "$1" && shift && exec "$@"' check-fresh "$src_in_root" "$@" </dev/null
    )
}

# --- preconditions ---------------------------------------------------------

case "$src_in_root" in /*/.. | */../* | /*/. | */./* | *//*) die "bad CHECK_FRESH_SRC: $src_in_root" ;;
/?*) ;; *) die "CHECK_FRESH_SRC must be an absolute path" ;; esac
[ "$(id -u)" -eq 0 ] || die "needs root (it mounts and chroots): run it as root or with sudo"
command -v git >/dev/null || die "needs git"
sha=$(git -C "$repo" rev-parse --verify --quiet "$rev^{commit}") || die "not a commit: $rev"
say "checking $(git -C "$repo" log -1 --format='%h %s' "$sha")"
if [ "$rev" = HEAD ] && [ -n "$(git -C "$repo" status --porcelain --untracked-files=no)" ]; then
    say "note: uncommitted changes are not part of the check (it tests the commit)"
fi

# port 8080 (hex 1F90) listening on this machine, IPv4 or IPv6
port_hex=$(printf '%04X' "$port")
if awk -v p=":$port_hex" '$4 == "0A" && substr($2, length($2) - 4) == p { found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null; then
    die "port $port is in use on this machine; the example app needs it: stop what listens there (ss -ltnp 'sport = :$port')"
fi

mkdir -p "$cache/apt-archives"
exec 9>"$cache/lock"
flock -n 9 || die "another check-fresh is running (lock $cache/lock)"

# --- 1. the Debian 12 root (cached tarball) --------------------------------

# "URI SUITE" for each deb source this machine's apt uses
host_sources() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk '
            function flush(  n, m, i, j, u, s) {
                if (types ~ /(^| )deb( |$)/ && enabled != "no") {
                    n = split(uris, u, " "); m = split(suites, s, " ")
                    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
                }
                types = uris = suites = enabled = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            tolower($1) == "types:" { $1 = ""; types = $0 }
            tolower($1) == "uris:" { $1 = ""; uris = $0 }
            tolower($1) == "suites:" { $1 = ""; suites = $0 }
            tolower($1) == "enabled:" { enabled = tolower($2) }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/ && i < NF) i++; i++ } print $i, $(i + 1) }' "$f"
    done
}

valid_uri() { [[ "$1" =~ ^(https?|ftp|file)://[A-Za-z0-9._~:/@%+=,-]+$ ]]; }

pick_mirrors() {
    local uri s
    mirror="" security=""
    while read -r uri s; do
        valid_uri "$uri" || continue
        uri=${uri%/}
        case "$s" in
        *-security | */updates) [ -n "$security" ] || security=$uri ;;
        *-*) ;;
        *) [ -n "$mirror" ] || mirror=$uri ;;
        esac
    done < <(host_sources)
    if [ -z "$mirror" ]; then
        mirror=http://deb.debian.org/debian
        say "no Debian mirror found in /etc/apt: using $mirror"
    fi
    [ -n "$security" ] || security=${mirror%/debian}/debian-security
}

ensure_tool() { # ensure_tool PACKAGE: installs it with apt-get when missing
    command -v "$1" >/dev/null 2>&1 && return 0
    say "installing $1 on this machine"
    run_bg env DEBIAN_FRONTEND=noninteractive apt-get update -qq || true
    run_bg env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$1"
}

tarball_ok() {
    [ -s "$tarball" ] || return 1
    if [ -n "$(find "$tarball" -mmin +$((max_age_days * 24 * 60)))" ]; then
        say "cached root is older than $max_age_days days: rebuilding"
        return 1
    fi
    # readable to the end, and a Debian root
    if ! tar -tf "$tarball" | grep -x './etc/debian_version' >/dev/null; then
        say "cached root $tarball is corrupt: rebuilding"
        return 1
    fi
}

build_tarball() {
    local tmp="$tarball.new" dir
    pick_mirrors
    say "building a clean Debian 12 root from $mirror (security: $security)"
    rm -f "$tmp"
    if ensure_tool mmdebstrap; then
        run_bg mmdebstrap --variant=minbase --format=tar "$suite" "$tmp" \
            "deb $mirror $suite main" "deb $mirror $suite-updates main" \
            "deb $security $suite-security main"
    else
        ensure_tool debootstrap || die "neither mmdebstrap nor debootstrap can be installed"
        dir=$(mktemp -d "$cache/debootstrap.XXXXXX")
        run_bg debootstrap --variant=minbase "$suite" "$dir" "$mirror"
        printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s-security main\n' \
            "$mirror" "$suite" "$mirror" "$suite" "$security" "$suite" >"$dir/etc/apt/sources.list"
        rm -rf "$dir/var/cache/apt/archives/"*.deb "$dir/var/lib/apt/lists/"*
        tar -C "$dir" --numeric-owner -cf "$tmp" .
        rm -rf --one-file-system "$dir"
    fi
    mv -f "$tmp" "$tarball"
}

phase "root: build/extract"
tarball=$cache/debian-$suite-minbase.tar
if ! tarball_ok; then build_tarball; fi

root=$(realpath "$(mktemp -d "${TMPDIR:-/var/tmp}/drover-fresh.XXXXXX")")
if [ "$tmpfs_size" != 0 ]; then
    mount -t tmpfs -o "size=$tmpfs_size,mode=755" drover-fresh "$root"
    mounts+=("$root")
fi
chmod 755 "$root"
tar -C "$root" --numeric-owner -xpf "$tarball"
mkdir -p "$root$src_in_root"
git -C "$repo" archive --format=tar "$sha" | tar -C "$root$src_in_root" -xf -

# what a chroot needs; /sys and /dev are the host's (cgroups and devices as
# the machine has them), made slaves so nothing propagates back
mnt() { # mnt TARGET MOUNT-ARGS...: mounts and records TARGET for cleanup
    local target=$root$1
    shift
    mkdir -p "$target"
    mount "$@" "$target"
    mounts+=("$target")
}
mnt /proc -t proc -o nosuid,nodev,noexec proc
mnt /sys --rbind /sys
mount --make-rslave "$root/sys"
mnt /dev --bind /dev
mnt /dev/pts --bind /dev/pts
mnt /dev/shm -t tmpfs -o mode=1777,nosuid,nodev shm
mnt /tmp -t tmpfs -o mode=1777,nosuid,nodev tmpfs
mnt /run -t tmpfs -o mode=755,nosuid,nodev tmpfs
mkdir -m 1777 "$root/run/lock"
# apt's downloads persist across runs (a cache, not part of the root)
mnt /var/cache/apt/archives --bind "$cache/apt-archives"
rm -f "$root/etc/resolv.conf"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"
# like resolv.conf, the machine's network: the certificate authorities this
# machine's admin added (/usr/local/share/ca-certificates, or the file in
# NODE_EXTRA_CA_CERTS), e.g. for an HTTPS egress proxy, are what npm in the
# root needs too to fetch the npm test peers
extra_ca=/etc/ssl/check-fresh-extra-ca.crt
mkdir -p "$root/etc/ssl"
: >"$root$extra_ca"
if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -r "$NODE_EXTRA_CA_CERTS" ]; then
    cat "$NODE_EXTRA_CA_CERTS" >>"$root$extra_ca"
fi
for crt in /usr/local/share/ca-certificates/*.crt /usr/local/share/ca-certificates/*/*.crt; do
    if [ -r "$crt" ]; then cat "$crt" >>"$root$extra_ca"; fi
done
if [ ! -s "$root$extra_ca" ]; then
    rm -f "$root$extra_ca"
    extra_ca=""
fi
# every installed Debian machine (and container) has a localhost entry
if ! grep -qs '^127\.0\.0\.1[[:space:]].*localhost' "$root/etc/hosts"; then
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >>"$root/etc/hosts"
fi

# the root's processes get their own cgroup v2 dir (when this machine has
# one we may write): drover creates its per-instance cgroups below it, apart
# from any drover running on this machine, and cleanup can kill them all
cg_mnt=$(awk '{ for (i = 7; i < NF; i++) if ($i == "-") { if ($(i + 1) == "cgroup2") { print $5; exit } break } }' \
    /proc/self/mountinfo)
cg_self=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [ -n "$cg_mnt" ] && [ -n "$cg_self" ]; then
    cg=$cg_mnt${cg_self%/}/drover-check-fresh.$$
    if mkdir "$cg" 2>/dev/null; then
        # a process must be able to move in (cgroup v2's no-internal-process rule)
        if (echo "$BASHPID" >"$cg/cgroup.procs") 2>/dev/null; then cgroup=$cg; else rmdir "$cg"; fi
    fi
fi
[ -n "$cgroup" ] || say "note: no writable cgroup v2 here: the root's processes share this machine's cgroup"

# --- 2. README's `make run` ---------------------------------------------------

phase "install make"
# A fresh Debian 12 has no make (minbase, cloud and container images alike):
# typing README's `make run` there says "make: command not found". The check
# installs make, and only make, before it, as a user would when told.
if ! in_root sh -c 'command -v make' >/dev/null; then
    say "note: a fresh Debian 12 has no make; installing it (apt-get install make) before README's commands"
    run_bg in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends make' ||
        die "cannot install make in the root"
fi

phase "make run"
run_bg in_root make run || die "make run failed in the fresh root"
if in_root test -e /usr/include/cmocka.h; then
    die "make run installed cmocka: it must need only scripts/install-deps.sh build"
fi

# --- 3. the example answers on its port ------------------------------------

phase "check example on :$port"
# with what `make run` installed: python3 (or node, which the example runs on)
probe_py='import sys, urllib.request
r = urllib.request.urlopen(sys.argv[1], timeout=5)
body = r.read().decode(errors="replace")
print(r.status, body.strip()[:200])
sys.exit(r.status != 200)'
probe_js='require("http").get(process.argv[1], r => { let b = ""; r.on("data", d => b += d);
  r.on("end", () => { console.log(r.statusCode, b.trim().slice(0, 200)); process.exit(r.statusCode == 200 ? 0 : 1) }) })
  .on("error", e => { console.error(e.message); process.exit(1) })'
url=http://127.0.0.1:$port/
answered=""
for i in $(seq 1 40); do
    if in_root test -x /usr/bin/python3; then
        if in_root python3 -c "$probe_py" "$url"; then answered=1; break; fi
    elif in_root node -e "$probe_js" "$url"; then answered=1; break
    fi
    sleep 0.5
done
[ -n "$answered" ] || die "the example did not answer on $url"
in_root build/drover ls || die "build/drover ls failed"
run_bg in_root build/drover kill || die "build/drover kill failed"

# --- 4. README's `make test` ---------------------------------------------------

phase "make test"
run_bg in_root make test || die "make test failed in the fresh root"

phase "apt cache upkeep"
# drop .debs the mirror no longer has, so the cache does not grow forever
run_bg in_root apt-get -qq autoclean || true
phase_end
