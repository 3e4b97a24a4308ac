"""drover-runtime and `drover start --no-daemon` (docs/containers.md): the
foreground runtime a container runs as PID 1, its logs, signals and exit
codes, the SIGTERM sequence for Kubernetes, `drover probe`, `drover drain`,
and `drover export nginx|haproxy` with a real nginx and a real HAProxy in
front. Real processes, loopback only, every wait bounded."""
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import BUILD, pid_alive, procs_holding, wait_until
from loadgen import Load, free_port, get_pid

RUNTIME = os.path.join(BUILD, "drover-runtime")


class Runtime:
    """One drover-runtime (or `drover start --no-daemon`) in the
    background, its stdout and stderr in files."""

    def __init__(self, drover, argv, env=None, home=None, tag="rt"):
        self.drover = drover
        self.out_path = os.path.join(drover.tmp, f"{tag}.out")
        self.err_path = os.path.join(drover.tmp, f"{tag}.err")
        e = dict(drover.env)
        if home:
            e["DROVER_HOME"] = home
        e.update(env or {})
        with open(self.out_path, "w") as out, open(self.err_path, "w") as err:
            self.proc = subprocess.Popen(argv, env=e, stdout=out, stderr=err, cwd=drover.tmp,
                                         start_new_session=True)
        self.started = time.monotonic()

    def out(self):
        with open(self.out_path) as f:
            return f.read()

    def err(self):
        with open(self.err_path) as f:
            return f.read()

    def wait_out(self, text, timeout=15, stream="out"):
        read = self.out if stream == "out" else self.err
        return wait_until(lambda: text in read(), timeout, 0.05,
                          f"{text!r} on the runtime's std{stream}\n{self.out()}\n{self.err()}")

    def signal(self, sig):
        os.kill(self.proc.pid, sig)

    def wait(self, timeout=20):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the runtime did not exit in {timeout}s\n"
                                 f"{self.out()}\n{self.err()}")

    def kill(self):
        """A stop as the orchestrator does it: SIGTERM, then SIGKILL."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@pytest.fixture
def runtime(drover):
    """runtime(*args, env=..., home=..., prefix=[...]) starts drover-runtime
    with args; whatever still runs at teardown is killed."""
    started = []

    def start(*args, env=None, home=None, prefix=(), argv0=RUNTIME, tag=None):
        rt = Runtime(drover, [*prefix, argv0, *map(str, args)], env=env, home=home,
                     tag=tag or f"rt{len(started)}")
        started.append(rt)
        return rt
    yield start
    for rt in started:
        rt.kill()


def probe(drover, *args, home=None, timeout=10):
    env = {"DROVER_HOME": home} if home else None
    return drover.run("probe", *args, check=False, env=env, timeout=timeout)


def wait_daemon(drover, home=None):
    """Until the runtime's daemon answers (probe never starts one, where
    `drover ls` would start a detached daemon of its own)."""
    wait_until(lambda: probe(drover, "live", home=home).returncode == 0, 15, 0.05,
               "the runtime's daemon")


def no_daemon_left(drover, home=None):
    """No process holds the home any more, and the CLI finds no daemon."""
    home = home or drover.home
    wait_until(lambda: not procs_holding(home), 10, 0.1, f"every process to leave {home}")
    p = probe(drover, "live", home=home)
    assert p.returncode == 1 and "no daemon" in p.stdout, p.stdout


def test_runtime_runs_apps_in_foreground_forwards_signals_and_works_with_the_cli(
        drover, runtime, app):
    rt = runtime(app("runtime_app.py"), "-i", "2", "--name", "web", "--env", "SIGNALS=1")
    wait_daemon(drover)
    procs = wait_until(lambda: [p for p in drover.procs() if p["status"] == "online"]
                       if len(drover.procs()) == 2 else None, 15, 0.1, "2 online instances")
    pids = {p["pid"] for p in procs}
    for pid in pids:  # apps' stdout on our stdout, their stderr on our stderr, raw
        rt.wait_out(f"start {pid}\n")
        rt.wait_out(f"hello stderr {pid}\n", stream="err")
    assert "app_name" not in rt.out()

    # SIGHUP, SIGUSR1 and SIGUSR2 go to every app
    for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2):
        rt.signal(sig)
        for pid in pids:
            rt.wait_out(f"got {sig.name} {pid}\n")
    assert rt.proc.poll() is None

    # the CLI from another shell: ls, logs --nostream, reload
    logs = drover.run("logs", "web", "--nostream", "--lines", "20").stdout
    assert all(f"start {pid}" in logs for pid in pids), logs
    drover.run("reload", "web")
    new = {p["pid"] for p in drover.procs()}
    assert len(new) == 2 and not new & pids
    for pid in new:
        rt.wait_out(f"start {pid}\n")

    # SIGTERM: a requested stop, exit 0, nothing left behind
    rt.signal(signal.SIGTERM)
    assert rt.wait() == 0, rt.err()
    for pid in new:
        assert f"got SIGINT {pid}" in rt.out()  # the apps' stop signal
        assert not pid_alive(pid)
    assert "drover-runtime: stopped" in rt.err()
    no_daemon_left(drover)


def test_start_no_daemon_json_logs_and_sigint(drover, runtime, app):
    rt = runtime("start", app("runtime_app.py"), "--name", "js", "-i", "2", "--no-daemon",
                 "--json", argv0=drover.bin)
    lines = []

    def two_instances():
        lines[:] = [json.loads(line) for line in rt.out().splitlines() if line.strip()]
        return {(o["app_name"], o["process_id"]) for o in lines
                if o["message"].startswith("start ")} == {("js", 0), ("js", 1)}
    wait_until(two_instances, 15, 0.1, f"JSON start lines\n{rt.out()}\n{rt.err()}")
    assert {o["type"] for o in lines} == {"out"}
    errs = [json.loads(line) for line in rt.err().splitlines() if line.startswith("{")]
    rt.wait_out('"message":"hello stderr', stream="err")
    assert all(o["app_name"] in ("js", "drover-runtime") for o in errs)
    # every stderr line is JSON, the daemon's own log included (it goes to its file)
    assert all(line.startswith("{") for line in rt.err().splitlines() if line.strip()), rt.err()
    rt.signal(signal.SIGINT)
    assert rt.wait() == 0, rt.err()
    no_daemon_left(drover)


@pytest.mark.parametrize("args,env,code", [
    (["--no-autorestart"], {"EXIT_AFTER": "0.3", "EXIT_CODE": "3"}, 3),
    (["--no-autorestart"], {"EXIT_AFTER": "0.3", "EXIT_SIGNAL": "9"}, 128 + 9),
    (["--stop-exit-codes", "7"], {"EXIT_AFTER": "0.3", "EXIT_CODE": "7"}, 7),
    # a crash loop ends errored: non-zero, no endless loop
    (["--max-restarts", "2", "--min-uptime", "5s"], {"EXIT_AFTER": "0", "EXIT_CODE": "0"}, 1),
], ids=["code", "signal", "stop-exit-codes", "crash-loop"])
def test_exit_code_when_the_apps_end(drover, runtime, app, args, env, code):
    envs = [x for k, v in env.items() for x in ("--env", f"{k}={v}")]
    rt = runtime(app("runtime_app.py"), "--name", "once", *args, *envs)
    assert rt.wait(30) == code, rt.err()
    assert "none will restart" in rt.err()
    no_daemon_left(drover)


def test_apps_stopped_from_another_shell_end_the_runtime_with_0(drover, runtime, app):
    rt = runtime(app("runtime_app.py"), "--name", "solo")
    wait_daemon(drover)
    drover.wait_status("solo", "online")
    drover.run("stop", "all")
    assert rt.wait(20) == 0, rt.err()
    assert "every app ended" in rt.err()
    no_daemon_left(drover)


def test_sigterm_not_ready_first_then_stop_after_the_delay(drover, runtime, app):
    port = free_port()
    rt = runtime(app("runtime_app.py"), "-i", "2", "--name", "api", "--env", f"PORT={port}",
                 "--env", "READY_DELAY=1.5", "--env", "SIGNALS=1",
                 env={"DROVER_SHUTDOWN_DELAY": "2s"})
    # not ready before the app serves; live all along
    wait_daemon(drover)
    p = probe(drover, "ready")
    assert p.returncode == 1 and p.stdout.startswith("not ready:"), p.stdout
    assert probe(drover, "live").returncode == 0
    wait_until(lambda: probe(drover, "ready", "api").returncode == 0, 15, 0.1, "ready")
    assert probe(drover, "ready", "nope").returncode == 1
    assert probe(drover, "sideways").returncode == 2
    p = probe(drover, "ready", "--json")
    assert json.loads(p.stdout) == {"probe": "ready", "app": None, "ok": True, "reason": "ready"}

    rt.signal(signal.SIGTERM)
    t0 = time.monotonic()
    wait_until(lambda: probe(drover, "ready").returncode == 1, 1.5, 0.05, "not ready")
    assert probe(drover, "live").returncode == 0
    assert get_pid(port) > 0  # still serving during the delay
    assert rt.wait(15) == 0, rt.err()
    took = time.monotonic() - t0
    assert 2.0 <= took < 12, took  # the delay, then the stop within the kill timeout
    assert "stopping the apps in 2.0 s" in rt.err()
    no_daemon_left(drover)


def http_get(port, path, timeout=5):
    """(status, body) of GET path on 127.0.0.1:port; None when nothing answers."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode()
    except OSError:
        return None
    finally:
        c.close()


