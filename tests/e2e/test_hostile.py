"""Hostile suite: what an adversarial test broke, reproduced exactly.

Each test asserts the behaviour a user relies on; the numbers in the
section titles are those of the list of breaks the suite was written from:

  1. root file writes through log symlinks      6. control socket exhaustion
  2. daemon crash on a malformed dump            7. CLI hanging on a stopped daemon
  3. replies over 64 MiB                         8. target resolution cost
  4. duplicated or invisible apps (re-adoption)  9. app names
  5. descendants escaping without cgroups       10. smaller ones

Every test cleans up what it creates (processes, throw-away users, files)
even when it fails. Tests that need root skip without it.
"""
import json
import os
import pwd
import re
import resource
import shutil
import signal
import socket
import stat
import struct
import subprocess
import threading
import time
import uuid

import pytest

from conftest import APPS, BUILD, pid_alive, procs_holding, wait_until

STEPS_APP = os.path.join(APPS, "hostile_steps.py")
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


# --- helpers -------------------------------------------------------------


def proc_environ(pid):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def proc_stat(pid):
    """(state, ppid, utime+stime ticks) of pid, or None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return rest[0], int(rest[1]), int(rest[11]) + int(rest[12])
    except (OSError, IndexError):
        return None


def all_pids():
    return [int(e) for e in os.listdir("/proc") if e.isdigit()]


def pids_with_env(entry):
    """Live (non-zombie) pids whose environment holds entry (bytes)."""
    found = []
    for pid in all_pids():
        if pid == os.getpid():
            continue
        if entry in proc_environ(pid) and pid_alive(pid):
            found.append(pid)
    return found


def pids_of_uid(uid):
    found = []
    for pid in all_pids():
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(pid)
                        break
        except OSError:
            pass
    return found


def kill_pids(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def fnv1a(s):
    h = 1469598103934665603
    for b in s.encode():
        h ^= b
        h = (h * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def cgroup_v2_mount():
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if parts[2] == "cgroup2":
                return parts[1]
    return None


def drover_cgroup_base(home):
    """The directory under which the daemon of home creates its cgroups."""
    mnt = cgroup_v2_mount()
    if not mnt:
        return None
    own = "/"
    with open("/proc/self/cgroup") as f:
        for line in f:
            if line.startswith("0::"):
                own = line.strip()[3:]
    # paths_home_key: the home's path, device and inode
    try:
        st = os.stat(home)
    except OSError:
        return None
    key = fnv1a(f"{home}|{st.st_dev}|{st.st_ino}")
    return os.path.join(mnt + ("" if own == "/" else own), "drover-%016x" % key)


def remove_cgroup_tree(path, timeout=3):
    """Removes a cgroup directory and its children (retrying while killed
    processes are still leaving them)."""
    deadline = time.monotonic() + timeout
    while path and os.path.isdir(path):
        for root, dirs, _ in os.walk(path, topdown=False):
            for d in dirs:
                try:
                    os.rmdir(os.path.join(root, d))
                except OSError:
                    pass
        try:
            os.rmdir(path)
        except OSError:
            if time.monotonic() > deadline:
                return
            time.sleep(0.05)


def frame(payload, version=1, n_fds=0):
    return b"DR" + bytes([version, n_fds]) + struct.pack("<I", len(payload)) + payload


def recv_frame(s, timeout):
    """One reply frame from s (parsed JSON), or raises socket.timeout."""
    s.settimeout(timeout)
    deadline = time.monotonic() + timeout
    buf = b""
    need = 8
    while len(buf) < need:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        c = s.recv(1 << 20)
        if not c:
            raise ConnectionError(f"connection closed after {len(buf)} bytes")
        buf += c
        if len(buf) >= 8 and need == 8:
            assert buf[:2] == b"DR", buf[:16]
            need = 8 + struct.unpack("<I", buf[4:8])[0]
    return json.loads(buf[8:need])


def raw_call(sock_path, req, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(timeout)
        s.connect(sock_path)
        s.sendall(frame(json.dumps(req, separators=(",", ":")).encode()))
        return recv_frame(s, timeout)
    finally:
        s.close()


def read_limits(pid):
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    raise AssertionError("no Max open files line")


def daemon_alive_pid(d):
    try:
        pid = d.daemon_pid()
    except (OSError, ValueError):
        return 0
    return pid if pid and pid_alive(pid) else 0


class Hostile:
    """The per-test context: the Drover CLI plus what the test started."""

    def __init__(self, drover, tmp):
        self.d = drover
        self.tmp = tmp
        self.home = drover.home
        self.tag = "hostile-" + uuid.uuid4().hex[:12]
        self.d.env["HOSTILE_TAG"] = self.tag
        self.pids = []  # extra processes to kill at teardown
        self.popens = []
        self.stopped = []  # pids we SIGSTOPped: SIGCONT at teardown

    @property
    def sock(self):
        return os.path.join(self.home, "run", "daemon.sock")

    def stop(self, pid):
        os.kill(pid, signal.SIGSTOP)
        self.stopped.append(pid)

    def cleanup(self):
        for pid in self.stopped + pids_with_env(f"DROVER_HOME={self.home}".encode()):
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass
        for p in self.popens:
            if p.poll() is None:
                p.kill()
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        try:
            self.d.run("kill", check=False, timeout=30)
        except subprocess.TimeoutExpired:
            pass
        for _ in range(3):
            kill_pids(pids_with_env(f"HOSTILE_TAG={self.tag}".encode()))
            kill_pids(pids_with_env(f"DROVER_HOME={self.home}".encode()))
            kill_pids(procs_holding(self.tmp))
            kill_pids(self.pids)
        wait_until(lambda: not pids_with_env(f"HOSTILE_TAG={self.tag}".encode()), 10,
                   what="tagged processes gone")
        base = drover_cgroup_base(self.home)
        if base:
            remove_cgroup_tree(base)


@pytest.fixture
def h(drover, tmpdir_path):
    os.chmod(tmpdir_path, 0o711)  # a throw-away user may reach its own dirs inside
    ctx = Hostile(drover, tmpdir_path)
    yield ctx
    ctx.cleanup()


@pytest.fixture
def user(h):
    """A throw-away system user, deleted (with anything it runs) at teardown,
    after the test's daemon and apps are gone."""
    if os.geteuid() != 0:
        pytest.skip("needs root (useradd)")
    name = "drvh" + uuid.uuid4().hex[:8]
    r = subprocess.run(["useradd", "-M", "-N", "-g", "nogroup", "-s", "/usr/sbin/nologin",
                        "-d", "/nonexistent", name], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot create a user: {r.stderr.strip()}")
    pw = pwd.getpwnam(name)
    try:
        yield pw
    finally:
        h.cleanup()
        for _ in range(3):
            kill_pids(pids_of_uid(pw.pw_uid))
            time.sleep(0.05)
        subprocess.run(["userdel", "-f", name], capture_output=True)


def user_dir(tmp, pw, name="w"):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    os.chown(d, pw.pw_uid, pw.pw_gid)
    os.chmod(d, 0o755)
    return d


OLD = 1_000_000_000  # an mtime nothing else produces


def root_only_file(tmp, name="secret", content=b"TOP SECRET, root only\n", file_mode=0o600,
                   dir_name=None):
    """A root-owned file in a root-only (0700) directory, with an old mtime."""
    d = os.path.join(tmp, dir_name or ("rootonly-" + name))
    os.makedirs(d, exist_ok=True)
    os.chmod(d, 0o700)
    p = os.path.join(d, name)
    with open(p, "wb") as f:
        f.write(content)
    os.chmod(p, file_mode)
    os.utime(p, (OLD, OLD))
    return p


def assert_untouched(path, content):
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode), f"{path} is no longer a regular file"
    with open(path, "rb") as f:
        now = f.read()
    assert now == content, f"root-only file {path} was written: {now[:200]!r}"
    assert st.st_mtime == OLD, f"root-only file {path} was modified (mtime {st.st_mtime})"


