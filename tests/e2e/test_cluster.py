"""Cluster mode for any program: one port, N instances, zero-downtime
reload and scaling, readiness, privilege separation. Loopback only; every
load run is bounded in time."""
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

from conftest import pid_alive, wait_until
from loadgen import Load, free_port, get_pid


def serving_pids(port, n=60):
    pids = set()
    for _ in range(n):
        pids.add(get_pid(port))
    return pids


def under_load(port, seconds, threads=8):
    load = Load(port, threads=threads).start()
    time.sleep(seconds)
    return load


def test_unmodified_node_app_in_cluster_every_instance_serves(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}")
    procs = drover.procs()
    assert [p["status"] for p in procs] == ["online", "online"]
    assert {p["mode"] for p in procs} == {"cluster"}
    load = under_load(port, 2.0)
    load.stop()
    print(load.report())
    assert load.errors == []
    assert set(load.by_pid) == {p["pid"] for p in procs}, load.report()


def test_unmodified_python_app_gets_its_own_family(drover, app):
    port = free_port()
    drover.run("start", app("http_py.py"), "-i", "2", "--name", "py", "--env", f"PORT={port}")
    load = under_load(port, 2.0, threads=4)
    load.stop()
    print(load.report())
    assert load.errors == []
    assert len(load.by_pid) == 2, load.report()
    logs = "".join(open(drover.log_path("py", "out", p["id"])).read() for p in drover.procs())
    assert "family AF_INET" in logs
    assert "client 127.0.0.1 " in logs  # an AF_INET6 socket would garble this


def test_listen_fds_app_and_fdnames(drover, app):
    port = free_port()
    drover.run("start", app("listen_fds.py"), "-i", "2", "--name", "lfd", "--listen",
               f"127.0.0.1:{port}")
    assert {p["status"] for p in drover.procs()} == {"online"}
    assert len(serving_pids(port)) >= 1
    out = open(drover.log_path("lfd", "out", 0)).read()
    # systemd's separator is ":": names hold none
    assert f"names tcp_127.0.0.1_{port}\n" in out or f"names tcp_127.0.0.1_{port} " in out, out
    assert "family AF_INET" in out


def test_static_binary_without_the_contract_fails_loudly(drover, app, tmpdir_path):
    cc = shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler")
    binary = os.path.join(tmpdir_path, "static_bind")
    r = subprocess.run([cc, "-static", "-O1", "-o", binary, app("static_bind.c")],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot link a static binary: {r.stderr[:200]}")
    port = free_port()
    res = drover.run("start", binary, "--name", "st", "--listen", f"127.0.0.1:{port}",
                     "--max-restarts", "2", "--env", f"PORT={port}", check=False)
    wait_until(lambda: drover.proc("st")["status"] in ("errored", "launching") and
               "Address already in use" in open(drover.log_path("st", "error")).read(),
               timeout=20, what="a loud failure")
    assert "Address already in use" in open(drover.log_path("st", "error")).read()
    p = drover.proc("st")
    assert p["status"] != "online"
    assert res.returncode != 0 or p["status"] in ("errored", "launching")


def test_rolling_reloads_under_load_lose_nothing(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}",
               "--kill-timeout", "3000")
    load = Load(port, threads=8).start()
    seen = set()
    for _ in range(10):
        before = {p["pid"] for p in drover.procs()}
        drover.run("reload", "web")
        after = drover.procs()
        assert {p["status"] for p in after} == {"online"}
        assert not ({p["pid"] for p in after} & before), "an instance was not replaced"
        seen |= before
    time.sleep(0.5)
    load.stop()
    print("10 reloads:", load.report())
    assert load.errors == [], load.report()
    assert load.served > 500
    ids = [p["id"] for p in drover.procs()]
    assert ids == [0, 1], "instance ids changed across reloads"
    assert all(p["restarts"] == 10 for p in drover.procs())


def test_scale_up_and_down_under_load(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}")
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    drover.run("scale", "web", "+2")
    assert len(drover.procs()) == 4
    time.sleep(1.0)
    drover.run("scale", "web", "-2")
    procs = drover.procs()
    assert [p["id"] for p in procs] == [0, 1]
    time.sleep(0.5)
    load.stop()
    print("scale +2/-2:", load.report())
    assert load.errors == [], load.report()
    assert len(load.by_pid) >= 3, "the added instances never served"
    assert drover.run("scale", "web", "0", check=False).returncode != 0


