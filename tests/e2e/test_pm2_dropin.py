"""PM2 drop-in: drover driven the way PM2 7 users drive PM2.

Every expectation here is PM2 7's documented (or plainly observable)
behaviour, run against drover's binaries: the CLI surface (every `start`
flag, PM2's short options, restart/reload options), every verb against every
target form (name, id, all, namespace, script file, /regex/, several
targets), `start` semantics (several scripts, known names restart, -f),
id numbering, exit codes, the unknown-to-drover PM2 verbs, `jlist` /
`prettylist` shapes, log and pid file names, ecosystem file forms, and the
runtime behaviours users notice (workers that never listen, two cluster apps
on one port, `stop` closing the port, output without a trailing newline).

Where drover deliberately does better than PM2 (kills whole trees, keeps apps
alive when the daemon dies, ...) nothing here asks for PM2's behaviour. PM2
quirks that would be bugs to copy are left out and named in comments.

Conventions: each test runs in its own DROVER_HOME; scripts are copied into a
project directory (`<tmp>/proj`, the CLI's cwd) so script-file targets and
`--watch` never see the home directory; waits poll for the event they need;
loads are a handful of loopback requests.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from conftest import pid_alive, wait_until
from loadgen import free_port, get_pid

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


# ---------------------------------------------------------------- helpers

def usable_cpus():
    """CPUs the daemon may use: its affinity, capped by a cgroup v2 quota
    (what `-i max` means for drover, and os.cpus() for PM2 on this host)."""
    n = len(os.sched_getaffinity(0))
    try:
        quota, period = open("/sys/fs/cgroup/cpu.max").read().split()
        if quota != "max":
            n = min(n, max(1, -(-int(quota) // int(period))))
    except (OSError, ValueError):
        pass
    return n


def environ(pid):
    with open(f"/proc/{pid}/environ", "rb") as f:
        items = f.read().decode(errors="replace").split("\0")
    return dict(i.split("=", 1) for i in items if "=" in i)


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
    except OSError:
        return []


def real_uid_gid(pid):
    uid = gid = None
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("Uid:"):
            uid = int(line.split()[1])
        elif line.startswith("Gid:"):
            gid = int(line.split()[1])
    return uid, gid


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def lines_of(r):
    """Non-empty output lines of a finished command, stdout then stderr."""
    return [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]


def answer(port):
    """The pid an HTTP test app answers with, or None (refused, reset...)."""
    try:
        return get_pid(port, timeout=3.0)
    except (OSError, ValueError):
        return None


def refused(port, timeout=2.0):
    """True when a TCP connection to 127.0.0.1:port is refused."""
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except ConnectionRefusedError:
        return True
    except OSError:
        return False
    s.close()
    return False


class Pm:
    """drover driven from a project directory, read through `jlist` (PM2's
    shape), which is what PM2 users' scripts read."""

    def __init__(self, drover, tmpdir_path, app):
        self.d = drover
        self.tmp = tmpdir_path
        self.home = drover.home
        self.proj = os.path.join(tmpdir_path, "proj")
        os.makedirs(self.proj, exist_ok=True)
        self._app = app

    # -- files
    def copy(self, src, dst=None):
        """Copies tests/apps/<src> into the project as <dst>; returns dst."""
        dst = dst or src
        shutil.copy(self._app(src), os.path.join(self.proj, dst))
        return dst

    def path(self, *parts):
        return os.path.join(self.proj, *parts)

    def write(self, name, text):
        with open(self.path(name), "w") as f:
            f.write(text)
        return name

    def log(self, name, stream="out", id=None):
        suffix = f"-{id}" if id is not None else ""
        return os.path.join(self.home, "logs", f"{name}-{stream}{suffix}.log")

    # -- commands
    def run(self, *args, check=True, **kw):
        kw.setdefault("cwd", self.proj)
        # a shell sets PWD to its cwd, and PM2 writes -w and `ecosystem`
        # files to $PWD
        kw["env"] = {"PWD": kw["cwd"], **(kw.get("env") or {})}
        return self.d.run(*args, check=check, **kw)

    def rc(self, *args, **kw):
        return self.run(*args, check=False, **kw)

    def jlist(self):
        r = self.run("jlist")
        data = json.loads(r.stdout)
        assert isinstance(data, list), r.stdout[:300]
        return data

    def procs(self, name=None):
        return [p for p in self.jlist() if name is None or p["name"] == name]

    def get(self, name):
        ps = self.procs(name)
        return ps[0] if ps else None

    def by_id(self, i):
        for p in self.jlist():
            if p["pm_id"] == i:
                return p
        return None

    def snapshot(self):
        """name -> (pm_id, pid, status, restart_time) of every process."""
        return {p["name"]: (p["pm_id"], p["pid"], p["pm2_env"]["status"],
                            p["pm2_env"]["restart_time"]) for p in self.jlist()}

    def wait(self, pred, timeout=15, what="condition"):
        return wait_until(pred, timeout, 0.05, what)

    def wait_status(self, name, status, timeout=15, n=None):
        def ok():
            ps = self.procs(name)
            if n is not None and len(ps) != n:
                return None
            return ps if ps and all(st(p) == status for p in ps) else None
        return self.wait(ok, timeout, f"{name} to be {status}")


def st(p):
    return p["pm2_env"]["status"]


def rt(p):
    return p["pm2_env"]["restart_time"]


@pytest.fixture
def pm(drover, tmpdir_path, app):
    return Pm(drover, tmpdir_path, app)


class Stream:
    """A long-running CLI (`--attach`, `--no-daemon`) whose stdout is read
    line by line in a thread."""

    def __init__(self, pm, *args, env=None):
        e = dict(pm.d.env)
        e["PWD"] = pm.proj
        e.update(env or {})
        self.p = subprocess.Popen([pm.d.bin, *args], cwd=pm.proj, env=e,
                                  stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                  stdin=subprocess.DEVNULL, text=True, errors="replace",
                                  start_new_session=True)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.append(line)

    def text(self):
        return "".join(self.lines)

    def stop(self, sig=signal.SIGINT, timeout=15):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, sig)
            except ProcessLookupError:
                pass
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.p.pid, signal.SIGKILL)
            self.p.wait(5)
            raise AssertionError(f"`{' '.join(self.p.args[1:])}` ignored {sig!r}")


def three_apps(pm):
    """alpha (id 0) and beta (id 1) in namespace front, gamma (id 2) in
    namespace back, each its own script (alpha.sh ...), all online."""
    for name, ns in (("alpha", "front"), ("beta", "front"), ("gamma", "back")):
        pm.copy("sleeper.sh", f"{name}.sh")
        pm.run("start", f"{name}.sh", "--namespace", ns)
    snap = pm.snapshot()
    assert {n: v[0] for n, v in snap.items()} == {"alpha": 0, "beta": 1, "gamma": 2}, snap
    pm.wait(lambda: all(v[2] == "online" for v in pm.snapshot().values()), what="all online")
    return pm.snapshot()


# ======================================================================
# start: PM2's flags
# ======================================================================

def test_x_is_pm2s_fork_switch_and_takes_no_value(pm):
    """`-x` / `--execute-command` is a boolean in PM2 (fork mode); the next
    word is the script or another option, never -x's value."""
    js = pm.copy("idle.js")
    pm.run("start", "-x", js, "--name", "x")
    p = pm.get("x")
    assert p is not None and st(p) == "online"
    assert p["pm2_env"]["exec_mode"] == "fork_mode"
    pm.run("start", js, "--name", "xi", "-i", "2", "--execute-command")
    ps = pm.wait_status("xi", "online", n=2)
    assert {p["pm2_env"]["exec_mode"] for p in ps} == {"fork_mode"}, "-x wins over -i's cluster"


