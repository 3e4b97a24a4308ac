"""Logs: what the supervisors capture (a timestamp on every line, 1 MiB
lines, a flood of a million lines through rotation, a full disk that never
blocks supervision) and what `drover logs` shows (exact tails, following
across rotation, across a daemon kill -9 and for instances started later),
plus flush and reloadLogs. Every wait is bounded; see docs/logs.md."""
import glob
import json
import os
import re
import signal
import subprocess
import threading
import time

import pytest

from conftest import pid_alive, wait_until

MARKER = b" [drover: line continues]"
FLOOD_LINE = 24  # bytes of one flood.py line with the default PAD


def log_files(path):
    """The rotated files of the log at path, oldest first, then path."""
    d, base = os.path.split(path)
    stem, ext = os.path.splitext(base)
    pat = re.compile(re.escape(stem) + r"__\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(_\d{4})?" +
                     re.escape(ext) + "$")
    rotated = sorted(f for f in os.listdir(d) if pat.match(f))
    return [os.path.join(d, f) for f in rotated] + [path]


def read_log(path):
    return b"".join(open(f, "rb").read() for f in log_files(path) if os.path.exists(f))


def log_size(path):
    return sum(os.path.getsize(f) for f in log_files(path) if os.path.exists(f))


def flood_line(n):
    return b"%07d %s\n" % (n, b"x" * 15)


def cpu_ms(pid):
    """utime + stime of pid in milliseconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 // os.sysconf("SC_CLK_TCK")


class Follower:
    """`drover logs ...` running in the background; its output lines are
    collected by a thread and waited on with a deadline."""

    def __init__(self, drover, *args):
        self.p = subprocess.Popen([drover.bin, "logs", *map(str, args)], env=drover.env,
                                  cwd=drover.tmp, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.lines = []
        self.eof = False
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for raw in self.p.stdout:
            with self.cond:
                self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.eof = True
            self.cond.notify_all()

    def wait_for(self, pred, timeout=15, what="output"):
        deadline = time.monotonic() + timeout
        with self.cond:
            while not pred(self.lines):
                left = deadline - time.monotonic()
                if left <= 0 or self.eof:
                    tail = self.lines[-5:]
                    raise AssertionError(f"follower: timed out waiting for {what} "
                                         f"({len(self.lines)} lines, last {tail!r})")
                self.cond.wait(min(left, 0.5))
            return list(self.lines)

    def stop(self):
        """SIGINT, as a user's ^C: must exit 0 having printed what it read."""
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
        rc = self.p.wait(timeout=10)
        self.thread.join(timeout=10)
        return rc

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait(timeout=10)


@pytest.fixture
def follow(drover):
    started = []

    def start(*args):
        f = Follower(drover, *args)
        started.append(f)
        return f
    yield start
    for f in started:
        f.kill()


def wait_file_has(path, data, timeout=15):
    def check():
        try:
            return data in open(path, "rb").read()
        except FileNotFoundError:
            return False
    wait_until(check, timeout, 0.02, f"{data!r} in {path}")


# --- capture ---------------------------------------------------------------

TS_DEFAULT = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d{4}: "