def test_replacement_that_never_gets_ready_aborts_the_reload(drover, app, tmpdir_path):
    port = free_port()
    broken = os.path.join(tmpdir_path, "broken")
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}",
               "--env", f"NEVER_READY_FILE={broken}", "--listen-timeout", "1500")
    before = {p["pid"] for p in drover.procs()}
    open(broken, "w").close()
    load = Load(port, threads=4).start()
    r = drover.run("reload", "web", check=False)
    load.stop()
    assert r.returncode != 0
    assert "aborted" in r.stderr and "old instance keeps serving" in r.stderr
    after = drover.procs()
    assert {p["pid"] for p in after} == before
    assert {p["status"] for p in after} == {"online"}
    assert load.errors == [], load.report()
    assert set(load.by_pid) <= before


def test_kill9_of_a_worker_under_load(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}")
    victim = drover.procs()[0]
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    os.kill(victim["pid"], signal.SIGKILL)
    wait_until(lambda: (lambda p: p["status"] == "online" and p["pid"] != victim["pid"])(
        drover.proc(victim["id"])), timeout=15, what="replacement online")
    time.sleep(1.0)
    load.stop()
    print("kill -9 of a worker:", load.report())
    new_pid = drover.proc(victim["id"])["pid"]
    assert load.by_pid[new_pid] > 0, "the replacement never served"
    # only requests the killed worker had already accepted may fail
    assert len(load.errors) <= 8, load.report()
    assert not any("Refused" in e for e in load.errors), load.report()


def test_daemon_kill9_under_load_refuses_nothing(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}")
    pids = {p["pid"] for p in drover.procs()}
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    os.kill(drover.daemon_pid(), signal.SIGKILL)
    time.sleep(1.5)
    load.stop()
    print("daemon kill -9:", load.report())
    assert load.errors == [], load.report()
    assert set(load.by_pid) == pids
    assert {p["pid"] for p in drover.procs()} == pids  # re-adopted, not restarted