@needs_node
@pytest.mark.parametrize("value,expected", [
    ("2", lambda c: 2),
    ("1", lambda c: 1),
    ("max", lambda c: c),
    ("0", lambda c: c),
    ("-1", lambda c: max(1, c - 1)),
    ("-100", lambda c: 1),
], ids=["2", "1", "max", "0", "-1", "-100"])
def test_instances_forms(pm, value, expected):
    """-i N, max, 0 (= max), -1 (one fewer than max), and a negative below
    the CPU count, which PM2 clamps to 1 instance."""
    js = pm.copy("idle.js")
    r = pm.rc("start", js, "--name", "n", "-i", value)
    assert r.returncode == 0, r.stderr
    n = expected(usable_cpus())
    ps = pm.wait_status("n", "online", n=n)
    assert sorted(p["pm_id"] for p in ps) == list(range(n))
    assert {p["pm2_env"]["instances"] for p in ps} == {n}


def test_pid_file_flags_and_default_pid_files(pm):
    """PM2 writes every instance's pid to pm_pid_path: by default
    <home>/pids/<name>-<id>.pid; -p/--pid <file> chooses the file (PM2 7
    inserts -<id> before .pid, so <dir>/web-0.pid for --pid <dir>/web.pid:
    either is accepted here). Stopping removes the file."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "dflt")
    p = pm.get("dflt")
    default = os.path.join(pm.home, "pids", "dflt-0.pid")
    assert p["pm2_env"]["pm_pid_path"] == default
    assert read(default).strip() == str(p["pid"])

    for flag, name in (("-p", "short"), ("--pid", "long")):
        want = pm.path(f"{name}.pid")
        pm.run("start", sh, "--name", name, flag, want)
        p = pm.get(name)
        path = p["pm2_env"]["pm_pid_path"]
        assert path in (want, pm.path(f"{name}-{p['pm_id']}.pid")), path
        assert read(path).strip() == str(p["pid"])
        assert "port" not in p["pm2_env"]["env"] and "PORT" not in environ(p["pid"]), \
            "-p is PM2's pid file, not a port"
        pm.run("stop", name)
        pm.wait(lambda: not os.path.exists(path), 10, f"{path} removed on stop")


def test_same_script_twice_needs_force(pm):
    """PM2 refuses to start a script that already runs under the same name
    ("Script already launched, add -f option to force re-execution", exit
    1); -f/--force starts a second copy with the next id."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh)
    r = pm.rc("start", sh)
    assert r.returncode != 0
    assert len(pm.procs("sleeper")) == 1
    pm.run("start", sh, "-f")
    pm.run("start", sh, "--force")
    ps = pm.wait_status("sleeper", "online", n=3)
    assert [p["pm_id"] for p in ps] == [0, 1, 2]
    assert len({p["pid"] for p in ps}) == 3


def test_k_is_the_kill_timeout(pm):
    """-k <ms> is PM2's --kill-timeout: a process deaf to SIGINT is SIGKILLed
    after that delay, not after the default."""
    py = pm.copy("deaf.py")
    pm.run("start", py, "--name", "deaf", "-k", "500")
    p = pm.get("deaf")
    assert p["pm2_env"]["kill_timeout"] == 500
    # a fork app is online at spawn: wait until it ignores the signals
    pm.wait(lambda: f"deaf {p['pid']} up" in read(pm.log("deaf")), 10, "the handlers set")
    t0 = time.monotonic()
    pm.run("stop", "deaf")
    elapsed = time.monotonic() - t0
    assert not pid_alive(p["pid"])
    assert 0.4 <= elapsed < 3.5, f"stop took {elapsed:.2f}s with -k 500"


def test_cron_flag_restarts_on_schedule(pm):
    """--cron (PM2's primary spelling; -c and --cron-restart are aliases)
    takes 6-field patterns with seconds, as PM2's croner does."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "cr", "--cron", "*/2 * * * * *")
    p = pm.get("cr")
    assert p["pm2_env"]["cron_restart"] == "*/2 * * * * *"
    first = p["pid"]
    p = pm.wait(lambda: (lambda q: q if q and rt(q) >= 1 and st(q) == "online" else None)(
        pm.get("cr")), 12, "a cron restart")
    assert p["pid"] != first


@pytest.mark.parametrize("flag", ["-c", "--cron-restart", "--cron"])
def test_cron_spellings(pm, flag):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "c", flag, "0 3 * * *")
    assert pm.get("c")["pm2_env"]["cron_restart"] == "0 3 * * *"


def test_w_writes_the_configuration_and_does_not_watch(pm):
    """PM2's -w is --write: <cwd>/<name>-pm2.json gets the app's
    configuration. It does not turn watching on (that is --watch)."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "wr", "-w")
    conf = json.loads(read(pm.path("wr-pm2.json")))
    assert conf["name"] == "wr" and conf["script"].endswith("sleeper.sh")
    assert pm.get("wr")["pm2_env"]["watch"] in (False, None)
    pm.run("start", sh, "--name", "wr2", "--write")
    assert os.path.exists(pm.path("wr2-pm2.json"))


# flags whose value PM2 keeps in pm2_env, as jlist shows it
JLIST_FLAGS = [
    (["--max-memory-restart", "200M"], "max_memory_restart", 209715200),
    (["--listen-timeout", "3000"], "listen_timeout", 3000),
    (["--kill-timeout", "700"], "kill_timeout", 700),
    (["-k", "700"], "kill_timeout", 700),
    (["--shutdown-with-message", "--kill-timeout", "300"], "shutdown_with_message", True),
    (["--restart-delay", "250"], "restart_delay", 250),
    (["--exp-backoff-restart-delay", "100"], "exp_backoff_restart_delay", 100),
    (["--max-restarts", "5"], "max_restarts", 5),
    (["--stop-exit-codes", "3"], "stop_exit_codes", (3, [3])),
    (["--no-autorestart"], "autorestart", False),
    (["--no-autostart"], "autostart", False),
    (["--no-treekill"], "treekill", False),
    (["--no-vizion"], "vizion", False),
    (["--no-pmx"], "pmx", False),
    (["--no-automation"], "automation", False),
    (["--source-map-support"], "source_map_support", True),
    (["--merge-logs"], "merge_logs", True),
    (["--log-type", "json"], "log_type", "json"),
    (["--time"], "time", True),
    (["--log-date-format", "YYYY-MM-DD HH:mm"], "log_date_format", "YYYY-MM-DD HH:mm"),
    (["--disable-logs"], "disable_logs", True),
    (["--namespace", "nsx"], "namespace", "nsx"),
    (["--watch"], "watch", True),
    (["--watch", "--watch-delay", "2"], "watch_delay", 2000),  # PM2: seconds, or "2000ms"
    (["--watch", "--ignore-watch", "node_modules"], "ignore_watch",
     ("node_modules", ["node_modules"])),
]


@pytest.mark.parametrize("flags,key,expected", JLIST_FLAGS,
                         ids=[" ".join(f[0]) for f in JLIST_FLAGS])
def test_start_flag_lands_in_pm2_env(pm, flags, key, expected):
    sh = pm.copy("sleeper.sh")
    r = pm.rc("start", sh, "--name", "f", *flags)
    assert r.returncode == 0, r.stderr
    value = pm.get("f")["pm2_env"].get(key, "<absent>")
    if isinstance(expected, tuple):
        assert value in expected, f"pm2_env.{key} = {value!r}"
    else:
        assert value == expected, f"pm2_env.{key} = {value!r}"


def preload(pm):
    """A module for node's --require that announces itself in the app's
    log: proof that interpreter arguments reached node (PM2 rewrites the
    process title, so /proc/<pid>/cmdline cannot tell)."""
    pm.write("preload.js", "console.log('preloaded ' + process.pid);\n")
    return "--require=" + pm.path("preload.js")


@needs_node
@pytest.mark.parametrize("flag", ["--node-args", "--interpreter-args"])
def test_interpreter_arguments(pm, flag):
    js = pm.copy("idle.js")
    arg = preload(pm)
    pm.run("start", js, "--name", "na", f"{flag}={arg}")
    p = pm.get("na")
    assert p["pm2_env"]["node_args"] == [arg]
    pm.wait(lambda: f"preloaded {p['pid']}" in read(pm.log("na")), 10, "the preload's line")


