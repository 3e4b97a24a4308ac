#!/usr/bin/python3
"""bench.py - drover's benchmark harness (issue 6), driven by bench/run.sh.

    bench/run.sh                 full run (make bench): docs/benchmarks.md,
                                 docs/bench/*.png, docs/bench/results.json
    bench/run.sh --smoke         seconds-long run of every section (make test);
                                 writes to bench/out/smoke/, never to docs/; fails
                                 when one of drover's capabilities is missing
    bench/run.sh --out DIR       write the report to DIR instead of docs/
    bench/run.sh --only cli,logging --reps 1     a subset, for development
    bench/run.sh --render DIR/bench/results.json re-render saved results

Peers: PM2 is installed from the npm registry into bench/.peers/pm2 (full
runs only; smoke uses it if present), wrk/nginx/haproxy/gnuplot come from
Debian packages (scripts/install-deps.sh bench). A missing peer makes its
rows "n/a (...)", never a guess. drover's cluster mode, reload and scale are
probed at run time (lib/capabilities.py).

Everything runs under a private temp dir with private DROVER_HOME/PM2_HOME;
every process started is stopped at the end (also on error and Ctrl-C) and
the run fails if anything it started is still alive.
"""
import argparse
import atexit
import datetime
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import traceback
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

from lib import capabilities, machine, plot  # noqa: E402
from lib import managers as M  # noqa: E402
from lib.ctx import FULL, SMOKE, Ctx, which  # noqa: E402
from lib.procs import Procs  # noqa: E402
from lib.report import Doc  # noqa: E402
from sections import (balancing, cli, cluster, logging, memory, notes, recovery,  # noqa: E402
                      reload, scale, stats)

SECTIONS = [("memory", memory), ("cli", cli), ("cluster", cluster), ("reload", reload),
            ("recovery", recovery), ("logging", logging), ("scale", scale),
            ("balancing", balancing), ("stats", stats)]

# a section may bring its own profile values (FULL/SMOKE dicts), so --set works for them
for _name, _mod in SECTIONS:
    FULL.update(getattr(_mod, "FULL", {}))
    SMOKE.update(getattr(_mod, "SMOKE", {}))


class Plots:
    """Writes PNGs into <out>/bench and returns paths relative to <out>."""

    def __init__(self, out_dir, work):
        self.img = os.path.join(out_dir, "bench")
        self.work = work
        os.makedirs(self.img, exist_ok=True)

    def _rel(self, png):
        return None if not png else "bench/" + os.path.basename(png)

    def lines(self, name, *a, **kw):
        return self._rel(plot.lines(self.work, os.path.join(self.img, name), *a, **kw))

    def bars(self, name, *a, **kw):
        return self._rel(plot.bars(self.work, os.path.join(self.img, name), *a, **kw))


def parse_args():
    ap = argparse.ArgumentParser(description="drover benchmarks (issue 6)")
    ap.add_argument("--smoke", action="store_true", help="seconds-long run, output to bench/out")
    ap.add_argument("--out", help="directory for benchmarks.md and bench/*.png")
    ap.add_argument("--only", help="comma-separated sections: " + ",".join(n for n, _ in SECTIONS))
    ap.add_argument("--reps", type=int, help="repetitions (default 3, smoke 1)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a profile value, e.g. --set http_s=2 (see bench/lib/ctx.py)")
    ap.add_argument("--no-install", action="store_true", help="do not npm-install PM2")
    ap.add_argument("--render", metavar="RESULTS_JSON", help="only render saved results")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temp dir (logs)")
    return ap.parse_args()


def profile(args):
    cfg = dict(SMOKE if args.smoke else FULL)
    if args.reps:
        cfg["reps"] = args.reps
    for kv in args.set:
        k, v = kv.split("=", 1)
        if k not in cfg:
            sys.exit(f"bench: unknown profile key {k}")
        cfg[k] = json.loads(v) if v[:1] in "[{0123456789-" else v
    return cfg


def find_peers(ctx, args, log):
    have = {}
    have["node"] = True if which("node") else "node not installed"
    have["wrk"] = True if which("wrk") else "wrk not installed"
    for p in ("nginx", "haproxy"):
        have[p] = True if which(p) else f"{p} not installed"
    have["gnuplot"] = True if which("gnuplot") else "gnuplot not installed"
    if M.pm2_installed():
        have["pm2"] = True
    elif args.smoke or args.no_install:
        have["pm2"] = "PM2 not installed in bench/.peers (run make bench once)"
    elif not which("npm"):
        have["pm2"] = "npm not installed"
    else:
        have["pm2"] = True if M.install_pm2(log) else "npm install pm2 failed"
    return have


