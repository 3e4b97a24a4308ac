"""Balancing modes (README, "Balancing"): slots spread connections at low
load, sticky keeps a client address on one instance slot, across reloads,
which socket.io's polling transport needs (it fails without, as under PM2
and node cluster). Real node workers, real socket.io clients from npm
(tests/node, installed by scripts/install-deps.sh test), loopback sources
127.0.0.2.. for distinct clients."""
import collections
import json
import os
import subprocess
import time

import pytest

from conftest import APPS, REPO, wait_until
from loadgen import Load, free_port, get_pid

SOCKET_IO = os.path.join(REPO, "tests", "node", "node_modules", "socket.io")


def start(drover, script, name, port, mode, n=4):
    drover.run("start", script, "-i", str(n), "--name", name, "--balancing", mode,
               "--env", f"PORT={port}")
    wait_until(lambda: len([p for p in drover.procs() if p["status"] == "online"]) == n, 20,
               what=f"{n} online instances")


def slot_of_pid(drover):
    return {p["pid"]: p["id"] for p in drover.procs()}


def socketio_clients(port, clients=8, rounds=5):
    assert os.path.isdir(SOCKET_IO), \
        "socket.io is missing: run scripts/install-deps.sh test (npm install in tests/node)"
    p = subprocess.run(["node", os.path.join(APPS, "socketio_clients.js"), str(port), str(clients),
                        str(rounds)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def ask_from(source, port):
    """One request on a new connection from source; the answering pid."""
    return get_pid(port, timeout=10, source=source)


def test_socketio_polling_works_with_sticky_only(drover, app):
    port = free_port()
    start(drover, os.path.join(APPS, "socketio_server.js"), "io", port, "sticky")
    before = socketio_clients(port)
    assert before["failed"] == 0, before["errors"]
    slots = slot_of_pid(drover)
    where = {addr: {slots[p] for p in pids} for addr, pids in before["pids"].items()}
    assert all(len(s) == 1 for s in where.values()), where
    assert len(set.union(*where.values())) >= 2, f"every client on one slot: {where}"

    # a reload replaces every worker; each address keeps its slot
    drover.run("reload", "io")
    after = socketio_clients(port)
    assert after["failed"] == 0, after["errors"]
    slots = slot_of_pid(drover)
    assert {addr: {slots[p] for p in pids} for addr, pids in after["pids"].items()} == where

    # the control: the same clients fail without stickiness
    drover.run("delete", "io")
    start(drover, os.path.join(APPS, "socketio_server.js"), "io2", port, "shared")
    control = socketio_clients(port)
    assert control["failed"] > 0, "socket.io polling worked without sticky: the test proves nothing"


@pytest.mark.parametrize("mode", ["sticky", "least_conn"])
def test_reloads_under_load_lose_nothing(drover, app, mode):
    if mode == "least_conn" and os.geteuid() != 0:
        pytest.skip("least_conn needs a root daemon")
    port = free_port()
    start(drover, app("http_node.js"), "st", port, mode, n=2)
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    for _ in range(3):
        drover.run("reload", "st")
    time.sleep(0.5)
    load.stop()
    print(f"{mode}, 3 reloads:", load.report())
    assert load.errors == [], load.report()
    assert sum(load.by_pid.values()) > 0
    if mode == "sticky":  # one client address: one slot, before and after every reload
        slots = slot_of_pid(drover)
        assert len({slots.get(pid) for pid in load.by_pid if pid in slots}) == 1


def test_sticky_spreads_addresses_and_holds_them(drover, app):
    port = free_port()
    start(drover, app("http_node.js"), "sa", port, "sticky")
    slots = slot_of_pid(drover)
    seen = collections.defaultdict(set)
    for k in range(2, 34):
        for _ in range(3):
            seen[k].add(slots[ask_from(f"127.0.0.{k}", port)])
    assert all(len(s) == 1 for s in seen.values()), dict(seen)
    used = collections.Counter(next(iter(s)) for s in seen.values())
    assert len(used) >= 3, f"32 addresses on {len(used)} of 4 slots: {used}"


def test_slots_spread_sequential_requests_of_one_client(drover, app):
    """A user running curl a few times sees several instances answer."""
    port = free_port()
    start(drover, app("http_node.js"), "sp", port, "slots")
    slots = slot_of_pid(drover)
    used = collections.Counter(slots[ask_from("127.0.0.1", port)] for _ in range(40))
    assert len(used) >= 3, f"40 sequential requests reached {dict(used)}"


@pytest.mark.parametrize("mode", ["slots", "sticky", "least_conn"])
def test_scale_down_and_stop_under_load_lose_nothing(drover, app, mode):
    """A removed slot's socket leaves the group; what was queued on it moves
    to the other sockets (the daemon's eBPF program, as root: the migrate
    one for slots, the choosing one for sticky and least_conn), so an abrupt
    app loses nothing on scale down or stop of one instance."""
    if os.geteuid() != 0:
        pytest.skip("migration needs a root daemon (else net.ipv4.tcp_migrate_req)")
    port = free_port()
    drover.run("start", app("http_node.js"), "-i", "4", "--name", "sd", "--balancing", mode,
               "--env", f"PORT={port}", "--env", "ABRUPT=1")
    wait_until(lambda: len([p for p in drover.procs() if p["status"] == "online"]) == 4, 20,
               what="4 online instances")
    load = Load(port, threads=8).start()
    time.sleep(0.5)
    drover.run("scale", "sd", "2")
    time.sleep(0.5)
    drover.run("stop", "1")
    time.sleep(0.5)
    served_before = load.served
    time.sleep(0.5)
    load.stop()
    print(f"{mode}, scale 4 -> 2, stop 1:", load.report())
    assert load.errors == [], load.report()
    assert load.served > served_before, "nothing served after the stop"
    # the stopped slot gets its socket back when it starts again
    drover.run("start", "1")
    slots = slot_of_pid(drover)
    used = {slots.get(get_pid(port)) for _ in range(40)}
    if mode == "sticky":  # one client address: one of the two slots
        assert len(used) == 1 and used <= {0, 1}, used
    else:
        assert used == {0, 1}, used


def test_sticky_moves_only_the_clients_of_a_slot_that_goes(drover, app):
    """With a root daemon sticky is rendezvous hashing: scale 4 -> 3 moves
    the addresses of slot 3 and no other; back to 4, an address either stays
    or goes to the new slot 3."""
    if os.geteuid() != 0:
        pytest.skip("sticky's eBPF program needs a root daemon (else hash % n moves most)")
    port = free_port()
    start(drover, app("http_node.js"), "rv", port, "sticky")

    def where():  # address -> slot (not instance id: a scale up makes a new id)
        slots = {p["pid"]: p["slot"] for p in drover.procs()}
        return {k: slots[ask_from(f"127.0.0.{k}", port)] for k in range(2, 42)}
    before = where()
    assert len(set(before.values())) >= 3, before
    drover.run("scale", "rv", "3")
    wait_until(lambda: len(drover.procs()) == 3, 20, what="3 instances")
    after = where()
    moved = {k for k in before if before[k] != after[k]}
    assert moved == {k for k in before if before[k] == 3}, (before, after)
    drover.run("scale", "rv", "4")
    wait_until(lambda: len([p for p in drover.procs() if p["status"] == "online"]) == 4, 20,
               what="4 online instances")
    again = where()
    assert all(again[k] in (after[k], 3) for k in after), (after, again)
    assert again == before, "the same four slots: the same choice as at first"