def test_interpreter_flag(pm):
    pm.copy("counter.py", "counter")  # no extension: only --interpreter says python
    pm.run("start", "counter", "--interpreter", "python3", "--name", "ip",
           env={"INTERVAL": "0.2"})
    p = pm.get("ip")
    # polled: a python3 found through a shim (pyenv) is bash until it execs
    pm.wait(lambda: any("python3" in a for a in cmdline(p["pid"])), 5, "python3 running")
    assert p["pm2_env"]["exec_interpreter"] == "python3"
    pm.wait(lambda: f"{p['pid']} 2" in read(pm.log("ip")), 10, "the script's output")


def test_no_autostart_lists_the_app_stopped(pm):
    """--no-autostart adds the app stopped. (PM2 7 then never starts it:
    `start`/`restart` report success and leave it stopped, a bug not to
    copy; starting it is what the user asked for.)"""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "later", "--no-autostart")
    p = pm.get("later")
    assert st(p) == "stopped" and p["pid"] == 0
    pm.run("start", "later")
    pm.wait_status("later", "online")


def test_no_autorestart_and_stop_exit_codes(pm):
    sh = pm.copy("crasher.sh")
    pm.run("start", sh, "--name", "once", "--no-autorestart", env={"AFTER": "0.2", "CODE": "1"})
    pm.wait_status("once", "stopped")
    assert rt(pm.get("once")) == 0
    pm.run("start", sh, "--name", "codes", "--stop-exit-codes", "3",
           env={"AFTER": "0.2", "CODE": "3"})
    pm.wait_status("codes", "stopped")
    assert rt(pm.get("codes")) == 0


def test_max_restarts_then_errored(pm):
    """PM2: max_restarts unstable restarts (runs shorter than min_uptime)
    in a row, counting the first run, then errored: --max-restarts 2 gives
    one restart."""
    sh = pm.copy("crasher.sh")
    pm.run("start", sh, "--name", "er", "--max-restarts", "2", check=False,
           env={"AFTER": "0", "CODE": "1"})
    pm.wait_status("er", "errored", timeout=20)
    assert rt(pm.get("er")) == 1
    assert pm.get("er")["pid"] == 0


def test_restart_delay_waits_in_waiting_restart(pm):
    sh = pm.copy("crasher.sh")
    pm.run("start", sh, "--name", "rd", "--restart-delay", "2500", "--max-restarts", "50",
           check=False, env={"AFTER": "0.3", "CODE": "1"})
    pm.wait_status("rd", "waiting restart", timeout=10)
    assert rt(pm.get("rd")) == 0
    pm.wait(lambda: rt(pm.get("rd")) >= 1, 10, "the delayed restart")


def test_namespace_cwd_and_filter_env(pm):
    """--filter-env drops every inherited variable whose name *contains*
    the string (PM2 filters with includes(), not a prefix match)."""
    sh = pm.path(pm.copy("sleeper.sh"))  # absolute: PM2 resolves a script against --cwd
    work = pm.path("work")
    os.makedirs(work)
    pm.run("start", sh, "--name", "ns", "--namespace", "batch", "--cwd", work,
           "--filter-env", "SECRET",
           env={"SECRET_A": "1", "MY_SECRET_B": "2", "KEEP_ME": "3"})
    p = pm.get("ns")
    assert p["pm2_env"]["namespace"] == "batch"
    assert os.readlink(f"/proc/{p['pid']}/cwd") == work
    env = environ(p["pid"])
    assert "SECRET_A" not in env and "MY_SECRET_B" not in env
    assert env.get("KEEP_ME") == "3"


def test_log_flags_output_error_log(pm):
    """-o/-e/-l (relative to the cwd), and -l alone: <home>/logs/<name>.log."""
    py = pm.copy("twostreams.py")
    pm.run("start", py, "--name", "ts", "-o", "o.log", "-e", "e.log", "-l", "c.log",
           env={"COUNT": "3"})
    pm.wait(lambda: "done" in read(pm.path("o.log")), 10, "output in o.log")
    pm.wait(lambda: "err 2" in read(pm.path("e.log")), 10, "errors in e.log")
    assert "err 0" not in read(pm.path("o.log")) and "out 0" not in read(pm.path("e.log"))
    both = pm.wait(lambda: (lambda t: t if "out 2" in t and "err 2" in t else None)(
        read(pm.path("c.log"))), 10, "both streams in c.log")
    assert "done" in both
    pm.run("start", py, "--name", "tl", "-l", env={"COUNT": "1"})
    combined = os.path.join(pm.home, "logs", "tl.log")
    assert pm.get("tl")["pm2_env"]["pm_log_path"] == combined
    pm.wait(lambda: "out 0" in read(combined) and "err 0" in read(combined), 10, "tl.log")


def test_log_type_json_time_and_date_format(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "lj", "--log-type", "json")
    line = pm.wait(lambda: read(pm.log("lj")).splitlines()[:1], 10, "a json line")[0]
    rec = json.loads(line)
    assert {"message", "timestamp", "type", "process_id", "app_name"} <= set(rec), rec
    assert "sleeper started" in rec["message"] and rec["type"] == "out"
    assert rec["app_name"] == "lj" and rec["process_id"] == pm.get("lj")["pm_id"]

    pm.run("start", sh, "--name", "lt", "--time")
    line = pm.wait(lambda: read(pm.log("lt")).splitlines()[:1], 10, "a --time line")[0]
    assert re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}", line), line

    pm.run("start", sh, "--name", "ld", "--log-date-format", "YYYY-MM-DD")
    line = pm.wait(lambda: read(pm.log("ld")).splitlines()[:1], 10, "a dated line")[0]
    assert re.match(r"\d{4}-\d{2}-\d{2}: sleeper started", line), line


def test_disable_logs_writes_no_log(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "quiet", "--disable-logs")
    pid = pm.get("quiet")["pid"]
    pm.run("start", sh, "--name", "loud")
    pm.wait(lambda: "sleeper started" in read(pm.log("loud")), 10, "the other app's log")
    assert pid_alive(pid)
    assert "sleeper started" not in read(pm.log("quiet"))


@needs_node
def test_merge_logs_one_file_for_all_instances(pm):
    js = pm.copy("idle.js")
    pm.run("start", js, "--name", "m", "-i", "2", "--merge-logs")
    ps = pm.wait_status("m", "online", n=2)
    assert {p["pm2_env"]["pm_out_log_path"] for p in ps} == {pm.log("m")}
    text = pm.wait(lambda: (lambda t: t if t.count("idle ") >= 2 else None)(read(pm.log("m"))),
                   10, "both instances in m-out.log")
    assert all(f"idle {p['pid']} up" in text for p in ps)
    assert not os.path.exists(pm.log("m", id=0))


def test_combine_logs_key_merges(pm):
    pm.copy("sleeper.sh")
    pm.write("eco.json", json.dumps({"apps": [{"name": "cl", "script": "./sleeper.sh",
                                               "instances": 2, "combine_logs": True}]}))
    pm.run("start", "eco.json")
    ps = pm.wait_status("cl", "online", n=2)
    assert {p["pm2_env"]["pm_out_log_path"] for p in ps} == {pm.log("cl")}
    pm.wait(lambda: read(pm.log("cl")).count("sleeper started") >= 2, 10, "both in cl-out.log")


LOGS_OPTIONS = [["--lines", "5"], ["--raw"], ["--out"], ["--timestamp"], ["--timestamp", "HH:mm"],
                ["--format"], ["--highlight", "started"], ["--json"]]


