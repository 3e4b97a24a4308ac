"""Foundation: start/stop/restart/delete, listings, restart policy, stop
escalation over whole process trees, spawn hygiene, errors on bad input."""
import json
import os
import re
import signal
import socket
import stat
import subprocess
import time

import pytest

from conftest import BUILD, pid_alive, wait_until


def test_start_list_stop_restart_delete(drover, app):
    out = drover.run("start", app("sleeper.sh"), "--name", "sl").stdout
    assert "sl" in out and "online" in out
    p = drover.proc("sl")
    assert p["status"] == "online" and p["pid"] > 0 and p["mode"] == "fork"
    assert p["interpreter"] == "bash" and p["restarts"] == 0
    first_pid = p["pid"]

    drover.run("restart", "sl")
    p = drover.proc("sl")
    assert p["status"] == "online" and p["pid"] != first_pid and p["restarts"] == 1
    assert not pid_alive(first_pid)

    drover.run("stop", "sl")
    p = drover.proc("sl")
    assert p["status"] == "stopped" and p["pid"] == 0

    drover.run("start", "sl")  # PM2: start of a stopped app starts it again
    assert drover.proc("sl")["status"] == "online"

    drover.run("delete", "sl")
    assert drover.procs() == []


def test_aliases_and_ids(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "a")
    drover.run("start", app("sleeper.sh"), "--name", "b")
    for verb in ("ls", "list", "status", "l", "ps"):
        names = [p["name"] for p in drover.json(verb)]
        assert names == ["a", "b"], verb
    ids = [p["id"] for p in drover.procs()]
    drover.run("stop", str(ids[1]))
    assert drover.proc("b")["status"] == "stopped"
    assert drover.proc("a")["status"] == "online"
    for verb in ("describe", "desc", "info", "show"):
        d = drover.json(verb, "a")
        assert d[0]["name"] == "a"
    drover.run("del", "all")
    assert drover.procs() == []


def test_jlist_has_pm2_shape(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "shape")
    j = json.loads(drover.run("jlist").stdout)
    assert len(j) == 1
    p = j[0]
    assert p["name"] == "shape" and p["pm_id"] == 0 and p["pid"] > 0
    assert set(p["monit"]) == {"memory", "cpu"} and p["monit"]["memory"] > 0
    env = p["pm2_env"]
    for key in ("status", "restart_time", "unstable_restarts", "pm_uptime", "exec_mode",
                "instances", "pm_exec_path", "pm_cwd", "pm_out_log_path", "pm_err_log_path"):
        assert key in env, key
    assert env["status"] == "online" and env["exec_mode"] == "fork_mode"
    assert env["pm_exec_path"] == app("sleeper.sh")
    assert env["pm_out_log_path"].endswith("shape-out.log")


def test_pid_and_signal(drover, app, tmpdir_path):
    drover.run("start", app("sleeper.sh"), "--name", "sig")
    pid = int(drover.run("pid", "sig").stdout.strip())
    assert pid == drover.proc("sig")["pid"]
    drover.run("sendSignal", "SIGUSR2", "sig")
    # bash's default for SIGUSR2 is to die: the app is restarted
    wait_until(lambda: drover.proc("sig")["restarts"] == 1, what="restart after SIGUSR2")
    assert drover.proc("sig")["pid"] != pid


def test_crash_restart_with_backoff(drover, app):
    drover.run("start", app("crasher.sh"), "--name", "cr", "--exp-backoff-restart-delay", "100",
               "--max-restarts", "100", "--log-date-format", "%s.%L",
               env={"AFTER": "0", "CODE": "3"})
    wait_until(lambda: drover.proc("cr")["restarts"] >= 7, timeout=30, what="7 restarts")
    # every start is logged with a timestamp: the delays grow 1.5x per
    # restart (100, 150, 225, 337, 506, 759 ms) on top of a constant cost
    # (exit, spawn, shell start), so the sixth gap is ~660 ms longer than the
    # first and the fifth longer than the second; a fixed delay or none would
    # fail, while the margins leave room for a noisy machine
    starts = [float(line.split(":", 1)[0]) for line in open(drover.log_path("cr"))
              if "crasher started" in line]
    gaps = [b - a for a, b in zip(starts, starts[1:])][:6]
    assert len(gaps) == 6, starts
    assert gaps[0] >= 0.09, gaps
    assert gaps[5] - gaps[0] >= 0.45, f"no exponential backoff: {gaps}"
    assert gaps[4] > gaps[1], f"no exponential backoff: {gaps}"
    # between two runs the reason is the last exit's; the code stays after
    d = wait_until(lambda: (lambda q: q if q["status"] == "waiting restart" else None)(
        drover.json("describe", "cr")[0]), timeout=10, what="waiting restart")
    assert d["exit_code"] == 3
    assert "exit code 3" in d["reason"]


