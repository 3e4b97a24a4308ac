"""PM2 drop-in: save / resurrect / cleardump (dump.json, atomic, kept on
ENOSPC), startup units, and the daemon's systemd notifications when it
boots with --resurrect."""
import json
import os
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, pid_alive, wait_until


def summary(drover):
    """What a dump must restore: names, instance counts, desired states and
    configs (not pids or ids)."""
    apps = {}
    for p in drover.procs():
        a = apps.setdefault(p["name"], {"config": p["config"], "states": []})
        a["states"].append(p["status"])
    for a in apps.values():
        a["states"].sort()
    return apps


def read_dump(drover):
    with open(os.path.join(drover.home, "dump.json")) as f:
        return json.load(f)


def test_save_kill_resurrect_restores_the_list(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "web", "-i", "2", "--exec-mode", "fork",
               "--kill-timeout", "1500")
    drover.run("start", app("counter.py"), "--name", "jobs", "--env", "INTERVAL=1",
               env={"FROM_SHELL": "kept"})
    drover.run("start", app("sleeper.sh"), "--name", "idle")
    drover.run("stop", "idle")
    before = summary(drover)
    r = drover.run("save")
    assert "saved 3 app(s), 4 instance(s)" in r.stdout
    dump = read_dump(drover)
    assert [a["name"] for a in dump["apps"]] == ["web", "jobs", "idle"]
    assert "pid" not in json.dumps(dump["apps"][0]["instances"])  # no runtime state

    drover.run("kill")
    drover.run("resurrect")
    wait_until(lambda: summary(drover) == before, what="the saved list back")
    jobs = drover.proc("jobs")
    with open(f"/proc/{jobs['pid']}/environ", "rb") as f:
        assert b"FROM_SHELL=kept" in f.read()  # the base environment was saved too

    # idempotent: a second resurrect starts nothing and duplicates nothing
    pids = sorted(p["pid"] for p in drover.procs())
    r = drover.run("resurrect")
    assert "0 instance(s) started" in r.stdout
    assert summary(drover) == before
    assert sorted(p["pid"] for p in drover.procs()) == pids

    # an app that exists is not duplicated; only its stopped instances start
    drover.run("stop", "web")
    drover.run("delete", "jobs")
    drover.run("resurrect")
    assert summary(drover) == before


def test_save_with_nothing_running_needs_force_and_cleardump(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "only")
    drover.run("save")
    drover.run("delete", "all")
    r = drover.run("save", check=False)
    assert r.returncode != 0 and "--force" in r.stderr
    assert [a["name"] for a in read_dump(drover)["apps"]] == ["only"]  # untouched
    drover.run("save", "--force")
    assert read_dump(drover)["apps"] == []
    with open(os.path.join(drover.home, "dump.json.bak")) as f:
        assert [a["name"] for a in json.load(f)["apps"]] == ["only"]  # the previous dump

    drover.run("start", app("sleeper.sh"), "--name", "again")
    drover.run("save")
    drover.run("cleardump")
    assert read_dump(drover)["apps"] == []
    drover.run("delete", "all")
    r = drover.run("resurrect")
    assert drover.procs() == []


def test_enospc_during_save_keeps_the_old_dump(drover, tmpdir_path, app, tiny_fs):
    # a small tmpfs as DROVER_HOME: the daemon's files fit, a big dump does not
    home = tiny_fs("small", "1m")
    try:
        drover.home = home
        drover.env["DROVER_HOME"] = home
        drover.run("start", app("sleeper.sh"), "--name", "small")
        drover.run("save")
        old = read_dump(drover)
        # apps that are never started (no exec limits) with a large environment:
        # state.json holds them, but not state.json and a second copy in dump.json
        big = {f"V{i}": "x" * 60000 for i in range(10)}
        eco = os.path.join(tmpdir_path, "big.json")
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "big", "script": app("sleeper.sh"),
                                 "autostart": False, "env": big}]}, f)
        drover.run("start", eco)
        r = drover.run("save", check=False)
        assert r.returncode != 0
        assert "No space left on device" in r.stderr and "previous dump is kept" in r.stderr
        assert read_dump(drover) == old, "the old dump must survive a failed save"
        assert not [f for f in os.listdir(home) if ".tmp" in f], "temporary files left"
        drover.run("kill")
    finally:
        drover.run("kill", check=False)


