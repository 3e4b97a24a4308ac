"""servers.py - the ways to serve one node app with n instances on one port.

start(ctx, variant, app, port, n) starts a variant and returns a Server whose
stop() takes everything down again, and whose reload() and online() work for
the variants that can reload (drover, PM2, node-rr). Variants:

  single        one node process, no manager (PORT)
  nomgr         the limit: n node processes sharing one pre-bound socket
                (apps/nomgr.py passes it as fd 3), nothing in the data path,
                each worker in its own session (like drover's instances)
  nomgr-1s      the same with both workers in one session (like node cluster
                and PM2): a control for the kernel's autogroup scheduling
  drover-shared drover start app -i n --port P --balancing shared
  drover-slots  drover start app -i n --port P --balancing slots
  drover-sticky drover start app -i n --port P --balancing sticky
  drover-least_conn  drover start app -i n --port P --balancing least_conn
  pm2           PM2 cluster mode (-i n), node cluster round-robin inside God
  node-rr       node cluster module, SCHED_RR (primary accepts); reload() is
                a rolling reload by the primary on SIGHUP (apps/cluster.js)
  node-none     node cluster module, SCHED_NONE (workers accept)
  nginx         nginx (round robin, upstream keepalive) in front of n single
                processes
  nginx-lc      the same with `least_conn`
  haproxy       HAProxy (roundrobin, http-reuse) in front of n single processes

VARIANTS are the ones section 3 compares; drover-sticky, drover-least_conn
and nginx-lc are
only started by name (sections 4 and 8).
"""
import json
import os
import signal
import string
import sys

from . import procs as P
from .managers import PM2, Drover, online, wait_online
from .wrk import free_port, wait_http

VARIANTS = ["single", "nomgr", "nomgr-1s", "drover-shared", "drover-slots", "pm2", "node-rr",
            "node-none", "nginx", "haproxy"]

LABELS = {
    "single": "single process (1 instance)",
    "nomgr": "no manager, shared socket (limit)",
    "nomgr-1s": "no manager, shared socket, 1 session",
    "drover-shared": "drover cluster, shared",
    "drover-slots": "drover cluster, slots",
    "drover-sticky": "drover cluster, sticky",
    "drover-least_conn": "drover cluster, least_conn",
    "pm2": "PM2 cluster",
    "node-rr": "node cluster, round-robin",
    "node-none": "node cluster, SCHED_NONE",
    "nginx": "nginx → 2 processes",
    "nginx-lc": "nginx least_conn → 2 processes",
    "haproxy": "HAProxy → 2 processes",
}

SHORT = {"single": "single", "nomgr": "no manager", "nomgr-1s": "no mgr, 1 session",
         "drover-shared": "drover shared", "drover-slots": "drover slots",
         "drover-sticky": "drover sticky", "drover-least_conn": "drover least_conn",
         "pm2": "PM2 cluster", "node-rr": "node RR",
         "node-none": "node SCHED_NONE", "nginx": "nginx", "nginx-lc": "nginx least_conn",
         "haproxy": "HAProxy"}

# what a variant needs: a peer (ctx.have) or a drover capability (ctx.caps)
NEEDS = {"pm2": "pm2", "nginx": "nginx", "nginx-lc": "nginx", "haproxy": "haproxy",
         "drover-shared": "cluster-shared", "drover-slots": "cluster-slots",
         "drover-sticky": "cluster-sticky", "drover-least_conn": "cluster-least_conn"}



def available(ctx, variant):
    need = NEEDS.get(variant)
    if need is None:
        return True
    return ctx.cap(need) if need.startswith("cluster") else ctx.ok(need)


