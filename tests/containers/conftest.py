"""Shared helpers of tests/containers (scripts/test-containers.sh runs them
with a private dockerd: DOCKER_HOST, DROVER_IMAGE, NGINX_IMAGE exported).

Every fixture here is session-scoped and asks for Docker only when a test
requests it: a test of this directory that needs no Docker runs without it.
A test that needs Docker FAILS (never skips) when the engine does not serve."""
import http.client
import json
import os
import socket
import subprocess
import threading
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
EXAMPLES = os.path.join(ROOT, "examples")
ENGINE_WAIT = 30  # seconds for dockerd to serve


def wait_until(pred, timeout, interval=0.2, what="condition"):
    """Polls pred() until it returns a truthy value; fails after timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def run(argv, timeout=120, check=True, env=None, cwd=None):
    """Runs argv; returns the CompletedProcess (text). check: fail on non-zero."""
    e = dict(os.environ)
    e.update(env or {})
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=e, cwd=cwd)
    except subprocess.TimeoutExpired as err:
        raise AssertionError(f"{' '.join(argv)}: no end within {timeout}s\n{err.stdout}\n"
                             f"{err.stderr}")
    if check and p.returncode != 0:
        raise AssertionError(f"{' '.join(argv)}: exit {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p


class Docker:
    """The docker CLI against the engine of DOCKER_HOST."""

    def __init__(self, image, nginx_image):
        self.image = image
        self.nginx_image = nginx_image
        self.created = []

    def __call__(self, *args, timeout=120, check=True, env=None, cwd=None):
        return run(["docker", *map(str, args)], timeout=timeout, check=check, env=env, cwd=cwd)

    def run_container(self, *args, name, timeout=60):
        """docker run -d --name NAME ARGS; the container is removed at the end."""
        self.created.append(name)
        # the image's HEALTHCHECK command, run every second instead of 5 (test time)
        self("run", "-d", "--name", name, "--label", "drover-test=1", "--health-interval", "1s",
             *args, timeout=timeout)
        return name

    def inspect(self, name):
        return json.loads(self("inspect", name).stdout)[0]

    def health(self, name):
        st = self.inspect(name)["State"]
        return (st.get("Health") or {}).get("Status"), st["Status"]

    def wait_healthy(self, name, timeout=60):
        return wait_until(lambda: self.health(name)[0] == "healthy", timeout, 0.3,
                          f"{name} healthy ({self.health(name)})\n{self.logs(name)}")

    def logs(self, name):
        p = self("logs", name, check=False)
        return p.stdout + p.stderr

    def exec(self, name, *args, timeout=60, check=True):
        return self("exec", name, *args, timeout=timeout, check=check)

    def jlist(self, name):
        """`drover jlist` inside the container: [(pm_id, pid, status)]."""
        procs = json.loads(self.exec(name, "drover", "jlist").stdout)
        return [(p["pm_id"], p["pid"], p["pm2_env"]["status"]) for p in procs]

    def ip(self, name):
        nets = self.inspect(name)["NetworkSettings"]["Networks"]
        return next(n["IPAddress"] for n in nets.values() if n["IPAddress"])

    def remove(self, *names):
        if names:
            self("rm", "-f", *names, check=False, timeout=60)


@pytest.fixture(scope="session")
def docker():
    """The engine of DOCKER_HOST (scripts/test-containers.sh's private
    dockerd), waited for up to ENGINE_WAIT s: a failure, not a skip, when it
    does not serve."""
    host = os.environ.get("DOCKER_HOST")
    image = os.environ.get("DROVER_IMAGE")
    if not host or not image:
        pytest.fail("no engine: DOCKER_HOST and DROVER_IMAGE are not set; run "
                    "`make test-containers` (scripts/test-containers.sh), which starts a "
                    "private dockerd and builds the images", pytrace=False)
    deadline = time.monotonic() + ENGINE_WAIT
    while True:
        p = run(["docker", "version", "--format", "{{.Server.Version}}"], check=False, timeout=20)
        if p.returncode == 0:
            break
        if time.monotonic() > deadline:
            pytest.fail(f"the engine at {host} does not serve after {ENGINE_WAIT}s: "
                        f"{p.stderr.strip()}", pytrace=False)
        time.sleep(0.5)
    p = run(["docker", "image", "inspect", image], check=False)
    if p.returncode != 0:
        pytest.fail(f"the image {image} is not built on {host}: {p.stderr.strip()}",
                    pytrace=False)
    d = Docker(image, os.environ.get("NGINX_IMAGE", "nginx:stable"))
    yield d
    d.remove(*d.created)


class Load:
    """Clients sending GET / over keep-alive connections to 127.0.0.1:port
    until stop(): counts answers, failures, and who answered (the app names
    its container's hostname)."""

    def __init__(self, port, clients=2, path="/"):
        self.port, self.path = port, path
        self.ok = 0
        self.failed = []
        self.hosts = {}
        self.lock = threading.Lock()
        self.halt = threading.Event()
        self.threads = [threading.Thread(target=self._client, daemon=True)
                        for _ in range(clients)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _client(self):
        conn = None
        while not self.halt.is_set():
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
                conn.request("GET", self.path)
                r = conn.getresponse()
                body = r.read().decode(errors="replace")
                with self.lock:
                    if r.status == 200:
                        self.ok += 1
                        host = body.rsplit(" on ", 1)[-1].strip()
                        self.hosts[host] = self.hosts.get(host, 0) + 1
                    else:
                        self.failed.append(f"{r.status} {body.strip()[:120]}")
            except (OSError, http.client.HTTPException) as e:
                with self.lock:
                    self.failed.append(f"{type(e).__name__}: {e}")
                if conn is not None:
                    conn.close()
                conn = None
                time.sleep(0.05)
        if conn is not None:
            conn.close()

    def count(self):
        with self.lock:
            return self.ok

    def hosts_seen(self):
        with self.lock:
            return dict(self.hosts)

    def stop(self):
        self.halt.set()
        for t in self.threads:
            t.join(30)
        return self.ok, list(self.failed)


def http_get(host, port, path="/", timeout=5):
    """(status, body), or None when nothing answers."""
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read().decode(errors="replace")
    except (OSError, http.client.HTTPException):
        return None
    finally:
        c.close()


def report(line):
    """A measured figure, shown in pytest -v's output (-s not needed) and
    kept in the temporary directory's report file when there is one."""
    print(f"[containers] {line}")
    where = os.environ.get("DROVER_CTR_TMP")
    if where:
        with open(os.path.join(where, "report.txt"), "a") as f:
            f.write(line + "\n")


def parse_duration(text):
    """Seconds in "5s", "1500ms", "2m" or a bare number of seconds."""
    text = str(text).strip()
    for suffix, scale in (("ms", 0.001), ("s", 1), ("m", 60)):
        if text.endswith(suffix):
            return float(text[:-len(suffix)]) * scale
    return float(text)
