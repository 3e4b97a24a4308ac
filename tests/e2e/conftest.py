"""Fixtures for drover's end-to-end tests.

Every test gets its own DROVER_HOME in a temporary directory and drives the
real binaries from the build directory ($DROVER_BUILD, default ./build).
Teardown kills the daemon and anything left of the test's supervisors and
apps, so one failing test cannot leak processes into the next.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("DROVER_BUILD", os.path.join(REPO, "build"))
APPS = os.path.join(REPO, "tests", "apps")


def wait_until(pred, timeout=10.0, interval=0.02, what="condition"):
    """Polls pred() until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def pid_alive(pid):
    """True if pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def procs_holding(path_prefix):
    """Pids of processes with an open fd or cwd under path_prefix."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            for fd in os.listdir(f"/proc/{entry}/fd"):
                try:
                    if os.readlink(f"/proc/{entry}/fd/{fd}").startswith(path_prefix):
                        found.add(int(entry))
                        break
                except OSError:
                    pass
        except OSError:
            pass
    return found


class Drover:
    """Runs the drover CLI against one DROVER_HOME."""

    def __init__(self, home, tmp):
        self.home = home
        self.tmp = tmp
        self.bin = os.path.join(BUILD, "drover")
        self.env = dict(os.environ)
        self.env["DROVER_HOME"] = home
        self.env["NO_COLOR"] = "1"
        self.env.pop("DROVER_DEBUG", None)

    def run(self, *args, check=True, timeout=60, input=None, env=None, cwd=None):
        e = dict(self.env)
        if env:
            e.update(env)
        p = subprocess.run([self.bin, *map(str, args)], env=e, cwd=cwd or self.tmp,
                           capture_output=True, text=True, timeout=timeout, input=input)
        if check and p.returncode != 0:
            raise AssertionError(
                f"drover {' '.join(map(str, args))} exited {p.returncode}\n"
                f"stdout: {p.stdout}\nstderr: {p.stderr}")
        return p

    def json(self, *args, **kw):
        p = self.run(*args, "--json", **kw)
        return json.loads(p.stdout)

    def procs(self):
        return self.json("ls")

    def proc(self, name_or_id):
        for p in self.procs():
            if p["name"] == name_or_id or p["id"] == name_or_id:
                return p
        return None

    def wait_status(self, target, status, timeout=15):
        def check():
            p = self.proc(target)
            return p if p and p["status"] == status else None
        return wait_until(check, timeout, 0.05, f"{target} to be {status}")

    def daemon_pid(self):
        with open(os.path.join(self.home, "daemon.lock")) as f:
            return int(f.read().strip() or 0)

    def log_path(self, name, stream="out", id=None):
        suffix = f"-{id}" if id is not None else ""
        return os.path.join(self.home, "logs", f"{name}-{stream}{suffix}.log")


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="drover-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def drover(tmpdir_path):
    home = os.path.join(tmpdir_path, "home")
    os.makedirs(home)
    d = Drover(home, tmpdir_path)
    yield d
    try:
        d.run("kill", check=False, timeout=60)
    except subprocess.TimeoutExpired:
        pass
    # whatever survived (a test that killed the daemon, a broken build)
    for pid in procs_holding(tmpdir_path):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@pytest.fixture
def tiny_fs(tmpdir_path):
    """Mounts a small tmpfs: tiny_fs("name", "256k") returns its path; it is
    unmounted at teardown. Skips the test when mounting is not allowed."""
    mounts = []

    def mount(name, size):
        path = os.path.join(tmpdir_path, name)
        os.makedirs(path, exist_ok=True)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", path],
                           capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a small tmpfs (needs root): {r.stderr.strip()}")
        mounts.append(path)
        return path
    yield mount
    for path in reversed(mounts):
        subprocess.run(["umount", "-l", path], capture_output=True)


@pytest.fixture
def app():
    """Path of a test app in tests/apps."""
    def path(name):
        p = os.path.join(APPS, name)
        assert os.path.exists(p), p
        return p
    return path