def test_startup_print_and_unit_file(drover, tmpdir_path, app):
    drover.run("start", app("sleeper.sh"), "--name", "slow", "--kill-timeout", "30s")
    drover.run("save")
    unit = drover.run("startup", "--print").stdout
    lines = unit.splitlines()
    for want in ("Type=notify", "KillMode=mixed", "Restart=on-failure", "User=root",
                 "WantedBy=multi-user.target"):
        assert want in lines, want
    stop = [int(x.split("=")[1]) for x in lines if x.startswith("TimeoutStopSec=")]
    assert stop and stop[0] > 30
    assert f'Environment="DROVER_HOME={drover.home}"' in lines
    exec_line = [x for x in lines if x.startswith("ExecStart=")][0]
    assert exec_line.endswith("droverd\" --foreground --resurrect")
    assert any(x.startswith('Environment="PATH=') for x in lines)

    units = os.path.join(tmpdir_path, "units")
    os.makedirs(units)
    env = {"DROVER_SYSTEMD_UNIT_DIR": units}
    drover.run("startup", "systemd", "--service-name", "myapps", env=env)
    with open(os.path.join(units, "myapps.service")) as f:
        assert f.read() == unit
    drover.run("unstartup", "--service-name", "myapps", env=env)
    assert not os.path.exists(os.path.join(units, "myapps.service"))
    r = drover.run("startup", "upstart", "--print", check=False)
    assert r.returncode != 0 and "only systemd" in r.stderr


def recv_until(sock, want, deadline):
    """Datagrams until one contains want; returns it."""
    while time.monotonic() < deadline:
        sock.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            msg = sock.recv(4096).decode()
        except socket.timeout:
            break
        if want in msg.split("\n"):
            return msg
    raise AssertionError(f"no {want} from the daemon")


@pytest.mark.parametrize("abstract", [False, True])
def test_foreground_resurrect_notifies_ready_after_apps_run(drover, tmpdir_path, app, abstract):
    marker = os.path.join(tmpdir_path, "started")
    drover.run("start", app("sleeper.sh"), "--name", "boot1", "-i", "2", "--exec-mode", "fork")
    drover.run("start", app("stubborn.py"), "--name", "boot2", "--kill-timeout", "500",
               env={"MARKER": marker})
    drover.run("save")
    drover.run("kill")
    assert not os.path.exists(os.path.join(drover.home, "run", "daemon.sock"))

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    if abstract:
        name = f"drover-test-{os.getpid()}-{time.monotonic_ns()}"
        sock.bind("\0" + name)
        notify = "@" + name
    else:
        notify = os.path.join(tmpdir_path, "notify.sock")
        sock.bind(notify)
    env = dict(drover.env, NOTIFY_SOCKET=notify)
    daemon = subprocess.Popen([os.path.join(BUILD, "droverd"), "--foreground", "--resurrect"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        msg = recv_until(sock, "READY=1", time.monotonic() + 15)
        # at READY=1 the dumped apps already run: nothing to wait for
        procs = drover.procs()
        assert sorted(p["name"] for p in procs) == ["boot1", "boot1", "boot2"], msg
        for p in procs:
            assert p["status"] == "online" and pid_alive(p["pid"]), p
        assert "STATUS=" in msg
        # systemd's socket does not leak into what the daemon starts (the
        # supervisor gives apps its own)
        with open(f"/proc/{procs[0]['pid']}/environ", "rb") as f:
            assert f"NOTIFY_SOCKET={notify}".encode() not in f.read()

        daemon.send_signal(signal.SIGTERM)
        recv_until(sock, "STOPPING=1", time.monotonic() + 10)
        assert daemon.wait(timeout=15) == 0
        for p in procs:
            assert not pid_alive(p["pid"]), "systemctl stop must stop the apps"
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        sock.close()
