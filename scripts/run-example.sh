#!/bin/sh
# `make run`: starts the bundled example app (examples/hello) as a 2-instance
# cluster on port 8080 under drover, shows `drover ls`, and says what to try.
set -eu
build=${1:-build}
repo=$(cd "$(dirname "$0")/.." && pwd)
drover="$repo/$build/drover"

if ! command -v node >/dev/null 2>&1; then
    echo "the example needs node (apt-get install nodejs)" >&2
    exit 1
fi
# a previous `make run` left it running: start fresh
"$drover" delete hello >/dev/null 2>&1 || true
"$drover" start "$repo/examples/hello/ecosystem.json" --silent
"$drover" ls
cat <<EOT

The example app runs as 2 instances sharing port 8080. Try:

  curl http://127.0.0.1:8080/          # answered by either instance
  $build/drover logs hello              # follow its logs (Ctrl-C to stop)
  $build/drover reload hello            # zero-downtime rolling reload
  $build/drover scale hello +2          # 4 instances, live
  $build/drover describe hello          # everything about one app
  kill -9 \$(cat \${DROVER_HOME:-\$HOME/.local/state/drover}/daemon.lock)
  $build/drover ls                      # the apps never noticed
  $build/drover kill                    # stop everything

State lives in \${DROVER_HOME:-~/.local/state/drover}. See README.md for more.
EOT
