"""Per-worker connection figures (docs/architecture.md, "Connection stats"):
the shim counts each accept in the supervisor's shared page, the daemon
reads the connections a worker holds from the kernel, and every view (ls
--json, describe, jlist, /metrics) shows the same sample. Real node workers,
real sockets on loopback; every wait is bounded."""
import http.client
import socket
import time

from conftest import wait_until
from loadgen import free_port
from test_http import get, samples, serve


def conn_figures(drover):
    """{instance id: its "connections" object} from describe's JSON."""
    return {p["id"]: p.get("connections") for p in drover.json("describe", "web", "--json")}


def request(port, conn=None):
    """One GET; on conn (kept open) when given, else on a new connection.
    Returns the answering worker's pid."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/")
    pid = int(c.getresponse().read())
    if conn is None:
        c.close()
    return pid


def test_accepts_and_open_connections_per_worker(drover, app):
    http_port, port = free_port(), free_port()
    serve(drover, http_port)
    drover.run("start", app("http_node.js"), "-i", "2", "--name", "web", "--env", f"PORT={port}")
    drover.wait_status("web", "online")
    wait_until(lambda: all(f and f["accepted"] == 0 for f in conn_figures(drover).values()),
               10, 0.1, "counters mapped for both workers")
    pid_to_id = {p["pid"]: p["id"] for p in drover.procs()}

    # 120 requests, each on its own connection: every one counted once,
    # on the worker that answered it
    answered = {}
    for _ in range(120):
        pid = request(port)
        answered[pid_to_id[pid]] = answered.get(pid_to_id[pid], 0) + 1
    # 6 keep-alive connections held open, each used once
    held = [http.client.HTTPConnection("127.0.0.1", port, timeout=10) for _ in range(6)]
    holders = {}
    for c in held:
        i = pid_to_id[request(port, c)]
        holders[i] = holders.get(i, 0) + 1
        answered[i] = answered.get(i, 0) + 1

    def settled():
        figs = conn_figures(drover)
        return all(figs[i]["accepted"] == answered.get(i, 0) and
                   figs[i]["open"] == holders.get(i, 0) for i in figs) and figs

    figs = wait_until(settled, 10, 0.3, f"figures {answered} accepted, {holders} open")
    assert sum(f["accepted"] for f in figs.values()) == 126

    # the same sample everywhere: ls --json (brief), jlist (PM2's axm_monitor), /metrics
    brief = {p["id"]: p for p in drover.json("ls", "--json")}
    jl = {p["pm_id"]: p for p in drover.json("jlist")}
    text = get(http_port, "/metrics")[2]
    s = samples(text)
    for i, f in figs.items():
        assert jl[i]["pm2_env"]["axm_monitor"]["Accepted connections"]["value"] == f["accepted"]
        assert jl[i]["pm2_env"]["axm_monitor"]["Open connections"]["value"] == f["open"]
        got = [v for n, ls, v in s if n == "drover_instance_connections_accepted_total"
               and ls["instance"] == str(i)]
        assert got == [f["accepted"]]
        got = [v for n, ls, v in s if n == "drover_instance_connections_open"
               and ls["instance"] == str(i)]
        assert got == [f["open"]]
        if "conns_open" in brief.get(i, {}):
            assert brief[i]["conns_open"] == f["open"]
    assert "# TYPE drover_listener_drops_total counter" in text

    # closing the held connections empties "open"; "accepted" stays
    for c in held:
        c.close()
    wait_until(lambda: all(f["open"] == 0 for f in conn_figures(drover).values()),
               10, 0.3, "open back to 0")
    assert sum(f["accepted"] for f in conn_figures(drover).values()) == 126


def test_rate_and_restart_of_counts(drover, app):
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "1", "--name", "web", "--env", f"PORT={port}")
    drover.wait_status("web", "online")
    wait_until(lambda: (conn_figures(drover)[0] or {}).get("accepted") == 0, 10, 0.1,
               "counter mapped")
    # a steady trickle for ~2.5 s: the rate is measured between two samples
    # at least a second apart, so it is positive and bounded by what was sent
    t0 = time.monotonic()
    sent = 0
    while time.monotonic() - t0 < 2.5:
        request(port)
        sent += 1
        if sent % 20 == 0:
            conn_figures(drover)  # a view in between makes a sample
    # figures are at most a second old (STATS_MAX_AGE_MS)
    f = wait_until(lambda: (lambda g: g["accepted"] == sent and g)(conn_figures(drover)[0]),
                   5, 0.2, f"{sent} accepted")
    assert 0 <= f["accept_rate"] <= sent / 1.0 + 1, f
    # a sample taken while requests flow has a positive rate
    rates = []
    for _ in range(30):
        request(port)
        sent += 1
        rates.append(conn_figures(drover)[0]["accept_rate"])
        time.sleep(0.05)
    assert max(rates) > 0, rates

    # reload: a new supervisor, a new page, counted from 0 again
    drover.run("reload", "web")
    drover.wait_status("web", "online")
    wait_until(lambda: (conn_figures(drover)[0] or {}).get("accepted") == 0, 15, 0.1,
               "a new counter after the reload")
    request(port)
    wait_until(lambda: conn_figures(drover)[0]["accepted"] == 1, 10, 0.3, "one accept")


def test_fork_app_has_no_figures_and_a_plain_socket_is_not_counted(drover, app, tmp_path):
    drover.run("start", app("http_node.js"), "--name", "web", "--env", f"PORT={free_port()}")
    drover.wait_status("web", "online")
    # a sample that measured this run (its memory is known) has no connection figures
    wait_until(lambda: drover.json("describe", "web", "--json")[0]["memory"] > 0, 10, 0.1,
               "a sample of the run")
    figs = conn_figures(drover)
    assert figs == {0: None}, figs  # fork mode: no shim, no socket of the daemon's
    jl = drover.json("jlist")
    assert jl[0]["pm2_env"]["axm_monitor"] == {}
