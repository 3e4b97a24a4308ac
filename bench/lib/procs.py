"""procs.py - every process the bench starts, and how it is stopped.

All children run in their own session (so a whole peer - nginx and its
workers, node cluster and its workers - is one process group to kill) and are
tracked by a Procs registry; Procs.cleanup() stops everything, runs the
registered manager shutdowns (`drover kill`, `pm2 kill`) and is called from a
finally block and atexit. Every process inherits BENCH_RUN=<id> in its
environment, so leftovers() can prove afterwards that nothing the run started
is still alive (processes that scrub their environment, like drover-sup, are
found by their open files under the run's temp directory instead).

Also the /proc readers the sections use: RSS, PSS, CPU ticks, children.
"""
import os
import signal
import subprocess
import time

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# ---------------------------------------------------------------- /proc readers

def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def alive(pid):
    """True if pid exists and is not a zombie."""
    st = read(f"/proc/{pid}/stat")
    if not st:
        return False
    return st.rsplit(")", 1)[1].split()[0] != "Z"


def stat_fields(pid):
    """Fields of /proc/<pid>/stat after the comm, 0-based from `state`."""
    st = read(f"/proc/{pid}/stat")
    if not st:
        return None
    return st.rsplit(")", 1)[1].split()


def comm(pid):
    c = read(f"/proc/{pid}/comm")
    return c.strip() if c else None


def ppid(pid):
    f = stat_fields(pid)
    return int(f[1]) if f else None


def cpu_seconds(pid):
    """utime + stime of pid in seconds (0 if gone)."""
    f = stat_fields(pid)
    if not f:
        return 0.0
    return (int(f[11]) + int(f[12])) / CLK_TCK


def status_kb(pid, key):
    s = read(f"/proc/{pid}/status")
    if not s:
        return 0
    for line in s.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def rss_kb(pid):
    return status_kb(pid, "VmRSS")


def pss_kb(pid):
    s = read(f"/proc/{pid}/smaps_rollup")
    if not s:
        return 0
    for line in s.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def rollup(pid):
    """/proc/<pid>/smaps_rollup as {field: kB} (Rss, Pss, Anonymous, ...)."""
    out = {}
    for line in (read(f"/proc/{pid}/smaps_rollup", "") or "").splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[0].endswith(":") and f[1].isdigit():
            out[f[0][:-1]] = int(f[1])
    return out


def children(pid):
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            c = read(f"/proc/{pid}/task/{tid}/children", "")
            out.extend(int(x) for x in c.split())
    except OSError:
        pass
    return out


def descendants(pid):
    out, todo = [], [pid]
    while todo:
        for c in children(todo.pop()):
            out.append(c)
            todo.append(c)
    return out


def all_pids():
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


def environ_has(pid, needle):
    e = read(f"/proc/{pid}/environ")
    return e is not None and needle in e.split("\0")


def holds_path(pid, prefix):
    """True if pid has its cwd or an open fd in directory prefix."""
    prefix = prefix.rstrip("/")
    slash = prefix + "/"

    def under(p):
        return p == prefix or p.startswith(slash)

    try:
        if under(os.readlink(f"/proc/{pid}/cwd")):
            return True
    except OSError:
        pass
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if under(os.readlink(f"/proc/{pid}/fd/{fd}")):
                    return True
            except OSError:
                pass
    except OSError:
        pass
    return False


def listening_inodes(port):
    """Socket inodes of TCP listeners on port (IPv4 and IPv6)."""
    out = set()
    for name in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in (read(name, "") or "").splitlines()[1:]:
            f = line.split()
            if len(f) > 9 and f[3] == "0A" and int(f[1].rsplit(":", 1)[1], 16) == port:
                out.add(f[9])
    return out


def socket_inodes(pid):
    out = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                out.add(link[8:-1])
    except OSError:
        pass
    return out


def mem_available_kb():
    for line in (read("/proc/meminfo", "") or "").splitlines():
        if line.startswith("MemAvailable:"):
            return int(line.split()[1])
    return 0


# -------------------------------------------------------------------- registry

class Procs:
    """Starts processes in their own sessions and stops them all on cleanup."""

    def __init__(self, tmp, marker):
        self.tmp = tmp
        self.marker = marker          # "BENCH_RUN=<id>"
        self.live = []                # Popen objects
        self.shutdowns = []           # (name, fn) run in reverse order
        os.makedirs(os.path.join(tmp, "logs"), exist_ok=True)

    def spawn(self, argv, name, env=None, cwd=None, stdout=None):
        """Starts argv in a new session; output goes to <tmp>/logs/<name>.log
        unless stdout is given (a path or a file object)."""
        e = dict(os.environ)
        if env:
            e.update(env)
        if stdout is None:
            stdout = os.path.join(self.tmp, "logs", f"{name}.log")
        out = open(stdout, "ab") if isinstance(stdout, str) else stdout
        try:
            p = subprocess.Popen(argv, env=e, cwd=cwd or self.tmp, stdin=subprocess.DEVNULL,
                                 stdout=out, stderr=subprocess.STDOUT if isinstance(stdout, str)
                                 else subprocess.DEVNULL, start_new_session=True)
        finally:
            if isinstance(stdout, str):
                out.close()
        p.bench_name = name
        self.live.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, timeout=5.0):
        """Signals p's process group, waits, then SIGKILLs the group."""
        if p not in self.live:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            pass
        # the leader is gone; anything left in its group goes now
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            pass
        self.live.remove(p)

    def on_cleanup(self, name, fn):
        """Registers a shutdown (e.g. `pm2 kill`); returns a token for forget()."""
        tok = (name, fn)
        self.shutdowns.append(tok)
        return tok

    def forget(self, tok):
        if tok in self.shutdowns:
            self.shutdowns.remove(tok)

    def cleanup(self):
        for p in list(self.live):
            self.stop(p, timeout=3)
        while self.shutdowns:
            name, fn = self.shutdowns.pop()
            try:
                fn()
            except Exception as e:  # cleanup must go on
                print(f"bench: cleanup of {name} failed: {e}", flush=True)

    def leftovers(self):
        """Pids still alive that this run started (marker or files in tmp)."""
        me = os.getpid()
        found = []
        for pid in all_pids():
            if pid == me or not alive(pid):
                continue
            if environ_has(pid, self.marker) or holds_path(pid, self.tmp):
                found.append(pid)
        return found

    def kill_leftovers(self, wait=5.0):
        """SIGKILLs whatever leftovers() finds; returns [(pid, cmdline)]."""
        deadline = time.monotonic() + wait
        left = self.leftovers()
        while left and time.monotonic() < deadline:
            time.sleep(0.2)
            left = self.leftovers()
        report = []
        for pid in left:
            cmd = (read(f"/proc/{pid}/cmdline", "") or "").replace("\0", " ").strip()
            report.append((pid, cmd or comm(pid)))
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return report


def run(argv, env=None, cwd=None, timeout=120, check=True):
    """Runs argv to completion (not tracked: it must finish); returns the
    CompletedProcess. Raises on timeout or, with check, non-zero exit."""
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run(argv, env=e, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True,
                       text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {p.returncode}: "
                           f"{(p.stderr or p.stdout).strip()[-800:]}")
    return p


def timed(argv, env=None, cwd=None, timeout=120, check=True):
    """Runs argv; returns (seconds, CompletedProcess)."""
    t = time.perf_counter()
    p = run(argv, env=env, cwd=cwd, timeout=timeout, check=check)
    return time.perf_counter() - t, p


def wait_until(pred, timeout, interval=0.02, what="condition"):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")