def _busy(m):
    try:
        return max(float(m["load_start"].split()[0]), float(m["load_end"].split()[0])) > m["cpus"]
    except (KeyError, ValueError, IndexError, TypeError):
        return False


def commands(ctx):
    c = ctx.cfg
    return f"""# peers (make bench)
scripts/install-deps.sh bench          # wrk nginx haproxy gnuplot-nox (Debian 12)
npm install --prefix bench/.peers/pm2 pm2@{M.PM2_VERSION}
export DROVER_HOME=$TMP/drover-<what>-<n>  PM2_HOME=$TMP/pm2-<what>-<n>
pm2=bench/.peers/pm2/node_modules/.bin/pm2

# 1, 2, 7: N fork-mode apps from one ecosystem file, the same file for both managers
#   apps.json = {{"apps": [{{"name": "s0", "script": "/bin/sleep", "args": ["3600"],
#                          "interpreter": "none", "exec_mode": "fork"}}, ...]}}
build/drover start apps.json ; $pm2 start apps.json
# 1, cluster rows, and 3-5: the app with 2 (or N) instances
build/drover start bench/apps/hello.js --name web -i 2 --port $PORT --balancing shared|slots|sticky
$pm2 start ecosystem.json   # {{"apps": [{{"name": "web", "script": "bench/apps/hello.js",
                            #   "exec_mode": "cluster", "instances": 2, "env": {{"PORT": "$PORT"}}}}]}}
# 2
build/drover ls | build/drover ls --json | build/drover jlist | $pm2 ls | $pm2 jlist
# 3 (every variant's exact command is listed under its tables)
wrk -t{c['wrk_threads']} -c{c['wrk_conns']} -d{c['http_s']}s --timeout 2s --latency [-H 'Connection: close'] http://127.0.0.1:$PORT/
# 4: wrk runs until SIGINT, reloads back to back
wrk -t{c['wrk_threads']} -c{c['wrk_conns']} -d600s --timeout 2s --latency -H 'Connection: close' http://127.0.0.1:$PORT/ &
for i in $(seq {c['reload_rounds']}); do build/drover reload web; done   # or: $pm2 reload web
#   node cluster: PORT=$PORT node bench/apps/cluster.js bench/apps/hello.js 2 rr; kill -HUP <primary>
#   and the same with {c['reload_ka_clients']} keep-alive clients that retry once (bench/lib/clients.py)
# 8: 4 instances; {c['balance_requests']} GETs, a new connection each, from {', '.join(map(str, c['balance_concurrency']))} clients
#   (bench/lib/wrk.py spread()); the slow/fast mix: bench/apps/mixed.js, GET /slow every
#   {c['mix_slow_every']}th request; nginx with `least_conn;` in the upstream block
# 5: fork mode through a time stamp wrapper
#   app.json = {{"apps": [{{"name": "web", "script": "$TMP/stamp", "interpreter": "none",
#     "args": ["$TMP/stamps", "node", "bench/apps/hello.js"], "env": {{"PORT": "$PORT", "BENCH_STAMP": "$TMP/stamps"}}}}]}}
kill -9 <pid of the app>
# 6
node bench/apps/logger.js {c['log_lines']} 1|512 > file
build/drover start bench/apps/logger.js --name logger --no-autorestart -o file -e file.err -- {c['log_lines']} 1|512
$pm2 start bench/apps/logger.js --name logger --no-autorestart -o file -e file.err -- {c['log_lines']} 1|512
# 9: the app twice in one daemon, counting on and off; wrk -t2 -c{c.get('stats_wrk_conns', 32)} [-H 'Connection: close']
build/drover start bench/apps/hello.js --name on -i 2 --port $PORT --balancing shared
build/drover start bench/apps/hello.js --name off -i 2 --port $PORT2 --balancing shared --env DROVER_CONN_STATS=0
#   watching, DROVER_HTTP=127.0.0.1:$HTTP in the daemon's environment, apps.json as in 1:
curl -sN http://127.0.0.1:$HTTP/events      # (a Python client)
tmux new-session -d -x 80 -y 24 'build/drover monit'
while sleep 1; do build/drover ls; done     # and: $pm2 ls"""


