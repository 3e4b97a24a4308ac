"""stats.py - section 9: what the connection counters and the views cost.

1. Throughput cost of the counters: bench/apps/hello.js (the cluster
   section's app) with 2 instances under drover, twice in one daemon: "on"
   (the preload shim counts every accept in the supervisor's shared page)
   and "off" (DROVER_CONN_STATS=0 in the app's environment). wrk -t2 -c32
   on loopback, a new connection per request (`Connection: close`: the
   accept hook runs per request) and keep-alive; per repetition and mode the
   two apps are loaded one after the other (on, off, then off, on in the
   next repetition), the other one idle. req/s median [min–max], the workers'
   CPU per request, and the on/off ratio paired per repetition.
2. Cost of watching: the daemon's CPU (utime+stime of droverd from
   /proc/<pid>/stat, % of one core) over a window with N fork-mode
   `/bin/sleep` apps and: nobody watching; one dashboard SSE stream
   (`GET /events` from DROVER_HTTP, read by a Python client); `drover monit`
   in a tmux pane (80x24); `drover ls` once a second. Both sizes (1,000 and
   10 apps) run in separate daemons measured in the same windows; PM2's God
   (1,000 apps) idles in the same windows and runs `pm2 ls` once a second
   in the ls window.
3. `drover ls` at 1,000 apps right after a restart of one app (a new pid:
   the sampler measures before the reply), after a 1.5 s pause (served from
   the last sample, measured again after the reply), right after another ls
   (the sample is reused), and `pm2 ls` at 1,000 apps, interleaved.
"""
import json
import os
import shlex
import socket
import subprocess
import threading
import time

from lib import procs as P
from lib import wrk as W
from lib.managers import PM2, Drover, sleep_apps, wait_online, write_json
from lib.report import NA
from lib.stats import fmt, fmt_ratio, median, num, paired_ratios

TITLE = "9. Cost of the connection counters and of watching"

# profile values, merged into lib/ctx.py's FULL and SMOKE by bench.py (so
# --set stats_window_s=10 works)
FULL = {
    "stats_wrk_s": 4,          # per wrk run
    "stats_wrk_conns": 32,
    "stats_warmup_s": 1,
    "stats_apps": [1000, 10],  # daemons measured side by side in section 9.2
    "stats_window_s": 30,      # per watching state
    "stats_lead_s": 1.0,       # a watcher runs this long before its window opens
    "stats_ls_calls": 8,       # cold and warm `drover ls` at the biggest size
    "stats_pm2_ls_calls": 4,
    "stats_pm2": True,         # PM2 beside drover (when installed)
}
SMOKE = {
    "stats_wrk_s": 1,
    "stats_wrk_conns": 32,
    "stats_warmup_s": 0,
    "stats_apps": [20, 5],
    "stats_window_s": 3,
    "stats_lead_s": 0.3,
    "stats_ls_calls": 2,
    "stats_pm2_ls_calls": 1,
    "stats_pm2": False,        # starting and killing PM2 alone takes ~25 s
}

MODES = ["close", "keepalive"]
STATES = ["idle", "sse", "monit", "ls"]
STATE_LABELS = {"idle": "nobody watching", "sse": "dashboard: one `GET /events` stream",
                "monit": "`drover monit` (tmux 80x24)", "ls": "`drover ls` once a second"}
COLD_PAUSE_S = 1.5


def _check(ctx, res, ok, msg):
    """A capability check: the smoke run (make test) fails on it; a full run
    keeps going and says so in the report."""
    if ok:
        return True
    if ctx.smoke:
        raise RuntimeError(msg)
    ctx.log(f"stats: PROBLEM: {msg}")
    res.setdefault("problems", []).append(msg)
    return False


# ------------------------------------------------------ 1. counters, req/s

def _conn_figures(d, app):
    return {p["id"]: p.get("connections") for p in json.loads(
        d.cli("describe", app, "--json").stdout)}