@pytest.mark.parametrize("opts", LOGS_OPTIONS, ids=[" ".join(o) for o in LOGS_OPTIONS])
def test_logs_options_with_nostream(pm, opts):
    """`logs <name|id> --nostream` with each of PM2's logs options prints
    the app's lines and returns."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "lg", "--namespace", "lgns")
    pm.wait(lambda: "sleeper started" in read(pm.log("lg")), 10, "the app's line")
    for target in ("lg", "0"):  # PM2 7 prints nothing for a namespace with --nostream
        r = pm.run("logs", target, "--nostream", *opts, timeout=15)
        assert "sleeper started" in r.stdout, f"logs {target} {opts}: {r.stdout[-300:]}"
    r = pm.run("logs", "lg", "--nostream", "--err", timeout=15)
    assert "sleeper started" not in r.stdout


def test_watch_and_ext(pm):
    """--watch restarts on a change under the cwd; --ext js,json limits the
    files that count (PM2 ignores the other files present at start)."""
    pm.copy("sleeper.sh", "svc.sh")
    pm.write("notes.txt", "v1\n")
    pm.write("lib.js", "// v1\n")
    pm.run("start", "svc.sh", "--name", "w", "--watch", "--ext", "js,json")
    pm.wait_status("w", "online")
    time.sleep(1.0)  # let the watcher settle
    before = rt(pm.get("w"))
    pm.write("notes.txt", "v2\n")
    time.sleep(2.0)
    assert rt(pm.get("w")) == before, "a .txt change restarted a --ext js,json app"
    pm.write("lib.js", "// v2\n")
    pm.wait(lambda: rt(pm.get("w")) > before and st(pm.get("w")) == "online", 10,
            "a restart on the .js change")


def test_stop_turns_watch_off_and_restart_watch_turns_it_on(pm):
    """PM2: stop (and delete) disable watching, and a later start keeps it
    off; `restart <app> --watch` toggles it back on; `stop <app> --watch`
    is accepted."""
    pm.copy("sleeper.sh", "svc.sh")
    pm.run("start", "svc.sh", "--name", "w", "--watch")
    pm.wait_status("w", "online")
    time.sleep(1.0)
    pm.write("change.js", "1\n")
    pm.wait(lambda: rt(pm.get("w")) >= 1 and st(pm.get("w")) == "online", 10, "watch restart")
    pm.run("stop", "w")
    assert pm.get("w")["pm2_env"]["watch"] is False
    pm.write("change.js", "2\n")
    time.sleep(1.5)
    assert st(pm.get("w")) == "stopped", "a stopped app was restarted by its watcher"
    pm.run("start", "w")
    pm.wait_status("w", "online")
    count = rt(pm.get("w"))
    pm.write("change.js", "3\n")
    time.sleep(1.5)
    assert rt(pm.get("w")) == count and pm.get("w")["pm2_env"]["watch"] is False
    pm.run("restart", "w", "--watch")
    assert pm.get("w")["pm2_env"]["watch"] is True
    time.sleep(1.0)
    count = rt(pm.get("w"))
    pm.write("change.js", "4\n")
    pm.wait(lambda: rt(pm.get("w")) > count, 10, "watching again")
    pm.run("stop", "w", "--watch")
    assert st(pm.get("w")) == "stopped"


def test_uid_and_gid(pm):
    if os.geteuid() != 0:
        pytest.skip("--uid needs root, as in PM2")
    import grp
    import pwd
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    pm.run("start", "/bin/sleep", "--name", "u", "--uid", "nobody", "--gid", group,
           "--cwd", "/", "--", "300")
    p = pm.get("u")
    assert real_uid_gid(p["pid"]) == (nobody.pw_uid, nobody.pw_gid)


AGENT_FLAGS = ["--no-vizion", "--no-pmx", "--no-automation", "--source-map-support",
               "--disable-source-map-support", "--trace", "--disable-trace", "--v8",
               "--event-loop-inspector", "--deep-monitoring"]


@pytest.mark.parametrize("flag", AGENT_FLAGS)
def test_agent_only_flag_accepted_with_a_one_line_notice(pm, flag):
    """Flags for PM2's in-process agent (pmx, vizion, tracing, source maps)
    have nothing to act on here: accepted, the app starts, and one line of
    output names the flag."""
    sh = pm.copy("sleeper.sh")
    r = pm.rc("start", sh, "--name", "ag", flag)
    assert r.returncode == 0, r.stderr
    assert st(pm.get("ag")) == "online"
    notices = [l for l in lines_of(r) if flag in l]
    assert len(notices) == 1, lines_of(r)


def test_no_treekill_accepted(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "nt", "--no-treekill")
    assert st(pm.get("nt")) == "online"
    pm.run("stop", "nt")
    assert st(pm.get("nt")) == "stopped"


def test_silent_mini_list_no_color_version(pm):
    sh = pm.copy("sleeper.sh")
    r = pm.run("start", sh, "--name", "s", "-s")
    assert r.stdout == ""
    r = pm.run("start", sh, "--name", "s2", "--silent")
    assert r.stdout == ""
    assert "s2" in pm.run("ls", "-m").stdout
    assert "s2" in pm.run("ls", "--mini-list").stdout
    assert pm.run("ls", "--no-color").returncode == 0
    r = pm.run("-v")
    assert re.search(r"\d+\.\d+", r.stdout), r.stdout


def test_unknown_option_is_an_error_and_starts_nothing(pm):
    sh = pm.copy("sleeper.sh")
    r = pm.rc("start", sh, "--definitely-not-a-pm2-option")
    assert r.returncode != 0
    assert pm.jlist() == []


def test_attach_streams_the_logs(pm):
    """--attach: after starting, the CLI streams the app's logs until
    interrupted; the app keeps running."""
    pm.copy("counter.py")
    s = Stream(pm, "start", "counter.py", "--name", "att", "--attach", env={"INTERVAL": "0.2"})
    try:
        pm.wait(lambda: s.p.poll() is not None or "att" in s.text(), 20, "the CLI's output")
        assert s.p.poll() is None, f"--attach returned: {s.text()[-500:]}"
        pid = pm.wait(lambda: (pm.get("att") or {}).get("pid"), 15, "the app started")
        pm.wait(lambda: f"{pid} 3" in s.text(), 15, "the app's output on the CLI")
        assert s.p.poll() is None, "--attach returned instead of streaming"
        assert st(pm.get("att")) == "online"
    finally:
        s.stop()
    pid = pm.get("att")["pid"]
    time.sleep(0.3)
    assert st(pm.get("att")) == "online" and pm.get("att")["pid"] == pid


def test_no_daemon_runs_in_the_foreground(pm):
    """--no-daemon: the manager runs in the CLI's process (the container
    entry point), streams the logs, and ends on SIGINT."""
    pm.copy("counter.py")
    s = Stream(pm, "start", "counter.py", "--name", "fg", "--no-daemon", env={"INTERVAL": "0.2"})
    try:
        pm.wait(lambda: s.p.poll() is not None or "fg" in s.text(), 20, "the CLI's output")
        assert s.p.poll() is None, f"--no-daemon returned: {s.text()[-500:]}"
        pid = pm.wait(lambda: (pm.get("fg") or {}).get("pid"), 20, "the app started")
        pm.wait(lambda: f"{pid} 3" in s.text(), 20, "the app's output on the CLI")
        assert s.p.poll() is None, "--no-daemon returned"
        assert st(pm.get("fg")) == "online"
    finally:
        rc = s.stop()
    assert rc is not None


# ======================================================================
# start semantics
# ======================================================================

def test_several_scripts_in_one_start(pm):
    a, b = pm.copy("sleeper.sh", "a.sh"), pm.copy("sleeper.sh", "b.sh")
    pm.run("start", a, b)
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(0, "a"), (1, "b")]
    assert {st(p) for p in pm.jlist()} == {"online"}


def test_start_known_name_or_id_restarts_it(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "web")
    pid = pm.get("web")["pid"]
    pm.run("start", "web")
    p = pm.get("web")
    assert len(pm.procs("web")) == 1
    assert p["pid"] != pid and rt(p) == 1 and st(p) == "online"
    pm.run("start", "0")
    assert rt(pm.get("web")) == 2


def test_start_stopped_script_starts_it_again(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh)
    pm.run("stop", "sleeper")
    pm.run("start", sh)
    ps = pm.procs("sleeper")
    assert len(ps) == 1 and st(ps[0]) == "online" and ps[0]["pm_id"] == 0


def test_restart_of_a_stopped_app_starts_it_without_counting(pm):
    """PM2 counts a restart only when it replaces a running process."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "s")
    pm.run("stop", "s")
    pm.run("restart", "s")
    p = pm.get("s")
    assert st(p) == "online" and rt(p) == 0
    pm.run("restart", "s")
    assert rt(pm.get("s")) == 1