def test_timestamp_on_every_line_of_multiline_chunks(drover, app):
    # each chunk of 7 lines reaches the pipe in one write(2)
    drover.run("start", app("chunky.py"), "--name", "ch", "--time", env={"ERR": "1"})
    drover.run("start", app("chunky.py"), "--name", "fmt", "--time", "--log-date-format",
               "%H:%M:%S.%L")
    drover.run("start", app("chunky.py"), "--name", "pm2", "--time", "--log-date-format",
               "YYYY-MM-DD HH:mm:ss.SSS Z")  # PM2's (dayjs) tokens
    drover.run("start", app("chunky.py"), "--name", "js", "--log-type", "json")
    for name in ("ch", "fmt", "pm2", "js"):
        wait_file_has(drover.log_path(name), b"chunks done")
    wait_until(lambda: os.path.getsize(drover.log_path("ch", "error")) >= 50 * 7 * 19,
               what="stderr chunks")

    for stream in ("out", "error"):
        lines = open(drover.log_path("ch", stream), "rb").read().splitlines()
        body = [ln for ln in lines if b"chunk " in ln]
        assert len(body) == 50 * 7
        for i, ln in enumerate(body):
            c, l = divmod(i, 7)
            assert re.fullmatch(TS_DEFAULT + b"chunk %d line %d" % (c, l), ln), ln

    lines = open(drover.log_path("fmt"), "rb").read().splitlines()
    assert len(lines) == 50 * 7 + 1
    for ln in lines:
        assert re.fullmatch(rb"\d\d:\d\d:\d\d\.\d{3}: (chunk \d+ line \d|chunks done)", ln), ln

    lines = open(drover.log_path("pm2"), "rb").read().splitlines()
    assert len(lines) == 50 * 7 + 1
    for ln in lines:
        assert re.match(rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} [+-]\d\d:\d\d: chunk", ln) or \
            ln.endswith(b": chunks done"), ln

    objs = [json.loads(ln) for ln in open(drover.log_path("js"), "rb").read().splitlines()]
    assert len(objs) == 50 * 7 + 1
    js_id = drover.proc("js")["id"]
    for i, o in enumerate(objs[:-1]):
        c, l = divmod(i, 7)
        assert o["message"] == f"chunk {c} line {l}"
        assert o["type"] == "out" and o["app_name"] == "js" and o["process_id"] == js_id
        assert re.fullmatch(TS_DEFAULT.decode()[:-2], o["timestamp"])


def test_one_mib_line_intact_and_longer_split_visibly(drover, app):
    mib = 1024 * 1024
    drover.run("start", app("bigline.py"), "--name", "big", env={"SIZE": str(mib)})
    drover.run("start", app("bigline.py"), "--name", "bigger", env={"SIZE": str(mib + 1000)})
    wait_file_has(drover.log_path("big"), b"after\n")
    wait_file_has(drover.log_path("bigger"), b"after\n")

    def line(size):
        return b"BEGIN" + bytes(ord("0") + i % 10 for i in range(size - 8)) + b"END"

    whole = line(mib)
    data = open(drover.log_path("big"), "rb").read()
    assert data == whole + b"\nafter\n"

    # more than 1 MiB: a 1 MiB piece ending with the marker, then the rest
    longer = line(mib + 1000)
    data = open(drover.log_path("bigger"), "rb").read()
    assert data == longer[:mib] + MARKER + b"\n" + longer[mib:] + b"\nafter\n"

    # drover logs prints the 1 MiB line intact
    out = subprocess.run([drover.bin, "logs", "big", "--raw", "--out", "--nostream",
                          "--lines", "2"], env=drover.env, capture_output=True,
                         timeout=30).stdout
    assert out == whole + b"\nafter\n"


def test_flood_of_a_million_lines_through_rotation(drover, app, tmpdir_path):
    count = 1_000_000
    go = os.path.join(tmpdir_path, "go")
    env = {"COUNT": str(count), "GO": go, "PREGEN": "1", "BATCH": "2000"}
    drover.run("start", app("flood.py"), "--name", "fl", "--max-size", "4M", env=env)
    log = drover.log_path("fl")
    wait_file_has(log, b"ready\n", timeout=30)
    p = drover.proc("fl")
    dpid = drover.daemon_pid()
    cpu0 = (cpu_ms(dpid), cpu_ms(p["sup_pid"]))
    want = len(b"ready\n") + count * FLOOD_LINE

    t0 = time.monotonic()
    open(go, "w").close()
    wait_until(lambda: log_size(log) >= want, timeout=60, interval=0.002, what="the flood on disk")
    elapsed = time.monotonic() - t0
    cpu1 = (cpu_ms(dpid), cpu_ms(p["sup_pid"]))

    files = log_files(log)
    assert len(files) >= 6, "rotation every 4 MiB"
    data = read_log(log)
    assert data.startswith(b"ready\n")
    lines = data[6:].split(b"\n")
    assert lines[-1] == b""
    lines = lines[:-1]
    assert len(lines) == count
    for n, ln in enumerate(lines):
        if ln != b"%07d xxxxxxxxxxxxxxx" % n:
            pytest.fail(f"line {n} is {ln[:40]!r}")
    for f in files[:-1]:
        assert 4 * 1024 * 1024 <= os.path.getsize(f) < 4 * 1024 * 1024 + FLOOD_LINE

    # the same app straight into a file, for comparison
    direct = os.path.join(tmpdir_path, "direct.log")
    with open(direct, "wb") as out:
        t1 = time.monotonic()
        q = subprocess.Popen([app("flood.py")], stdout=out, stderr=subprocess.PIPE,
                             env=dict(os.environ, COUNT=str(count), PREGEN="1", BATCH="2000"))
        done = q.stderr.readline()
        q.kill()
        q.wait()
    direct_s = float(done.split()[-1])
    app_s = float(open(drover.log_path("fl", "error")).read().split()[-1])
    mb = count * FLOOD_LINE / 1e6
    print(f"\nflood: {count} lines ({mb:.0f} MB) on disk through drover in {elapsed:.3f} s "
          f"= {count / elapsed:,.0f} lines/s, {mb / elapsed:.0f} MB/s "
          f"(the app's writes took {app_s:.3f} s); straight to a file: {direct_s:.3f} s "
          f"= {count / direct_s:,.0f} lines/s, {mb / direct_s:.0f} MB/s (pregenerated output "
          f"{time.monotonic() - t1:.1f} s)")
    print(f"flood: CPU daemon {cpu1[0] - cpu0[0]} ms, supervisor {cpu1[1] - cpu0[1]} ms")
    assert cpu1[0] - cpu0[0] < 300, "the daemon is not on the log path"


