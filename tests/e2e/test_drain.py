"""Drain before stop (docs/architecture.md, "Draining"): before an instance
gets its stop signal (reload, scale down, stop) it takes no new connection
and the requests it accepted finish, so an app that dies at once on SIGINT
(node's default: ABRUPT=1 installs no handler) loses nothing. Real node
workers, real load on loopback, bounded in time and count."""
import os
import socket
import time

from conftest import wait_until
from loadgen import KeepAliveLoad, Load, ask, free_port


def start_abrupt(drover, app, name, port, *extra, instances=2):
    drover.run("start", app("http_node.js"), "-i", str(instances), "--name", name,
               "--env", f"PORT={port}", "--env", "ABRUPT=1", *extra)
    wait_until(lambda: len([p for p in drover.procs() if p["status"] == "online"]) == instances,
               20, what=f"{instances} online instances")


def reload_rounds(drover, name, rounds):
    for _ in range(rounds):
        before = {p["pid"] for p in drover.procs()}
        drover.run("reload", name)
        after = drover.procs()
        assert {p["status"] for p in after} == {"online"}
        assert not ({p["pid"] for p in after} & before), "an instance was not replaced"


def notes(drover, name):
    """What the supervisors wrote into the app's error logs."""
    out = ""
    for p in drover.procs():
        try:
            out += open(drover.log_path(name, "error", p["id"])).read()
        except FileNotFoundError:
            pass
    return out


def test_abrupt_app_reloads_without_loss_new_connection_per_request(drover, app):
    port = free_port()
    start_abrupt(drover, app, "ab", port)
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    reload_rounds(drover, "ab", 10)
    time.sleep(0.5)
    load.stop()
    print("abrupt app, 10 reloads, Connection: close:", load.report())
    assert load.errors == [], load.report()
    assert load.served > 500
    assert all(p["restarts"] == 10 for p in drover.procs())


def test_abrupt_app_reloads_without_loss_keep_alive_clients(drover, app):
    port = free_port()
    start_abrupt(drover, app, "ka", port)
    load = KeepAliveLoad(port, threads=8, pause=0.01).start()
    time.sleep(0.5)
    t0 = time.monotonic()
    reload_rounds(drover, "ka", 10)
    took = time.monotonic() - t0
    time.sleep(0.5)
    load.stop()
    print(f"abrupt app, 10 reloads, keep-alive clients ({took:.1f} s):", load.report())
    assert load.errors == [], load.report()
    assert load.served > 500
    # idle keep-alive connections were closed at a request boundary: no
    # drain ran into drain_timeout (5 s) waiting for clients to hang up
    assert "after drain_timeout" not in notes(drover, "ka")


def test_abrupt_app_scale_down_and_stop_under_load(drover, app):
    port = free_port()
    start_abrupt(drover, app, "sc", port, instances=4)
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    drover.run("scale", "sc", "2")
    assert [p["id"] for p in drover.procs()] == [0, 1]
    time.sleep(0.5)
    drover.run("stop", "1")
    time.sleep(0.5)
    load.stop()
    print("abrupt app, scale 4 -> 2, stop 1:", load.report())
    assert load.errors == [], load.report()


def ask_slow(port, box):
    """A request whose answer goes to box["answer"]."""
    box["answer"] = ask(port, timeout=20)


def holds_connection(pid, port):
    """True when process pid holds an established TCP connection on local
    port (it accepted a client): its socket inodes against /proc/net/tcp*."""
    inodes = set()
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if link.startswith("socket:["):
                inodes.add(link[8:-1])
    except OSError:
        return False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "01" and int(cols[1].rsplit(":", 1)[1], 16) == port and \
                        cols[9] in inodes:
                    return True
    return False


def test_request_in_flight_finishes_before_the_stop_signal(drover, app):
    """A slow request accepted by the old worker gets its answer from it,
    although the worker dies at once on SIGINT: the signal waits for it."""
    import threading
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "slow", "--env", f"PORT={port}",
               "--env", "ABRUPT=1", "--env", "DELAY_MS=2000")
    old = drover.wait_status("slow", "online")["pid"]
    box = {}
    t = threading.Thread(target=ask_slow, args=(port, box))
    t.start()
    wait_until(lambda: holds_connection(old, port), 5, what="the old worker to accept it")
    drover.run("restart", "slow")
    t.join(30)
    head, _, body = box["answer"].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200"), box["answer"][:80]
    assert int(body) == old
    assert drover.proc("slow")["pid"] != old


def test_drain_timeout_bounds_the_wait(drover, app):
    """A client that never finishes its request holds the drain only for
    drain_timeout; then the stop signal goes, and the log says why."""
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "stuck", "--env", f"PORT={port}",
               "--env", "ABRUPT=1", "--drain-timeout", "1s")
    old = drover.wait_status("stuck", "online")["pid"]
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")  # never ends its headers
    wait_until(lambda: holds_connection(old, port), 5, what="the worker to accept it")
    t0 = time.monotonic()
    drover.run("restart", "stuck")
    took = time.monotonic() - t0
    s.close()
    assert drover.proc("stuck")["pid"] != old
    assert took >= 0.9, f"the restart did not wait for the open connection ({took:.2f} s)"
    wait_until(lambda: "after drain_timeout" in notes(drover, "stuck"), 5,
               what="the drain_timeout note")


def test_drain_timeout_zero_signals_at_once(drover, app):
    """drain_timeout 0 turns the drain off: the in-flight request of an
    abrupt app is cut, as with any manager that does not drain."""
    import threading
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "nodrain", "--env", f"PORT={port}",
               "--env", "ABRUPT=1", "--env", "DELAY_MS=3000", "--drain-timeout", "0")
    old = drover.wait_status("nodrain", "online")["pid"]
    box = {}
    t = threading.Thread(target=ask_slow, args=(port, box))
    t.start()
    wait_until(lambda: holds_connection(old, port), 5, what="the worker to accept it")
    drover.run("restart", "nodrain")
    t.join(30)
    assert not box["answer"].startswith(b"HTTP/1.1 200")
