#!/bin/sh
# bench/run.sh - entry point of drover's benchmark harness (issue 6).
#
#   bench/run.sh           full run, as `make bench` does after installing the
#                          peers and building: writes docs/benchmarks.md and
#                          docs/bench/*.png (about 25 minutes on 2 cores)
#   bench/run.sh --smoke   every section in seconds, as `make test` does;
#                          output goes to bench/out/smoke/, never to docs/
#   bench/run.sh --help    the other options (subsets, repetitions, --out)
#
# The harness itself is bench/bench.py (python3, standard library only).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
py=/usr/bin/python3
[ -x "$py" ] || py=python3
exec "$py" "$here/bench.py" "$@"