def counters(ctx, res):
    cfg = ctx.cfg
    d = Drover(ctx, "stats-http")
    http_port = W.free_port()
    d.env["DROVER_HTTP"] = f"127.0.0.1:{http_port}"
    ports = {"on": W.free_port(), "off": W.free_port()}
    out = {"runs": {}, "commands": {}}
    res["counters"] = out
    try:
        for v in ("on", "off"):
            args = ["start", ctx.app("hello.js"), "--name", v, "-i", 2, "--port", ports[v],
                    "--balancing", "shared"]
            if v == "off":
                args += ["--env", "DROVER_CONN_STATS=0"]
            d.cli(*args, timeout=60)
            out["commands"][v] = "drover " + " ".join(map(str, args)).replace(
                ctx.app("hello.js"), "bench/apps/hello.js").replace(str(ports[v]), "$PORT")
            W.wait_http(ports[v])
        wait_online(d, 4, timeout=60)
        time.sleep(ctx.cfg["settle_s"])
        workers = {v: [p["pid"] for p in d.ls() if p.get("name") == v and p.get("pid")]
                   for v in ports}
        url = {v: f"http://127.0.0.1:{ports[v]}/" for v in ports}
        if cfg["stats_warmup_s"]:
            for v in ports:
                W.run_wrk(url[v], cfg["stats_warmup_s"], 2, cfg["stats_wrk_conns"], close=True)
        close_requests = {"on": 0, "off": 0}
        for rep in range(cfg["reps"]):
            order = ["on", "off"] if rep % 2 == 0 else ["off", "on"]
            for mode in MODES:
                for v in order:
                    ctx.log(f"stats: counting {v}, {mode} (rep {rep + 1})")
                    c0 = [P.cpu_seconds(p) for p in workers[v]]
                    r = W.run_wrk(url[v], cfg["stats_wrk_s"], 2, cfg["stats_wrk_conns"],
                                  close=(mode == "close"))
                    r.pop("raw", None)
                    r["worker_cpu_s"] = sum(P.cpu_seconds(p) - c
                                            for p, c in zip(workers[v], c0))
                    if mode == "close":
                        close_requests[v] += r["requests"]
                    out["runs"].setdefault(mode, {}).setdefault(v, []).append(r)
        # the figures the bench just produced, as describe and /metrics show them
        time.sleep(0.2)
        figs = {v: _conn_figures(d, v) for v in ports}
        out["figures"] = {v: list(f.values()) for v, f in figs.items()}
        acc_on = [f.get("accepted") if f else None for f in figs["on"].values()]
        _check(ctx, res, len(acc_on) == 2 and all(a is not None for a in acc_on),
               f"no connection figures in `describe on --json` for a cluster app: {acc_on}")
        total_on = sum(a or 0 for a in acc_on)
        out["accepted_on"], out["close_requests_on"] = total_on, close_requests["on"]
        _check(ctx, res, total_on >= close_requests["on"] > 0,
               f"the counters saw {total_on} accepts, wrk completed {close_requests['on']} "
               "requests on new connections")
        acc_off = [(f or {}).get("accepted") for f in figs["off"].values()]
        out["accepted_off"] = acc_off
        _check(ctx, res, all(not a for a in acc_off),
               f"DROVER_CONN_STATS=0 still counts: {acc_off}")
        text = (W.get(http_port, "/metrics") or (0, {}, b""))[2].decode(errors="replace")
        lines = [ln for ln in text.splitlines()
                 if ln.startswith("drover_instance_connections_accepted_total{")
                 and 'app="on"' in ln]
        _check(ctx, res, len(lines) == 2 and sum(float(ln.split()[-1]) for ln in lines)
               >= total_on, f"/metrics: drover_instance_connections_accepted_total for app "
                            f"\"on\": {lines}")
        _check(ctx, res, "drover_instance_connections_open{" in text,
               "/metrics has no drover_instance_connections_open")
    finally:
        d.kill()
    out["wrk"] = " ".join(W.command("http://127.0.0.1:$PORT/", cfg["stats_wrk_s"], 2,
                                     cfg["stats_wrk_conns"]))


# ------------------------------------------------------------- 2. watching