def wait_file(path, timeout=15, what=None):
    return wait_until(lambda: os.path.exists(path), timeout, 0.02, what or f"{path} to exist")


def file_has(path, text):
    try:
        with open(path, "rb") as f:
            return text.encode() in f.read()
    except OSError:
        return False


def start_steps(h, pw, cwd, name, steps, *opts, check=True, env=None):
    """Starts hostile_steps.py as pw in cwd."""
    e = {"STEPS": ";".join(steps)}
    e.update(env or {})
    return h.d.run("start", STEPS_APP, "--name", name, "--user", pw.pw_name, "--cwd", cwd,
                   *opts, env=e, cwd=cwd, check=check)


def wait_processed(h, name, text, timeout=15):
    """Waits until the supervisor of name wrote text to its error log (the
    probe every attack ends with), then a little more so the lines before it
    are surely handled too."""
    err = h.d.log_path(name, "error")
    wait_until(lambda: file_has(err, text), timeout, 0.05, f"'{text}' in {err}")
    time.sleep(0.5)


# --- 1. root file writes through log symlinks -----------------------------


@needs_root
class Test1LogSymlinks:
    def test_app_replacing_relative_out_log_with_symlink(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        content = b"TOP SECRET, root only\n"
        secret = root_only_file(tmpdir_path, content=content)
        start_steps(h, user, w, "evil",
                    ["print:first", "done:d1", "wait:go", f"link:out.log={secret}",
                     "print:second line", "eprint:probe1", "done:d2", "wait:go2",
                     "print:third line", "eprint:probe2", "sleep"], "-o", "out.log")
        p = h.d.proc("evil")
        assert p["log_out"] == os.path.join(w, "out.log")
        wait_file(os.path.join(w, "d1"))
        wait_until(lambda: file_has(os.path.join(w, "out.log"), "first"), what="first line")
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        wait_processed(h, "evil", "probe1")
        assert_untouched(secret, content)
        # flush must not truncate what the symlink points at either
        h.d.run("flush", "evil", check=False)
        assert_untouched(secret, content)
        h.d.run("reloadLogs", check=False)
        open(os.path.join(w, "go2"), "w").close()
        wait_processed(h, "evil", "probe2")
        assert_untouched(secret, content)
        q = h.d.proc("evil")
        assert q["status"] == "online" and q["pid"] == p["pid"], "the app did not keep running"

    def test_flush_does_not_truncate_through_app_symlink(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        content = b"TOP SECRET, root only\n"
        secret = root_only_file(tmpdir_path, content=content)
        start_steps(h, user, w, "evil",
                    ["print:first", "done:d1", "wait:go", f"link:out.log={secret}",
                     "done:d2", "sleep"], "-o", "out.log")
        wait_file(os.path.join(w, "d1"))
        wait_until(lambda: file_has(os.path.join(w, "out.log"), "first"), what="first line")
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        h.d.run("flush", "evil", check=False)
        assert_untouched(secret, content)
        h.d.run("flush", check=False)
        assert_untouched(secret, content)
        assert h.d.proc("evil")["status"] == "online"

    def test_precreated_symlink_in_drover_logs_dir(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        content = b"TOP SECRET, root only\n"
        secret = root_only_file(tmpdir_path, content=content)
        logs = os.path.join(h.home, "logs")
        os.makedirs(logs, exist_ok=True)
        os.symlink(secret, os.path.join(logs, "planted-out.log"))
        h.d.run("start", STEPS_APP, "--name", "planted", "--user", user.pw_name, "--cwd", w,
                env={"STEPS": "print:a line for the log;eprint:probe;sleep"}, cwd=w,
                check=False)
        wait_processed(h, "planted", "probe")
        assert_untouched(secret, content)
        h.d.run("flush", "planted", check=False)
        assert_untouched(secret, content)
        p = h.d.proc("planted")
        assert p and p["status"] == "online", f"the app did not keep running: {p}"

    def test_combined_log_replaced_with_symlink(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        content = b"TOP SECRET, root only\n"
        secret = root_only_file(tmpdir_path, content=content)
        start_steps(h, user, w, "comb",
                    ["print:first", "done:d1", "wait:go", f"link:all.log={secret}",
                     "print:second line", "eprint:probe", "done:d2", "sleep"],
                    "-o", "out.log", "-l", "all.log")
        wait_file(os.path.join(w, "d1"))
        wait_until(lambda: file_has(os.path.join(w, "all.log"), "first"), what="first line")
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        wait_processed(h, "comb", "probe")
        assert_untouched(secret, content)
        h.d.run("flush", "comb", check=False)
        assert_untouched(secret, content)
        assert h.d.proc("comb")["status"] == "online"

    def _swap_dir_attack(self, h, user, tmpdir_path, name, *opts, lines=3):
        w = user_dir(tmpdir_path, user)
        logs = os.path.join(w, "logs")
        os.makedirs(logs)
        os.chown(logs, user.pw_uid, user.pw_gid)
        # root's own out.log in a root-only directory (world-readable itself)
        content = b"root's own out.log: TOP SECRET 7c1f\n" * 40
        secret = root_only_file(tmpdir_path, "out.log", content=content, file_mode=0o644,
                                dir_name="rootdir")
        rootdir = os.path.dirname(secret)
        start_steps(h, user, w, name,
                    ["print:first", "done:d1", "wait:go", f"swapdir:logs={rootdir}",
                     f"lines:{lines}:a line after the swap, long enough to fill the file fast",
                     "eprint:probe", "done:d2", "sleep"],
                    "-o", "logs/out.log", *opts)
        wait_file(os.path.join(w, "d1"))
        wait_until(lambda: file_has(os.path.join(logs, "out.log"), "first"), what="first line")
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        wait_processed(h, name, "probe")
        return w, rootdir, secret, content

    def test_log_dir_replaced_with_symlink_between_writes(self, h, user, tmpdir_path):
        w, rootdir, secret, content = self._swap_dir_attack(h, user, tmpdir_path, "swap")
        assert sorted(os.listdir(rootdir)) == ["out.log"], \
            f"files created or renamed in a root-only dir: {os.listdir(rootdir)}"
        assert_untouched(secret, content)
        h.d.run("flush", "swap", check=False)
        assert_untouched(secret, content)
        assert h.d.proc("swap")["status"] == "online"

    def test_log_dir_swap_then_rotation_and_compression(self, h, user, tmpdir_path):
        w, rootdir, secret, content = self._swap_dir_attack(
            h, user, tmpdir_path, "swaprot", "--max-size", "1K", "--compress", lines=60)
        time.sleep(1.5)  # drover-gzip of the rotations
        assert sorted(os.listdir(rootdir)) == ["out.log"], \
            f"rotation or compression wrote into a root-only dir: {os.listdir(rootdir)}"
        assert_untouched(secret, content)
        assert h.d.proc("swaprot")["status"] == "online"

    def test_symlinks_planted_at_rotated_names(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        content = b"TOP SECRET, root only\n"
        secret = root_only_file(tmpdir_path, content=content)
        start_steps(h, user, w, "rot",
                    [f"plantrot:out.log={secret}", "done:d1", "wait:go",
                     "lines:300:a line that fills the log so that it rotates often",
                     "eprint:probe", "done:d2", "sleep"],
                    "-o", "out.log", "--max-size", "1K", "--compress", env={"SECS": "20"})
        wait_file(os.path.join(w, "d1"))
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        wait_processed(h, "rot", "probe")
        # let drover-gzip finish what the rotations queued
        time.sleep(1.5)
        assert_untouched(secret, content)
        assert h.d.proc("rot")["status"] == "online"

    def test_compression_never_exposes_a_hijacked_rotated_file(self, h, user, tmpdir_path):
        w = user_dir(tmpdir_path, user)
        # world-readable itself, but in a root-only directory: root-only
        content = b"TOP SECRET 7c1f, reachable by root only\n" * 50
        secret = root_only_file(tmpdir_path, content=content, file_mode=0o644)
        start_steps(h, user, w, "gz",
                    [f"hijack:out.log={secret}", "done:d1", "wait:go",
                     "lines:400:a line that fills the log so that it rotates often",
                     "eprint:probe", "done:d2", "sleep"],
                    "-o", "out.log", "--max-size", "1K", "--compress")
        wait_file(os.path.join(w, "d1"))
        open(os.path.join(w, "go"), "w").close()
        wait_file(os.path.join(w, "d2"))
        wait_processed(h, "gz", "probe")
        time.sleep(1.5)
        assert_untouched(secret, content)
        # whatever the user can read in its directory must not hold the secret
        code = ("import gzip,os,sys\n"
                "hits=[]\n"
                "for root,dirs,files in os.walk(sys.argv[1]):\n"
                "  for n in files:\n"
                "    p=os.path.join(root,n)\n"
                "    try: data=open(p,'rb').read()\n"
                "    except OSError: continue\n"
                "    try: data=gzip.decompress(data)\n"
                "    except Exception: pass\n"
                "    if b'TOP SECRET 7c1f' in data: hits.append(p)\n"
                "print(hits)\n")
        r = subprocess.run(["runuser", "-u", user.pw_name, "--", "/usr/bin/python3", "-c", code,
                            w], capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        assert r.stdout.strip() == "[]", f"the secret became readable by the app's user: {r.stdout}"


# --- 2. malformed dump entries crash resurrect ------------------------------

BAD_CONFIGS = {
    "noconfig": None,  # the key is missing
    "strconfig": "node app.js",
    "arrconfig": ["app.js", 1],
    "numconfig": 42,
}


def make_dump_with_bad_entries(h, app, bad):
    """Saves a dump of one valid app (s1), removes the app, then adds the
    bad entries to the dump, before the valid one."""
    h.d.run("start", app("sleeper.sh"), "--name", "s1")
    h.d.run("save")
    h.d.run("delete", "all")
    path = os.path.join(h.home, "dump.json")
    dump = json.load(open(path))
    good = dump["apps"][0]
    entries = []
    for name in bad:
        e = json.loads(json.dumps(good))
        e["name"] = name
        if BAD_CONFIGS[name] is None:
            del e["config"]
        else:
            e["config"] = BAD_CONFIGS[name]
        entries.append(e)
    dump["apps"] = entries + [good]
    with open(path, "w") as f:
        json.dump(dump, f)


def names_entry(text, name, index):
    """A message about a skipped dump entry names it: by its name, or by its
    position in the dump ("#2", "entry 2")."""
    if name in text:
        return True
    return re.search(rf"(#|entry ){index}\b.*(skip|invalid|malformed|not|cannot)", text, re.I)


class Test2MalformedDump:
    @pytest.mark.parametrize("bad", sorted(BAD_CONFIGS))
    def test_resurrect_skips_malformed_entry(self, h, app, bad):
        make_dump_with_bad_entries(h, app, [bad])
        pid = h.d.daemon_pid()
        r = h.d.run("resurrect", check=False, timeout=60)
        assert daemon_alive_pid(h.d) == pid, \
            f"the daemon died during resurrect: {r.stdout} {r.stderr}"
        out = r.stdout + r.stderr
        assert names_entry(out, bad, 1), f"the skipped entry is not named: {out}"
        procs = {p["name"]: p for p in h.d.procs()}
        assert set(procs) == {"s1"}, procs.keys()
        h.d.wait_status("s1", "online")
        assert h.d.daemon_pid() == pid

    @pytest.mark.parametrize("bads", [sorted(BAD_CONFIGS), ["strconfig", "arrconfig"]],
                             ids=["all-kinds", "wrong-types-only"])
    def test_boot_resurrect_skips_malformed_entries(self, h, app, bads):
        make_dump_with_bad_entries(h, app, bads)
        h.d.run("kill")
        wait_until(lambda: not os.path.exists(h.sock), what="daemon gone")
        log = os.path.join(h.home, "daemon.log")
        open(log, "a").close()
        log_start = os.path.getsize(log)
        errf = open(os.path.join(h.tmp, "droverd.stderr"), "wb")
        p = subprocess.Popen([os.path.join(BUILD, "droverd"), "--foreground", "--resurrect"],
                             env=h.d.env, stdout=errf, stderr=errf, cwd="/")
        h.popens.append(p)

        def serving():
            if p.poll() is not None:
                raise AssertionError(f"droverd --foreground --resurrect exited: {p.returncode}")
            try:
                return raw_call(h.sock, {"cmd": "ping"}, timeout=2).get("ok")
            except OSError:
                return False
        wait_until(serving, 20, 0.1, "the booted daemon to serve ping")

        def s1_online():
            if p.poll() is not None:
                raise AssertionError(f"droverd --foreground --resurrect died: {p.returncode} "
                                     "(the valid app was never started)")
            procs = raw_call(h.sock, {"cmd": "list"}, timeout=5).get("processes", [])
            return [x for x in procs if x["name"] == "s1" and x["status"] == "online"]
        wait_until(s1_online, 20, 0.1, "the valid app started at boot")
        time.sleep(0.5)
        assert p.poll() is None, f"droverd exited: {p.returncode}"
        assert h.d.json("ping")["pid"] == p.pid
        names = {x["name"] for x in h.d.procs()}
        assert names == {"s1"}, names
        text = open(log, "rb").read()[log_start:].decode(errors="replace")
        text += open(os.path.join(h.tmp, "droverd.stderr"), "rb").read().decode(errors="replace")
        for i, bad in enumerate(bads):
            assert names_entry(text, bad, i + 1), \
                f"the skipped entry {bad} is not named in the daemon's log: {text}"


# --- 3. replies over 64 MiB -------------------------------------------------


class Test3HugeReply:
    def test_big_config_times_many_instances_still_lists(self, h, app):
        # ~1 MB of env in one app's config (the request stays under 1 MiB),
        # 72 instances: the config travels once per app, so jlist works
        env = {f"V{i:03d}": "x" * 9800 for i in range(100)}
        eco = os.path.join(h.tmp, "big.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "big", "script": app("sleeper.sh"), "instances": 72,
                                 "max_instances": 100, "autostart": False, "env": env}]}, f)
        pid = h.d.daemon_pid() if daemon_alive_pid(h.d) else h.d.json("ping")["pid"]
        h.d.run("start", eco, check=False, timeout=60)
        assert daemon_alive_pid(h.d) == pid
        listed = json.loads(h.d.run("jlist", timeout=60).stdout)
        assert len(listed) == 72
        assert all(p["pm2_env"]["env"]["V000"] == "x" * 9800 for p in listed)
        assert len(h.d.json("ls", timeout=60)) == 72
        assert daemon_alive_pid(h.d) == pid

    def test_reply_over_64mib_is_an_error_and_the_daemon_survives(self, h, app):
        # 70 apps of ~1 MB of config each: the list is over 64 MiB
        env = {f"V{i:03d}": "x" * 9800 for i in range(100)}
        pid = h.d.json("ping")["pid"]
        for k in range(70):
            eco = os.path.join(h.tmp, f"big{k}.json")
            with open(eco, "w") as f:
                json.dump({"apps": [{"name": f"big{k}", "script": app("sleeper.sh"),
                                     "autostart": False, "env": env}]}, f)
            h.d.run("start", eco, "--silent", check=False, timeout=60)
        assert daemon_alive_pid(h.d) == pid
        assert "big0" in h.d.run("ls", timeout=30).stdout  # the brief table still works
        for args in (["jlist"], ["ls", "--json"]):
            t0 = time.monotonic()
            r = h.d.run(*args, check=False, timeout=60)
            assert time.monotonic() - t0 < 30, f"{args} took too long"
            assert r.returncode != 0, f"{args} succeeded with a reply over the limit?"
            assert daemon_alive_pid(h.d) == pid, f"the daemon died answering {args}"
            assert re.search(r"too (large|big)|exceeds|limit", r.stderr, re.I), \
                f"{args}: no clear message: {r.stderr!r}"
            assert "connection closed" not in r.stderr, r.stderr
        assert h.d.run("ping").returncode == 0
        # jlist never stays broken: smaller again, it answers
        h.d.run("delete", *[f"big{k}" for k in range(10, 70)], "--silent", check=False,
                timeout=60)
        assert len(json.loads(h.d.run("jlist", timeout=60).stdout)) == 10
        assert daemon_alive_pid(h.d) == pid


# --- 4. duplicated or invisible apps after re-adoption ----------------------

SLEEPER = os.path.join(APPS, "hostile_sleeper.py")


def sleeper_copies(h):
    """{slot: [pid, ...]} of the live hostile_sleeper.py processes of this test
    (main processes only: the descendants record themselves as desc-*)."""
    out = {}
    for pid in pids_with_env(f"HOSTILE_TAG={h.tag}".encode()):
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        if b"hostile_sleeper.py" not in cmd:
            continue
        if os.path.exists(os.path.join(h.tmp, "pids", f"desc-{pid}")):
            continue
        env = dict(e.split(b"=", 1) for e in proc_environ(pid) if b"=" in e)
        slot = int(env.get(b"NODE_APP_INSTANCE", b"-1"))
        out.setdefault(slot, []).append(pid)
    return out


def parent_comm(pid):
    st = proc_stat(pid)
    if not st:
        return None
    try:
        return open(f"/proc/{st[1]}/comm").read().strip()
    except OSError:
        return None


def start_sleepers(h, name="dup", instances=2, extra_env=None, *opts):
    piddir = os.path.join(h.tmp, "pids")
    os.makedirs(piddir, exist_ok=True)
    env = {"PIDDIR": piddir}
    env.update(extra_env or {})
    h.d.run("start", SLEEPER, "--name", name, "-i", str(instances), "--exec-mode", "fork", *opts,
            env=env)
    wait_until(lambda: len(h.d.procs()) == instances and
               all(p["status"] == "online" for p in h.d.procs()), 20, 0.1, "instances online")
    def settled():
        copies = sleeper_copies(h)
        return (sorted(len(v) for v in copies.values()) == [1] * instances and
                all(os.path.exists(os.path.join(piddir, str(v[0]))) for v in copies.values()))
    wait_until(settled, 10, 0.05, "one app process per instance, its first line written")
    return h.d.procs()


def settle_all_online(h, n, timeout=30):
    def ok():
        ps = h.d.procs()
        return len(ps) == n and all(p["status"] == "online" for p in ps)
    wait_until(ok, timeout, 0.2, "every instance online again")


def assert_one_copy_each(h, n):
    copies = sleeper_copies(h)
    assert sorted(copies) == list(range(n)) and all(len(v) == 1 for v in copies.values()), \
        f"app processes per instance: {copies} (expected exactly one each)"
    for slot, pids in copies.items():
        assert parent_comm(pids[0]) == "drover-sup", \
            f"slot {slot}: app {pids[0]} is not under a supervisor (parent {parent_comm(pids[0])})"


def kill9_daemon(h):
    pid = h.d.daemon_pid()
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(pid), what="daemon gone")


class Test4Readoption:
    def test_supervisor_killed_while_daemon_down_leaves_no_duplicate(self, h):
        procs = start_sleepers(h)
        victim = procs[0]
        kill9_daemon(h)
        os.kill(victim["sup_pid"], signal.SIGKILL)
        wait_until(lambda: not pid_alive(victim["sup_pid"]), what="supervisor gone")
        h.d.run("ls")  # a new daemon re-adopts
        settle_all_online(h, 2)
        time.sleep(1.5)  # a late duplicate would show up meanwhile
        assert_one_copy_each(h, 2)
        assert not pid_alive(victim["pid"]) or \
            victim["pid"] == h.d.proc(victim["id"])["pid"], \
            f"the old app {victim['pid']} runs on, unseen"

    def test_run_dir_deleted(self, h):
        start_sleepers(h)
        shutil.rmtree(os.path.join(h.home, "run"))
        for args in (["ls", "--json"], ["describe", "dup", "--json"], ["ping"]):
            t0 = time.monotonic()
            try:
                r = h.d.run(*args, check=False, timeout=12)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"drover {' '.join(args)} hung with run/ deleted")
            took = time.monotonic() - t0
            assert r.returncode == 0, f"drover {' '.join(args)} failed: {r.stderr}"
            assert took < 10, f"drover {' '.join(args)} took {took:.1f}s"
        assert len(h.d.procs()) == 2
        kill9_daemon(h)
        h.d.run("ls", timeout=30)
        settle_all_online(h, 2)
        time.sleep(1.5)
        assert_one_copy_each(h, 2)

    def test_supervisors_stalled_at_daemon_start_are_not_duplicated(self, h):
        procs = start_sleepers(h)
        sups = [p["sup_pid"] for p in procs]
        kill9_daemon(h)
        for s in sups:
            h.stop(s)
        seen = {"max": {}, "stop": False}

        def sample():
            while not seen["stop"]:
                for slot, pids in sleeper_copies(h).items():
                    seen["max"][slot] = max(seen["max"].get(slot, 0), len(pids))
                time.sleep(0.05)
        t = threading.Thread(target=sample)
        t.start()
        try:
            cli = subprocess.Popen([h.d.bin, "ls"], env=h.d.env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE)
            h.popens.append(cli)
            time.sleep(5)
            for s in sups:
                os.kill(s, signal.SIGCONT)
            cli.communicate(timeout=60)
            settle_all_online(h, 2)
            time.sleep(2)
        finally:
            seen["stop"] = True
            t.join()
        assert all(v <= 1 for v in seen["max"].values()), \
            f"two copies of one instance ran at once: {seen['max']}"
        assert_one_copy_each(h, 2)


# --- 5. descendants escaping without cgroups --------------------------------


@pytest.fixture(params=["DROVER_NO_CGROUP", "non-root"])
def cgroups_off(request, h):
    """Runs the test's drover without cgroups: with DROVER_NO_CGROUP=1, or as
    a throw-away non-root user (who may not create cgroups)."""
    if request.param == "DROVER_NO_CGROUP":
        h.d.env["DROVER_NO_CGROUP"] = "1"
        return h
    pw = request.getfixturevalue("user")
    for root, dirs, files in os.walk(h.home):
        for n in [root] + [os.path.join(root, x) for x in dirs + files]:
            os.chown(n, pw.pw_uid, pw.pw_gid)
    piddir = os.path.join(h.tmp, "pids")
    os.makedirs(piddir, exist_ok=True)
    os.chmod(piddir, 0o777)
    wrapper = os.path.join(h.tmp, "drover-as-user")
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec runuser -u {pw.pw_name} -- {h.d.bin} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    h.d.bin = wrapper
    return h


class Test5NoCgroupDescendants:
    def _start(self, h):
        procs = start_sleepers(h, "fam", 1, {"DESCENDANT": "1"})
        piddir = os.path.join(h.tmp, "pids")
        wait_until(lambda: [f for f in os.listdir(piddir) if f.startswith("desc-")],
                   what="the setsid descendant")
        p = procs[0]
        assert not p.get("cgroup"), f"cgroups are on: {p.get('cgroup')}"
        desc = [int(f[5:]) for f in os.listdir(piddir) if f.startswith("desc-")]
        h.pids += desc
        return p, desc[0]

    def _descendants(self, h):
        piddir = os.path.join(h.tmp, "pids")
        pids = [int(f[5:]) for f in os.listdir(piddir) if f.startswith("desc-")]
        h.pids += pids
        return pids

    def test_supervisor_killed_descendant_does_not_survive(self, cgroups_off):
        h = cgroups_off
        p, desc = self._start(h)
        assert pid_alive(desc)
        os.kill(p["sup_pid"], signal.SIGKILL)
        # the daemon notices, kills the orphaned app and starts a new supervisor
        wait_until(lambda: (lambda q: q and q["status"] == "online" and
                            q["sup_pid"] != p["sup_pid"])(h.d.proc("fam")), 20, 0.1,
                   "a new supervisor")
        wait_until(lambda: not pid_alive(p["pid"]), 10, what="the orphaned app killed")
        wait_until(lambda: not pid_alive(desc), 10, 0.1,
                   f"the orphaned app's setsid descendant {desc} killed")

    def test_drover_kill_after_supervisor_loss_leaves_no_descendant(self, cgroups_off):
        h = cgroups_off
        p, desc = self._start(h)
        os.kill(p["sup_pid"], signal.SIGKILL)
        wait_until(lambda: (lambda q: q and q["status"] == "online" and
                            q["sup_pid"] != p["sup_pid"])(h.d.proc("fam")), 20, 0.1,
                   "a new supervisor")
        wait_until(lambda: len(self._descendants(h)) >= 2, 10, what="the new descendant")
        h.d.run("kill", timeout=60)
        for d in self._descendants(h):
            wait_until(lambda: not pid_alive(d), 10, 0.1, f"descendant {d} killed by drover kill")


# --- 6. control socket exhaustion -------------------------------------------


def connect_retry(path, timeout=10):
    """Connects to a unix socket, retrying while its backlog is full."""
    deadline = time.monotonic() + timeout
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
            return s
        except BlockingIOError:
            s.close()
            if time.monotonic() > deadline:
                raise
            time.sleep(0.01)


def open_silent(path, n):
    socks = []
    try:
        for _ in range(n):
            socks.append(connect_retry(path))
    except BaseException:
        close_all(socks)
        raise
    return socks


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def cpu_ticks(pid):
    st = proc_stat(pid)
    assert st, f"process {pid} is gone"
    return st[2]


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Test6SocketExhaustion:
    def test_silent_connections_do_not_lock_the_cli_out(self, h):
        pid = h.d.json("ping")["pid"]
        socks = open_silent(h.sock, 256)
        try:
            t0 = time.monotonic()
            r = h.d.run("ping", check=False, timeout=30)
            took = time.monotonic() - t0
            assert r.returncode == 0, f"ping failed with 256 idle connections open: {r.stderr}"
            assert took < 10, f"ping took {took:.1f}s"
            assert h.d.daemon_pid() == pid
            # and the idle ones are closed by the daemon after a while

            def all_closed():
                for s in socks:
                    if s.fileno() < 0:
                        continue
                    s.setblocking(False)
                    try:
                        while s.recv(65536):  # a goodbye message is fine
                            pass
                        s.close()  # EOF
                    except BlockingIOError:
                        pass
                    except OSError:
                        s.close()
                return all(s.fileno() < 0 for s in socks)
            wait_until(all_closed, 65, 0.5, "idle connections closed by the daemon")
        finally:
            close_all(socks)

    def test_accept_at_emfile_does_not_spin(self, h):
        pid = h.d.json("ping")["pid"]
        r = subprocess.run(["prlimit", "--pid", str(pid), "--nofile=64:64"], capture_output=True,
                           text=True)
        if r.returncode != 0:
            pytest.skip(f"prlimit: {r.stderr.strip()}")
        socks = open_silent(h.sock, 100)
        try:
            time.sleep(0.5)
            hz = os.sysconf("SC_CLK_TCK")
            t0, c0 = time.monotonic(), cpu_ticks(pid)
            time.sleep(3)
            t1, c1 = time.monotonic(), cpu_ticks(pid)
            share = (c1 - c0) / hz / (t1 - t0)
            assert share < 0.20, f"the daemon burns {share:.0%} of a core at EMFILE"
        finally:
            close_all(socks)
        # it recovers once the connections are gone
        wait_until(lambda: h.d.run("ping", check=False, timeout=30).returncode == 0, 30, 0.5,
                   "ping answered after the connections closed")
        assert h.d.daemon_pid() == pid

    def test_partial_frames_memory_is_bounded(self, h):
        pid = h.d.json("ping")["pid"]
        base = rss_kb(pid)
        size = 1_000_000  # under the 1 MiB request limit
        header = b"DR\x01\x00" + struct.pack("<I", size)
        payload = header + b"x" * (size - 1000)  # never completed
        socks = []
        try:
            for _ in range(250):
                socks.append([connect_retry(h.sock), 0])
            # push what the daemon takes, for a few seconds
            deadline = time.monotonic() + 8
            while time.monotonic() < deadline:
                progress = False
                for entry in socks:
                    s, off = entry
                    if off >= len(payload) or s.fileno() < 0:
                        continue
                    try:
                        n = s.send(payload[off:off + 262144])
                        entry[1] += n
                        progress = progress or n > 0
                    except BlockingIOError:
                        pass
                    except OSError:
                        s.close()
                if all(off >= len(payload) or s.fileno() < 0 for s, off in socks):
                    break
                if not progress:
                    time.sleep(0.05)
            time.sleep(1)
            rss = rss_kb(pid)
            assert rss < 64 * 1024, \
                f"daemon RSS {rss // 1024} MB with 250 partial frames (was {base // 1024} MB)"
            r = h.d.run("ping", check=False, timeout=30)
            assert r.returncode == 0, f"the daemon stopped serving: {r.stderr}"
        finally:
            close_all(s for s, _ in socks)
        assert h.d.daemon_pid() == pid

    def test_daemon_raises_its_nofile_soft_limit(self, h):
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if hard == resource.RLIM_INFINITY or hard <= 1024:
            pytest.skip(f"hard RLIMIT_NOFILE is {hard}: nothing to raise to")
        if shutil.which("prlimit") is None:
            pytest.skip("no prlimit")
        r = subprocess.run(["prlimit", f"--nofile=1024:{hard}", h.d.bin, "ping", "--json"],
                           env=h.d.env, capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        pid = json.loads(r.stdout)["pid"]
        dsoft, dhard = read_limits(pid)
        assert dhard == hard
        assert dsoft == dhard, f"the daemon kept the inherited soft limit {dsoft} (hard {dhard})"


# --- 7. CLI against a stopped daemon ----------------------------------------


class Test7StoppedDaemon:
    def _stop_daemon(self, h):
        pid = h.d.json("ping")["pid"]
        h.stop(pid)
        return pid

    def test_short_timeout_from_env(self, h):
        self._stop_daemon(h)
        for args in (["ls"], ["ping"], ["describe", "all"]):
            t0 = time.monotonic()
            try:
                r = h.d.run(*args, check=False, timeout=12, env={"DROVER_TIMEOUT": "2"})
            except subprocess.TimeoutExpired:
                raise AssertionError(f"drover {args[0]} hung on a stopped daemon "
                                     "despite DROVER_TIMEOUT=2")
            took = time.monotonic() - t0
            assert took < 10, f"drover {args[0]} took {took:.1f}s with DROVER_TIMEOUT=2"
            assert r.returncode != 0
            assert "daemon" in r.stderr and re.search(r"time|respond|answer", r.stderr, re.I), \
                f"unclear message: {r.stderr!r}"

    def test_default_timeout_is_bounded(self, h):
        self._stop_daemon(h)
        h.d.env.pop("DROVER_TIMEOUT", None)
        t0 = time.monotonic()
        try:
            r = h.d.run("ls", check=False, timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("drover ls waited more than 60s on a stopped daemon")
        assert r.returncode != 0
        assert "daemon" in r.stderr, r.stderr
        assert time.monotonic() - t0 < 60


# --- 8. target resolution ---------------------------------------------------


class Test8Targets:
    def test_many_targets_on_many_instances(self, h, app):
        eco = os.path.join(h.tmp, "many.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "many", "script": app("sleeper.sh"), "instances": 500,
                                 "max_instances": 500, "exec_mode": "fork",
                                 "autostart": False}]}, f)
        h.d.run("start", eco, timeout=120)
        targets = ["all"] * 100000
        t0 = time.monotonic()
        try:
            reply = raw_call(h.sock, {"cmd": "describe", "targets": targets}, timeout=5)
        except socket.timeout:
            raise AssertionError(f"no answer to describe x{len(targets)} targets within 5s")
        took = time.monotonic() - t0
        assert reply.get("ok"), reply.get("error")
        ids = [p["id"] for p in reply["processes"]]
        assert len(ids) == 500 and len(set(ids)) == 500, f"{len(ids)} entries, {len(set(ids))} ids"
        assert took < 5
        # and the daemon answers others promptly afterwards
        t0 = time.monotonic()
        h.d.run("ping", timeout=30)
        assert time.monotonic() - t0 < 5

    def test_same_target_twice(self, h, app):
        h.d.run("start", app("sleeper.sh"), "--name", "s1")
        h.d.run("start", app("sleeper.sh"), "--name", "s2")
        r = h.d.run("describe", "s1", "s1", "--json", check=False)
        assert r.returncode == 0, f"describe s1 s1: {r.stderr}"
        assert [p["name"] for p in json.loads(r.stdout)] == ["s1"]
        r = h.d.run("describe", "s1", "s1", check=False)
        assert r.returncode == 0, r.stderr
        for verb in (["restart", "s1", "s1"], ["stop", "s1", "0", "s1"]):
            r = h.d.run(*verb, check=False)
            assert r.returncode == 0, f"{verb}: {r.stderr}"
        assert h.d.proc("s2")["status"] == "online"


