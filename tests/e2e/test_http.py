"""The daemon's HTTP endpoints (DROVER_HTTP): /livez, /readyz, /readyz/<app>
and /metrics, checked by promtool and scraped by a real Prometheus server;
bounded against many connections, oversized heads and slow clients.
Loopback only; every wait is bounded."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from conftest import wait_until
from loadgen import free_port


def get(port, path, method="GET", timeout=5.0):
    """(status, headers, body text) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def serve(drover, port, start=None):
    """Starts the daemon with DROVER_HTTP on port (with the command start,
    else ping) and waits for /livez."""
    drover.run(*(start or ["ping"]), env={"DROVER_HTTP": f"127.0.0.1:{port}"})
    wait_until(lambda: get(port, "/livez")[0] == 200, 5, 0.05, "/livez")


def start_web(drover, app, app_port):
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web",
               "--env", f"PORT={app_port}")


def ids(drover):
    return sorted(p["id"] for p in drover.procs())


SAMPLE = re.compile(r'^([a-z_]+)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-z_]+)="((?:[^"\\]|\\.)*)"')


def samples(text):
    """[(name, {labels}, value)] of a text exposition."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        out.append((m[1], dict(LABEL.findall(m[2] or "")), float(m[3])))
    return out


def value(all_samples, name, **labels):
    found = [v for n, ls, v in all_samples
             if n == name and all(ls.get(k) == str(x) for k, x in labels.items())]
    assert len(found) == 1, (name, labels, found)
    return found[0]


def test_probes(drover, app):
    port, app_port = free_port(), free_port()
    serve(drover, port)
    status, headers, body = get(port, "/livez")
    assert (status, body) == (200, "ok\n")
    assert headers["Connection"] == "close" and headers["Content-Length"] == "3"
    assert get(port, "/readyz")[::2] == (503, "no app\n")

    # while the app starts, /readyz says which app is not ready
    starting = subprocess.Popen(
        [drover.bin, "start", app("http_node.js"), "-i", "2", "--name", "web",
         "--env", f"PORT={app_port}"], env=drover.env, cwd=drover.tmp,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = set()
    while starting.poll() is None:
        status, _, body = get(port, "/readyz")
        if status == 503 and body.startswith("web"):
            seen.add(body)
        time.sleep(0.005)
    if starting.returncode != 0:
        logs = "".join(open(os.path.join(drover.home, "logs", f)).read()
                       for f in sorted(os.listdir(os.path.join(drover.home, "logs"))))
        raise AssertionError(starting.stdout.read() + logs)
    assert seen, "no 503 naming web while it started"
    wait_until(lambda: get(port, "/readyz")[0] == 200, 10, 0.05, "/readyz 200")
    assert get(port, "/readyz")[2] == "ready\n"
    assert get(port, "/readyz/web")[::2] == (200, "web is ready\n")
    assert get(port, "/readyz/nope")[::2] == (404, "no app named nope\n")
    assert get(port, "/readyz/we%62")[0] == 200  # percent-decoded
    assert get(port, "/readyz/a%2Fb")[0] == 404

    # one instance stopped: the other serves, the app stays ready (as for
    # `drover probe ready`: a pod is not taken out for one worker)
    second = ids(drover)[1]
    drover.run("stop", second)
    assert get(port, "/readyz")[::2] == (200, "ready\n")
    assert get(port, "/readyz/web")[::2] == (200, "web is ready\n")
    drover.run("start", second)

    # a drain mark (runtime/drain_flag.h: <home>/drain/<app>)
    os.makedirs(os.path.join(drover.home, "drain"), exist_ok=True)
    mark = os.path.join(drover.home, "drain", "web")
    open(mark, "w").close()
    assert get(port, "/readyz/web")[::2] == (503, "web is draining\n")
    assert get(port, "/readyz")[0] == 503
    os.unlink(mark)
    assert get(port, "/readyz/web")[0] == 200

    # the whole app stopped on purpose: /readyz passes, /readyz/web does not
    drover.run("stop", "web")
    assert get(port, "/readyz")[::2] == (200, "ready\n")
    assert get(port, "/readyz/web")[::2] == (503, "web is stopped\n")

    # an app drover gave up on (every instance errored): /livez fails
    drover.run("start", app("crasher.sh"), "--name", "crash", "--max-restarts", "1",
               check=False)
    wait_until(lambda: get(port, "/livez")[0] == 503, 20, 0.05, "/livez 503")
    assert get(port, "/livez")[2] == "crash: every instance is errored\n"
    assert get(port, "/readyz")[0] == 503
    drover.run("delete", "crash")
    assert get(port, "/livez")[::2] == (200, "ok\n")

    # methods and paths
    status, headers, body = get(port, "/livez", method="POST")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    assert get(port, "/nowhere")[0] == 404
    status, headers, body = get(port, "/livez", method="HEAD")
    assert (status, headers["Content-Length"], body) == (200, "3", "")


def test_metrics(drover, app):
    port, app_port = free_port(), free_port()
    serve(drover, port)
    start_web(drover, app, app_port)
    first, second = ids(drover)
    status, headers, text = get(port, "/metrics")
    assert status == 200
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")
    if not shutil.which("promtool"):
        pytest.fail("promtool is missing: scripts/install-deps.sh test installs prometheus")
    check = subprocess.run(["promtool", "check", "metrics"], input=text, text=True,
                           capture_output=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "pid" not in re.findall(r'[{,]([a-z_]+)=', text)

    s = samples(text)
    assert value(s, "drover_up") == 1
    assert value(s, "drover_app_instances", app="web", namespace="default", state="online") == 2
    assert value(s, "drover_app_instances", app="web", state="errored") == 0
    now = time.time()
    for i in (first, second):
        labels = dict(app="web", instance=i, namespace="default")
        assert value(s, "drover_instance_up", **labels) == 1
        assert value(s, "drover_instance_restarts_total", **labels) == 0
        assert value(s, "drover_instance_cpu_seconds_total", **labels) >= 0
        assert value(s, "drover_instance_memory_bytes", **labels) > 1 << 20
        assert now - 120 < value(s, "drover_instance_start_time_seconds", **labels) <= now + 1
        assert value(s, "drover_log_bytes_dropped_total", **labels) == 0
    address = [ls["address"] for n, ls, _ in s if n == "drover_listener_queue_max"]
    assert len(address) == 1 and address[0].endswith(f":{app_port}"), address
    assert value(s, "drover_listener_queue_max", app="web") > 0
    assert value(s, "drover_listener_queue_length", app="web") >= 0

    # restarts count; a stopped instance is down and has no start time
    drover.run("restart", "web")
    drover.run("stop", second)
    s = samples(get(port, "/metrics")[2])
    assert value(s, "drover_instance_restarts_total", app="web", instance=first) == 1
    assert value(s, "drover_instance_up", app="web", instance=second) == 0
    assert not [1 for n, ls, _ in s
                if n == "drover_instance_start_time_seconds" and ls["instance"] == str(second)]
    assert value(s, "drover_app_instances", app="web", state="stopped") == 1


def test_prometheus_scrapes_the_daemon(drover, app):
    if not shutil.which("prometheus"):
        pytest.fail("prometheus is missing: scripts/install-deps.sh test installs it")
    port, app_port, prom_port = free_port(), free_port(), free_port()
    serve(drover, port)
    start_web(drover, app, app_port)
    storage = os.path.join(drover.tmp, "prometheus")
    config = os.path.join(drover.tmp, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                # drover's "instance" is the instance id: keep it (README, "Monitoring")
                "scrape_configs:\n  - job_name: drover\n    honor_labels: true\n"
                "    static_configs:\n"
                f"      - targets: ['127.0.0.1:{port}']\n")
    prom = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={storage}",
         f"--web.listen-address=127.0.0.1:{prom_port}"],
        stdout=subprocess.DEVNULL, stderr=open(os.path.join(drover.tmp, "prom.log"), "w"))
    query = urllib.parse.urlencode({"query": "drover_instance_up"})
    url = f"http://127.0.0.1:{prom_port}/api/v1/query?{query}"

    def series():
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                result = json.load(r)["data"]["result"]
        except OSError:
            return None
        return result if len(result) == 2 else None
    try:
        result = wait_until(series, 30, 0.5, "prometheus to scrape 2 instance series")
    finally:
        prom.terminate()
        try:
            prom.wait(10)
        except subprocess.TimeoutExpired:
            prom.kill()
            prom.wait()
    got = sorted((r["metric"]["app"], r["metric"]["instance"], r["metric"]["job"],
                  r["value"][1]) for r in result)
    assert got == [("web", str(i), "drover", "1") for i in ids(drover)]


def test_bad_address_runs_without_http(drover):
    p = drover.run("ping", env={"DROVER_HTTP": "localhost:http"})
    assert "pong" in p.stdout
    drover.run("ls")
    log = open(os.path.join(drover.home, "daemon.log")).read()
    assert "DROVER_HTTP=localhost:http is not an address" in log
    assert "serving HTTP on" not in log


def test_bounded_against_bad_clients(drover):
    port = free_port()
    serve(drover, port)

    # more connections than it serves, each with half a request
    many = []
    for _ in range(80):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        try:
            s.sendall(b"GET /livez HTTP/1.1\r\n")
        except OSError:
            pass  # closed already to make room for a newer one
        many.append(s)
    # the oldest half-sent requests make room: /livez answers even now
    assert get(port, "/livez")[0] == 200
    for s in many:
        s.close()
    wait_until(lambda: get(port, "/livez")[0] == 200, 5, 0.05, "/livez after 80 connections")

    # a head over 8 KiB: 431 or a closed connection, never an answer
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        s.sendall(b"GET /livez HTTP/1.1\r\n" + b"X-Filler: " + b"a" * 9000 + b"\r\n\r\n")
    except OSError:
        pass
    try:
        reply = s.recv(4096)
    except ConnectionResetError:
        reply = b""
    s.close()
    assert reply == b"" or reply.startswith(b"HTTP/1.1 431 "), reply[:80]

    # slowloris: a byte a second is closed after the 5 s timeout
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(b"GET /livez HTTP/1.1\r\n")
    began = time.monotonic()
    closed = False
    while time.monotonic() - began < 9:
        try:
            s.sendall(b"X")
            s.settimeout(1)
            if s.recv(1) == b"":
                closed = True
                break
        except socket.timeout:
            continue
        except OSError:
            closed = True
            break
    s.close()
    took = time.monotonic() - began
    assert closed and 4 <= took <= 8, took
    assert get(port, "/livez")[0] == 200