class SSE(threading.Thread):
    """Reads GET /events until stop(): counts snapshots and bytes."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.events = 0
        self.bytes = 0
        self.last = None
        self.error = None
        self._halt = threading.Event()

    def run(self):
        try:
            s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
            s.sendall(b"GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      b"Accept: text/event-stream\r\n\r\n")
            s.settimeout(0.5)
            buf = b""
            while not self._halt.is_set():
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    self.error = "the daemon closed the stream"
                    break
                self.bytes += len(chunk)
                buf += chunk
                *blocks, buf = buf.split(b"\n\n")
                for b in blocks:
                    if b.lstrip(b"\r\n").startswith(b"event: snapshot") or \
                            b"\nevent: snapshot" in b:
                        self.events += 1
                        self.last = b
            s.close()
        except OSError as e:
            self.error = str(e)

    def stop(self):
        self._halt.set()
        self.join(5)
        procs = None
        if self.last and b"data: " in self.last:
            try:
                procs = len(json.loads(self.last.split(b"data: ", 1)[1])["processes"])
            except (ValueError, KeyError):
                pass
        return {"events": self.events, "bytes": self.bytes, "processes": procs,
                "error": self.error}


class Monit:
    """`drover monit` in a detached 80x24 tmux pane of a private tmux server."""

    def __init__(self, ctx, d, tag):
        self.ctx = ctx
        self.sock = os.path.join(ctx.tmp, f"tmux-{tag}.sock")
        self.tmux = ["tmux", "-S", self.sock, "-f", "/dev/null"]
        cmd = "exec env " + " ".join(shlex.quote(f"{k}={v}") for k, v in d.env.items()) + \
            " TERM=screen " + shlex.quote(d.bin) + " monit"
        self._tok = ctx.procs.on_cleanup(f"tmux {self.sock}", self.stop)
        P.run(self.tmux + ["new-session", "-d", "-x", "80", "-y", "24", "-s", "monit", cmd],
              env=d.env, timeout=20)
        pid = P.run(self.tmux + ["list-panes", "-F", "#{pane_pid}"], timeout=10).stdout.split()
        self.pid = int(pid[0]) if pid and pid[0].isdigit() else None

    def screen(self):
        r = P.run(self.tmux + ["capture-pane", "-p"], timeout=10, check=False)
        return r.stdout if r.returncode == 0 else ""

    def stop(self):
        self.ctx.procs.forget(self._tok)
        P.run(self.tmux + ["kill-server"], timeout=10, check=False)
        if self.pid:
            try:
                P.wait_until(lambda: not P.alive(self.pid), 5, 0.05, "monit to exit")
            except TimeoutError:
                os.kill(self.pid, 9)


class Every:
    """Runs argv once a second (like `watch -n1`) until stop(); keeps each
    call's wall time, exit code and CPU (user+sys, from wait4)."""

    def __init__(self, argv, env, cwd):
        self.argv, self.env, self.cwd = argv, dict(os.environ, **env), cwd
        self.calls = []
        self._halt = threading.Event()
        self.t = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.t.start()
        return self

    def _run(self):
        nxt = time.monotonic()
        while not self._halt.is_set():
            t = time.perf_counter()
            p = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            _, status, ru = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            self.calls.append({"wall_s": time.perf_counter() - t, "rc": p.returncode,
                               "cpu_s": ru.ru_utime + ru.ru_stime,
                               "at": time.monotonic()})
            nxt += 1.0
            self._halt.wait(max(0.0, nxt - time.monotonic()))

    def stop(self):
        self._halt.set()
        self.t.join(120)
        return self.calls


def _start_apps(ctx, m, n, which):
    eco = write_json(os.path.join(m.home, "apps.json"), sleep_apps(n))
    t = time.perf_counter()
    # the CLI waits 20 s for the daemon's answer by default; a busy machine
    # can take longer to start 1,000 apps
    P.run(m.argv("start", eco), env=dict(m.env, DROVER_TIMEOUT="600"), cwd=m.home, timeout=900)
    wait_online(m, n, timeout=900)
    ctx.log(f"stats: {n} apps online under {which} in {time.perf_counter() - t:.1f}s")