def test_runtime_http_serves_probes_and_turns_unready_on_sigterm(drover, runtime, app):
    port, http_port = free_port(), free_port()
    rt = runtime("--http", f"127.0.0.1:{http_port}", app("runtime_app.py"), "-i", "2",
                 "--name", "api", "--env", f"PORT={port}", "--env", "READY_DELAY=1",
                 env={"DROVER_SHUTDOWN_DELAY": "3s"})
    # /livez answers as soon as the daemon serves; /readyz 200 once an instance is online
    wait_until(lambda: (http_get(http_port, "/livez") or (0,))[0] == 200, 15, 0.05, "/livez")
    wait_until(lambda: (http_get(http_port, "/readyz") or (0,))[0] == 200, 15, 0.05,
               "/readyz 200")
    assert http_get(http_port, "/readyz/api")[0] == 200
    assert http_get(http_port, "/readyz/nope")[0] == 404
    status, metrics = http_get(http_port, "/metrics")
    assert status == 200 and 'app="api"' in metrics, metrics[:500]
    # the variable is the daemon's, not the apps'
    env = drover.run("env", "api").stdout
    assert "PORT: " in env and "DROVER_HTTP" not in env, env

    rt.signal(signal.SIGTERM)
    t0 = time.monotonic()
    # 503 during the shutdown delay, while the daemon and the apps still serve
    wait_until(lambda: (http_get(http_port, "/readyz") or (0,))[0] == 503, 2, 0.05,
               "/readyz 503 after SIGTERM")
    status, body = http_get(http_port, "/readyz")
    assert status == 503 and "draining" in body, body
    assert http_get(http_port, "/livez")[0] == 200
    assert get_pid(port) > 0
    assert time.monotonic() - t0 < 3
    assert rt.wait(20) == 0, rt.err()
    assert http_get(http_port, "/livez", timeout=2) is None  # gone with the daemon
    no_daemon_left(drover)


