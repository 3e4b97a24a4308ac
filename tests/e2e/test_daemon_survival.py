"""The daemon is only a controller: killing it (or replacing its binary)
must not stop, restart, duplicate or silence any app, and a new daemon
re-adopts everything. Also: the control socket's defences."""
import json
import os
import pwd
import signal
import socket
import stat
import struct
import subprocess
import time

import pytest

from conftest import BUILD, pid_alive, procs_holding, wait_until


def daemon_pids(home):
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if open(f"/proc/{entry}/comm").read().strip() != "droverd":
                continue
            env = open(f"/proc/{entry}/environ", "rb").read().split(b"\0")
            if f"DROVER_HOME={home}".encode() in env and pid_alive(int(entry)):
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def read_counter_log(path):
    """Returns [(pid, n)] parsed from counter.py output."""
    out = []
    for line in open(path).read().splitlines():
        pid, n = line.split()
        out.append((int(pid), int(n)))
    return out


def test_kill9_daemon_loses_nothing(drover, app):
    drover.run("start", app("counter.py"), "--name", "cnt", env={"INTERVAL": "0.002"})
    drover.run("start", app("sleeper.sh"), "--name", "other")
    drover.run("restart", "other")
    before = {p["name"]: p for p in drover.procs()}
    log = drover.log_path("cnt")
    wait_until(lambda: os.path.getsize(log) > 1000, what="counter output")

    for _ in range(3):
        os.kill(drover.daemon_pid(), signal.SIGKILL)
        time.sleep(0.3)  # the apps run on, their output keeps flowing
        drover.run("ping")  # brings a new daemon back

    after = {p["name"]: p for p in drover.procs()}
    for name in ("cnt", "other"):
        assert after[name]["id"] == before[name]["id"]
        assert after[name]["pid"] == before[name]["pid"], "app was restarted"
        assert after[name]["restarts"] == before[name]["restarts"]
        assert after[name]["status"] == "online"
        assert after[name]["uptime_ms"] >= before[name]["uptime_ms"]
    assert after["other"]["restarts"] == 1
    assert len(daemon_pids(drover.home)) == 1
    # the supervisor's counters survived too: nothing was dropped
    assert drover.json("describe", "cnt")[0]["log_dropped"] == 0
    jl = {p["name"]: p for p in json.loads(drover.run("jlist").stdout)}
    assert jl["cnt"]["pm2_env"]["drover_log_dropped_bytes"] == 0
    assert drover.json("describe", "cnt")[0]["log_lines"] > 100

    time.sleep(0.2)
    drover.run("stop", "cnt")
    lines = read_counter_log(log)
    assert {pid for pid, _ in lines} == {before["cnt"]["pid"]}, "a second counter ran"
    ns = [n for _, n in lines]
    assert ns == list(range(len(ns))), "gap or duplicate in the log"
    assert len(ns) > 500