def watching(ctx, res, states):
    cfg = ctx.cfg
    sizes = cfg["stats_apps"]
    big = max(sizes)
    out = {"sizes": sizes, "window_s": cfg["stats_window_s"], "states": states, "windows": {},
           "pm2": {}}
    res["watch"] = out
    ds = {}
    for n in sizes:
        d = Drover(ctx, f"stats{n}")
        d.http_port = W.free_port()
        d.env["DROVER_HTTP"] = f"127.0.0.1:{d.http_port}"
        ds[n] = d
    pm = PM2(ctx, "stats") if ctx.ok("pm2") and cfg["stats_pm2"] else None
    if ctx.ok("pm2") and not pm:
        out["pm2_skipped"] = "skipped in smoke runs"
    try:
        # the managers start their apps at the same time (nothing is measured yet)
        jobs = [(d, n, f"drover ({n})") for n, d in ds.items()] + \
            ([(pm, big, "pm2")] if pm else [])
        errors = []

        def start(m, n, which):
            try:
                m.cli("ping", timeout=60)
                _start_apps(ctx, m, n, which)
            except Exception as e:  # raised below, after every start ended
                errors.append(f"{which}: {e}")

        ts = [threading.Thread(target=start, args=j) for j in jobs]
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        if errors:
            raise RuntimeError("; ".join(errors))
        time.sleep(2 * cfg["settle_s"])
        dpid = {n: d.daemon_pid() for n, d in ds.items()}
        gpid = pm.god_pid() if pm else None
        for state in states:
            ctx.log(f"stats: watching: {STATE_LABELS[state]}, {cfg['stats_window_s']}s")
            watchers, clients = {}, {}
            for n, d in ds.items():
                if state == "sse":
                    watchers[n] = SSE(d.http_port)
                    watchers[n].start()
                elif state == "monit":
                    watchers[n] = Monit(ctx, d, f"{n}")
                    clients[n] = watchers[n].pid
                elif state == "ls":
                    watchers[n] = Every(d.argv("ls"), d.env, d.home).start()
            pm_ls = Every(pm.argv("ls"), pm.env, pm.home).start() if pm and state == "ls" \
                else None
            t0 = t1 = time.monotonic()
            try:
                time.sleep(cfg["stats_lead_s"])
                t0 = time.monotonic()
                c0 = {n: P.cpu_seconds(p) for n, p in dpid.items()}
                k0 = {n: P.cpu_seconds(p) for n, p in clients.items() if p}
                g0 = P.cpu_seconds(gpid) if gpid else None
                time.sleep(cfg["stats_window_s"])
                t1 = time.monotonic()
                dt = t1 - t0
                nprocs = len(P.all_pids())
                for n in ds:
                    w = {"seconds": dt, "daemon_cpu_s": P.cpu_seconds(dpid[n]) - c0[n],
                         "machine_procs": nprocs}
                    if n in k0:
                        w["client_cpu_s"] = P.cpu_seconds(clients[n]) - k0[n]
                    if state == "monit":
                        scr = watchers[n].screen()
                        w["screen_head"] = scr.splitlines()[0].strip() if scr else ""
                        _check(ctx, res, watchers[n].pid and P.alive(watchers[n].pid) and
                               "drover monit" in scr and " apps" in scr,
                               f"drover monit ({n} apps) is not running or not drawing in "
                               f"its tmux pane: {scr[:300]!r}")
                    out["windows"].setdefault(str(n), {})[state] = w
                if gpid:
                    out["pm2"][state] = {"seconds": dt, "daemon_cpu_s": P.cpu_seconds(gpid) - g0}
            finally:
                for n, wt in watchers.items():
                    w = out["windows"].setdefault(str(n), {}).setdefault(state, {})
                    if state == "sse":
                        s = wt.stop()
                        w["sse"] = s
                        need = int(cfg["stats_window_s"] * 0.8)
                        _check(ctx, res, s["events"] >= need and s["processes"] == n,
                               f"dashboard /events ({n} apps): {s['events']} snapshots in "
                               f"{cfg['stats_window_s'] + cfg['stats_lead_s']:g}s, last one "
                               f"with {s['processes']} processes, error {s['error']}")
                    elif state == "monit":
                        wt.stop()
                    elif state == "ls":
                        calls = [c for c in wt.stop()]
                        w["ls"] = _ls_summary(calls, t0, t1)
                        _check(ctx, res, calls and all(c["rc"] == 0 for c in calls),
                               f"drover ls ({n} apps) failed: {[c['rc'] for c in calls]}")
                if pm_ls:
                    calls = pm_ls.stop()
                    out["pm2"].setdefault("ls", {})["ls"] = _ls_summary(calls, t0, t1)
        ls_cold_warm(ctx, res, ds[big], big, pm)
    finally:
        # the managers are independent: stop them all at once
        ctx.log("stats: stopping " + ", ".join(
            [f"{n} apps under drover" for n in ds] + ([f"{big} under pm2"] if pm else [])))
        t = time.perf_counter()

        def kill(m, which):
            t = time.perf_counter()
            m.kill(timeout=120)
            ctx.log(f"stats: {which} stopped in {time.perf_counter() - t:.1f}s")
        ts = [threading.Thread(target=kill, args=(m, w)) for m, w in
              [(d, f"drover ({n})") for n, d in ds.items()] + ([(pm, "pm2")] if pm else [])]
        for th in ts:
            th.start()
        for th in ts:
            th.join()
        out["teardown_s"] = time.perf_counter() - t