def test_runtime_http_bad_address_is_a_usage_error(drover, runtime, app):
    rt = runtime("--http", "not-an-address", app("runtime_app.py"))
    assert rt.wait(10) == 2
    assert "--http" in rt.err()


def test_sigterm_while_the_apps_start_is_a_requested_stop(drover, runtime, app):
    port = free_port()
    rt = runtime(app("runtime_app.py"), "-i", "2", "--name", "slow", "--env", f"PORT={port}",
                 "--env", "READY_DELAY=2")
    wait_daemon(drover)
    rt.signal(signal.SIGTERM)  # `start` is still waiting for the app to listen
    assert rt.wait(20) == 0, rt.err()
    assert "drover-runtime: stopped" in rt.err()
    no_daemon_left(drover)


def ns_zombies(ns):
    """Zombies whose parent lives in the pid namespace ns."""
    inside, zombies = set(), []
    for e in os.listdir("/proc"):
        if not e.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{e}/ns/pid") == ns:
                inside.add(int(e))
        except OSError:
            pass
    for e in os.listdir("/proc"):
        try:
            with open(f"/proc/{e}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if fields[0] == "Z" and int(fields[1]) in inside:
                zombies.append(int(e))
        except (OSError, IndexError, ValueError):
            pass
    return set(zombies)


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def test_pid1_in_a_pid_namespace_reaps_orphans(drover, runtime, app):
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a pid namespace")
    # --no-auto-exit: it keeps running after `drover stop` below
    rt = runtime("--no-auto-exit", app("runtime_app.py"), "-i", "2", "--name", "orph",
                 "--env", "ORPHANS=1",
                 prefix=["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"])
    pid1 = wait_until(lambda: children(rt.proc.pid), 10, 0.05, "the runtime")[0]
    with open(f"/proc/{pid1}/status") as f:
        assert [ln for ln in f if ln.startswith("NSpid:")][0].split()[-1] == "1"
    ns = os.readlink(f"/proc/{pid1}/ns/pid")
    wait_daemon(drover)
    wait_until(lambda: len(drover.procs()) == 2, 15, 0.1, "2 instances")
    rt.wait_out("start ")

    def no_lasting_zombie():
        first = ns_zombies(ns)
        time.sleep(0.5)
        return not (first & ns_zombies(ns))
    for _ in range(3):  # the apps make 10 orphans a second
        assert no_lasting_zombie()

    # the daemon dies: its supervisors become PID 1's children; the runtime
    # reaps it, starts a daemon again, which adopts the apps
    daemon = [c for c in children(pid1) if comm(c) == "droverd"][0]
    os.kill(daemon, signal.SIGKILL)
    rt.wait_out("daemon started again", timeout=20, stream="err")
    wait_until(lambda: [c for c in children(pid1) if comm(c) == "droverd"] not in ([], [daemon]),
               10, 0.1, "a new daemon")
    assert daemon not in children(pid1) and not pid_alive(daemon)
    wait_until(lambda: [p["status"] for p in drover.procs()] == ["online", "online"], 15, 0.1,
               "the apps adopted")
    drover.run("stop", "orph")  # their supervisors, now PID 1's children, exit
    assert no_lasting_zombie()

    os.kill(pid1, signal.SIGTERM)
    assert rt.wait() == 0, rt.err()
    no_daemon_left(drover)


def test_container_restarted_on_a_persisted_home_runs_its_own_apps(drover, runtime, app):
    """A container killed outright (SIGKILL of its PID 1: everything in the
    namespace dies) and started again on the same DROVER_HOME (a volume)
    runs what its command line says, once: the state.json the dead daemon
    left neither starts stale apps beside it nor makes the start fail."""
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root and unshare for a pid namespace")
    port = free_port()
    ns = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]
    first = runtime(app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}",
                    prefix=ns)
    wait_daemon(drover)
    wait_until(lambda: [p["status"] for p in drover.procs()] == ["online"] * 2, 20, 0.1,
               "2 instances online")
    # a stale extra app in the state the next container must not start
    drover.run("start", app("http_node.js"), "--name", "stale", "--env", f"PORT={free_port()}")
    pid1 = wait_until(lambda: children(first.proc.pid), 10, 0.05, "the runtime")[0]
    os.kill(pid1, signal.SIGKILL)
    first.wait()
    wait_until(lambda: not procs_holding(drover.home), 10, 0.1, "the namespace to be gone")

    second = runtime(app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}",
                     prefix=ns)
    wait_daemon(drover)  # (ls would start a detached daemon of its own)
    wait_until(lambda: (lambda ps: sorted((p["name"], p["status"]) for p in ps)
                        == [("web", "online")] * 2 and ps)(drover.procs()),
               20, 0.1, "only the command line's app, online")

    def answers():
        try:
            return get_pid(port) > 0
        except OSError:
            return False
    wait_until(answers, 15, 0.1, "the app to answer")
    assert second.proc.poll() is None, second.err()
    os.kill(children(second.proc.pid)[0], signal.SIGTERM)
    assert second.wait() == 0, second.err()
    no_daemon_left(drover)