def test_crashed_worker_queue_keeps_connections(drover, app):
    """With one instance killed, connections wait in the shared backlog for
    the replacement instead of being refused."""
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "solo", "--env",
               f"PORT={port}", "--restart-delay", "500")
    pid = drover.proc("solo")["pid"]
    os.kill(pid, signal.SIGKILL)
    t0 = time.monotonic()
    new_pid = get_pid(port, timeout=10)  # queued until the replacement accepts
    assert new_pid != pid and time.monotonic() - t0 >= 0.3


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_root_daemon_binds_privileged_port_workers_run_as_user(drover, app, request):
    nobody = pwd.getpwnam("nobody")
    port = None
    for cand in range(700, 1000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", cand))
            port = cand
            break
        except OSError:
            continue
        finally:
            s.close()
    assert port
    # the checkout may sit where nobody cannot read (a home directory)
    public = tempfile.mkdtemp(prefix="drover-public-")
    request.addfinalizer(lambda: shutil.rmtree(public, ignore_errors=True))
    os.chmod(public, 0o755)
    script = os.path.join(public, "http_node.js")
    shutil.copy(app("http_node.js"), script)
    os.chmod(script, 0o644)
    drover.run("start", script, "-i", "2", "--name", "priv", "--user", "nobody",
               "--listen", f"127.0.0.1:{port}", "--env", f"PORT={port}", "--env",
               "HOST=127.0.0.1")
    procs = drover.procs()
    assert {p["status"] for p in procs} == {"online"}
    for p in procs:
        status = dict(l.split(":", 1) for l in open(f"/proc/{p['pid']}/status").read().splitlines()
                      if ":" in l)
        uids = status["Uid"].split()
        assert all(int(u) == nobody.pw_uid for u in uids), status["Uid"]
    assert serving_pids(port) <= {p["pid"] for p in procs}


def test_server_that_never_listens_fails_the_start(drover, app, tmpdir_path):
    # a cluster app with a PORT is expected to serve: start waits for it to
    # listen and says so when it does not; the instance itself is online (PM2)
    port = free_port()
    broken = os.path.join(tmpdir_path, "broken")
    open(broken, "w").close()
    r = drover.run("start", app("http_node.js"), "-i", "1", "--name", "never", "--env",
                   f"PORT={port}", "--env", f"NEVER_READY_FILE={broken}", "--listen-timeout",
                   "1000", check=False)
    assert r.returncode != 0
    assert "did not listen within listen_timeout" in r.stderr, r.stderr
    p = drover.json("describe", "never")[0]
    assert p["status"] == "online" and p["serving"] is False, p


def test_worker_that_never_listens_is_online_at_once(drover, app):
    # a queue consumer run with -i: online as soon as it runs (PM2), and a
    # reload replaces it without waiting for a listen() that never comes
    t0 = time.monotonic()
    drover.run("start", app("sleeper.sh"), "-i", "2", "--name", "worker")
    assert time.monotonic() - t0 < 5
    procs = [p for p in drover.procs() if p["name"] == "worker"]
    assert [p["status"] for p in procs] == ["online", "online"]
    old = {p["pid"] for p in procs}
    drover.run("reload", "worker")
    new = {p["pid"] for p in drover.procs() if p["name"] == "worker"}
    assert new and not (new & old)


def test_configured_listen_that_is_never_served_is_errored(drover, app, tmpdir_path):
    # sockets handed over with LISTEN_FDS: online only once served
    port = free_port()
    r = drover.run("start", app("sleeper.sh"), "--name", "deaf", "--listen", str(port),
                   "--listen-timeout", "1000", check=False)
    assert r.returncode != 0
    p = drover.proc("deaf")
    assert p["status"] == "errored", p
    assert "listen_timeout" in drover.json("describe", "deaf")[0]["reason"]


def test_wait_ready_node_ipc(drover, app):
    port = free_port()
    t0 = time.monotonic()
    drover.run("start", app("ipc_ready.js"), "--name", "ipc", "--wait-ready", "--env",
               f"PORT={port}", "--env", "READY_AFTER_MS=1000", "--listen-timeout", "5000")
    assert time.monotonic() - t0 >= 0.9, "online before process.send('ready')"
    assert drover.proc("ipc")["status"] == "online"
    d = drover.json("describe", "ipc")[0]
    assert any("hello" in m for m in d.get("ipc_messages", [])), d.get("ipc_messages")


def test_shutdown_with_message(drover, app):
    port = free_port()
    drover.run("start", app("ipc_ready.js"), "--name", "sh", "--shutdown-with-message", "--env",
               f"PORT={port}", "--env", "READY_AFTER_MS=0")
    drover.run("stop", "sh")
    out = open(drover.log_path("sh")).read()
    assert 'message "shutdown"' in out and "shutting down on message" in out
    assert "got SIGINT" not in out


def test_i_max_honours_cpu_affinity(drover, app):
    if not shutil.which("taskset"):
        pytest.skip("no taskset")
    # the daemon started under taskset sees one usable CPU
    subprocess.run(["taskset", "-c", "0", drover.bin, "ping"], env=drover.env, check=True,
                   capture_output=True)
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "max", "--name", "m", "--env", f"PORT={port}")
    assert len(drover.procs()) == 1
    drover.run("delete", "m")
    drover.run("start", app("http_node.js"), "-i", "-1", "--name", "m1", "--env", f"PORT={port}")
    assert len(drover.procs()) == 1


def test_slots_balancing_spreads_and_reloads_without_loss(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "sl", "--balancing", "slots",
               "--listen", f"127.0.0.1:{port}", "--env", f"PORT={port}", "--env", "HOST=127.0.0.1")
    load = Load(port, threads=8).start()
    time.sleep(1.5)
    drover.run("reload", "sl")
    time.sleep(1.0)
    load.stop()
    print("slots:", load.report())
    assert load.errors == [], load.report()
    counts = sorted(load.by_pid.values())
    assert len(counts) >= 2
    pids_now = {p["pid"] for p in drover.procs()}
    served_now = [load.by_pid[p] for p in pids_now]
    assert min(served_now) > 0