def test_errored_after_max_restarts(drover, app):
    r = drover.run("start", app("crasher.sh"), "--name", "er", "--max-restarts", "3",
                   "--min-uptime", "5s", check=False)
    wait_until(lambda: drover.proc("er")["status"] == "errored", timeout=20, what="errored")
    d = drover.json("describe", "er")[0]
    assert d["restarts"] == 2  # three runs: the first and two restarts
    assert "max_restarts (3) reached" in d["reason"]
    text = drover.run("describe", "er").stdout
    assert "max_restarts" in text
    # errored apps are not restarted behind our back
    time.sleep(0.5)
    assert drover.proc("er")["status"] == "errored"
    assert r.returncode in (0, 1)


def test_stop_kills_whole_tree_of_stubborn_app(drover, app, tmpdir_path):
    marker = os.path.join(tmpdir_path, "stubborn.marker")
    drover.run("start", app("stubborn.py"), "--name", "stub", "--kill-timeout", "800",
               env={"MARKER": marker})
    wait_until(lambda: os.path.exists(marker), what="grandchild ready")
    gpid, port = map(int, open(marker).read().split())
    assert pid_alive(gpid)
    main_pid = drover.proc("stub")["pid"]
    t0 = time.monotonic()
    drover.run("stop", "stub")
    elapsed = time.monotonic() - t0
    assert not pid_alive(main_pid)
    assert not pid_alive(gpid), "the double-forked grandchild survived the stop"
    assert elapsed >= 0.7, "SIGKILL came before kill_timeout"
    # the port the grandchild held is free again
    s = socket.socket()
    s.bind(("127.0.0.1", port))
    s.close()


def test_crash_kills_leftover_grandchild_before_restart(drover, app, tmpdir_path):
    marker = os.path.join(tmpdir_path, "stubborn.marker")
    drover.run("start", app("stubborn.py"), "--name", "stub", "--kill-timeout", "300",
               env={"MARKER": marker})
    wait_until(lambda: os.path.exists(marker), what="grandchild ready")
    gpid, _ = map(int, open(marker).read().split())
    os.unlink(marker)
    os.kill(drover.proc("stub")["pid"], signal.SIGKILL)
    wait_until(lambda: not pid_alive(gpid), timeout=10, what="leftover grandchild killed")
    wait_until(lambda: os.path.exists(marker), timeout=10, what="restarted app ready")
    assert drover.proc("stub")["restarts"] == 1


def ignore_rt_signals():
    """preexec_fn: ignore signals 32 and 40 with the raw syscall (libc
    refuses 32), like an odd parent environment would."""
    import ctypes

    class KernelSigaction(ctypes.Structure):
        _fields_ = [("handler", ctypes.c_void_p), ("flags", ctypes.c_ulong),
                    ("restorer", ctypes.c_void_p), ("mask", ctypes.c_ulong)]
    libc = ctypes.CDLL(None, use_errno=True)
    ign = KernelSigaction(1, 0, None, 0)  # SIG_IGN
    for sig in (32, 40):
        libc.syscall(13, sig, ctypes.byref(ign), None, 8)  # rt_sigaction


def test_no_fd_leak_and_clean_signal_state(drover, app):
    # the daemon (and so every supervisor) starts with odd dispositions
    subprocess.run([drover.bin, "ping"], env=drover.env, preexec_fn=ignore_rt_signals,
                   check=True, capture_output=True)
    drover.run("start", app("fdcheck.py"), "--name", "fdc")
    log = drover.log_path("fdc")
    wait_until(lambda: os.path.exists(log) and os.path.getsize(log) > 0, what="fdcheck output")
    info = json.loads(open(log).readline())
    fds = {int(k): v for k, v in info["fds"].items()}
    assert fds[0].startswith("pipe:")  # stdin: the pipe `drover send` writes to
    assert fds[1].startswith("pipe:") and fds[2].startswith("pipe:")
    extra = {fd: t for fd, t in fds.items() if fd > 2 and not t.startswith("/proc/")}
    assert extra == {}, f"leaked fds: {extra}"
    # python ignores SIGPIPE/SIGXFSZ itself: check signals with a plain binary
    drover.run("start", "/bin/cat", "--name", "sigs", "--no-autorestart", "--",
               "/proc/self/status")
    log = drover.log_path("sigs")
    wait_until(lambda: os.path.exists(log) and "SigIgn" in open(log).read(), what="cat output")
    status = dict(l.split(":", 1) for l in open(log).read().splitlines() if ":" in l)
    assert int(status["SigBlk"].strip(), 16) == 0, "signal mask not cleared"
    assert int(status["SigIgn"].strip(), 16) == 0, "ignored signals inherited"


def test_exec_failure_is_a_clear_error_not_a_crash_loop(drover, tmpdir_path):
    script = os.path.join(tmpdir_path, "noexec")
    with open(script, "w") as f:
        f.write("#!/bin/sh\necho hi\n")
    os.chmod(script, 0o644)  # not executable
    r = drover.run("start", script, "--name", "nx", check=False)
    assert r.returncode != 0
    assert "exec failed" in r.stderr and "Permission denied" in r.stderr
    assert "(exit 126)" in r.stderr
    p = drover.proc("nx")
    assert p["status"] == "errored" and p["restarts"] == 0
    time.sleep(0.5)
    assert drover.proc("nx")["restarts"] == 0
    err_log = open(drover.log_path("nx", "error")).read()
    assert "exec failed" in err_log