def render(ctx, results, out_dir, started, duration, plots_on=True):
    plots = Plots(out_dir, ctx.tmp) if plots_on and ctx.ok("gnuplot") else None
    body = Doc()
    for name, mod in SECTIONS:
        res = results.get(name)
        if res is None:
            continue
        if "error" in res:
            body.h(2, mod.TITLE)
            body.p(f"**This section failed in this run:** `{res['error']}`")
            continue
        if "section_skipped" in res:
            body.h(2, mod.TITLE)
            body.p(f"Skipped in this run: {res['section_skipped']}.")
            continue
        mod.render(ctx, body, res, plots)
    notes.render(ctx, body, results)

    doc = Doc()
    m = ctx.machine
    doc.h(1, "drover benchmarks")
    doc.p(f"""Generated by `bench/run.sh` (what `make bench` runs) on {started} in {duration / 60:.1f}
minutes{' — **SMOKE RUN: 1 repetition, tiny sizes, not for comparison**' if ctx.smoke else ''}.
Every figure below was measured in that one run; peers ran on the same machine, in the
same run, interleaved with drover, and comparisons are ratios (the machine is noisy;
absolute numbers are context). Re-run with `make bench`; raw numbers are in
[`bench/results.json`](bench/results.json). Issue 6 describes what is measured and why.""")
    doc.h(2, "Goals")
    rows = []
    for g in ctx.goals:
        status = "pending" if g["met"] is None else ("**met**" if g["met"] else "**missed**")
        rows.append([g["goal"], g["measured"], status])
    doc.table(["goal (issue 6)", "measured in this run (drover ÷ reference)", "status"], rows,
              ["l", "l", "l"])
    pending = [k for k, v in ctx.caps.items() if v is not True]
    if pending:
        doc.p("**Pending in this build** (probed at run time, rows say "
              "\"n/a (not available in this build)\"): " + "; ".join(
                  f"`{k}` ({ctx.caps[k]})" for k in pending) + ".")
    missing = [k for k, v in ctx.have.items() if v is not True]
    if missing:
        doc.p("**Peers missing in this run:** " + "; ".join(
            f"{k} ({ctx.have[k]})" for k in missing) + ".")
    doc.h(2, "Machine")
    doc.table(["", ""], [
        ["CPUs", f"{m['cpus']} × {m['cpu']}"], ["RAM", f"{m['mem_gib']} GiB"],
        ["OS, kernel", f"{m['os']}, Linux {m['kernel']}"], ["drover", m["drover"]],
        ["node", m["node"]], ["PM2", m["pm2"]], ["nginx", m["nginx"]],
        ["HAProxy", m["haproxy"]], ["wrk", m["wrk"]], ["gnuplot", m["gnuplot"]],
        ["python", m["python"]],
        ["kernel.sched_autogroup_enabled", m.get("autogroup", "?")],
        ["load average (1, 5, 15 min)", f"{m.get('load_start', '?')} at the start, "
                                        f"{m.get('load_end', '?')} at the end"]], ["l", "l"])
    if _busy(m):
        doc.p("**The machine was busy with other work during this run** (load average above "
              "its CPU count): absolute numbers are low and spreads wide; the paired ratios "
              "are what to read.")
    doc.h(2, "Method")
    doc.p(f"""- `make bench` installs the peers (`scripts/install-deps.sh bench`: wrk, nginx,
  haproxy, gnuplot-nox; `npm install --prefix bench/.peers/pm2 pm2@{M.PM2_VERSION}`), builds
  drover and runs `bench/run.sh`. `make test` runs `bench/run.sh --smoke` so the harness
  cannot rot.
- Each manager runs with a private state directory (`DROVER_HOME`, `PM2_HOME`) under a temp
  dir; nginx and HAProxy run as foreground processes with their own config, pid and log
  paths there, never as the system services. Everything started is stopped at the end (also
  on failure or Ctrl-C) and the run fails if anything it started is left.
- Repetitions are interleaved: each repetition runs every variant once in the same order
  (A B C A B C …); a figure is the median of the repetitions with [min–max], and a ratio is
  the median of the per-repetition ratios, so drift of the machine cancels out.
- Load goes to 127.0.0.1 only (section 8 also sends from other loopback source addresses,
  127.0.0.2 and up) and every load is bounded in time.
- drover's cluster mode, `reload` and `scale` are probed at run time; rows that need them
  say "n/a (not available in this build)" until they work — no number is ever made up.""")
    doc.p("The commands, as the harness runs them (`$TMP` is the run's temp dir; every "
          "manager gets its own home in it):")
    doc.code(commands(ctx))
    doc.blocks.extend(body.blocks)
    return doc.render()