def test_ipv6_app(drover, app):
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    port = free_port("::1", socket.AF_INET6)
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "v6", "--env", f"PORT={port}",
               "--env", "HOST=::1")
    load = Load(port, threads=4, host="::1", family=socket.AF_INET6).start()
    time.sleep(1.0)
    load.stop()
    assert load.errors == [] and load.served > 0, load.report()


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_ipv4_and_v6only_ipv6_wildcards_share_one_port(drover, app):
    # asyncio/aiohttp/Tornado with host=None bind 0.0.0.0 and [::] with
    # IPV6_V6ONLY: two sockets side by side on one port, as without drover
    if not has_ipv6_loopback():
        pytest.skip("no ::1")
    port = free_port()
    drover.run("start", app("dual_stack.py"), "-i", "2", "--name", "dual", "--env",
               f"PORT={port}")
    pids = {p["pid"] for p in drover.procs()}
    assert len(pids) == 2
    wait_until(lambda: get_pid(port) in pids, 10, what="an answer on 127.0.0.1")
    assert get_pid(port, host="::1") in pids
    procs = drover.procs()
    assert {p["status"] for p in procs} == {"online"}
    assert {p["pid"] for p in procs} == pids and all(p["restarts"] == 0 for p in procs)
    for p in procs:
        out = open(drover.log_path("dual", "out", p["id"])).read()
        assert "AF_INET 0.0.0.0" in out and "AF_INET6 :: v6only 1" in out, out
        assert "cannot share" not in open(drover.log_path("dual", "error", p["id"])).read()
    daemon_log = open(os.path.join(drover.home, "daemon.log")).read()
    assert "cannot share" not in daemon_log
    # a real conflict (IPv4 beside a dual-stack [::]) is refused, and said
    # once in the daemon's log however often the app retries
    port2 = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "dual6", "--env",
               f"PORT={port2}")
    wait_until(lambda: get_pid(port2, host="::1"), 10, what="the dual-stack app")
    drover.run("start", app("http_py.py"), "-i", "1", "--name", "v4", "--env", f"PORT={port2}",
               "--env", "HOST=0.0.0.0", "--restart-delay", "100", check=False)
    err = drover.log_path("v4", "error", 3)
    wait_until(lambda: os.path.exists(err) and open(err).read().count("dual-stack") >= 3, 15,
               what="three refused binds")
    daemon_log = open(os.path.join(drover.home, "daemon.log")).read()
    assert daemon_log.count("v4: cannot share") == 1, daemon_log


def free_port_pair():
    """A port p with p and p+1 free on 127.0.0.1."""
    for _ in range(50):
        p = free_port()
        try:
            with socket.socket() as s:
                s.bind(("127.0.0.1", p + 1))
            return p
        except OSError:
            continue
    pytest.skip("no two free ports in a row")


def inspector_answers(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            # the inspector answers only a Host that is an address (DNS rebinding)
            s.sendall(b"GET /json/version HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            data = b""
            while b"Protocol-Version" not in data and (chunk := s.recv(4096)):
                data += chunk
        return b"Protocol-Version" in data
    except OSError:
        return False


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_node_inspect_gets_one_port_per_instance(drover, app):
    # node's cluster module gives each worker its own inspector port; drover
    # gives instance slot k base+k, kept across reloads; the app binds it
    # itself (never a shared socket), and the app's own port is unaffected
    base, port = free_port_pair(), free_port()
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "dbg", "--env", f"PORT={port}",
               f"--node-args=--inspect=127.0.0.1:{base}")
    for round in range(2):
        procs = drover.procs()
        assert {p["status"] for p in procs} == {"online"}
        for p in procs:
            want = f"Debugger listening on ws://127.0.0.1:{base + p['id']}/"
            err = drover.log_path("dbg", "error", p["id"])
            wait_until(lambda: open(err).read().count(want) == round + 1, 10, what=want)
            assert "address already in use" not in open(err).read()
        assert inspector_answers(base) and inspector_answers(base + 1)
        assert get_pid(port) in {p["pid"] for p in procs}
        if round == 0:
            drover.run("reload", "dbg")  # the replacement binds its slot's port too
    assert "sharing 127.0.0.1" not in open(os.path.join(drover.home, "daemon.log")).read()


@pytest.mark.parametrize("how", ["accept", "select", "poll", "epoll"])
def test_listen_fds_app_without_sd_notify_is_online_once_it_serves(drover, app, how):
    # an unmodified server on LISTEN_FDS sends no READY=1 and never calls
    # listen(): online once it is seen waiting on its socket, and a reload
    # hands over only then (STARTUP_S makes a gap if it did not wait)
    port = free_port()
    t0 = time.monotonic()
    drover.run("start", app("fd3_server.py"), "-i", "2", "--name", "fd3", "--listen",
               f"127.0.0.1:{port}", "--env", f"WAIT={how}", "--env", "STARTUP_S=1")
    assert time.monotonic() - t0 >= 0.9, "online before it served"
    procs = drover.json("describe", "fd3")
    assert all(p["status"] == "online" and p["serving"] for p in procs), procs
    load = under_load(port, 0.5, threads=4)
    drover.run("reload", "fd3")
    time.sleep(0.5)
    load.stop()
    print(how, load.report())
    assert load.errors == [], load.report()
    assert len(load.by_pid) >= 3, load.report()
