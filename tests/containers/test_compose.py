"""examples/docker/docker-compose.yml with docker-compose 1.29: 4 replicas
of the example image behind nginx, then every replica replaced one at a time
under load (docker stop, a new one, the next), with no failed request."""
import os
import time

import pytest

from conftest import EXAMPLES, Load, free_port, http_get, report, run, wait_until

COMPOSE = os.path.join(EXAMPLES, "docker", "docker-compose.yml")
PROJECT = "drvtest"
REPLICAS = 4


class Compose:
    def __init__(self, docker, port):
        self.docker = docker
        self.env = {"DROVER_IMAGE": docker.image, "NGINX_IMAGE": docker.nginx_image,
                    "NGINX_PORT": str(port)}

    def __call__(self, *args, timeout=180, check=True):
        return run(["docker-compose", "-p", PROJECT, "-f", COMPOSE, *args], timeout=timeout,
                   check=check, env=self.env)

    def apps(self, all_=False):
        """The app service's container ids (running ones unless all_)."""
        out = self.docker("ps", *(["-a"] if all_ else []), "-q", "--no-trunc", "--filter",
                          f"label=com.docker.compose.project={PROJECT}", "--filter",
                          "label=com.docker.compose.service=app").stdout
        return out.split()

    def healthy_apps(self):
        ids = self.apps()
        return [c for c in ids if self.docker.health(c)[0] == "healthy"]


@pytest.fixture(scope="module")
def compose(docker):
    port = free_port()
    c = Compose(docker, port)
    c.port = port
    try:
        t0 = time.monotonic()
        c("up", "-d", "--scale", f"app={REPLICAS}")
        wait_until(lambda: len(c.healthy_apps()) == REPLICAS, 90, 0.5,
                   f"{REPLICAS} healthy app containers")
        wait_until(lambda: (http_get("127.0.0.1", port, "/") or (0,))[0] == 200, 30, 0.2,
                   "nginx answering")
        report(f"compose up --scale app={REPLICAS}: {REPLICAS} healthy replicas behind nginx "
               f"in {time.monotonic() - t0:.1f} s")
        yield c
    finally:
        c("down", "-v", "--remove-orphans", "-t", "5", check=False)


def test_four_replicas_behind_nginx_answer_from_four_containers(compose):
    hosts = {c[:12] for c in compose.apps()}
    assert len(hosts) == REPLICAS
    seen = {}

    def all_seen():
        status, body = http_get("127.0.0.1", compose.port, "/")
        assert status == 200, body
        host = body.rsplit(" on ", 1)[-1].strip()
        seen[host] = seen.get(host, 0) + 1
        return set(seen) == hosts
    wait_until(all_seen, 30, 0, f"answers from {hosts}")
    report(f"compose, {REPLICAS} replicas: {sum(seen.values())} requests through nginx "
           f"reached {len(seen)} distinct containers {sorted(seen.values())}")
    assert set(seen) == hosts


def test_rolling_replacement_under_load_fails_no_request(compose):
    docker = compose.docker
    old = compose.apps()
    load = Load(compose.port, clients=2).start()
    stops = []
    t0 = time.monotonic()
    try:
        wait_until(lambda: load.count() > 50, 30, 0.1, "load flowing")
        for cid in old:
            before = load.count()
            ts = time.monotonic()
            p = docker("stop", cid, timeout=40)
            stops.append(time.monotonic() - ts)
            assert p.returncode == 0
            assert docker.inspect(cid)["State"]["ExitCode"] == 0, docker.logs(cid)
            docker("rm", cid)
            compose("up", "-d", "--no-recreate", "--no-deps", "--scale", f"app={REPLICAS}",
                    "app")
            new = [c for c in compose.apps() if c not in old]
            wait_until(lambda: len(compose.healthy_apps()) == REPLICAS, 90, 0.3,
                       f"{REPLICAS} healthy replicas again")
            # the new replica gets traffic through nginx before the next goes
            wait_until(lambda: any(c[:12] in load.hosts_seen() for c in new), 30, 0.1,
                       "traffic on the new replica")
            assert load.count() > before
    finally:
        ok, failed = load.stop()
    took = time.monotonic() - t0
    report(f"compose rolling replacement of {len(old)} replicas (docker stop, new one, next) "
           f"under load: {ok} requests ok, {len(failed)} failed, {took:.1f} s; docker stop "
           f"{min(stops):.2f}-{max(stops):.2f} s")
    assert not failed, failed[:20]
    assert not set(compose.apps()) & set(old)
    served_by_new = {h for h in load.hosts_seen() if h not in {c[:12] for c in old}}
    assert len(served_by_new) == REPLICAS, load.hosts_seen()


def test_compose_max_file_sizes_the_cluster_to_its_cpu_limit(docker):
    """examples/docker/docker-compose.max.yml: `-i max` under `cpus:`."""
    max_file = os.path.join(EXAMPLES, "docker", "docker-compose.max.yml")
    port = free_port()
    env = {"DROVER_IMAGE": docker.image, "APP_CPUS": "1", "APP_PORT": str(port)}

    def compose(*args):
        return run(["docker-compose", "-p", "drvtestmax", "-f", max_file, *args], env=env,
                   timeout=120)
    try:
        compose("up", "-d")
        cid = docker("ps", "-q", "--filter", "label=com.docker.compose.project=drvtestmax").stdout
        cid = cid.split()[0]
        docker.wait_healthy(cid)
        procs = docker.jlist(cid)
        nano = docker.inspect(cid)["HostConfig"]["NanoCpus"]
        report(f"docker-compose.max.yml with cpus: 1 -> {len(procs)} instance(s)")
        assert nano == 1_000_000_000 and len(procs) == 1, (nano, procs)
        assert (http_get("127.0.0.1", port, "/") or (0,))[0] == 200
    finally:
        run(["docker-compose", "-p", "drvtestmax", "-f", max_file, "down", "-t", "5"],
            env=env, check=False, timeout=120)
