"""managers.py - drover and PM2 as the bench drives them.

Each instance gets its own state directory under the run's temp dir
($DROVER_HOME, $PM2_HOME), so nothing of the user's own drover or PM2 is
touched, and registers its shutdown (`drover kill`, `pm2 kill`, then SIGKILL
of anything still holding that directory) with the Procs registry.

manager_pids() is what the memory and CPU figures sum: for drover the daemon
plus every per-instance drover-sup (and any other drover helper); for PM2 the
God daemon (its apps are not the manager, and PM2 has no helper processes).
"""
import itertools
import json
import os
import signal
import time

from . import procs as P

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PM2_VERSION = "7.0.4"
PM2_PREFIX = os.path.join(REPO, "bench", ".peers", "pm2")
PM2_BIN = os.path.join(PM2_PREFIX, "node_modules", ".bin", "pm2")
DROVER_COMMS = ("droverd", "drover-sup", "drover-gzip")

_serial = itertools.count(1)


def _gone_or_kill(pred_pids, timeout):
    """Waits for pred_pids() to be empty, then SIGKILLs what is left; returns
    the pids that had to be killed."""
    deadline = time.monotonic() + timeout
    left = pred_pids()
    while left and time.monotonic() < deadline:
        time.sleep(0.1)
        left = pred_pids()
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return left


class Drover:
    def __init__(self, ctx, tag):
        self.ctx = ctx
        self.bin = os.path.join(ctx.build, "drover")
        self.home = os.path.join(ctx.tmp, f"drover-{tag}-{next(_serial)}")
        os.makedirs(self.home)
        self.env = {"DROVER_HOME": self.home, "NO_COLOR": "1"}
        self.killed_late = []
        self.kill_error = None
        self._tok = ctx.procs.on_cleanup(f"drover {self.home}", self.kill)

    def argv(self, *args):
        return [self.bin, *map(str, args)]

    def cli(self, *args, timeout=120, check=True):
        return P.run(self.argv(*args), env=self.env, cwd=self.home, timeout=timeout,
                     check=check)

    def timed(self, *args, timeout=120):
        return P.timed(self.argv(*args), env=self.env, cwd=self.home, timeout=timeout)[0]

    def ls(self):
        return json.loads(self.cli("ls", "--json").stdout)

    def daemon_pid(self):
        s = P.read(os.path.join(self.home, "daemon.lock"), "") or ""
        s = s.strip()
        return int(s) if s.isdigit() and P.alive(int(s)) else None

    def manager_pids(self):
        """The daemon and every drover helper process of this home."""
        d = self.daemon_pid()
        out = []
        for pid in P.all_pids():
            if P.comm(pid) not in DROVER_COMMS:
                continue
            if pid == d or P.ppid(pid) == d or P.holds_path(pid, self.home):
                out.append(pid)
        return out

    def _mine(self):
        """Every live process of this home: manager and apps."""
        out = []
        for pid in P.all_pids():
            if not P.alive(pid):
                continue
            if P.comm(pid) in DROVER_COMMS and P.holds_path(pid, self.home):
                out.append(pid)
            elif P.environ_has(pid, f"DROVER_HOME={self.home}"):
                out.append(pid)
        return out

    def kill(self, timeout=60):
        """`drover kill`, then waits until every process of this home is gone
        (SIGKILL after timeout; those are kept in killed_late)."""
        self.ctx.procs.forget(self._tok)
        try:
            r = self.cli("kill", timeout=timeout, check=False)
            if r.returncode != 0:
                self.kill_error = (r.stderr or r.stdout).strip()
        except Exception as e:  # timeout: fall through to the SIGKILL sweep
            self.kill_error = str(e)
        self.killed_late = _gone_or_kill(self._mine, timeout)


def pm2_version():
    """Version of the PM2 in bench/.peers/pm2, or None."""
    try:
        with open(os.path.join(PM2_PREFIX, "node_modules", "pm2", "package.json")) as f:
            return json.load(f).get("version")
    except (OSError, ValueError):
        return None


def pm2_installed():
    return pm2_version() == PM2_VERSION


def install_pm2(log):
    """npm install pm2@PM2_VERSION into bench/.peers/pm2 (private prefix)."""
    if pm2_installed():
        return True
    log(f"installing pm2@{PM2_VERSION} into {os.path.relpath(PM2_PREFIX, REPO)}")
    os.makedirs(PM2_PREFIX, exist_ok=True)
    r = P.run(["npm", "install", "--prefix", PM2_PREFIX, "--no-audit", "--no-fund",
               "--loglevel=error", f"pm2@{PM2_VERSION}"], timeout=600, check=False)
    if r.returncode != 0:
        log(f"npm install pm2 failed: {r.stderr.strip()[-500:]}")
    return pm2_installed()


class PM2:
    def __init__(self, ctx, tag):
        self.ctx = ctx
        self.home = os.path.join(ctx.tmp, f"pm2-{tag}-{next(_serial)}")
        os.makedirs(self.home)
        self.env = {"PM2_HOME": self.home, "NO_COLOR": "1", "FORCE_COLOR": "0"}
        self.killed_late = []
        self._tok = ctx.procs.on_cleanup(f"pm2 {self.home}", self.kill)

    def argv(self, *args):
        return [PM2_BIN, *map(str, args)]

    def cli(self, *args, timeout=180, check=True):
        return P.run(self.argv(*args), env=self.env, cwd=self.home, timeout=timeout,
                     check=check)

    def timed(self, *args, timeout=180):
        return P.timed(self.argv(*args), env=self.env, cwd=self.home, timeout=timeout)[0]

    def jlist(self):
        out = self.cli("jlist").stdout
        # pm2 may print notices before the JSON
        return json.loads(out[out.index("["):]) if "[" in out else []

    def god_pid(self):
        s = (P.read(os.path.join(self.home, "pm2.pid"), "") or "").strip()
        return int(s) if s.isdigit() and P.alive(int(s)) else None

    def manager_pids(self):
        g = self.god_pid()
        return [g] if g else []

    def _mine(self):
        return [pid for pid in P.all_pids()
                if P.alive(pid) and (P.environ_has(pid, f"PM2_HOME={self.home}")
                                     or P.holds_path(pid, self.home))]

    def kill(self, timeout=60):
        self.ctx.procs.forget(self._tok)
        try:
            self.cli("kill", timeout=timeout, check=False)
        except Exception:
            pass
        self.killed_late = _gone_or_kill(self._mine, 15)


def online(mgr):
    """Pids of the online processes of a Drover or PM2 instance."""
    if isinstance(mgr, Drover):
        return [p["pid"] for p in mgr.ls() if p.get("status") == "online" and p.get("pid")]
    return [p["pid"] for p in mgr.jlist()
            if p.get("pm2_env", {}).get("status") == "online" and p.get("pid")]


def wait_online(mgr, n, timeout=60.0):
    """Waits until n processes are online; returns their pids."""
    if n == 0:
        return []
    interval = 0.2 if n < 200 else 1.0

    def enough():
        ps = online(mgr)
        return ps if len(ps) >= n else None
    return P.wait_until(enough, timeout, interval, f"{n} online processes")


def sleep_apps(n, prefix="s"):
    """n fork-mode apps running /bin/sleep, as ecosystem JSON (drover and PM2
    read the same file)."""
    return {"apps": [{"name": f"{prefix}{i}", "script": "/bin/sleep", "args": ["3600"],
                      "interpreter": "none", "exec_mode": "fork"} for i in range(n)]}


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f)
    return path
