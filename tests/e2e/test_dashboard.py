"""The daemon's web dashboard (daemon/http/dashboard.h): `drover dashboard`
prints its URL with the token; the page, driven in headless Chromium by
tests/node/dashboard_check.js (puppeteer-core), lists the app, draws live
charts from /events, shows the log tail and describe, scales the app with
the token; without the token actions, describe and logs are refused (401)
and nothing changes. Plain HTTP checks the security headers, the POST
limits and the stream limits. Loopback only; every wait is bounded.
Screenshots go to $DROVER_ARTIFACTS (default <build>/test-artifacts)."""
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time

import pytest

from conftest import BUILD, REPO, wait_until
from loadgen import free_port

NODE_DIR = os.path.join(REPO, "tests", "node")
ARTIFACTS = os.environ.get("DROVER_ARTIFACTS") or os.path.join(BUILD, "test-artifacts")
STREAMS_MAX = 16  # HTTP_MAX_STREAMS


def request(port, method, path, body=None, token=None, headers=None, timeout=5.0):
    """(status, headers, body text) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    h = dict(headers or {})
    if token is not None:
        h["Authorization"] = f"Bearer {token}"
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


def serve(drover, app, port, app_port, instances=2):
    drover.run("ping", env={"DROVER_HTTP": f"127.0.0.1:{port}"})
    wait_until(lambda: request(port, "GET", "/livez")[0] == 200, 5, 0.05, "/livez")
    drover.run("start", app("http_node.js"), "-i", instances, "--name", "web",
               "--env", f"PORT={app_port}")


def token_of(drover):
    with open(os.path.join(drover.home, "dashboard.token")) as f:
        return f.read().strip()


def web_count(drover):
    return len([p for p in drover.json("jlist") if p["name"] == "web"])


def restarts(drover):
    return sum(p["pm2_env"]["restart_time"] for p in drover.json("jlist") if p["name"] == "web")


def open_stream(port):
    """A socket that asked for /events, and the head of its answer."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
    return s, got.decode(errors="replace")