def test_bad_input_errors_and_disturbs_nothing(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "keep")
    pid = drover.proc("keep")["pid"]
    cases = [
        (["stop", "nosuchapp"], "not found"),
        (["restart", "42"], "not found"),
        (["start", "/nonexistent/app.js"], "not found"),
        (["start", app("sleeper.sh"), "--kill-timeout", "soon"], "kill_timeout"),
        (["start", app("sleeper.sh"), "--bogus-flag"], "unknown option"),
        (["start", app("sleeper.sh"), "--name", "all"], "reserved"),
        (["start", app("sleeper.sh"), "--name", "keep"], "already running"),
        (["sendSignal", "SIGNOPE", "keep"], "unknown signal"),
        (["frobnicate"], "unknown command"),
    ]
    for args, msg in cases:
        r = drover.run(*args, check=False)
        assert r.returncode != 0, args
        lines = [l for l in r.stderr.splitlines() if l.strip()]
        assert len(lines) == 1, (args, r.stderr)
        assert msg in lines[0], (args, lines[0])
    p = drover.proc("keep")
    assert p["pid"] == pid and p["status"] == "online" and p["restarts"] == 0
    assert len(drover.procs()) == 1


def test_invalid_ecosystem_value_names_app_key_value(drover, tmpdir_path, app):
    eco = os.path.join(tmpdir_path, "eco.json")
    with open(eco, "w") as f:
        json.dump({"apps": [
            {"name": "good", "script": app("sleeper.sh")},
            {"name": "bad", "script": app("sleeper.sh"), "max_restarts": "lots"},
        ]}, f)
    r = drover.run("start", eco, check=False)
    assert r.returncode != 0
    assert "app 'bad'" in r.stderr and "max_restarts" in r.stderr and "lots" in r.stderr
    assert drover.procs() == []  # nothing started, not even the valid app


def test_json_ecosystem_starts_every_app(drover, tmpdir_path, app):
    eco = os.path.join(tmpdir_path, "eco.json")
    with open(eco, "w") as f:
        json.dump({"apps": [
            {"name": "one", "script": app("sleeper.sh"), "kill_timeout": "2s"},
            {"name": "two", "script": "sleeper.sh", "cwd": os.path.dirname(app("sleeper.sh")),
             "env": {"GREETING": "hello"}},
        ]}, f)
    drover.run("start", eco)
    procs = {p["name"]: p for p in drover.procs()}
    assert set(procs) == {"one", "two"}
    assert procs["one"]["config"]["kill_timeout"] == 2000
    assert procs["two"]["script"] == app("sleeper.sh")
    env = open(f"/proc/{procs['two']['pid']}/environ").read().split("\0")
    assert "GREETING=hello" in env and "NODE_APP_INSTANCE=0" in env and "pm_id=1" in env


def test_command_string_runs_without_a_shell(drover, tmpdir_path):
    drover.run("start", "/usr/bin/python3 -c 'import time; print(\"hi there\", flush=True); "
               "time.sleep(60)'", "--name", "cmdstr")
    p = drover.proc("cmdstr")
    assert p["status"] == "online"
    cmdline = open(f"/proc/{p['pid']}/cmdline").read().split("\0")
    assert cmdline[1] == "-c" and "hi there" in cmdline[2]
    wait_until(lambda: "hi there" in open(drover.log_path("cmdstr")).read(), what="output")


def test_reset_counters(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "rs")
    drover.run("restart", "rs")
    drover.run("restart", "rs")
    assert drover.proc("rs")["restarts"] == 2
    drover.run("reset", "rs")
    assert drover.proc("rs")["restarts"] == 0
    drover.run("restart", "rs")
    assert drover.proc("rs")["restarts"] == 1


def test_no_autorestart_and_stop_exit_codes(drover, app):
    drover.run("start", app("crasher.sh"), "--name", "once", "--no-autorestart",
               env={"CODE": "0", "AFTER": "0.2"})
    drover.wait_status("once", "stopped")
    assert drover.proc("once")["restarts"] == 0
    drover.run("start", app("crasher.sh"), "--name", "codes", "--stop-exit-codes", "7",
               env={"CODE": "7", "AFTER": "0.2"})
    drover.wait_status("codes", "stopped")
    assert "stop_exit_codes" in drover.json("describe", "codes")[0]["reason"]


def test_relative_log_paths_and_date_format_alone(drover, app, tmpdir_path):
    work = os.path.join(tmpdir_path, "work")
    os.makedirs(work)
    drover.run("start", app("crasher.sh"), "--name", "rel", "--no-autorestart", "-o",
               "rel-out.log", "--log-date-format", "%Y", env={"AFTER": "0", "CODE": "0"},
               cwd=work)
    path = os.path.join(work, "rel-out.log")
    wait_until(lambda: os.path.exists(path) and "crasher started" in open(path).read(),
               what="log at the app's cwd")
    line = open(path).read().splitlines()[0]
    assert re.match(r"^\d{4}: crasher started", line), line
    assert drover.proc("rel")["log_out"] == path