def test_full_disk_never_blocks_supervision(drover, app, tiny_fs):
    mnt = tiny_fs("tiny", "256k")
    try:
        out = os.path.join(mnt, "flood-out.log")
        # about 5 MB/s, for ever
        drover.run("start", app("flood.py"), "--name", "flooder", "--output", out,
                   env={"COUNT": "0", "BATCH": "1000", "INTERVAL": "0.005"})
        drover.run("start", app("crasher.sh"), "--name", "crashy", "--restart-delay", "200",
                   "--max-restarts", "10000", env={"AFTER": "0", "CODE": "1"})

        def dropped():
            return drover.json("describe", "flooder")[0]["log_dropped"]
        d0 = wait_until(dropped, timeout=10, what="dropped bytes")

        # the other app keeps its schedule: a restart every ~200 ms
        r0 = drover.proc("crashy")["restarts"]
        t0 = time.monotonic()
        slowest = 0.0
        while time.monotonic() - t0 < 3.0:
            t = time.monotonic()
            procs = drover.procs()  # `drover ls` answers at once
            slowest = max(slowest, time.monotonic() - t)
            assert {p["name"] for p in procs} == {"flooder", "crashy"}
            time.sleep(0.1)
        window = time.monotonic() - t0
        restarts = drover.proc("crashy")["restarts"] - r0
        expected = window / 0.2
        print(f"\nfull disk: {restarts} restarts in {window:.2f} s (one per 200 ms: "
              f"{expected:.1f}), slowest ls {slowest * 1000:.0f} ms, dropped {d0} bytes")
        assert 0.6 * expected <= restarts <= expected + 1, (restarts, expected)
        assert slowest < 1.0, f"drover ls took {slowest:.2f} s"
        assert drover.proc("flooder")["status"] == "online"

        d1 = dropped()
        assert d1 > d0, "the flood is still counted"
        text = drover.run("describe", "flooder").stdout
        m = re.search(r"log bytes dropped\s+(\d+)", text)
        assert m and int(m.group(1)) >= d1
        jl = {p["name"]: p for p in json.loads(drover.run("jlist").stdout)}
        assert jl["flooder"]["pm2_env"]["drover_log_dropped_bytes"] >= d1
        assert jl["crashy"]["pm2_env"]["drover_log_dropped_bytes"] == 0

        # room again: writing resumes and says what was lost
        subprocess.run(["mount", "-o", "remount,size=64m", mnt], check=True)
        wait_file_has(out, b"bytes of output were lost (No space left on device)", timeout=10)
        size = os.path.getsize(out)
        wait_until(lambda: os.path.getsize(out) > size + 100_000, what="writing resumed")
    finally:
        drover.run("stop", "all", check=False)


# --- drover logs -------------------------------------------------------------