class Server:
    """A running variant. workers() are the processes that run the app;
    front() the ones in front of or around them (manager, cluster primary,
    proxy), whose CPU is the variant's overhead."""

    def __init__(self, port, stop_fn, describe, mgr=None, workers=None, front=None,
                 reload=None):
        self.port = port
        self._stop = stop_fn
        self.describe = describe      # the command line, for the doc
        self.mgr = mgr                # Drover/PM2 when managed
        self._workers = workers or (lambda: [])
        self._front = front or (lambda: [])
        self._reload = reload

    def stop(self):
        self._stop()

    def reload(self, timeout=120):
        """One rolling reload of every instance, waited for; returns 0 when
        it worked (the manager's exit code)."""
        if self.mgr is not None:
            return self.mgr.cli("reload", "web", check=False, timeout=timeout).returncode
        if self._reload is None:
            raise ValueError("this variant cannot reload")
        return self._reload(timeout)

    def online(self):
        """Pids of the instances that are up (managed: as the manager says)."""
        return online(self.mgr) if self.mgr is not None else self.workers()

    def wait_online(self, n, timeout=60):
        if self.mgr is not None:
            return wait_online(self.mgr, n, timeout)
        return P.wait_until(lambda: len(self.workers()) >= n, timeout, 0.1,
                            f"{n} workers")

    def workers(self):
        return self._workers()

    def front(self):
        return self._front()


def _kids(pid):
    return lambda: P.children(pid)


def _tree(pid):
    return lambda: [pid] + P.descendants(pid)


def _node(ctx, app, port, name, extra_env=None):
    env = {"PORT": str(port)}
    env.update(extra_env or {})
    return ctx.procs.spawn(["node", app], name, env=env)


def _stop_nomgr(ctx, p):
    """The launcher stops its workers on SIGTERM; workers in their own
    sessions are outside its process group, so make sure they are gone."""
    kids = P.children(p.pid)
    ctx.procs.stop(p)
    for k in kids:
        if P.alive(k):
            try:
                os.kill(k, 9)
            except ProcessLookupError:
                pass


def _wait_or_stop(ctx, port, p):
    try:
        wait_http(port, proc=p)
    except Exception:
        ctx.procs.stop(p)
        raise


def _render(ctx, template, dest, **kw):
    with open(os.path.join(ctx.repo, "bench", "peers", template)) as f:
        text = string.Template(f.read()).substitute(**kw)
    with open(dest, "w") as f:
        f.write(text)
    return dest