def test_drain_and_export_errors(drover, app):
    port = free_port()
    drover.run("start", app("runtime_app.py"), "--name", "web", "--env", f"PORT={port}")
    drover.run("start", app("runtime_app.py"), "--name", "quiet")
    wait_until(lambda: probe(drover, "ready", "web").returncode == 0, 15, 0.1, "web ready")
    drover.run("drain", "web")
    p = probe(drover, "ready", "web")
    assert p.returncode == 1 and "draining" in p.stdout
    assert probe(drover, "ready", "quiet").returncode == 0
    assert probe(drover, "live", "web").returncode == 0
    drover.run("drain", "web", "--off")
    assert probe(drover, "ready", "web").returncode == 0
    drover.run("drain", "all")
    assert probe(drover, "ready", "quiet").returncode == 1
    drover.run("drain", "--off", "all")
    assert probe(drover, "ready").returncode == 0
    assert drover.run("drain", "nope", check=False).returncode == 1
    assert drover.run("drain", check=False).returncode == 2

    out = drover.run("export", "nginx", "web", "--hosts", "10.1.0.1,10.1.0.2").stdout
    assert f"server 10.1.0.1:{port} " in out and f"server 10.1.0.2:{port} " in out
    assert "least_conn;" in out and "keepalive" not in out
    out = drover.run("export", "nginx", "web", "--keepalive", "16").stdout
    assert "    keepalive 16;" in out and 'proxy_set_header Connection "";' in out
    assert drover.run("export", "nginx", "web", "--keepalive", "x", check=False).returncode == 2
    out = drover.run("export", "haproxy", "web", "--check-path", "/", "--agent-port",
                     "9101").stdout
    assert "option httpchk GET /" in out and "agent-port 9101" in out
    assert f"127.0.0.1:{port}" in out
    assert drover.run("export", "nginx", "quiet", check=False).returncode == 1  # no port
    assert drover.run("export", "nginx", "nope", check=False).returncode == 1
    assert drover.run("export", "apache", "web", check=False).returncode == 2
    drover.run("kill")
    p = probe(drover, "live", timeout=5)
    assert p.returncode == 1 and "no daemon" in p.stdout


