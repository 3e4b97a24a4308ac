"""Restart triggers: watch (inotify, debounced, ignores), cron_restart
(6-field schedules, refused when invalid) and max_memory_restart (the
whole tree's RSS, checked every second)."""
import os
import time

from conftest import pid_alive, wait_until

WATCH_DELAY_MS = 300


def write(path, text="x"):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def describe(drover, name):
    return drover.json("describe", name)[0]


def stays(pred, seconds):
    """Checks pred() over a window in which nothing should change."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert pred()
        time.sleep(0.05)


def test_watch_burst_restarts_once_and_ignores(drover, app, tmpdir_path):
    proj = os.path.join(tmpdir_path, "proj")
    os.makedirs(os.path.join(proj, "node_modules", "dep"))
    os.makedirs(os.path.join(proj, "src"))
    os.makedirs(os.path.join(proj, "cache"))
    drover.run("start", app("sleeper.sh"), "--name", "w", "--cwd", proj, "--watch",
               "--watch-delay", f"{WATCH_DELAY_MS}ms", "--ignore-watch", "cache,*.tmp")
    first = drover.wait_status("w", "online")
    assert first["restarts"] == 0

    # a burst: 20 files over ~200 ms, some in a directory created mid-burst
    for i in range(20):
        sub = "src" if i < 10 else "src/new"
        write(os.path.join(proj, sub, f"f{i}.js"), f"// {i}\n")
        time.sleep(0.01)
    p = wait_until(lambda: (lambda q: q if q["restarts"] >= 1 else None)(drover.proc("w")),
                   timeout=5, what="a restart after the burst")
    assert p["restarts"] == 1
    stays(lambda: drover.proc("w")["restarts"] == 1, 2 * WATCH_DELAY_MS / 1000 + 0.2)
    d = describe(drover, "w")
    assert d["trigger_restarts"] == 1
    assert d["last_trigger"] == "watch: src/f0.js"
    assert d["pid"] != first["pid"] and d["status"] == "online"

    # Ignored changes, then at once a real one. Events arrive in order, so
    # had an ignored change counted, the restart would name it (one burst)
    # or come on its own (two restarts).
    write(os.path.join(proj, "node_modules", "dep", "index.js"))
    write(os.path.join(proj, "node_modules", "fresh", "index.js"))  # new dir in an ignored one
    write(os.path.join(proj, "cache", "entry"))
    write(os.path.join(proj, "cache", "sub", "deeper"))
    write(os.path.join(proj, "src", "scratch.tmp"))
    write(os.path.join(proj, ".git", "HEAD"))
    write(os.path.join(proj, "src", "new", "sentinel.js"))  # watched: the dir appeared mid-burst
    wait_until(lambda: drover.proc("w")["restarts"] >= 2, timeout=5,
               what="a restart after the sentinel change")
    stays(lambda: drover.proc("w")["restarts"] == 2, 2 * WATCH_DELAY_MS / 1000 + 0.2)
    assert describe(drover, "w")["last_trigger"] == "watch: src/new/sentinel.js"


def test_watch_stopped_app_is_not_started(drover, app, tmpdir_path):
    # PM2: stop turns the watch off, a later start keeps it off, and
    # restart --watch turns it on again
    proj = os.path.join(tmpdir_path, "proj")
    os.makedirs(proj)
    drover.run("start", app("sleeper.sh"), "--name", "w", "--cwd", proj, "--watch",
               "--watch-delay", "100ms")
    drover.run("stop", "w")
    write(os.path.join(proj, "a.js"))
    stays(lambda: drover.proc("w")["status"] == "stopped", 0.6)
    drover.run("start", "w")
    write(os.path.join(proj, "b.js"))
    stays(lambda: describe(drover, "w")["trigger_restarts"] == 0, 0.6)
    drover.run("restart", "w", "--watch")
    write(os.path.join(proj, "c.js"))
    wait_until(lambda: describe(drover, "w")["last_trigger"] == "watch: c.js", timeout=5,
               what="a watch restart once turned on again")


def test_triggers_survive_a_daemon_restart(drover, app, tmpdir_path):
    """A new daemon re-arms the triggers of the apps it re-adopts."""
    import signal
    from conftest import pid_alive
    proj = os.path.join(tmpdir_path, "proj")
    os.makedirs(proj)
    drover.run("start", app("sleeper.sh"), "--name", "w", "--cwd", proj, "--watch",
               "--watch-delay", "100ms")
    gate = os.path.join(tmpdir_path, "leak-now")
    drover.run("start", app("leaker.py"), "--name", "leak", "--max-memory-restart", "40M",
               env={"GATE": gate})  # leaks once the gate file exists
    dpid = drover.daemon_pid()
    os.kill(dpid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(dpid), what="daemon gone")
    drover.run("ping")  # a new daemon re-adopts both apps
    assert drover.proc("w")["restarts"] == 0
    write(os.path.join(proj, "a.js"))
    wait_until(lambda: describe(drover, "w")["last_trigger"] == "watch: a.js", timeout=5,
               what="a watch restart from the new daemon")
    assert drover.proc("leak")["restarts"] == 0
    write(gate)
    wait_until(lambda: (describe(drover, "leak")["last_trigger"] or "").startswith("memory "),
               timeout=10, what="a memory restart from the new daemon")


def test_cron_restart_six_fields(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "c", "--cron-restart", "*/2 * * * * *")
    t0 = time.monotonic()
    wait_until(lambda: drover.proc("c")["restarts"] >= 2, timeout=8,
               what="two cron restarts")
    # every 2 s: two restarts take more than 2 s (the first may come at once)
    assert time.monotonic() - t0 > 1.5
    d = describe(drover, "c")
    assert d["last_trigger"] == "cron_restart */2 * * * * *"
    assert d["trigger_restarts"] >= 2
    wait_until(lambda: drover.proc("c")["status"] == "online", timeout=5, what="online")


def test_cron_restart_invalid_is_refused(drover, app):
    p = drover.run("start", app("sleeper.sh"), "--name", "bad", "--cron-restart", "not a cron",
                   check=False)
    assert p.returncode != 0
    out = p.stdout + p.stderr
    assert "cron_restart" in out and "not a cron" in out and "bad" in out, out
    p = drover.run("start", app("sleeper.sh"), "--name", "bad2", "--cron-restart", "0 0 31 2 *",
                   check=False)
    assert p.returncode != 0 and "never fires" in p.stdout + p.stderr
    assert drover.procs() == []


def test_max_memory_restart(drover, app):
    # the unlimited app plateaus above the other's limit: only limits count
    drover.run("start", app("leaker.py"), "--name", "free", env={"MAX_MB": "90"})
    drover.run("start", app("leaker.py"), "--name", "leak", "--max-memory-restart", "60M")
    first_pid = drover.proc("leak")["pid"]
    p = wait_until(lambda: (lambda q: q if q["restarts"] >= 1 else None)(drover.proc("leak")),
                   timeout=10, what="a memory restart")
    d = describe(drover, "leak")
    assert d["last_trigger"].startswith("memory ") and "max_memory_restart 60.0mb" in \
        d["last_trigger"], d["last_trigger"]
    assert d["trigger_restarts"] >= 1
    wait_until(lambda: drover.proc("leak")["pid"] not in (0, first_pid), timeout=5,
               what="a new leaker process")
    with open(os.path.join(drover.home, "daemon.log")) as f:
        log = f.read()
    assert "leak:" in log and "max_memory_restart" in log and "bytes" in log

    wait_until(lambda: drover.proc("free")["memory"] > 80 * 1024 * 1024, timeout=10,
               what="the unlimited app to pass 80 MB")
    free = describe(drover, "free")
    assert free["restarts"] == 0 and free["trigger_restarts"] == 0
    assert free["last_trigger"] is None


def test_watch_reloads_a_cluster_app(drover, app, tmpdir_path):
    from loadgen import free_port, get_pid
    proj = os.path.join(tmpdir_path, "proj")
    os.makedirs(proj)
    port = free_port()
    drover.run("start", app("listen_fds.py"), "-i", "2", "--name", "lfd", "--cwd", proj,
               "--listen", f"127.0.0.1:{port}", "--watch", "--watch-delay", "100ms")
    wait_until(lambda: {p["status"] for p in drover.procs()} == {"online"}, timeout=10,
               what="both instances online")
    before = {p["id"]: p for p in drover.procs()}
    write(os.path.join(proj, "app.cfg"))

    def replaced():
        now = drover.procs()
        return now if all(p["status"] == "online" and p["gen"] > before[p["id"]]["gen"] and
                          p["pid"] != before[p["id"]]["pid"] for p in now) else None
    # a reload starts a replacement supervisor (next generation) per instance;
    # a restart would keep the generation
    after = wait_until(replaced, timeout=15, what="both instances reloaded")
    assert sorted(p["id"] for p in after) == sorted(before)
    assert all(describe(drover, str(p["id"]))["last_trigger"] == "watch: app.cfg" for p in after)
    # the old workers drain and exit; then only the new ones answer
    wait_until(lambda: not any(pid_alive(p["pid"]) for p in before.values()), timeout=15,
               what="the old workers to exit")
    assert get_pid(port) in {p["pid"] for p in drover.procs()}