# --- 9. app names -----------------------------------------------------------

BAD_NAMES = {
    "dotdot": "../../x",
    "all": "all",
    "newline": "a\nb",
    "long": "x" * 5000,
    "esc": "esc\x1b[31mname",
    "cr": "cr\rname",
    "default-ns": "default",
}


def stray_log_files(h):
    """Log files written anywhere under the test's dir but $DROVER_HOME/logs."""
    logs = os.path.join(h.home, "logs")
    found = []
    for root, dirs, files in os.walk(h.tmp):
        if root == logs or root.startswith(logs + os.sep):
            continue
        for n in files:
            if n.endswith(".log") and n != "daemon.log":
                found.append(os.path.join(root, n))
    return found


def refusal_line(text):
    """A line that says a name was refused (not the listing's header)."""
    for line in text.splitlines():
        if re.search(r"name", line, re.I) and \
                re.search(r"skip|invalid|reserved|refus|not allowed|must|cannot|forbidden",
                          line, re.I):
            return line
    return None


class Test9Names:
    @pytest.mark.parametrize("key", sorted(BAD_NAMES))
    def test_resurrect_validates_names(self, h, app, key):
        bad = BAD_NAMES[key]
        h.d.run("start", app("sleeper.sh"), "--name", "s1")
        h.d.run("save")
        h.d.run("delete", "all")
        path = os.path.join(h.home, "dump.json")
        dump = json.load(open(path))
        good = dump["apps"][0]
        e = json.loads(json.dumps(good))
        e["name"] = bad
        e["config"].pop("name", None)
        dump["apps"] = [e, good]
        with open(path, "w") as f:
            json.dump(dump, f)
        r = h.d.run("resurrect", check=False, timeout=60)
        names = [p["name"] for p in h.d.procs()]
        assert names == ["s1"], \
            f"resurrect accepted the name {bad[:40]!r}: {[n[:40] for n in names]}"
        assert refusal_line(r.stdout + r.stderr), \
            f"no message naming the problem: {r.stdout + r.stderr}"
        assert stray_log_files(h) == []

    @pytest.mark.parametrize("key", ["all", "newline", "esc", "cr", "default-ns"])
    def test_daemon_default_name_from_script_is_validated(self, h, app, key):
        base = BAD_NAMES[key]
        d = os.path.join(h.tmp, "scripts")
        os.makedirs(d, exist_ok=True)
        script = os.path.join(d, base + ".sh")
        shutil.copy(app("sleeper.sh"), script)
        h.d.run("ping")
        reply = raw_call(h.sock, {"cmd": "start", "apps": [{"script": script}],
                                  "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                          "HOSTILE_TAG": h.tag}}, timeout=60)
        names = [p["name"] for p in h.d.procs()]
        assert not reply.get("ok") and names == [], \
            f"a start without a name took the script's basename {base!r}: {names}"
        assert "name" in reply.get("error", ""), reply
        assert stray_log_files(h) == []

    @pytest.mark.parametrize("key", ["esc", "cr", "default-ns"])
    def test_cli_name_is_validated(self, h, app, key):
        r = h.d.run("start", app("sleeper.sh"), "--name", BAD_NAMES[key], check=False)
        assert r.returncode != 0, f"--name {BAD_NAMES[key]!r} accepted"
        assert "name" in r.stderr, r.stderr
        assert h.d.procs() == []

    def test_name_of_a_namespace_in_use_is_refused(self, h, app):
        h.d.run("start", app("sleeper.sh"), "--name", "a", "--namespace", "prod")
        h.d.run("start", app("sleeper.sh"), "--name", "b")
        r = h.d.run("start", app("sleeper.sh"), "--name", "prod", check=False)
        assert r.returncode != 0, "an app named like a namespace in use was created"
        assert "namespace" in r.stderr, r.stderr
        # `stop default` stops what is in the namespace default, as documented
        r = h.d.run("start", app("sleeper.sh"), "--name", "default", check=False)
        assert r.returncode != 0, "an app named 'default' was created"
        h.d.run("stop", "prod")
        assert h.d.proc("a")["status"] == "stopped"
        assert h.d.proc("b")["status"] == "online"


# --- 10. smaller ones -------------------------------------------------------


class Test10Smaller:
    def test_arguments_past_4096_are_not_dropped_silently(self, h, app, tmpdir_path):
        argc_file = os.path.join(tmpdir_path, "argc")
        args = [f"a{i}" for i in range(1, 5001)]
        r = h.d.run("start", os.path.join(APPS, "hostile_argc.py"), "--name", "argc", "--",
                    *args, check=False, env={"ARGC_FILE": argc_file})
        if r.returncode != 0:
            assert re.search(r"argument", r.stderr, re.I), \
                f"refused without a clear error: {r.stderr}"
            return
        wait_file(argc_file)
        n, last = open(argc_file).read().split()
        assert (int(n), last) == (5000, "a5000"), f"the app got {n} arguments, the last {last}"

    def test_line_without_newline_respects_max_size(self, h, app):
        size = 20 << 20
        h.d.run("start", app("bigline.py"), "--name", "big", "--max-size", "1M",
                env={"SIZE": str(size)})
        out = h.d.log_path("big")
        logs = os.path.dirname(out)

        def files():
            return [os.path.join(logs, n) for n in os.listdir(logs)
                    if n.startswith("big-out")]

        def has_after(f):
            with open(f, "rb") as fh:
                data = fh.read()
            return data.startswith(b"after\n") or b"\nafter\n" in data

        def done():
            return any(has_after(f) for f in files()) or \
                any(os.path.getsize(f) > 4 << 20 for f in files())
        wait_until(done, 60, 0.2, "the big line and 'after' written")
        sizes = {os.path.basename(f): os.path.getsize(f) for f in files()}
        assert max(sizes.values()) <= 2 * (1 << 20) + 4096, \
            f"a log file grew past 2 x max_size: {sizes}"
        marker = b" [drover: line continues]"
        assert any(marker in open(f, "rb").read() for f in files()), "no continuation marker"

    def test_cron_that_never_fires_is_refused(self, h, app):
        r = h.d.run("start", app("sleeper.sh"), "--name", "cr", "--cron-restart",
                    "0 9 1/7 3 */7", check=False)
        assert r.returncode != 0, "cron_restart '0 9 1/7 3 */7' accepted"
        assert "cron_restart" in r.stderr, r.stderr
        assert h.d.procs() == []

    def test_request_over_1mib_says_too_large(self, h, app):
        env = {f"V{i:03d}": "y" * 10000 for i in range(120)}
        eco = os.path.join(h.tmp, "huge.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "huge", "script": app("sleeper.sh"), "env": env}]}, f)
        h.d.run("ping")
        r = h.d.run("start", eco, check=False, timeout=60)
        assert r.returncode != 0
        assert re.search(r"too (large|big)|exceeds|limit", r.stderr, re.I), r.stderr
        assert "connection closed" not in r.stderr, r.stderr

    def test_permission_denied_is_not_no_daemon(self, h, user):
        pid = h.d.json("ping")["pid"]
        for args in (["kill"], ["update"], ["ping"], ["ls"]):
            r = subprocess.run(["runuser", "-u", user.pw_name, "--", "env",
                                f"DROVER_HOME={h.home}", "NO_COLOR=1", h.d.bin, *args],
                               capture_output=True, text=True, timeout=30)
            out = r.stdout + r.stderr
            assert r.returncode != 0, f"drover {args[0]} as another user: rc 0: {out}"
            assert "no daemon running" not in out, f"drover {args[0]}: {out}"
            assert re.search(r"permission denied", out, re.I), f"drover {args[0]}: {out}"
        assert daemon_alive_pid(h.d) == pid

    def test_start_warns_when_state_cannot_be_saved(self, h, app):
        h.d.run("start", app("sleeper.sh"), "--name", "first")
        state = os.path.join(h.home, "state.json")
        os.unlink(state)
        os.mkdir(state)  # rename() onto it fails: the state cannot be saved
        try:
            r = h.d.run("start", app("sleeper.sh"), "--name", "second", check=False)
            out = r.stdout + r.stderr
            assert re.search(r"state", out, re.I) and \
                re.search(r"cannot|could not|failed|not saved|unable", out, re.I), \
                f"start reported success although state.json could not be written: {out}"
        finally:
            os.rmdir(state)

    def test_dump_temporary_files_cleaned_at_daemon_start(self, h, app):
        h.d.run("start", app("sleeper.sh"), "--name", "s1")
        h.d.run("save")
        kill9_daemon(h)
        # what a daemon killed in the middle of a save leaves behind
        leftover = os.path.join(h.home, "dump.json.tmp.99999")
        with open(leftover, "w") as f:
            f.write('{"version":1,"apps":[')
        h.d.run("ping")
        wait_until(lambda: not os.path.exists(leftover), 10, 0.1, "dump.json.tmp.* removed")
        assert h.d.proc("s1")["status"] == "online"

    @needs_root
    def test_stale_instance_cgroups_cleaned_at_daemon_start(self, h):
        procs = start_sleepers(h)
        base = drover_cgroup_base(h.home)
        if not procs[0].get("cgroup"):
            pytest.skip("cgroups are off here")
        victim = procs[0]
        kill9_daemon(h)
        os.kill(victim["sup_pid"], signal.SIGKILL)
        os.kill(victim["pid"], signal.SIGKILL)
        wait_until(lambda: not pid_alive(victim["pid"]) and not pid_alive(victim["sup_pid"]),
                   what="supervisor and app gone")
        h.d.run("ls")
        settle_all_online(h, 2)
        live = {os.path.basename(p["cgroup"]) for p in h.d.procs()}
        assert os.path.basename(victim["cgroup"]) not in live
        wait_until(lambda: not os.path.exists(victim["cgroup"]), 10, 0.1,
                   f"stale cgroup {victim['cgroup']} removed")
        left = {n for n in os.listdir(base) if os.path.isdir(os.path.join(base, n))}
        assert left == live, f"cgroup dirs {sorted(left)}, live instances use {sorted(live)}"

    @needs_root
    def test_stale_instance_cgroup_cleaned_after_supervisor_loss(self, h):
        procs = start_sleepers(h)
        if not procs[0].get("cgroup"):
            pytest.skip("cgroups are off here")
        victim = procs[0]
        os.kill(victim["sup_pid"], signal.SIGKILL)
        wait_until(lambda: (lambda q: q and q["status"] == "online" and
                            q["sup_pid"] != victim["sup_pid"])(h.d.proc(victim["id"])),
                   20, 0.1, "a new supervisor")
        # removed at once, or at the latest by the next daemon
        kill9_daemon(h)
        h.d.run("ls")
        settle_all_online(h, 2)
        wait_until(lambda: not os.path.exists(victim["cgroup"]), 10, 0.1,
                   f"stale cgroup {victim['cgroup']} removed")