def _ls_summary(calls, t0, t1):
    """The calls of a once-a-second loop that ran inside [t0, t1]: wall times
    and their CPU, in % of one core over the window."""
    inside = [c for c in calls if t0 <= c["at"] <= t1]
    return {"calls": len(calls), "in_window": len(inside),
            "wall_s": [c["wall_s"] for c in calls], "rc": [c["rc"] for c in calls],
            "client_cpu_s": sum(c["cpu_s"] for c in inside), "seconds": t1 - t0}


# ------------------------------------------------------ 3. ls cold vs warm

def ls_cold_warm(ctx, res, d, n, pm):
    cfg = ctx.cfg
    out = {"apps": n, "first": [], "cold": [], "warm": [], "pm2": []}
    res["ls"] = out
    ctx.log(f"stats: drover ls first/stale/warm with {n} apps, {cfg['stats_ls_calls']} each")
    for i in range(cfg["stats_ls_calls"]):
        # a new pid: the sample no longer covers every run, ls measures first
        d.cli("restart", f"s{i}")
        out["first"].append(d.timed("ls"))
        time.sleep(COLD_PAUSE_S)
        out["cold"].append(d.timed("ls"))
        out["warm"].append(d.timed("ls"))
        if pm and i < cfg["stats_pm2_ls_calls"]:
            out["pm2"].append(pm.timed("ls"))


# -------------------------------------------------------------------- run

def measure(ctx):
    res = {}
    if ctx.ok("wrk") and ctx.cap("cluster-shared"):
        counters(ctx, res)
    else:
        res["counters_skipped"] = ctx.why_not("cluster-shared") or ctx.why_not("wrk")
        _check(ctx, res, False, f"throughput of the counters not measured: "
                                f"{res['counters_skipped']}")
    res["tmux"] = P.run(["sh", "-c", "command -v tmux"], check=False).returncode == 0
    _check(ctx, res, res["tmux"], "tmux is not installed: no `drover monit` rows")
    watching(ctx, res, [s for s in STATES if s != "monit" or res["tmux"]])
    return res


# ----------------------------------------------------------------- render

def _pct(w, key="daemon_cpu_s"):
    if not w or key not in w or not w.get("seconds"):
        return None
    return 100 * w[key] / w["seconds"]