def test_logs_lines_exact(drover, app):
    drover.run("start", app("twostreams.py"), "--name", "five")
    wait_file_has(drover.log_path("five"), b"done\n")
    wait_file_has(drover.log_path("five", "error"), b"err 19\n")
    i = drover.proc("five")["id"]

    out = drover.run("logs", "five", "--lines", "5", "--nostream").stdout
    want = [f"{i}|five | out {n}" for n in range(16, 20)] + [f"{i}|five | done"]
    want += [f"{i}|five | err {n}" for n in range(15, 20)]
    assert out == "\n".join(want) + "\n"

    out = drover.run("logs", "five", "--lines", "5", "--nostream", "--raw").stdout
    assert out == "".join(f"out {n}\n" for n in range(16, 20)) + "done\n" + \
        "".join(f"err {n}\n" for n in range(15, 20))

    out = drover.run("logs", str(i), "--lines=2", "--nostream", "--err").stdout
    assert out == f"{i}|five | err 18\n{i}|five | err 19\n"
    out = drover.run("logs", "five", "--lines", "1", "--nostream", "--out", "--raw").stdout
    assert out == "done\n"
    assert drover.run("logs", "five", "--lines", "0", "--nostream").stdout == ""

    objs = [json.loads(ln) for ln in
            drover.run("logs", "five", "--lines", "2", "--nostream", "--json").stdout.splitlines()]
    assert objs == [
        {"app_name": "five", "process_id": i, "type": "out", "message": "out 19"},
        {"app_name": "five", "process_id": i, "type": "out", "message": "done"},
        {"app_name": "five", "process_id": i, "type": "err", "message": "err 18"},
        {"app_name": "five", "process_id": i, "type": "err", "message": "err 19"},
    ]
    objs = [json.loads(ln) for ln in drover.run("logs", "five", "--lines", "1", "--nostream",
                                                "--json", "--timestamp").stdout.splitlines()]
    assert len(objs) == 2 and all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", o["timestamp"])
                                  for o in objs)
    out = drover.run("logs", "five", "--lines", "1", "--nostream", "--out",
                     "--timestamp=YYYY [at] HH:mm").stdout
    assert re.fullmatch(rf"{i}\|five \| \d{{4}} at \d\d:\d\d: done\n", out), out

    # colours only on a terminal without NO_COLOR: never in a pipe
    out = drover.run("logs", "five", "--lines", "1", "--nostream", env={"NO_COLOR": ""}).stdout
    assert "\033[" not in out

    r = drover.run("logs", "nope", "--nostream", check=False)
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.strip() == "drover: error: process or namespace 'nope' not found"
    r = drover.run("logs", "five", "--lines", "x", check=False)
    assert r.returncode == 2


def test_logs_works_without_daemon(drover, app):
    drover.run("start", app("twostreams.py"), "--name", "nod", env={"COUNT": "3"})
    wait_file_has(drover.log_path("nod"), b"done\n")
    dpid = drover.daemon_pid()
    os.kill(dpid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(dpid), what="daemon gone")
    out = drover.run("logs", "--raw", "--out", "--nostream").stdout
    assert out == "out 0\nout 1\nout 2\ndone\n"
    assert drover.daemon_pid() == dpid, "drover logs started a daemon"


@pytest.mark.parametrize("count,batch,interval", [
    (30000, 100, 0.001),  # a rotation every ~90 ms
    (200000, 2000, 0),    # as fast as it goes: several rotations between two reads
])
def test_follow_across_rotation(drover, app, tmpdir_path, follow, count, batch, interval):
    go = os.path.join(tmpdir_path, "go")
    drover.run("start", app("flood.py"), "--name", "rot", "--max-size", "64K",
               env={"COUNT": str(count), "GO": go, "BATCH": str(batch),
                    "INTERVAL": str(interval)})
    wait_file_has(drover.log_path("rot"), b"ready\n")
    f = follow("rot", "--raw", "--out", "--lines", "1000000")
    f.wait_for(lambda ls: ls == ["ready"], what="the tail")
    open(go, "w").close()
    lines = f.wait_for(lambda ls: len(ls) >= count + 1, timeout=30, what=f"{count} lines")
    assert f.stop() == 0
    want = ["ready"] + [flood_line(n).decode().rstrip("\n") for n in range(count)]
    assert len(f.lines) == count + 1
    if f.lines != want:
        bad = next(k for k in range(len(want)) if f.lines[k] != want[k])
        pytest.fail(f"line {bad}: {f.lines[bad]!r} instead of {want[bad]!r}")
    assert len(log_files(drover.log_path("rot"))) >= 8, "the follower saw several rotations"
    assert lines