def test_dashboard_in_chromium(drover, app):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium or not shutil.which("node"):
        pytest.fail("chromium or node is missing: scripts/install-deps.sh test installs them")
    if not os.path.isdir(os.path.join(NODE_DIR, "node_modules", "puppeteer-core")):
        pytest.fail("puppeteer-core is missing: scripts/install-deps.sh test installs "
                    "tests/node's packages")
    port, app_port = free_port(), free_port()
    serve(drover, app, port, app_port)
    token = token_of(drover)
    assert re.fullmatch(r"[0-9a-f]{64}", token)
    assert os.stat(os.path.join(drover.home, "dashboard.token")).st_mode & 0o777 == 0o600
    url = drover.run("dashboard").stdout.strip()
    assert url == f"http://127.0.0.1:{port}/#token={token}"
    assert json.loads(drover.run("dashboard", "--json").stdout)["url"] == url

    os.makedirs(ARTIFACTS, exist_ok=True)
    env = dict(os.environ, CHROMIUM=chromium)
    p = subprocess.run(["node", os.path.join(NODE_DIR, "dashboard_check.js"), url, "web",
                        ARTIFACTS], cwd=NODE_DIR, env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.stdout.strip(), p.stderr
    seen = json.loads(p.stdout.strip().splitlines()[-1])
    assert p.returncode == 0, seen.get("failed", p.stderr)
    # the page lists the app and both instances; the token left the address bar
    assert seen["instances_before"] == 2
    assert seen["fragment_after"] == "" and seen["token_stored"]
    # the stream keeps coming: more snapshots, more points, a chart drawn
    assert seen["snapshots"][1] > seen["snapshots"][0]
    assert seen["points"][1] >= seen["points"][0] + 2
    assert seen["chart_pixels"] > 500
    # without the token the page's own fetch is refused; with it scale +1 works
    assert seen["no_token_status"] == 401
    assert seen["instances_after"] == 3
    assert web_count(drover) == 3
    assert "listening on" in seen["log_excerpt"]
    assert {"status", "script", "out log"} <= set(seen["describe_keys"])
    assert not [e for e in seen["errors"] if "Content Security Policy" in e], seen["errors"]
    assert os.path.getsize(os.path.join(ARTIFACTS, "dashboard.png")) > 10000


def test_dashboard_http(drover, app):
    port, app_port = free_port(), free_port()
    serve(drover, app, port, app_port)
    token = token_of(drover)

    # the page: no inline script, strict headers
    status, headers, body = request(port, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert '<script src="/dashboard.js"' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body) and "onclick=" not in body
    status, headers, body = request(port, "GET", "/dashboard.js")
    assert status == 200 and headers["Content-Type"].startswith("text/javascript")
    assert request(port, "GET", "/dashboard.css")[0] == 200
    assert request(port, "GET", "/nothing.js")[0] == 404

    # the state needs no token (it is what /metrics shows)
    status, headers, body = request(port, "GET", "/api/state")
    assert status == 200 and headers["Cache-Control"] == "no-store"
    assert sorted(p["name"] for p in json.loads(body)["processes"]) == ["web", "web"]

    # without the token, or with a wrong one: 401 and nothing happens
    before = restarts(drover)
    wrong = "0" * 64
    for t in (None, wrong, token[:-1], token + "0", "x"):
        assert request(port, "POST", "/api/apps/web/restart", "{}", token=t)[0] == 401
        assert request(port, "POST", "/api/apps/web/scale", '{"delta":1}', token=t)[0] == 401
        assert request(port, "GET", "/api/apps/web/logs", token=t)[0] == 401
        assert request(port, "GET", "/api/apps/web", token=t)[0] == 401
    status, headers, _ = request(port, "POST", "/api/apps/web/stop", "{}",
                                 headers={"Authorization": f"Basic {token}"})
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    time.sleep(0.3)
    assert web_count(drover) == 2 and restarts(drover) == before
    assert all(p["pm2_env"]["status"] == "online" for p in drover.json("jlist"))

    # with it
    status, headers, body = request(port, "POST", "/api/apps/web/restart", "{}", token=token)
    assert status == 202 and json.loads(body)["ok"] is True
    wait_until(lambda: restarts(drover) == before + 2, 15, 0.1, "the restart")
    assert request(port, "POST", "/api/apps/nope/restart", "{}", token=token)[0] == 404
    assert request(port, "POST", "/api/apps/web/explode", "{}", token=token)[0] == 404
    assert request(port, "POST", "/api/apps/web/scale", '{"delta":-2}', token=token)[0] == 409
    assert request(port, "POST", "/api/apps/web/scale", "nonsense", token=token)[0] == 400
    assert web_count(drover) == 2
    status, _, body = request(port, "GET", "/api/apps/web/logs", token=token)
    assert status == 200
    lines = [l for f in json.loads(body)["files"] for l in f["lines"]]
    assert any("listening on" in l for l in lines), lines
    status, _, body = request(port, "GET", "/api/apps/web", token=token)
    assert status == 200 and len(json.loads(body)["processes"]) == 2

    # POST limits: a body over 4 KiB, no Content-Length; other paths still 405
    assert request(port, "POST", "/api/apps/web/scale", "x" * 5000, token=token)[0] == 413
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(b"POST /api/apps/web/stop HTTP/1.1\r\nAuthorization: Bearer " +
              token.encode() + b"\r\n\r\n")
    assert s.recv(4096).startswith(b"HTTP/1.1 411 ")
    s.close()
    status, headers, _ = request(port, "POST", "/livez", "")
    assert status == 405 and headers["Allow"] == "GET, HEAD"
    status, headers, _ = request(port, "POST", "/events", "", token=token)
    assert status == 405
    assert web_count(drover) == 2


def test_dashboard_streams(drover, app):
    port, app_port = free_port(), free_port()
    serve(drover, app, port, app_port, instances=1)
    # every stream gets a snapshot at once, then one a second
    streams = []
    for _ in range(STREAMS_MAX):
        s, head = open_stream(port)
        assert head.startswith("HTTP/1.1 200 OK\r\n"), head
        assert "text/event-stream" in head and "Content-Length" not in head
        streams.append(s)
    _, head = open_stream(port)
    assert head.startswith("HTTP/1.1 503 "), head
    # plain requests are not starved by full streams
    assert request(port, "GET", "/livez")[0] == 200
    s = streams[0]
    got, deadline = b"", time.monotonic() + 5
    while got.count(b"event: snapshot\n") < 3 and time.monotonic() < deadline:
        got += s.recv(65536)
    events = [json.loads(line[6:]) for line in got.decode().split("\n")
              if line.startswith("data: ")]
    assert len(events) >= 3, got[:500]
    assert [e["processes"][0]["name"] for e in events] == ["web"] * len(events)
    assert events[-1]["t"] - events[0]["t"] >= 1500
    # a closed stream frees its place
    streams.pop().close()
    wait_until(lambda: open_stream(port)[1].startswith("HTTP/1.1 200"), 5, 0.2,
               "a stream after one closed")
    for s in streams:
        s.close()


def test_dashboard_verb_starts_http(drover):
    """No DROVER_HTTP: `drover dashboard --address` makes the daemon serve;
    a later call keeps that address; a bad address is refused."""
    r = drover.run("dashboard", "--address", "not-an-address", check=False)
    assert r.returncode == 1 and "not an address" in r.stderr
    assert drover.run("dashboard", "--address", check=False).returncode == 2
    port = free_port()
    url = drover.run("dashboard", "--address", f"127.0.0.1:{port}").stdout.strip()
    assert url == f"http://127.0.0.1:{port}/#token={token_of(drover)}"
    assert request(port, "GET", "/livez")[0] == 200
    assert drover.run("dashboard", "--address", str(free_port())).stdout.strip() == url
    assert drover.run("dash").stdout.strip() == url
    # --open hands the URL to xdg-open (a stand-in here), no shell between
    bin_dir = os.path.join(drover.tmp, "bin")
    os.makedirs(bin_dir)
    opened = os.path.join(drover.tmp, "opened")
    with open(os.path.join(bin_dir, "xdg-open"), "w") as f:
        f.write(f'#!/bin/sh\nprintf "%s" "$1" > {opened}\n')
    os.chmod(os.path.join(bin_dir, "xdg-open"), 0o755)
    path = f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"
    assert drover.run("dashboard", "--open", env={"PATH": path}).stdout.strip() == url
    with open(opened) as f:
        assert f.read() == url
    r = drover.run("dashboard", "--open", env={"PATH": drover.tmp}, check=False)
    assert r.returncode == 1 and r.stdout.strip() == url and "xdg-open" in r.stderr