NGINX_CONF = """worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
{upstream}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://web;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_connect_timeout 1s;
            proxy_next_upstream error timeout;
        }}
    }}
}}
"""

HAPROXY_CONF = """global
    maxconn 512
    stats socket {d}/haproxy.sock mode 600 level admin
defaults
    mode http
    timeout client 10s
    timeout server 10s
    timeout connect 1s
frontend fe
    bind 127.0.0.1:{port}
    default_backend web
{backend}
"""


class ModestLoad(Load):
    """Load with a pause between requests: modest, so the machine's cores
    still start the replacement instances briskly."""

    def _one(self):
        time.sleep(0.02)
        return super()._one()


def haproxy_servers(sock):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(b"show stat\n")
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    lines = data.decode().splitlines()
    head = lines[0].lstrip("# ").split(",")
    rows = [dict(zip(head, ln.split(","))) for ln in lines[1:] if ln]
    return {r["svname"]: r["status"] for r in rows if r["svname"] not in ("FRONTEND", "BACKEND")}


def test_nginx_and_haproxy_in_front_reload_under_load_and_drain(drover, runtime, app):
    for tool in ("nginx", "haproxy"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is missing: scripts/install-deps.sh test installs it")
    # two "hosts" on loopback: 127.0.0.1 and 127.0.0.2, each its own runtime
    port, agent = free_port(), free_port()
    hosts = ["127.0.0.1", "127.0.0.2"]
    homes, rts = [], []
    for i, host in enumerate(hosts):
        home = os.path.join(drover.tmp, f"host{i}")
        os.makedirs(home)
        homes.append(home)
        rts.append(runtime("--agent", f"{host}:{agent}", app("runtime_app.py"), "-i", "2",
                           "--name", "web", "--env", f"PORT={port}", "--env", f"HOST={host}",
                           home=home, tag=f"host{i}"))
    for home in homes:
        wait_until(lambda: probe(drover, "ready", "web", home=home).returncode == 0, 20, 0.1,
                   f"{home} ready")
    env0 = {"DROVER_HOME": homes[0]}
    up = drover.run("export", "nginx", "web", "--hosts", ",".join(hosts), env=env0).stdout
    be = drover.run("export", "haproxy", "web", "--hosts", ",".join(hosts), "--agent-port",
                    agent, "--check-path", "/", env=env0).stdout

    d = os.path.join(drover.tmp, "balancers")
    os.makedirs(d)
    ngx_port, hap_port = free_port(), free_port()
    with open(f"{d}/nginx.conf", "w") as f:
        f.write(NGINX_CONF.format(d=d, port=ngx_port, upstream=up))
    with open(f"{d}/haproxy.cfg", "w") as f:
        f.write(HAPROXY_CONF.format(d=d, port=hap_port, backend=be))
    ngx = ["nginx", "-p", d, "-e", f"{d}/error.log", "-c", f"{d}/nginx.conf"]
    t = subprocess.run([*ngx, "-t"], capture_output=True, text=True)
    assert t.returncode == 0, t.stderr
    t = subprocess.run(["haproxy", "-c", "-f", f"{d}/haproxy.cfg"], capture_output=True,
                       text=True)
    assert t.returncode == 0, t.stdout + t.stderr
    balancers = [subprocess.Popen([*ngx, "-g", "daemon off;"], stderr=subprocess.DEVNULL),
                 subprocess.Popen(["haproxy", "-db", "-f", f"{d}/haproxy.cfg"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        sock = f"{d}/haproxy.sock"
        wait_until(lambda: os.path.exists(sock) and
                   set(haproxy_servers(sock).values()) == {"UP"}, 15, 0.2, "HAProxy's servers up")
        wait_until(lambda: get_pid(ngx_port) > 0, 10, 0.1, "nginx serving")
        pids = [{p["pid"] for p in drover.json("ls", env={"DROVER_HOME": h})} for h in homes]

        # a rolling reload of each host in turn under load, through both balancers
        loads = [ModestLoad(ngx_port, threads=2).start(), ModestLoad(hap_port, threads=2).start()]
        t0 = time.monotonic()
        for home in homes:
            t1 = time.monotonic()
            drover.run("reload", "web", env={"DROVER_HOME": home})
            print(f"reload of {home}: {time.monotonic() - t1:.1f}s")
        # a few hundred requests in all, through each balancer
        wait_until(lambda: min(load.served for load in loads) >= 150, 15, 0.1, "requests")
        for load in loads:
            load.stop()
        took = time.monotonic() - t0
        print(f"reload of 2 hosts under load in {took:.1f}s: nginx {loads[0].report()}; "
              f"haproxy {loads[1].report()}")
        for load in loads:
            assert not load.errors, load.report()
        new = [{p["pid"] for p in drover.json("ls", env={"DROVER_HOME": h})} for h in homes]
        assert not (new[0] | new[1]) & (pids[0] | pids[1])

        # drain host 2: HAProxy's agent check sees it, and sends it nothing new
        drover.run("drain", "web", env={"DROVER_HOME": homes[1]})
        assert probe(drover, "ready", "web", home=homes[1]).returncode == 1
        wait_until(lambda: "DRAIN" in haproxy_servers(sock).get(f"127.0.0.2-{port}", ""), 10,
                   0.1, "HAProxy to see the drain")
        load = ModestLoad(hap_port, threads=2).start()
        wait_until(lambda: load.served >= 100, 15, 0.1, "requests")
        load.stop()
        print(f"haproxy with host 2 draining: {load.report()}")
        assert not load.errors, load.report()
        assert set(load.by_pid) <= new[0], load.report()
        drover.run("drain", "web", "--off", env={"DROVER_HOME": homes[1]})
        wait_until(lambda: set(haproxy_servers(sock).values()) == {"UP"}, 10, 0.1,
                   "host 2 back")
    finally:
        for b in balancers:
            b.terminate()
            b.wait(timeout=10)
    for rt in rts:
        rt.signal(signal.SIGTERM)
    for rt, home in zip(rts, homes):
        assert rt.wait() == 0, rt.err()
        no_daemon_left(drover, home)