def test_follow_across_daemon_kill_and_later_instances(drover, app, follow):
    drover.run("start", app("counter.py"), "--name", "cnt", env={"INTERVAL": "0.005"})
    cnt_id = drover.proc("cnt")["id"]
    f = follow("--lines", "3")
    prefix = f"{cnt_id}|cnt | "
    f.wait_for(lambda ls: len(ls) >= 20, what="counter lines")

    for _ in range(2):
        dpid = drover.daemon_pid()
        os.kill(dpid, signal.SIGKILL)
        wait_until(lambda: not pid_alive(dpid), what="daemon gone")
        seen = len(f.lines)
        f.wait_for(lambda ls: len(ls) >= seen + 40, what="lines while the daemon is down")
        drover.run("ping")  # a new daemon re-adopts

    # an app started later is picked up (target: all)
    drover.run("start", app("twostreams.py"), "--name", "late", env={"COUNT": "3"})
    late_id = drover.proc("late")["id"]
    lp = f"{late_id}|late | "
    f.wait_for(lambda ls: f"{lp}done" in ls and f"{lp}err 2" in ls, what="the later app")
    seen = len(f.lines)
    f.wait_for(lambda ls: len(ls) >= seen + 20, what="more counter lines")
    assert f.stop() == 0

    late = [ln[len(lp):] for ln in f.lines if ln.startswith(lp)]
    assert [ln for ln in late if ln.startswith("out") or ln == "done"] == \
        ["out 0", "out 1", "out 2", "done"]
    assert [ln for ln in late if ln.startswith("err")] == ["err 0", "err 1", "err 2"]
    nums = []
    for ln in f.lines:
        if ln.startswith(prefix):
            pid, n = ln[len(prefix):].split()
            nums.append(int(n))
        else:
            assert ln.startswith(lp), ln
    assert nums == list(range(nums[0], nums[0] + len(nums))), "gap or duplicate"
    assert len(nums) >= 120


def test_follow_exits_on_closed_pipe(drover, app):
    drover.run("start", app("counter.py"), "--name", "pipe", env={"INTERVAL": "0.01"})
    wait_until(lambda: os.path.getsize(drover.log_path("pipe")) > 0, what="output")
    p = subprocess.Popen([drover.bin, "logs", "pipe", "--raw", "--lines", "1"], env=drover.env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.readline()
    p.stdout.close()  # like `| head -1`
    assert p.wait(timeout=10) == 0
    assert p.stderr.read() == b""


def test_flush_empties_files(drover, app):
    drover.run("start", app("twostreams.py"), "--name", "fa")
    drover.run("start", app("twostreams.py"), "--name", "fb")
    for name in ("fa", "fb"):
        wait_file_has(drover.log_path(name), b"done\n")
        wait_file_has(drover.log_path(name, "error"), b"err 19\n")
    out = drover.run("flush", "fa").stdout
    assert "1 instance" in out
    assert os.path.getsize(drover.log_path("fa")) == 0
    assert os.path.getsize(drover.log_path("fa", "error")) == 0
    assert os.path.getsize(drover.log_path("fb")) > 0
    drover.run("flush")
    assert os.path.getsize(drover.log_path("fb")) == 0
    assert drover.run("logs", "--nostream").stdout == ""


def test_reload_logs_after_external_move(drover, app):
    drover.run("start", app("counter.py"), "--name", "mv", env={"INTERVAL": "0.005"})
    log = drover.log_path("mv")
    wait_until(lambda: os.path.getsize(log) > 200, what="output")

    moved = []
    for how in ("reloadLogs", "SIGUSR1"):
        dest = f"{log}.{len(moved) + 1}"
        os.rename(log, dest)  # what logrotate does before its postrotate
        moved.append(dest)
        if how == "reloadLogs":
            assert "reopened the log files of 1 instance" in drover.run("reloadLogs").stdout
        else:
            os.kill(drover.daemon_pid(), signal.SIGUSR1)
        wait_until(lambda: os.path.exists(log) and os.path.getsize(log) > 100,
                   what=f"a new file after {how}")

    drover.run("stop", "mv")
    data = b"".join(open(f, "rb").read() for f in moved + [log])
    nums = [int(ln.split()[1]) for ln in data.splitlines()]
    assert nums == list(range(len(nums))), "gap or duplicate across the moves"