@needs_node
def test_start_without_arguments_uses_ecosystem_config_js(pm):
    pm.copy("sleeper.sh")
    r = pm.rc("start")
    assert r.returncode != 0, "no ecosystem.config.js: an error"
    pm.write("ecosystem.config.js",
             "module.exports = { apps: [{ name: 'dflt', script: './sleeper.sh' }] };\n")
    pm.run("start")
    assert [p["name"] for p in pm.jlist()] == ["dflt"]


def test_start_missing_script_fails(pm):
    r = pm.rc("start", "no-such-script.js")
    assert r.returncode != 0
    assert pm.jlist() == []


# ======================================================================
# verbs x targets
# ======================================================================

FORMS = {
    "name": (["beta"], {"beta"}),
    "id": (["2"], {"gamma"}),
    "all": (["all"], {"alpha", "beta", "gamma"}),
    "namespace": (["front"], {"alpha", "beta"}),
    "script": (["gamma.sh"], {"gamma"}),
    "regex": (["/^[ag]/"], {"alpha", "gamma"}),
    "several": (["alpha", "2"], {"alpha", "gamma"}),
}
# PM2 7: reload takes one target (<id|name|namespace|all>, extra words are
# ignored); reset matches names, ids, script paths and all (no namespace, no
# regex, one target). Those combinations are not PM2 behaviour to copy.
VERB_FORMS = ([("stop", f) for f in FORMS] + [("restart", f) for f in FORMS]
              + [("delete", f) for f in FORMS]
              + [("reload", f) for f in FORMS if f != "several"]
              + [("reset", f) for f in ("name", "id", "all", "script")]
              + [("start", f) for f in FORMS if f != "regex"])


@pytest.mark.parametrize("verb,form", VERB_FORMS, ids=[f"{v}-{f}" for v, f in VERB_FORMS])
def test_verb_on_target_form(pm, verb, form):
    targets, hit = FORMS[form]
    before = three_apps(pm)
    if verb == "reset":
        pm.run("restart", "all")
        before = pm.snapshot()
        assert {v[3] for v in before.values()} == {1}
    if verb == "start":
        pm.run("stop", "all")
        before = pm.snapshot()
    r = pm.rc(verb, *targets)
    assert r.returncode == 0, f"{verb} {' '.join(targets)}: {r.stderr}"
    after = pm.snapshot()
    for name, (pid_id, pid, status, restarts) in before.items():
        if name not in hit:
            assert after.get(name) == before[name], f"{name} was touched"
            continue
        if verb == "delete":
            assert name not in after
            continue
        a_id, a_pid, a_status, a_restarts = after[name]
        assert a_id == pid_id
        if verb == "stop":
            assert a_status == "stopped" and a_pid == 0
        elif verb in ("restart", "reload"):
            assert a_status == "online" and a_pid != pid and a_restarts == restarts + 1
        elif verb == "reset":
            assert a_restarts == 0 and a_pid == pid
        elif verb == "start":
            assert a_status == "online" and a_pid != 0
    if verb == "delete":
        assert set(after) == set(before) - hit


def test_numeric_app_names_are_names_first(pm):
    """PM2 allows numeric names; a number is looked up as a name first,
    then as a namespace, then as an id."""
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "x")          # id 0
    pm.run("start", sh, "--name", "0", "-f")    # id 1, called "0"
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(0, "x"), (1, "0")]
    pm.run("stop", "0")
    assert st(pm.by_id(1)) == "stopped" and st(pm.by_id(0)) == "online"
    pm.run("restart", "1")                      # no app called "1": id 1
    assert st(pm.by_id(1)) == "online" and st(pm.by_id(0)) == "online"
    pm.run("delete", "0")
    assert [p["name"] for p in pm.jlist()] == ["x"]


NOTHING = {
    "stop": [["nosuch"], ["42"], ["/^zzz/"], ["nosuch.sh"]],
    "restart": [["nosuch"], ["42"], ["/^zzz/"]],
    "reload": [["nosuch"], ["42"], ["/^zzz/"]],
    "delete": [["nosuch"], ["42"], ["/^zzz/"]],
    "reset": [["nosuch"]],  # PM2 7 exits 0 for `reset 42` after printing the error
    "describe": [["nosuch"], ["42"]],
    "scale": [["nosuch", "2"]],
    "sendSignal": [["SIGUSR2", "nosuch"], ["SIGUSR2", "42"]],
    "env": [["42"]],
}


@pytest.mark.parametrize("verb", list(NOTHING))
def test_nothing_matched_is_an_error_and_touches_nothing(pm, verb):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "alpha")
    before = pm.snapshot()
    for args in NOTHING[verb]:
        r = pm.rc(verb, *args)
        assert r.returncode != 0, f"{verb} {' '.join(args)} exited 0"
    assert pm.snapshot() == before


def test_all_with_no_apps_is_an_error(pm):
    for verb in ("stop", "restart", "reload", "delete"):
        r = pm.rc(verb, "all")
        assert r.returncode != 0, f"{verb} all with no apps exited 0"
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh)
    pm.run("delete", "all")
    r = pm.rc("restart", "all")
    assert r.returncode != 0, "restart all after delete all exited 0"


# ======================================================================
# restart / reload options
# ======================================================================

@needs_node
def test_restart_takes_node_args_and_rename(pm):
    js = pm.copy("idle.js")
    arg = preload(pm)
    pm.run("start", js, "--name", "api")
    pm.run("restart", "api", f"--node-args={arg}")
    p = pm.get("api")
    assert p["pm2_env"]["node_args"] == [arg]
    pm.wait(lambda: f"preloaded {p['pid']}" in read(pm.log("api")), 10, "the preload's line")
    pm.run("restart", "api", "--name", "api-v2")
    ps = pm.jlist()
    assert [(p["pm_id"], p["name"]) for p in ps] == [(0, "api-v2")]
    assert rt(ps[0]) == 2


def test_restart_and_reload_update_env(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "e", env={"STAGE": "one"})
    pm.run("restart", "e", "-a", env={"STAGE": "two"})
    assert environ(pm.get("e")["pid"])["STAGE"] == "two"
    pm.run("reload", "e", "--update-env", env={"STAGE": "three"})
    assert environ(pm.get("e")["pid"])["STAGE"] == "three"
    pm.run("restart", "e", env={"STAGE": "four"})  # without: kept
    assert environ(pm.get("e")["pid"])["STAGE"] == "three"


def test_restart_env_name_needs_the_ecosystem_file(pm):
    """`restart <app> --env production` is an error in PM2 ("Using --env
    [env] without passing the ecosystem.config.js does not work"); with the
    file, env_production applies."""
    pm.copy("sleeper.sh")
    with open(pm.path("eco.json"), "w") as f:
        json.dump({"apps": [{"name": "svc", "script": "./sleeper.sh", "env": {"MODE": "dev"},
                             "env_production": {"MODE": "prod"}}]}, f)
    pm.run("start", "eco.json")
    assert environ(pm.get("svc")["pid"])["MODE"] == "dev"
    r = pm.rc("restart", "svc", "--env", "production")
    assert r.returncode != 0
    pm.run("restart", "eco.json", "--env", "production")
    assert environ(pm.get("svc")["pid"])["MODE"] == "prod"


