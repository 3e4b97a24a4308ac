"""examples/docker/stack.yml on a single-node swarm: the replicas become
healthy through the image's HEALTHCHECK (`drover probe ready`); a replica
whose probe fails (its app marked draining inside: `drover drain`) is killed
and replaced by swarm; nginx (tasks.hello_app) serves throughout."""
import os
import time

import pytest

from conftest import EXAMPLES, free_port, http_get, report, run, wait_until

STACK_FILE = os.path.join(EXAMPLES, "docker", "stack.yml")
STACK = "hello"  # stack-nginx.conf names tasks.hello_app
REPLICAS = 3


@pytest.fixture(scope="module")
def swarm(docker):
    p = docker("swarm", "init", "--advertise-addr", "127.0.0.1", "--listen-addr",
               "127.0.0.1:2377", check=False, timeout=60)
    assert p.returncode == 0, f"docker swarm init failed: {p.stderr}"
    try:
        yield docker
    finally:
        # leaving stops the node's tasks; scripts/test-containers.sh removes
        # whatever container is left
        docker("stack", "rm", STACK, check=False, timeout=60)
        docker("swarm", "leave", "--force", check=False, timeout=60)


def app_containers(docker, health=None):
    args = ["ps", "-q", "--no-trunc", "--filter", f"label=com.docker.swarm.service.name={STACK}_app"]
    if health:
        args += ["--filter", f"health={health}"]
    return docker(*args).stdout.split()


def test_stack_replicas_healthy_and_an_unready_one_is_replaced(swarm):
    docker = swarm
    port = free_port()
    t0 = time.monotonic()
    run(["docker", "stack", "deploy", "--resolve-image", "never", "-c", STACK_FILE, STACK],
        env={"DROVER_IMAGE": docker.image, "NGINX_IMAGE": docker.nginx_image,
             "NGINX_PORT": str(port)}, timeout=120)
    healthy = wait_until(lambda: (lambda h: h if len(h) == REPLICAS else None)(
        app_containers(docker, "healthy")), 120, 0.5, f"{REPLICAS} healthy tasks")
    report(f"swarm: stack deployed, {REPLICAS} healthy replicas in "
           f"{time.monotonic() - t0:.1f} s")

    # nginx through the routing mesh on the published port (127.0.0.1)
    hosts = set()

    def all_answered():
        r = http_get("127.0.0.1", port, "/")
        if r and r[0] == 200:
            hosts.add(r[1].rsplit(" on ", 1)[-1].strip())
        return hosts >= {c[:12] for c in healthy}
    wait_until(all_answered, 60, 0.05, f"answers from every task via nginx (got {hosts})")

    # one replica stops being ready: its health check fails, swarm replaces it
    victim = healthy[0]
    docker("exec", victim, "drover", "drain", "hello")
    p = docker("exec", victim, "drover", "probe", "ready", check=False)
    assert p.returncode == 1 and "draining" in p.stdout, p.stdout
    t1 = time.monotonic()
    wait_until(lambda: victim not in app_containers(docker), 60, 0.5,
               "the unhealthy task killed")
    killed = time.monotonic() - t1
    wait_until(lambda: (lambda h: h if len(h) == REPLICAS and victim not in h else None)(
        app_containers(docker, "healthy")), 90, 0.5, f"{REPLICAS} healthy tasks again")
    replaced = time.monotonic() - t1
    tasks = docker("service", "ps", f"{STACK}_app", "--no-trunc", "--format",
                   "{{.Name}} {{.DesiredState}} {{.CurrentState}} {{.Error}}").stdout
    report(f"swarm: drained replica's probe failed -> task killed after {killed:.1f} s, "
           f"healthy replacement after {replaced:.1f} s")
    assert "Shutdown" in tasks, tasks
    r = http_get("127.0.0.1", port, "/")
    assert r and r[0] == 200
