#!/bin/sh
# Runs every libFuzzer target of tests/fuzz (make fuzz).
#
#   scripts/fuzz.sh [TARGET...]      default: every tests/fuzz/fuzz_<name>.c
#
# Environment:
#   FUZZ_SECONDS  seconds per target (default 60)
#   FUZZ_BUILD    build directory (default build-fuzz): configured once with
#                 CC=clang -Dfuzz=true -Db_sanitize=none (the targets bring
#                 -fsanitize=fuzzer,address,undefined themselves)
#   FUZZ_WORK     scratch directory (default $FUZZ_BUILD/fuzz-work): per target
#                 corpus/ (new inputs, kept between runs), crashes/ and log
#   FUZZ_ARGS     more libFuzzer flags (e.g. -jobs, -dict=...)
#
# The seed corpus tests/fuzz/corpus/<name>/ is only read: new inputs go to
# the scratch corpus. A run keeps going after a crash (-fork=1 with
# -ignore_crashes), so one bug does not hide the others; each crash, timeout
# or out-of-memory input lands in $FUZZ_WORK/<name>/crashes/. Ends with a
# table (target, executions, exec/s, new crashes) and the distinct
# failures; exits 1 when any target found one.
set -eu

cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
build=${FUZZ_BUILD:-build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}
extra=${FUZZ_ARGS:-}

if [ $# -gt 0 ]; then
    targets="$*"
else
    targets=$(ls tests/fuzz/fuzz_*.c | sed -n 's|^tests/fuzz/fuzz_\(.*\)\.c$|\1|p' |
        grep -v -x -e main -e app)
fi

command -v clang >/dev/null || { echo "fuzz: clang is needed (scripts/install-deps.sh test)" >&2; exit 2; }
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" -Dfuzz=true -Db_sanitize=none -Dsup_libc=system
fi
ninja -C "$build" $(for t in $targets; do printf 'tests/fuzz/fuzz_%s ' "$t"; done)

results=$(mktemp)
trap 'rm -f "$results"' EXIT
for t in $targets; do
    bin="$build/tests/fuzz/fuzz_$t"
    dir="$work/$t"
    mkdir -p "$dir/corpus" "$dir/crashes"
    before=$(ls "$dir/crashes" | wc -l)
    dict=""
    [ -f "tests/fuzz/fuzz_$t.dict" ] && dict="-dict=tests/fuzz/fuzz_$t.dict"
    echo "fuzz: $t for ${seconds}s (log: $dir/log)"
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$dir/crashes/" $dict $extra \
        "$dir/corpus" "tests/fuzz/corpus/$t" >"$dir/log" 2>&1 || true
    elapsed=$(( $(date +%s) - start ))
    [ "$elapsed" -gt 0 ] || elapsed=1
    # fork mode reports "#<execs>: cov: ... exec/s ..." after every job
    execs=$(sed -n 's/^#\([0-9][0-9]*\): cov:.*/\1/p' "$dir/log" | tail -n 1)
    execs=${execs:-0}
    new=$(( $(ls "$dir/crashes" | wc -l) - before ))
    echo "$t $execs $((execs / elapsed)) $new" >>"$results"
done

echo
printf '%-16s %14s %10s %12s\n' target executions exec/s "new crashes"
while read -r t execs rate new; do
    printf '%-16s %14s %10s %12s\n' "$t" "$execs" "$rate" "$new"
done <"$results"

failed=0
while read -r t execs rate new; do
    [ "$new" -eq 0 ] && continue
    failed=1
    echo
    echo "$t: $new new input(s) in $work/$t/crashes/; distinct failures (rerun: $build/tests/fuzz/fuzz_$t FILE):"
    # the first report of each input, run alone again
    ls -t "$work/$t/crashes" | head -n "$new" | while read -r f; do
        "$build/tests/fuzz/fuzz_$t" -timeout=10 -rss_limit_mb=2048 "$work/$t/crashes/$f" 2>&1 |
            grep -a -m 1 -e 'invariant failed' -e 'runtime error:' -e '^==[0-9]*==ERROR' \
                -e 'ERROR: libFuzzer' | sed 's|^.*/tests/fuzz/|tests/fuzz/|; s|^.*/src/|src/|' || true
    done | sort | uniq -c | sort -rn
done <"$results"
exit "$failed"