def test_restart_cron_restart_and_parallel(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "c", "-i", "2")
    pm.run("restart", "c", "--cron-restart", "0 0 * * *")
    assert {p["pm2_env"].get("cron_restart") for p in pm.procs("c")} == {"0 0 * * *"}
    pm.run("reload", "c", "--parallel", "2")
    pm.run("restart", "all", "--parallel", "2")
    assert {st(p) for p in pm.procs("c")} == {"online"}


# ======================================================================
# ids
# ======================================================================

def test_ids_start_at_zero_and_continue_while_the_list_is_not_empty(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "a")
    pm.run("start", sh, "--name", "b", "-f")
    pm.run("delete", "a")
    pm.run("start", sh, "--name", "c", "-f")
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(1, "b"), (2, "c")]


def test_ids_reset_when_the_list_becomes_empty(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "a")
    pm.run("start", sh, "--name", "b", "-f")
    pm.run("delete", "all")
    pm.run("start", sh, "--name", "c")
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(0, "c")]
    pm.run("delete", "c")  # the last one, by name
    pm.run("start", sh, "--name", "d")
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(0, "d")]


def test_ids_reset_after_kill_and_ls_after_kill(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "a")
    pm.run("start", sh, "--name", "b", "-f")
    pm.run("kill")
    pm.run("ls")
    assert pm.jlist() == []
    pm.run("start", sh, "--name", "c")
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == [(0, "c")]


# ======================================================================
# other PM2 verbs
# ======================================================================

def test_prettylist(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "pretty")
    r = pm.run("prettylist")
    assert "pm_id" in r.stdout and "pretty" in r.stdout and "pm2_env" in r.stdout
    assert len(r.stdout.splitlines()) > 10, "not pretty-printed"


def test_env_of_an_id(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "e", env={"DROPIN_VAR": "dropin-value"})
    r = pm.run("env", "0")
    assert any(re.match(r"^DROPIN_VAR: dropin-value\s*$", l) for l in r.stdout.splitlines()), \
        r.stdout[:500]


def test_send_writes_a_line_to_the_apps_stdin(pm):
    py = pm.copy("stdin_echo.py")
    pm.run("start", py, "--name", "echo")
    pm.wait(lambda: "up" in read(pm.log("echo")), 10, "the app up")
    pm.run("send", "0", "hello drover")
    pm.wait(lambda: "got hello drover" in read(pm.log("echo")), 10, "the line echoed")


@pytest.mark.parametrize("args", [["ecosystem"], ["init"], ["ecosystem", "simple"]])
def test_ecosystem_writes_a_sample_file(pm, args):
    r = pm.run(*args)
    path = pm.path("ecosystem.config.js")
    assert os.path.exists(path), r.stdout
    assert "ecosystem.config.js" in r.stdout + r.stderr
    text = read(path)
    assert "apps" in text and "script" in text
    if shutil.which("node"):
        out = subprocess.run(["node", "-e", "const c = require(process.argv[1]);"
                              "console.log(JSON.stringify(c))", path],
                             capture_output=True, text=True, timeout=20)
        assert out.returncode == 0, out.stderr
        assert isinstance(json.loads(out.stdout)["apps"], list)


def test_ls_sort(pm):
    sh = pm.copy("sleeper.sh")
    for n in ("zeta", "alpha", "mid"):
        pm.run("start", sh, "--name", n, "-f")

    def order(*args):
        out = pm.run("ls", *args).stdout
        return sorted(("zeta", "alpha", "mid"), key=lambda n: out.index(f" {n} "))
    assert order("--sort", "name:asc") == ["alpha", "mid", "zeta"]
    assert order("--sort", "name:desc") == ["zeta", "mid", "alpha"]
    assert order("--sort", "id:desc") == ["mid", "alpha", "zeta"]
    assert order("--sort", "name") == ["alpha", "mid", "zeta"]
    assert order() == ["alpha", "mid", "zeta"], "PM2's ls is sorted by name by default"


@needs_node
def test_scale(pm):
    js = pm.copy("idle.js")
    pm.run("start", js, "--name", "sc", "-i", "2")
    pm.run("scale", "sc", "3")
    pm.wait_status("sc", "online", n=3)
    pm.run("scale", "sc", "+1")
    pm.wait_status("sc", "online", n=4)
    pm.run("scale", "sc", "1")
    pm.wait_status("sc", "online", n=1)


def test_flush_reloadlogs_pid(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "a")
    pm.run("start", sh, "--name", "b", "-f")
    for n in ("a", "b"):
        pm.wait(lambda: "sleeper started" in read(pm.log(n)), 10, f"{n}'s log")
    pm.run("flush", "a")
    assert read(pm.log("a")) == "" and "sleeper started" in read(pm.log("b"))
    pm.run("flush")
    assert read(pm.log("b")) == ""
    pm.run("reloadLogs")
    r = pm.run("pid", "a")
    assert r.stdout.split() == [str(pm.get("a")["pid"])]
    r = pm.run("pid")
    assert sorted(r.stdout.split()) == sorted(str(p["pid"]) for p in pm.jlist())


def test_sendsignal_by_name_and_id(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "sig")
    pm.wait(lambda: "sleeper started" in read(pm.log("sig")), 10, "the trap set")
    pm.run("sendSignal", "SIGTERM", "sig")
    pm.wait(lambda: "sleeper got signal" in read(pm.log("sig")), 10, "the signal")
    pm.wait(lambda: read(pm.log("sig")).count("sleeper started") >= 2, 10, "the restart")
    pm.run("sendSignal", "SIGTERM", "0")
    pm.wait(lambda: read(pm.log("sig")).count("sleeper got signal") >= 2, 10, "by id")


# PM2 7 verbs drover has no direct equivalent for, with plausible arguments.
PM2_VERBS = [
    ["monit"], ["imonit"], ["dashboard"], ["dash"], ["install", "pm2-logrotate"],
    ["module:install", "pm2-logrotate"], ["module:update", "pm2-logrotate"],
    ["uninstall", "pm2-logrotate"], ["module:uninstall", "pm2-logrotate"],
    ["module:generate"], ["package"], ["publish"], ["module:publish"],
    ["serve", ".", "PORT"], ["expose", ".", "PORT"], ["deploy", "production"],
    ["link", "secret", "public"], ["unlink"], ["plus"], ["register"], ["login"], ["logout"],
    ["monitor", "alpha"], ["unmonitor", "alpha"], ["open"], ["trigger", "alpha", "km:heapdump"],
    ["attach", "0"], ["inspect", "alpha"], ["id", "alpha"], ["slist"], ["sysinfos"],
    ["profile:mem"], ["profile:cpu"], ["pull", "alpha"], ["forward", "alpha"],
    ["backward", "alpha"], ["deepUpdate"], ["updatePM2"], ["report"], ["set", "k", "v"],
    ["multiset", "k v"], ["get", "k"], ["conf"], ["config", "k"], ["unset", "k"],
    ["logrotate"], ["examples"], ["create"], ["autoinstall"], ["install-otel"],
    ["uninstall-otel"], ["completion"], ["dump"], ["startOrGracefulReload", "eco.json"],
]
INTERACTIVE = {"monit", "imonit", "dashboard", "dash", "attach"}


@pytest.mark.parametrize("args", PM2_VERBS, ids=[a[0] for a in PM2_VERBS])
def test_pm2_verb_is_implemented_or_answered_in_one_line(pm, args):
    """Every PM2 verb either works (exit 0), or is answered with exactly one
    line that names it and says what to use instead - never the generic
    unknown-command error."""
    sh = pm.copy("sleeper.sh", "alpha.sh")
    pm.run("start", sh)
    with open(pm.path("eco.json"), "w") as f:
        json.dump({"apps": [{"name": "alpha", "script": "./alpha.sh"}]}, f)
    port = str(free_port())
    args = [port if a == "PORT" else a for a in args]
    verb = args[0]
    generic = pm.rc("zzfrobzz")
    assert generic.returncode != 0
    try:
        r = pm.run(*args, check=False, timeout=15, input="")
    except subprocess.TimeoutExpired:
        if verb in INTERACTIVE:
            return  # an interactive implementation
        raise
    if r.returncode == 0:
        return
    out = lines_of(r)
    assert len(out) == 1, f"{verb}: {out}"
    assert verb in out[0], out[0]
    assert out != [l.replace("zzfrobzz", verb) for l in lines_of(generic)], \
        f"{verb}: the generic unknown-command error"


