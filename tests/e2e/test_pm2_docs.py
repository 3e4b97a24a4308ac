"""docs/pm2-migration.md cannot drift from what drover does: every option of
PM2 7's command line is listed in its "Every PM2 option" table, and
`drover start` accepts each one (the app starts, exit 0).

PM2_FLAGS is PM2 7.0.4's option list (lib/binaries/CLI.js, the global
options that `pm2 start` takes), with a value where the option needs one.
"""
import os
import re

import pytest

DOC = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "pm2-migration.md")

# flag, value to pass (None: a switch), and whether drover can show it on a
# plain start here (uid/gid need root, --no-daemon stays in the foreground)
PM2_FLAGS = [
    ("-s", None), ("--silent", None), ("--ext", "js,json"), ("-n", "flagged"),
    ("--name", "flagged"), ("-m", None), ("--mini-list", None),
    ("--interpreter", "bash"), ("--interpreter-args", "-e"), ("--node-args", "--no-warnings"),
    ("-o", "o.log"), ("--output", "o.log"), ("-e", "e.log"), ("--error", "e.log"),
    ("-l", None), ("--log", "c.log"), ("--filter-env", "SECRET"), ("--log-type", "json"),
    ("--log-date-format", "YYYY-MM-DD"), ("--time", None), ("--disable-logs", None),
    ("--env", "production"), ("-a", None), ("--update-env", None), ("-f", None),
    ("--force", None), ("-i", "1"), ("--instances", "1"), ("--parallel", "2"),
    ("--shutdown-with-message", None), ("-p", "x.pid"), ("--pid", "x.pid"),
    ("-k", "1600"), ("--kill-timeout", "1600"), ("--listen-timeout", "3000"),
    ("--max-memory-restart", "300M"), ("--restart-delay", "100"),
    ("--exp-backoff-restart-delay", "100"), ("-x", None), ("--execute-command", None),
    ("--max-restarts", "5"), ("--namespace", "docs"), ("--cwd", "."), ("--hp", "/tmp"),
    ("--wait-ip", None), ("--service-name", "svc"), ("-c", "0 3 * * *"),
    ("--cron", "0 3 * * *"), ("--cron-restart", "0 3 * * *"), ("-w", None),
    ("--write", None), ("--source-map-support", None), ("--only", "flagged"),
    ("--disable-source-map-support", None), ("--merge-logs", None), ("--watch", None),
    ("--ignore-watch", "node_modules"), ("--watch-delay", "2"), ("--no-color", None),
    ("--no-vizion", None), ("--no-autostart", None), ("--no-autorestart", None),
    ("--stop-exit-codes", "3"), ("--no-treekill", None), ("--no-pmx", None),
    ("--no-automation", None), ("--trace", None), ("--disable-trace", None),
    ("--v8", None), ("--event-loop-inspector", None), ("--deep-monitoring", None),
    ("--attach", None), ("--no-daemon", None), ("-u", None), ("--user", None),
    ("--uid", None), ("--gid", None), ("--sort", None), ("-v", None), ("--version", None),
    ("--wait-ready", None),
]
# shown elsewhere: the listing options, the version, a foreground or
# streaming start, and switching users (root only)
NOT_ON_A_PLAIN_START = {"-m", "--mini-list", "--sort", "-v", "--version", "--attach",
                        "--no-daemon", "-u", "--user", "--uid", "--gid", "--only",
                        "--wait-ready", "--env"}


def documented_flags():
    text = open(DOC).read()
    start = text.index("## Every PM2 option")
    end = text.index("\n## ", start + 1)
    flags = set()
    for line in text[start:end].splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            flags.update(re.findall(r"(?<![\w-])(--?[a-z0-9][a-z0-9-]*)", first_cell))
    return flags


def test_every_pm2_option_is_documented():
    missing = sorted({f for f, _ in PM2_FLAGS} - documented_flags())
    assert missing == [], f"PM2 options missing from docs/pm2-migration.md: {missing}"


@pytest.mark.parametrize("flag,value", [(f, v) for f, v in PM2_FLAGS
                                        if f not in NOT_ON_A_PLAIN_START],
                         ids=[f for f, _ in PM2_FLAGS if f not in NOT_ON_A_PLAIN_START])
def test_start_accepts_every_pm2_option(drover, app, tmpdir_path, flag, value):
    args = ["start", app("sleeper.sh")]
    if flag not in ("-n", "--name"):
        args += ["--name", "flagged"]
    args += [flag] + ([value] if value is not None else [])
    # a shell sets PWD to its cwd; -w writes there
    r = drover.run(*args, check=False, cwd=tmpdir_path, env={"PWD": tmpdir_path})
    assert r.returncode == 0, f"{' '.join(args[2:])}: {r.stderr}"
    assert "unknown option" not in r.stderr
    names = [p["name"] for p in drover.procs()]
    assert names == ["flagged"], names
