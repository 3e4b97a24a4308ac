"""/metrics/app/<name> (docs: README "Monitoring"): the daemon scrapes each
instance's own metrics port (metrics_port + instance number, METRICS_PORT
in its env) and merges them with an `instance` label, which a scraper
behind the app's round-robin port cannot do. Real node workers, a real
promtool; loopback only, every wait bounded."""
import shutil
import socket
import subprocess
import urllib.request

from conftest import wait_until
from loadgen import free_port
from test_http import get, samples, serve


def free_ports(n):
    """A base port with base..base+n-1 all free on 127.0.0.1."""
    for _ in range(200):
        base = min(free_port(), 65000)
        socks = []
        try:
            for k in range(n):
                s = socket.socket()
                s.bind(("127.0.0.1", base + k))
                socks.append(s)
            return base
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
    raise AssertionError(f"no {n} consecutive free ports")


def start(drover, app, n, env=()):
    port, mport = free_port(), free_ports(n)
    args = ["start", app("metrics_node.js"), "-i", str(n), "--name", "web",
            "--env", f"PORT={port}", "--metrics-port", str(mport)]
    for e in env:
        args += ["--env", e]
    drover.run(*args)
    drover.wait_status("web", "online")
    return port, mport


def scrape(http_port, path="/metrics/app/web"):
    status, headers, body = get(http_port, path, timeout=10)
    return status, headers, body


def test_merges_every_instance_with_an_instance_label(drover, app, tmp_path):
    http_port = free_port()
    serve(drover, http_port)
    port, mport = start(drover, app, 3)
    ids = sorted(p["id"] for p in drover.procs())
    for _ in range(30):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10).read()

    def merged():
        st, _, body = scrape(http_port)
        s = samples(body) if st == 200 else []
        up = {ls["instance"]: v for n, ls, v in s if n == "drover_app_scrape_up"}
        return up == {str(i): 1.0 for i in ids} and (st, body, s)

    status, body, s = wait_until(merged, 15, 0.3, "every instance scraped")
    reqs = {ls["instance"]: v for n, ls, v in s if n == "app_requests_total"}
    assert sorted(reqs) == [str(i) for i in ids] and sum(reqs.values()) == 30
    # one HELP and one TYPE per family, samples grouped under it
    assert body.count("# TYPE app_requests_total counter") == 1
    assert body.count("# TYPE app_latency_seconds histogram") == 1
    lines = body.splitlines()
    first = lines.index("# TYPE app_latency_seconds histogram")
    block = [ln for ln in lines[first + 1:first + 13]]
    assert all(ln.startswith("app_latency_seconds_") for ln in block), block
    # the app's own `instance` label survives as exported_instance
    info = [ls for n, ls, v in s if n == "app_worker_info"]
    assert sorted(ls["exported_instance"] for ls in info) == ["w0", "w1", "w2"]
    assert sorted(ls["instance"] for ls in info) == [str(i) for i in ids]
    if shutil.which("promtool"):
        p = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                           capture_output=True, timeout=30)
        assert p.returncode == 0, p.stdout + p.stderr

    # a reload: each new worker binds its own metrics port while the old
    # one still holds it (never shared, SO_REUSEPORT), and is scraped after
    drover.run("reload", "web")
    drover.wait_status("web", "online")
    new_ids = sorted(p["id"] for p in drover.procs())
    wait_until(lambda: {ls["instance"]: v for n, ls, v in samples(scrape(http_port)[2])
                        if n == "drover_app_scrape_up"} == {str(i): 1.0 for i in new_ids},
               15, 0.3, "scraped after the reload")


def test_an_instance_that_does_not_answer_is_down_not_waited_for(drover, app):
    http_port = free_port()
    serve(drover, http_port)
    start(drover, app, 2, env=["HANG_METRICS_INSTANCE=1"])
    ids = sorted(p["id"] for p in drover.procs())
    status, _, body = scrape(http_port)  # bounded by the 3 s scrape timeout
    assert status == 200
    s = samples(body)
    up = {ls["instance"]: v for n, ls, v in s if n == "drover_app_scrape_up"}
    assert up == {str(ids[0]): 1.0, str(ids[1]): 0.0}
    assert {ls["instance"] for n, ls, v in s if n == "app_requests_total"} == {str(ids[0])}


def test_unknown_app_and_app_without_metrics_port(drover, app):
    http_port = free_port()
    serve(drover, http_port)
    drover.run("start", app("http_node.js"), "--name", "plain", "--env", f"PORT={free_port()}")
    assert scrape(http_port, "/metrics/app/nope")[::2] == (404, "nope: no such app\n")
    assert scrape(http_port, "/metrics/app/plain")[::2] == (404, "plain has no metrics_port\n")
    assert scrape(http_port, "/metrics/app/")[0] == 404
    bad = drover.run("start", app("http_node.js"), "--name", "bad", "--metrics-port", "70000",
                     check=False)
    assert bad.returncode != 0 and "metrics_port" in bad.stderr
