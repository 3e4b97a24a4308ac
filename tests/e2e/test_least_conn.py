"""balancing least_conn (README, "Balancing"): each new connection goes to
the instance slot whose runs hold the fewest open connections, counted by
the shim in the app's processes and read by the kernel's program on the
SO_REUSEPORT group when the connection arrives. Held connections give
exact answers: 20 held over 4 workers are 5 each; a worker whose
connections closed takes the next ones; a restarted or reloaded worker
starts from 0. Needs a root daemon (eBPF)."""
import collections
import os
import signal
import socket

import pytest

from conftest import wait_until
from loadgen import free_port

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="least_conn needs a root daemon (CAP_BPF, CAP_NET_ADMIN)")


def start(drover, script, name, port, n=4, extra=()):
    drover.run("start", script, "-i", str(n), "--name", name, "--balancing", "least_conn",
               "--env", f"PORT={port}", *extra)
    wait_until(lambda: len([p for p in drover.procs()
                            if p["name"] == name and p["status"] == "online"]) == n, 30,
               what=f"{n} online instances")
    # the port answers before the counting starts
    wait_until(lambda: pid_of(port) > 0, 20, what="an answer")


def read_head_and_pid(s):
    data = b""
    while True:
        chunk = s.recv(4096)
        if not chunk:
            raise AssertionError(f"closed before the pid: {data!r}")
        data += chunk
        head, sep, body = data.partition(b"\r\n\r\n")
        if not sep:
            continue
        # node sends a chunk ("5\r\n4242\n\r\n"), Python the line itself
        lines = [l for l in body.split(b"\r\n") if l.strip()]
        want = 2 if b"chunked" in head.lower() else 1
        if len(lines) >= want and lines[want - 1].endswith(b"\n"):
            return int(lines[want - 1])


def hold(port):
    """A new connection held open by the app; (pid answering, socket)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\n")
    return read_head_and_pid(s), s


def pid_of(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    try:
        return read_head_and_pid(s)
    finally:
        s.close()


def wait_count(drover, name, pid, n):
    """The daemon's view of a worker's open connections (describe)."""
    def ok():
        for p in drover.procs():
            if p["name"] == name and p["pid"] == pid:
                return (p.get("connections") or {}).get("open") == n
        return False
    wait_until(ok, 20, what=f"worker {pid} holding {n} connections")


@pytest.mark.parametrize("script", ["hold_node.js", "hold_py.py"])
def test_new_connections_go_to_the_least_loaded_worker(drover, app, script):
    port = free_port()
    start(drover, app(script), "lc", port)
    held = [hold(port) for _ in range(20)]
    per_pid = collections.Counter(pid for pid, _ in held)
    assert sorted(per_pid.values()) == [5, 5, 5, 5], per_pid

    # one worker's clients leave: it has 0, the others 5; the next 5 are its
    victim = held[0][0]
    for pid, s in held:
        if pid == victim:
            s.close()
    held = [(pid, s) for pid, s in held if pid != victim]
    wait_count(drover, "lc", victim, 0)
    more = [hold(port) for _ in range(5)]
    assert collections.Counter(pid for pid, _ in more) == {victim: 5}, more
    held += more

    # short requests between: each closes, so the balance holds
    for _ in range(20):
        pid_of(port)
    more = [hold(port) for _ in range(4)]
    assert sorted(collections.Counter(pid for pid, _ in more).values()) == [1, 1, 1, 1], more
    for _, s in held + more:
        s.close()


def test_a_restarted_or_reloaded_worker_starts_from_zero(drover, app):
    port = free_port()
    start(drover, app("hold_node.js"), "lc", port, n=2)
    held = [hold(port) for _ in range(6)]
    assert sorted(collections.Counter(p for p, _ in held).values()) == [3, 3]

    # a worker killed with its 3 connections: the new run counts from 0 and
    # takes the next 3 (the dead run's count is not carried)
    victim = held[0][0]
    os.kill(victim, signal.SIGKILL)
    wait_until(lambda: victim not in {p["pid"] for p in drover.procs()}
               and all(p["status"] == "online" for p in drover.procs()), 20,
               what="the killed worker back")
    for pid, s in held:
        if pid == victim:
            s.close()
    held = [(p, s) for p, s in held if p != victim]
    new_pid = ({p["pid"] for p in drover.procs()} - {p for p, _ in held}).pop()
    more = [hold(port) for _ in range(3)]
    assert collections.Counter(p for p, _ in more) == {new_pid: 3}, more
    held += more

    # a reload: the old workers drain (their 3 connections each stay, held
    # by the old runs), the new ones count from 0 and share what comes
    for _, s in held:
        s.close()
    drover.run("reload", "lc")
    pids = {p["pid"] for p in drover.procs()}
    more = [hold(port) for _ in range(8)]
    got = collections.Counter(p for p, _ in more)
    assert set(got) == pids and sorted(got.values()) == [4, 4], got
    for _, s in more:
        s.close()


def test_a_new_daemon_keeps_counting_where_the_old_one_left(drover, app):
    """The daemon dies (SIGKILL) while 8 connections are held: the workers
    run on; the new daemon takes the counts map back from their
    supervisors, so its program weighs what they hold, before and after a
    scale down."""
    port = free_port()
    start(drover, app("hold_node.js"), "lc", port)
    held = [hold(port) for _ in range(8)]
    assert sorted(collections.Counter(p for p, _ in held).values()) == [2, 2, 2, 2]
    old = drover.daemon_pid()
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: drover.run("ping", check=False).returncode == 0
               and drover.daemon_pid() != old, 20, what="a new daemon")
    wait_until(lambda: all(p["status"] == "online" for p in drover.procs()), 20,
               what="the workers re-adopted")
    # the 2 workers holding the fewest (after two clients leave) take the next
    gone = held[0][0]
    for pid, s in [h for h in held if h[0] == gone]:
        s.close()
    held = [h for h in held if h[0] != gone]
    wait_count(drover, "lc", gone, 0)
    more = [hold(port) for _ in range(2)]
    assert collections.Counter(p for p, _ in more) == {gone: 2}, more
    drover.run("scale", "lc", "2")
    wait_until(lambda: len(drover.procs()) == 2, 20, what="2 instances")
    for _, s in held + more:
        s.close()
    more = [hold(port) for _ in range(6)]
    assert sorted(collections.Counter(p for p, _ in more).values()) == [3, 3], more
    for _, s in more:
        s.close()