def test_app_crashing_while_daemon_down_is_restarted(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    pid = drover.proc("sl")["pid"]
    dpid = drover.daemon_pid()
    os.kill(dpid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(dpid), what="daemon gone")
    os.kill(pid, signal.SIGKILL)
    # the supervisor restarts it on its own, no daemon needed
    def restarted():
        try:
            for line in open(drover.log_path("sl")):
                if "sleeper started pid" in line and int(line.split()[-1]) != pid:
                    return True
        except OSError:
            pass
        return False
    wait_until(restarted, timeout=10, what="restart without a daemon")
    p = drover.proc("sl")  # a new daemon comes up and re-adopts
    assert p["status"] == "online" and p["pid"] != pid and p["restarts"] == 1


def test_update_replaces_daemon_apps_keep_running(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    before = drover.proc("sl")
    old = drover.daemon_pid()
    out = drover.run("update").stdout
    assert "apps kept running" in out
    new = drover.daemon_pid()
    assert new != old and not pid_alive(old)
    after = drover.proc("sl")
    assert after["pid"] == before["pid"] and after["restarts"] == 0


def test_supervisor_killed_is_replaced(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    p = drover.proc("sl")
    os.kill(p["sup_pid"], signal.SIGKILL)
    wait_until(lambda: not pid_alive(p["pid"]), what="orphaned app killed")
    q = wait_until(lambda: (lambda x: x if x and x["status"] == "online" and
                            x["pid"] != p["pid"] else None)(drover.proc("sl")),
                   timeout=15, what="instance back online")
    assert q["sup_pid"] != p["sup_pid"] and q["restarts"] == 1


def test_supervisors_lost_in_a_row_come_back_slower(drover, app):
    """A supervisor that keeps dying is not respawned in a loop: 1 s after
    the first loss, then 2 s, then 4 s (lower bounds: a slow machine only
    makes them longer)."""
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    waited = []
    for _ in range(3):
        p = drover.wait_status("sl", "online")
        os.kill(p["sup_pid"], signal.SIGKILL)
        t = time.monotonic()
        wait_until(lambda: drover.proc("sl")["sup_pid"] not in (0, p["sup_pid"]), 30, 0.05,
                   what="a new supervisor")
        waited.append(time.monotonic() - t)
    assert waited[0] >= 0.9 and waited[1] >= 1.9 and waited[2] >= 3.9, waited
    assert drover.wait_status("sl", "online")["restarts"] == 3


def test_supervisor_lost_while_daemon_down(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    p = drover.proc("sl")
    os.kill(drover.daemon_pid(), signal.SIGKILL)
    os.kill(p["sup_pid"], signal.SIGKILL)
    os.kill(p["pid"], signal.SIGKILL)
    wait_until(lambda: not pid_alive(p["sup_pid"]), what="supervisor gone")
    q = drover.proc("sl")  # new daemon: state.json says it should run
    assert q["id"] == p["id"]
    q = drover.wait_status("sl", "online")
    assert q["pid"] != p["pid"]


def frame(payload, version=1, n_fds=0):
    return b"DR" + bytes([version, n_fds]) + struct.pack("<I", len(payload)) + payload


def raw_request(path, data, timeout=5):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    s.sendall(data)
    chunks = []
    try:
        while True:
            c = s.recv(65536)
            if not c:
                break
            chunks.append(c)
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return b"".join(chunks)


def test_malformed_and_oversized_messages_are_rejected(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "sl")
    pid = drover.daemon_pid()
    sock = os.path.join(drover.home, "run", "daemon.sock")
    # garbage, bad magic
    raw_request(sock, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    # unsupported version
    raw_request(sock, frame(b'{"cmd":"list"}', version=9))
    # oversized: the header announces 64 MiB
    raw_request(sock, b"DR\x01\x00" + struct.pack("<I", 64 << 20) + b"x" * 1000)
    # valid frame, invalid JSON / missing cmd / unknown cmd: error replies
    for payload, msg in ((b"{not json", b"malformed"), (b'{"x":1}', b"missing"),
                         (b'{"cmd":"nope"}', b"unknown command")):
        reply = raw_request(sock, frame(payload))
        assert msg in reply, reply
    # half a frame, then hang up
    raw_request(sock, frame(b'{"cmd":"list"}')[:5])
    assert drover.daemon_pid() == pid and pid_alive(pid)
    assert drover.proc("sl")["status"] == "online"
    assert drover.run("ping").returncode == 0


def test_socket_permissions_and_peer_check(drover, app):
    drover.run("ping")
    run = os.path.join(drover.home, "run")
    sock = os.path.join(run, "daemon.sock")
    assert stat.S_IMODE(os.stat(run).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.join(run, "sup")).st_mode) == 0o700
    # open the path up on purpose: the daemon still refuses another uid
    nobody = pwd.getpwnam("nobody")
    os.chmod(drover.tmp, 0o755)
    os.chmod(drover.home, 0o755)
    os.chmod(run, 0o755)
    os.chmod(sock, 0o666)
    # the daemon closes the connection at once: the client sees EOF, or a
    # reset/broken pipe if it was still writing
    code = ("import socket,struct,sys\n"
            "s=socket.socket(socket.AF_UNIX);s.settimeout(5);s.connect(sys.argv[1])\n"
            "p=b'{\"cmd\":\"ping\"}'\n"
            "try:\n"
            "  s.sendall(b'DR\\x01\\x00'+struct.pack('<I',len(p))+p)\n"
            "  print(repr(s.recv(100)))\n"
            "except (BrokenPipeError, ConnectionResetError) as e:\n"
            "  print('closed', type(e).__name__)\n")
    r = subprocess.run(["/usr/bin/python3", "-c", code, sock], capture_output=True, text=True,
                       user=nobody.pw_uid, group=nobody.pw_gid, timeout=10)
    assert r.returncode == 0, r.stderr
    assert "pong" not in r.stdout
    assert r.stdout.strip() == "b''" or r.stdout.startswith("closed"), r.stdout


def test_two_clis_racing_to_start_the_daemon(drover):
    procs = [subprocess.Popen([drover.bin, "ping", "--json"], env=drover.env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(8)]
    pids = set()
    for p in procs:
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        pids.add(json.loads(out)["pid"])
    assert len(pids) == 1
    assert daemon_pids(drover.home) == [pids.pop()]