def main():
    args = parse_args()
    cfg = profile(args)
    build = os.path.join(REPO, os.environ.get("BUILD", "build"))
    if args.render:
        with open(args.render) as f:
            saved = json.load(f)
        out_dir = args.out or os.path.dirname(os.path.dirname(os.path.abspath(args.render)))
        tmp = tempfile.mkdtemp(prefix="drover-bench-render-")
        ctx = Ctx(REPO, build, tmp, saved["smoke"], saved["cfg"], None)
        ctx.have, ctx.caps, ctx.machine = saved["have"], saved["caps"], saved["machine"]
        text = render(ctx, saved["results"], out_dir, saved["started"], saved["duration"])
        with open(os.path.join(out_dir, "benchmarks.md"), "w") as f:
            f.write(text)
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"bench: rendered {os.path.join(out_dir, 'benchmarks.md')}")
        return 0

    if not os.access(os.path.join(build, "drover"), os.X_OK):
        sys.exit(f"bench: {build}/drover not found; run `make build` first")
    out_dir = os.path.abspath(args.out or (os.path.join(REPO, "bench", "out", "smoke")
                                           if args.smoke else os.path.join(REPO, "docs")))
    tmp = tempfile.mkdtemp(prefix="drover-bench-")
    run_id = uuid.uuid4().hex[:12]
    os.environ["BENCH_RUN"] = run_id
    os.environ.pop("DROVER_HOME", None)
    os.environ.pop("PM2_HOME", None)
    procs = Procs(tmp, f"BENCH_RUN={run_id}")
    ctx = Ctx(REPO, build, tmp, args.smoke, cfg, procs)
    started = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)
    done = [False]

    def cleanup():
        if done[0]:
            return
        done[0] = True
        for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(s, signal.SIG_IGN)   # a second Ctrl-C must not strand processes
        ctx.log("stopping everything the run started")
        procs.cleanup()
        left = procs.kill_leftovers()
        if left:
            ctx.log(f"LEFTOVERS (killed now): {left}")
        ctx.leftovers = left
    atexit.register(cleanup)

    only = set(args.only.split(",")) if args.only else None
    failed = []
    try:
        ctx.log(f"{'smoke' if args.smoke else 'full'} run, temp dir {tmp}")
        ctx.have = find_peers(ctx, args, ctx.log)
        ctx.machine = machine.info(REPO, build, M.pm2_version() if ctx.ok("pm2") else None)
        ctx.machine["load_start"] = machine.loadavg()
        for k, v in ctx.have.items():
            if v is not True:
                ctx.log(f"peer missing: {k}: {v}")
        if not ctx.ok("node"):
            sys.exit("bench: node is required")
        ctx.log("probing drover's cluster mode, reload, scale")
        ctx.caps = capabilities.probe(ctx)
        for k, v in ctx.caps.items():
            ctx.log(f"drover {k}: {'available' if v is True else 'not available: ' + str(v)}")
        lost = [f"{k} ({v})" for k, v in ctx.caps.items()
                if v is not True and not str(v).startswith("not probed")]
        if args.smoke and lost:
            # make test runs the smoke: a capability drover lost is a failure
            # there, not an "n/a" row nobody reads
            sys.exit("bench: drover capabilities missing: " + "; ".join(lost))
        for name, mod in SECTIONS:
            if only and name not in only:
                continue
            if name in ("cluster", "reload") and not ctx.ok("wrk"):
                ctx.results[name] = {"section_skipped": "wrk not installed"}
                continue
            ctx.log(f"== {mod.TITLE}")
            t = time.monotonic()
            try:
                ctx.results[name] = mod.measure(ctx)
            except KeyboardInterrupt:
                raise
            except Exception as e:
                traceback.print_exc()
                ctx.results[name] = {"error": f"{type(e).__name__}: {e}"}
                failed.append(name)
            ctx.log(f"   {name} took {time.monotonic() - t:.0f}s")
    except KeyboardInterrupt as e:
        ctx.log(f"interrupted ({e}); cleaning up")
        cleanup()
        if not args.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        return 130
    finally:
        cleanup()

    duration = time.monotonic() - ctx.t0
    ctx.machine["load_end"] = machine.loadavg()
    os.makedirs(os.path.join(out_dir, "bench"), exist_ok=True)
    saved = {"smoke": args.smoke, "cfg": cfg, "have": ctx.have, "caps": ctx.caps,
             "machine": ctx.machine, "results": ctx.results, "started": started,
             "duration": duration, "leftovers": ctx.leftovers}
    with open(os.path.join(out_dir, "bench", "results.json"), "w") as f:
        json.dump(saved, f, indent=1, default=str)
    text = render(ctx, ctx.results, out_dir, started, duration)
    md = os.path.join(out_dir, "benchmarks.md")
    with open(md, "w") as f:
        f.write(text)
    ctx.log(f"wrote {md} ({duration:.0f}s)")
    if not args.keep_tmp:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        ctx.log(f"kept {tmp}")
    if failed:
        ctx.log(f"FAILED sections: {', '.join(failed)}")
    if ctx.leftovers:
        ctx.log("FAILED: processes were left running (see above)")
    return 1 if failed or ctx.leftovers else 0


if __name__ == "__main__":
    sys.exit(main())