def test_unknown_verb_is_an_error(pm):
    r = pm.rc("frobnicate")
    assert r.returncode != 0


# ======================================================================
# jlist / prettylist shapes, log and pid file names
# ======================================================================

@needs_node
def test_jlist_fields_scripts_read(pm):
    sh = pm.copy("sleeper.sh")
    js = pm.copy("idle.js")
    now_ms = time.time() * 1000
    pm.run("start", sh, "--name", "f", env={"SHELL_VAR": "v"})
    pm.run("start", js, "--name", "c", "-i", "2")
    pm.wait(lambda: all(st(p) == "online" for p in pm.jlist()) and len(pm.jlist()) == 3,
            what="all online")
    ps = pm.jlist()
    assert [p["pm_id"] for p in ps] == [0, 1, 2]
    for p in ps:
        e = p["pm2_env"]
        assert isinstance(p["pid"], int) and p["pid"] > 0 and pid_alive(p["pid"])
        assert isinstance(p["monit"]["memory"], int) and p["monit"]["memory"] > 0
        assert isinstance(p["monit"]["cpu"], (int, float))
        assert e["status"] == "online" and e["restart_time"] == 0
        assert e["pm_id"] == p["pm_id"] and e["name"] == p["name"]
        assert isinstance(e["pm_uptime"], int) and abs(e["pm_uptime"] - now_ms) < 120000
        assert isinstance(e["created_at"], int) and isinstance(e["unstable_restarts"], int)
        assert e["namespace"] == "default"
        assert e["pm_cwd"] == pm.proj
        assert isinstance(e["env"], dict) and isinstance(e["node_args"], list)
        assert e["pm_pid_path"] == os.path.join(pm.home, "pids", f"{p['name']}-{p['pm_id']}.pid")
    f, c0, c1 = ps
    assert f["pm2_env"]["exec_mode"] == "fork_mode" and f["pm2_env"]["instances"] == 1
    assert f["pm2_env"]["pm_exec_path"] == pm.path("sleeper.sh")
    assert f["pm2_env"]["pm_out_log_path"] == pm.log("f")
    assert f["pm2_env"]["pm_err_log_path"] == pm.log("f", "error")
    assert f["pm2_env"]["env"].get("SHELL_VAR") == "v"
    for i, c in ((1, c0), (2, c1)):
        assert c["pm2_env"]["exec_mode"] == "cluster_mode" and c["pm2_env"]["instances"] == 2
        assert c["pm2_env"]["pm_out_log_path"] == pm.log("c", id=i)
        assert c["pm2_env"]["pm_err_log_path"] == pm.log("c", "error", id=i)
    assert [c0["pm2_env"]["NODE_APP_INSTANCE"], c1["pm2_env"]["NODE_APP_INSTANCE"]] == [0, 1]


def test_jlist_of_a_stopped_process(pm):
    sh = pm.copy("sleeper.sh")
    pm.run("start", sh, "--name", "s")
    pm.run("stop", "s")
    p = pm.get("s")
    assert p["pid"] == 0 and st(p) == "stopped"
    assert p["monit"] == {"memory": 0, "cpu": 0}


@needs_node
def test_log_file_names(pm):
    """<home>/logs/<name>-out.log and -error.log; one pair per id
    (<name>-out-<id>.log) when an app has several instances; characters
    other than letters, digits, '.' and '-' become '-' in the file name."""
    sh = pm.copy("sleeper.sh")
    js = pm.copy("idle.js")
    pm.run("start", sh, "--name", "f")
    pm.run("start", js, "--name", "c", "-i", "2")
    pm.run("start", sh, "--name", "s", "-i", "2")
    pm.run("start", sh, "--name", "my app_1")
    pm.wait(lambda: all(st(p) == "online" for p in pm.jlist()) and len(pm.jlist()) == 6,
            what="all online")
    logs = os.path.join(pm.home, "logs")
    want = {"f-out.log", "f-error.log", "c-out-1.log", "c-error-1.log", "c-out-2.log",
            "c-error-2.log", "s-out-3.log", "s-error-3.log", "s-out-4.log", "s-error-4.log",
            "my-app-1-out.log", "my-app-1-error.log"}
    assert want <= set(os.listdir(logs)), sorted(os.listdir(logs))
    pm.wait(lambda: "sleeper started" in read(os.path.join(logs, "my-app-1-out.log")), 10,
            "output in my-app-1-out.log")
    pm.wait(lambda: "idle" in read(pm.log("c", id=2)), 10, "output in c-out-2.log")


# ======================================================================
# ecosystem files
# ======================================================================

def eco_apps(pm):
    pm.copy("sleeper.sh", "one.sh")
    pm.copy("sleeper.sh", "two.sh")
    return [{"name": "one", "script": "./one.sh"}, {"name": "two", "script": "./two.sh"}]


def yaml_of(apps, key="apps"):
    out = [f"{key}:"]
    for a in apps:
        out.append(f"  - name: {a['name']}")
        out.append(f"    script: {a['script']}")
    return "\n".join(out) + "\n"


ECO_FORMS = {
    "js-apps": ("ecosystem.config.js", lambda a: f"module.exports = {{ apps: {json.dumps(a)} }};\n"),
    "js-pm2": ("process.config.js", lambda a: f"module.exports = {{ pm2: {json.dumps(a)} }};\n"),
    "json-apps": ("eco.json", lambda a: json.dumps({"apps": a})),
    "json-pm2": ("eco.json", lambda a: json.dumps({"pm2": a})),
    "json-array": ("eco.json", lambda a: json.dumps(a)),
    "json-object": ("eco.json", lambda a: json.dumps(a[0])),
    "yaml-apps": ("eco.yml", lambda a: yaml_of(a)),
    "yaml-pm2": ("eco.yaml", lambda a: yaml_of(a, "pm2")),
}


@pytest.mark.parametrize("form", list(ECO_FORMS))
def test_ecosystem_file_forms(pm, form):
    if form.startswith("js") and shutil.which("node") is None:
        pytest.skip("node is not installed")
    name, render = ECO_FORMS[form]
    apps = eco_apps(pm)
    pm.write(name, render(apps))
    r = pm.run("start", name)
    assert "unknown option" not in r.stderr, r.stderr
    want = ["one"] if form == "json-object" else ["one", "two"]
    assert [(p["pm_id"], p["name"]) for p in pm.jlist()] == list(enumerate(want))
    pm.wait(lambda: all(st(p) == "online" for p in pm.jlist()), what="online")


def test_cmd_and_command_are_script(pm):
    eco_apps(pm)
    pm.write("eco.json", json.dumps({"apps": [{"name": "c1", "cmd": "./one.sh"},
                                              {"name": "c2", "command": "./two.sh"}]}))
    pm.run("start", "eco.json")
    ps = pm.jlist()
    assert [p["name"] for p in ps] == ["c1", "c2"]
    assert [p["pm2_env"]["pm_exec_path"] for p in ps] == [pm.path("one.sh"), pm.path("two.sh")]