def render(ctx, doc, res, plots):
    cfg = ctx.cfg
    doc.h(2, TITLE)
    c = res.get("counters")
    doc.p(f"""**Throughput cost of the connection counters.** The preload shim counts every
connection a worker accepts on a shared socket in a page it shares with its supervisor (one
relaxed atomic add per accept, in the app's process); `DROVER_CONN_STATS=0` in the app's
environment turns that off. `bench/apps/hello.js` with 2 instances (`--balancing shared`), the
same app twice in one daemon: **on** (counting, the default) and **off**
(`--env DROVER_CONN_STATS=0`); each run loads one of them while the other idles. wrk
`-t2 -c{cfg['stats_wrk_conns']} -d{cfg['stats_wrk_s']}s` on loopback with
`-H 'Connection: close'` (a new connection per request: the accept hook runs for every
request) and with keep-alive. In every repetition each mode runs on then off, the next
repetition off then on. req/s, latency and the workers' CPU per request are median
[min–max] over {cfg['reps']} runs; **on ÷ off** is paired per repetition.""")
    if not c:
        doc.p(f"Not measured in this run: {res.get('counters_skipped') or NA}.")
    else:
        rows, goal_parts, goal_met = [], [], True
        for mode in MODES:
            by_v = c["runs"].get(mode, {})
            on, off = by_v.get("on", []), by_v.get("off", [])
            ratio = paired_ratios([r["rps"] for r in on], [r["rps"] for r in off])
            for v, rs in (("on", on), ("off", off)):
                if not rs:
                    continue
                cpu_us = [1e6 * r["worker_cpu_s"] / r["requests"] for r in rs if r["requests"]]
                rows.append(["Connection: close" if mode == "close" else "keep-alive",
                             "on (default)" if v == "on" else "off (`DROVER_CONN_STATS=0`)",
                             fmt([r["rps"] for r in rs], 0), fmt([r["p50_ms"] for r in rs], 2),
                             fmt([r["p99_ms"] for r in rs], 2), fmt(cpu_us, 1),
                             fmt_ratio(ratio) if v == "on" and ratio else "",
                             sum(r["errors"] for r in rs)])
            if ratio:
                m = median(ratio)
                goal_parts.append(f"{'close' if mode == 'close' else 'keep-alive'}: "
                                  f"{fmt_ratio(ratio)}")
                goal_met = goal_met and m >= 0.98
        doc.table(["connections", "counting", "req/s", "p50 ms", "p99 ms",
                   "worker CPU µs / request", "on ÷ off (req/s)", "errors"], rows,
                  ["l", "l", "r", "r", "r", "r", "r", "r"])
        doc.p(f"""The figures of this load, as `drover describe on --json` showed them
afterwards: {num(c.get('accepted_on'))} connections accepted by the 2 "on" workers (wrk
completed {num(c.get('close_requests_on'))} requests on new connections, plus its keep-alive
connections and warm-up), {c.get('accepted_off')} for the "off" workers. Commands:""")
        doc.code("\n".join([c["commands"]["on"], c["commands"]["off"],
                            c["wrk"] + "   [-H 'Connection: close']"]))
        if goal_parts:
            ctx.goals.append({"goal": "connection counting costs < 2 % of throughput "
                                      "(within noise)",
                              "measured": "req/s on ÷ off, " + "; ".join(goal_parts),
                              "met": goal_met})

    w = res.get("watch")
    if w:
        sizes = w["sizes"]
        big = max(sizes)
        doc.p(f"""**Cost of watching.** One daemon per size ({', '.join(num(n) for n in
sizes)} fork-mode `/bin/sleep 3600` apps from one ecosystem file, each daemon with
`DROVER_HTTP` set), all measured in the same {w['window_s']} s windows, one window per
state: nobody watching; one dashboard stream open (a Python client reading `GET /events`,
one JSON snapshot a second); `drover monit` in a detached tmux pane
(`tmux new-session -d -x 80 -y 24 'drover monit'`, it polls the daemon every second);
`drover ls` once a second, as `watch -n1 drover ls` would (the harness runs it, output to
/dev/null). Each watcher starts {cfg['stats_lead_s']:g} s before its window. **daemon
CPU**: utime + stime of `droverd` (`/proc/<pid>/stat`, 10 ms ticks) over the window, in %
of one core; **client CPU**: the watcher's own process (`drover monit`, or the sum of the `ls`
calls inside the window).""" + (f""" PM2 (its God daemon, {num(big)} apps, started the same
way) sits idle through the same windows and runs `pm2 ls` once a second in the ls window."""
                                if w.get("pm2") else ""))
        rows = []
        pm = w.get("pm2", {})
        for n in sorted(sizes, reverse=True):
            ws = w["windows"].get(str(n), {})
            for state in w.get("states", STATES):
                x = ws.get(state)
                if not x:
                    rows.append([num(n), STATE_LABELS[state], "n/a (not measured)"])
                    continue
                client, check = "—", ""
                if state == "monit":
                    client = num(_pct(x, "client_cpu_s"), 2) if "client_cpu_s" in x else "n/a"
                    check = f"pane: `{x.get('screen_head', '')[:60]}`"
                elif state == "ls" and "ls" in x:
                    ls = x["ls"]
                    client = num(100 * ls["client_cpu_s"] / ls["seconds"], 2)
                    check = f"{ls['in_window']} calls in the window, each {fmt(ls['wall_s'], scale=1000)} ms"
                elif state == "sse" and "sse" in x:
                    s = x["sse"]
                    check = (f"{s['events']} snapshots of {s['processes']} processes, "
                             f"{s['bytes'] / 1024:,.0f} KiB")
                pmc = "—"
                if n == big:
                    if not pm:
                        pmc = f"n/a ({w['pm2_skipped']})" if w.get("pm2_skipped") else \
                            ctx.why_not("pm2") or "n/a"
                    elif state == "idle":
                        pmc = num(_pct(pm.get("idle")), 2)
                    elif state == "ls":
                        p = pm.get("ls", {})
                        pmc = num(_pct(p), 2)
                        if p.get("ls"):
                            pl = p["ls"]
                            pmc += (f" (`pm2 ls` client: "
                                    f"{100 * pl['client_cpu_s'] / pl['seconds']:.1f}; "
                                    f"{pl['in_window']} calls in the window, each "
                                    f"{fmt(pl['wall_s'], scale=1000)} ms)")
                    elif state == "sse":
                        pmc = "n/a (no local web dashboard in PM2)"
                    else:
                        pmc = "n/a (`pm2 monit` not run headless, see below)"
                rows.append([num(n), STATE_LABELS[state], num(_pct(x), 2), client, pmc, check])
        doc.table(["apps", "state", "drover daemon CPU, % of a core", "client CPU, %",
                   f"PM2 God CPU, % ({num(big)} apps)", "check"], rows,
                  ["r", "l", "r", "r", "l", "l"])
        doc.p("""PM2: `pm2 monit` (a terminal UI built on blessed) is skipped: it cannot be
run headless reliably; PM2's web monitoring is the hosted PM2 Plus service, not something
its daemon serves locally, so the dashboard row has no PM2 figure either. The PM2 column
is God's CPU only; the `pm2 ls` client's own CPU is in parentheses. The daemons of
the different sizes and PM2 run at the same time, so each is measured while the others do
their part of the same state: CPU time, unlike wall time, hardly depends on that. The loop
starts a call every second, or at once when the previous one took longer.""")
        procs = [x.get("machine_procs") for ws in w["windows"].values() for x in ws.values()
                 if x.get("machine_procs")]
        small = _pct(w["windows"].get(str(min(sizes)), {}).get("sse"))
        large = _pct(w["windows"].get(str(big), {}).get("sse"))
        if procs and small and large and len(sizes) > 1 and small >= 0.5 * large:
            doc.p(f"""The sampler reads `/proc/<pid>/stat` of every process on the machine to
find each instance's process tree, so a sample costs about the same with {num(min(sizes))}
apps as with {num(big)}: it scales with the machine's processes ({fmt(procs, 0)} during
these windows, the other managers' apps and supervisors included), not with the daemon's
apps.""")

    ls = res.get("ls")
    if ls:
        cold, warm, first = ls["cold"], ls["warm"], ls.get("first", [])
        pm_med = median(ls["pm2"]) if ls["pm2"] else None

        def vs_pm2(xs):
            if not pm_med or not xs:
                return ""
            r = median(xs) / pm_med
            return f"{r:.3f} (1/{1 / r:.0f})" if r else ""
        rows = [["`drover ls`", "right after `drover restart` of one app: a new pid, the "
                 "sampler measures before the reply", fmt(first, scale=1000), len(first),
                 vs_pm2(first)],
                ["`drover ls`", f"after a {COLD_PAUSE_S:g} s pause: served from the last "
                 "sample, which is taken again after the reply", fmt(cold, scale=1000), len(cold),
                 vs_pm2(cold)],
                ["`drover ls`", "right after another `drover ls`: the sample is reused",
                 fmt(warm, scale=1000), len(warm), vs_pm2(warm)]]
        rows.append(["`pm2 ls`", "(PM2 measures every process at every call)",
                     fmt(ls["pm2"], scale=1000) if ls["pm2"] else
                     (f"n/a ({w['pm2_skipped']})" if w and w.get("pm2_skipped") else
                      ctx.why_not("pm2") or "n/a"),
                     len(ls["pm2"]) or "", ""])
        doc.p(f"""**`drover ls` and the sampler, {num(ls['apps'])} apps.** The daemon's one
sampler (behind ls, jlist, describe, monit, the dashboard and /metrics) serves a view the
last sample when it covers every running process and is not older than its background
period plus 5 s, and takes the next one after the reply, in 1 ms slices between the
daemon's other work; when nobody looks it samples at most 1/500 of a core (about every
15 s with 1,000 apps). A new pid (a restart) makes the view wait for a full sample. Rounds
of calls (restart one app then `ls`; pause; `ls`; `ls` again){
", interleaved with `pm2 ls` on the PM2 daemon of the table above (same apps)"
if ls["pm2"] else ""}. Wall time of the CLI call, ms, median [min–max]; ÷ pm2 ls: ratio of
the medians.""")
        doc.table(["command", "when", "ms", "calls", "÷ `pm2 ls`"], rows,
                  ["l", "l", "r", "r", "r"])
    if res.get("problems"):
        doc.p("**Problems in this run:** " + "; ".join(f"`{p[:300]}`" for p in res["problems"]))