def start(ctx, variant, app, port, n=2, env=None):
    """Starts `variant` serving bench app `app` (a path) on 127.0.0.1:port."""
    env = env or {}
    if variant == "single":
        p = _node(ctx, app, port, f"single-{port}", env)
        _wait_or_stop(ctx, port, p)
        return Server(port, lambda: ctx.procs.stop(p), f"PORT={port} node {os.path.basename(app)}",
                      workers=lambda: [p.pid])

    if variant in ("nomgr", "nomgr-1s"):
        extra = ["--one-session"] if variant == "nomgr-1s" else []
        argv = [sys.executable, ctx.app("nomgr.py"), str(port), str(n), app] + extra
        p = ctx.procs.spawn(argv, f"{variant}-{port}", env=env)
        _wait_or_stop(ctx, port, p)
        return Server(port, lambda: _stop_nomgr(ctx, p),
                      f"python3 bench/apps/nomgr.py {port} {n} {os.path.basename(app)} "
                      + " ".join(extra), workers=_kids(p.pid), front=lambda: [p.pid])

    if variant in ("node-rr", "node-none"):
        policy = "rr" if variant == "node-rr" else "none"
        done = os.path.join(ctx.tmp, f"{variant}-{port}.reloaded")
        e = dict(env, PORT=str(port), BENCH_RELOADED=done)
        p = ctx.procs.spawn(["node", ctx.app("cluster.js"), app, str(n), policy],
                            f"{variant}-{port}", env=e)
        _wait_or_stop(ctx, port, p)

        def reload(timeout):
            """SIGHUP to the primary, then wait for its "reloaded" line."""
            before = (P.read(done, "") or "").count("\n")
            os.kill(p.pid, signal.SIGHUP)
            try:
                P.wait_until(lambda: (P.read(done, "") or "").count("\n") > before, timeout,
                             0.02, "node cluster's rolling reload")
            except TimeoutError:
                return 1
            return 0
        return Server(port, lambda: ctx.procs.stop(p),
                      f"PORT={port} node bench/apps/cluster.js {os.path.basename(app)} {n} {policy}"
                      "  (reload: kill -HUP <primary>)",
                      workers=_kids(p.pid), front=lambda: [p.pid], reload=reload)

    if variant in ("nginx", "nginx-lc", "haproxy"):
        backends = [free_port() for _ in range(n)]
        bps = [_node(ctx, app, b, f"{variant}-backend-{b}", env) for b in backends]
        try:
            for b, bp in zip(backends, bps):
                wait_http(b, proc=bp)
        except Exception:
            for bp in bps:
                ctx.procs.stop(bp)
            raise
        d = os.path.join(ctx.tmp, f"{variant}-{port}")
        os.makedirs(d, exist_ok=True)
        ncpu = os.cpu_count() or 2
        if variant.startswith("nginx"):
            ups = "\n        ".join(f"server 127.0.0.1:{b};" for b in backends)
            conf = _render(ctx, "nginx.conf.in", os.path.join(d, "nginx.conf"), dir=d,
                           port=port, servers=ups, workers=ncpu,
                           balance="least_conn;" if variant == "nginx-lc" else "")
            argv = ["nginx", "-p", d, "-e", os.path.join(d, "error.log"), "-c", conf]
        else:
            ups = "\n    ".join(f"server s{i + 1} 127.0.0.1:{b}" for i, b in enumerate(backends))
            conf = _render(ctx, "haproxy.cfg.in", os.path.join(d, "haproxy.cfg"), port=port,
                           servers=ups, threads=ncpu)
            argv = ["haproxy", "-db", "-f", conf]
        front = ctx.procs.spawn(argv, f"{variant}-{port}")
        try:
            wait_http(port, proc=front)
        except Exception as e:
            log = os.path.join(ctx.tmp, "logs", f"{variant}-{port}.log")
            tail = (open(log).read()[-400:] if os.path.exists(log) else "").strip()
            for bp in bps:
                ctx.procs.stop(bp)
            raise RuntimeError(f"{e}: {tail}") from None

        def stop():
            ctx.procs.stop(front, sig=15)
            for bp in bps:
                ctx.procs.stop(bp)
        return Server(port, stop, " ".join(argv) + f"  (backends: node {os.path.basename(app)} "
                      f"on ports {', '.join(map(str, backends))})",
                      workers=lambda: [bp.pid for bp in bps], front=_tree(front.pid))

    if variant in ("drover-shared", "drover-slots", "drover-sticky", "drover-least_conn"):
        mode = variant.split("-", 1)[1]
        d = Drover(ctx, variant)
        args = ["start", app, "--name", "web", "-i", n, "--port", port, "--balancing", mode]
        for k, v in env.items():
            args += ["--env", f"{k}={v}"]
        try:
            d.cli(*args, timeout=60)
            wait_http(port)
        except Exception:
            d.kill()
            raise
        pids = [i["pid"] for i in d.ls() if i.get("pid")]
        return Server(port, d.kill, "drover " + " ".join(map(str, args)), mgr=d,
                      workers=lambda: pids, front=d.manager_pids)

    if variant == "pm2":
        m = PM2(ctx, "cluster")
        eco = os.path.join(m.home, "ecosystem.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "web", "script": app, "exec_mode": "cluster",
                                 "instances": n, "env": dict(env, PORT=str(port))}]}, f)
        try:
            m.cli("start", eco, timeout=120)
            wait_http(port)
        except Exception:
            m.kill()
            raise
        pids = [i["pid"] for i in m.jlist() if i.get("pid")]
        return Server(port, m.kill, f"pm2 start ecosystem.json  # {{name: web, script: "
                      f"{os.path.basename(app)}, exec_mode: cluster, instances: {n}, "
                      f"env: {{PORT: {port}}}}}", mgr=m, workers=lambda: pids,
                      front=m.manager_pids)

    raise ValueError(f"unknown variant {variant}")


def worker_pids(server, variant):
    """Pids of the processes that answer requests (best effort)."""
    if server.mgr is not None and variant.startswith("drover"):
        return [p["pid"] for p in server.mgr.ls() if p.get("pid")]
    if server.mgr is not None:
        return [p["pid"] for p in server.mgr.jlist() if p.get("pid")]
    return []