def test_deploy_env_is_merged_with_env_name(pm):
    """`--env production` merges deploy.production.env into the app's
    environment, and env_production on top. (PM2 7 also lets deploy's values
    override the app's plain `env`, contrary to its own comment; this test
    does not depend on that order.)"""
    eco_apps(pm)
    pm.write("eco.json", json.dumps({
        "apps": [{"name": "d", "script": "./one.sh", "env": {"FROM_ENV": "env", "OVER": "env"},
                  "env_production": {"OVER": "production"}}],
        "deploy": {"production": {"user": "u", "host": ["h"], "ref": "origin/main",
                                  "repo": "git@example.invalid:r.git", "path": "/srv/d",
                                  "env": {"FROM_DEPLOY": "deploy"}}}}))
    r = pm.run("start", "eco.json", "--env", "production")
    assert "unknown option" not in r.stderr, r.stderr
    env = environ(pm.get("d")["pid"])
    assert env.get("FROM_ENV") == "env" and env.get("OVER") == "production"
    assert env.get("FROM_DEPLOY") == "deploy"
    pm.run("delete", "all")
    pm.run("start", "eco.json")
    env = environ(pm.get("d")["pid"])
    assert "FROM_DEPLOY" not in env and env.get("OVER") == "env"


EVERY_KEY = {
    "name": "every", "script": "./one.sh", "cwd": ".", "args": ["a", "b"],
    "interpreter": "bash", "exec_interpreter": "bash", "interpreter_args": [], "node_args": [],
    "instances": 1, "exec_mode": "fork", "execute_command": True, "force": True,
    "watch": False, "ignore_watch": ["node_modules"], "watch_delay": 1000,
    "watch_options": {"followSymlinks": False, "usePolling": False},
    "max_memory_restart": "300M", "env": {"A": "1"}, "env_production": {"A": "2"},
    "source_map_support": False, "disable_source_map_support": True,
    "instance_var": "INSTANCE_ID", "filter_env": ["NOPE_"], "namespace": "keys",
    "log_date_format": "YYYY-MM-DD HH:mm Z", "time": True, "log_type": "raw",
    "error_file": "every-e.log", "out_file": "every-o.log", "log_file": "every-c.log",
    "combine_logs": True, "merge_logs": True, "disable_logs": False, "pid_file": "every.pid",
    "min_uptime": "2s", "listen_timeout": 3000, "kill_timeout": 1600,
    "shutdown_with_message": False, "wait_ready": False, "max_restarts": 10,
    "restart_delay": 100, "exp_backoff_restart_delay": 100, "autorestart": True,
    "autostart": True, "stop_exit_codes": [0], "cron_restart": "0 3 * * *", "vizion": False,
    "post_update": ["npm install"], "append_env_to_name": False, "increment_var": "PORT",
    "port": 3999, "pmx": False, "automation": False, "treekill": True, "trace": False,
    "disable_trace": True, "v8": False, "event_loop_inspector": False,
    "deep_monitoring": False, "windowsHide": True, "kill_retry_time": 100,
    "username": "root", "write": False, "io": {},
}
ALIAS_KEYS = {
    "name": "aliases", "script": "./two.sh", "out": "al-o.log", "err": "al-e.log",
    "log": "al-c.log", "pid": "al.pid", "cron": "0 4 * * *", "output": "al-o.log",
    "error": "al-e.log", "err_file": "al-e.log", "err_log": "al-e.log", "out_log": "al-o.log",
}


def test_every_pm2_ecosystem_key_is_accepted(pm):
    eco_apps(pm)
    pm.write("eco.json", json.dumps({"apps": [EVERY_KEY, ALIAS_KEYS]}))
    r = pm.run("start", "eco.json")
    assert "unknown option" not in r.stderr, r.stderr
    pm.wait(lambda: [st(p) for p in pm.jlist()] == ["online", "online"], 15, "both online")
    every = pm.get("every")
    assert every["pm2_env"]["namespace"] == "keys"
    assert environ(every["pid"]).get("A") == "1"
    pm.wait(lambda: "sleeper started" in read(pm.path("every-o.log")), 10, "every-o.log")
    pm.wait(lambda: "sleeper started" in read(pm.path("al-o.log")), 10, "al-o.log (out alias)")


@needs_node
def test_instances_without_exec_mode_is_cluster_for_node(pm):
    pm.copy("idle.js")
    pm.write("eco.json", json.dumps({"apps": [{"name": "n", "script": "./idle.js",
                                               "instances": 2}]}))
    pm.run("start", "eco.json")
    ps = pm.wait_status("n", "online", n=2)
    assert {p["pm2_env"]["exec_mode"] for p in ps} == {"cluster_mode"}


def test_only_with_several_names(pm):
    apps = eco_apps(pm) + [{"name": "three", "script": "./one.sh"}]
    pm.write("eco.json", json.dumps({"apps": apps}))
    pm.run("start", "eco.json", "--only", "one,three")
    assert [p["name"] for p in pm.jlist()] == ["one", "three"]


# ======================================================================
# cluster, ports, readiness, output
# ======================================================================

@needs_node
def test_workers_that_never_listen_are_online(pm):
    """A cluster worker is online once it runs (PM2: the worker's 'online'
    event), listening or not: it must not turn errored when listen_timeout
    (8 s by default) expires. The same for a non-node program with -i."""
    js = pm.copy("idle.js")
    sh = pm.copy("sleeper.sh")
    t0 = time.monotonic()
    pm.run("start", js, "--name", "q", "-i", "2")
    pm.run("start", sh, "--name", "b", "-i", "2")
    assert time.monotonic() - t0 < 7, "start waited for a listen() that never comes"
    assert {st(p) for p in pm.jlist()} == {"online"}
    pids = {p["pm_id"]: p["pid"] for p in pm.jlist()}
    time.sleep(max(0.0, 9.5 - (time.monotonic() - t0)))
    ps = pm.jlist()
    assert {st(p) for p in ps} == {"online"}, [(p["name"], st(p)) for p in ps]
    assert {p["pm_id"]: p["pid"] for p in ps} == pids
    assert {rt(p) for p in ps} == {0}


@needs_node
def test_two_cluster_apps_share_one_port(pm):
    pm.copy("http_node.js", "a.js")
    pm.copy("http_node.js", "b.js")
    port = free_port()
    env = {"PORT": str(port), "HOST": "127.0.0.1"}
    pm.run("start", "a.js", "-i", "2", env=env)
    pm.run("start", "b.js", "-i", "2", env=env)
    ps = pm.wait(lambda: (lambda l: l if len(l) == 4 and {st(p) for p in l} == {"online"}
                          else None)(pm.jlist()), 15, "4 workers online")
    a = {p["pid"] for p in ps if p["name"] == "a"}
    b = {p["pid"] for p in ps if p["name"] == "b"}
    seen = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (seen & a and seen & b):
        seen.add(answer(port))
    assert seen & a and seen & b, f"served by {seen}; a={a} b={b}"
    pm.run("stop", "a")
    assert {answer(port) for _ in range(10)} <= b
    pm.run("stop", "b")
    pm.wait(lambda: refused(port), 5, "the port closed")


@needs_node
@pytest.mark.parametrize("mode", [["-i", "2"], []], ids=["cluster", "fork"])
def test_stop_closes_the_port(pm, mode):
    """After `stop`, connections are refused (PM2 closes the listening
    socket with its last worker); `start` serves again; `delete` closes."""
    pm.copy("http_node.js", "web.js")
    port = free_port()
    env = {"PORT": str(port), "HOST": "127.0.0.1"}
    pm.run("start", "web.js", *mode, env=env)
    pm.wait_status("web", "online")
    pm.wait(lambda: answer(port), 10, "an answer")
    pm.run("stop", "web")
    pm.wait(lambda: refused(port), 5, "connections refused after stop")
    pm.run("start", "web")
    pm.wait_status("web", "online")
    pm.wait(lambda: answer(port), 10, "answers after start")
    pm.run("delete", "web")
    pm.wait(lambda: refused(port), 5, "connections refused after delete")


def test_output_without_newline_reaches_the_log(pm):
    """PM2 writes what the app wrote as it comes: a prompt or progress text
    without a trailing newline is in the log after a short idle time."""
    py = pm.copy("partial_line.py")
    pm.run("start", py, "--name", "part")
    pm.wait(lambda: "partial-no-newline" in read(pm.log("part")), 5,
            "the unterminated line in part-out.log")
