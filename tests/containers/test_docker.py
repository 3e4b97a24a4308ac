"""The example image (examples/docker/Dockerfile) on a real Docker engine:
drover-runtime as PID 1, `docker stop`, a crash inside, `-i max` under
`--cpus`, the CLI through `docker exec`, the HEALTHCHECK, and
drover-runtime's --http probes from the host."""
import time

from conftest import http_get, report, wait_until

GRACE = 10  # docker stop's default -t


def online(docker, name, count):
    """Until `drover jlist` in the container shows count instances online."""
    return wait_until(lambda: (lambda l: l if len(l) == count and
                               all(s == "online" for _, _, s in l) else None)(
        docker.jlist(name)), 60, 0.3, f"{count} instances online in {name}")


def test_docker_stop_drains_and_exits_0_within_the_grace_time(docker):
    name = docker.run_container(docker.image, name="drvtest-stop")
    docker.wait_healthy(name)  # the image's HEALTHCHECK: drover probe ready
    pids = [pid for _, pid, _ in online(docker, name, 2)]
    t0 = time.monotonic()
    p = docker("stop", name, timeout=GRACE + 30)
    took = time.monotonic() - t0
    state = docker.inspect(name)["State"]
    logs = docker.logs(name)
    report(f"docker stop (drover-runtime, 2 instances, shutdown delay 1 s): {took:.2f} s, "
           f"exit code {state['ExitCode']}, OOMKilled {state['OOMKilled']}")
    assert p.returncode == 0
    assert took < GRACE - 1, f"docker stop took {took:.1f}s: killed at the grace time?\n{logs}"
    assert state["ExitCode"] == 0, logs
    assert "SIGTERM: not ready now; stopping the apps in 1.0 s" in logs, logs
    for pid in pids:  # each instance got its stop signal (SIGINT) and said so
        assert f"(pid {pid}) stopping" in logs, logs
    assert "drover-runtime: stopped" in logs, logs
    docker.remove(name)


def test_a_crash_inside_is_restarted_by_drover_not_by_docker(docker):
    name = docker.run_container("--restart", "unless-stopped", docker.image,
                                name="drvtest-crash")
    docker.wait_healthy(name)
    before = docker.inspect(name)
    procs = online(docker, name, 2)
    victim = procs[0][1]
    docker.exec(name, "sh", "-c", f"kill -KILL {victim}")  # the shell's kill: no procps here
    t0 = time.monotonic()
    after = wait_until(lambda: (lambda l: l if len(l) == 2 and victim not in
                                [pid for _, pid, _ in l] and
                                all(s == "online" for _, _, s in l) else None)(
        docker.jlist(name)), 30, 0.1, "the killed instance replaced")
    took = time.monotonic() - t0
    now = docker.inspect(name)
    report(f"app instance SIGKILLed inside the container: back online in {took:.2f} s "
           f"(pid {victim} -> {[p for _, p, _ in after]}), container restarts: "
           f"{now['RestartCount']}")
    assert now["State"]["Running"]
    assert now["RestartCount"] == before["RestartCount"] == 0
    assert now["State"]["StartedAt"] == before["State"]["StartedAt"]
    assert now["State"]["Pid"] == before["State"]["Pid"]  # the same PID 1
    restarts = docker.exec(name, "drover", "describe", "hello", check=False).stdout
    assert "restart" in restarts.lower(), restarts
    docker.wait_healthy(name)
    docker.remove(name)


def test_i_max_follows_the_cpu_limit_and_the_cli_works_inside(docker):
    names = {}
    for cpus in (1, 2):
        names[cpus] = docker.run_container(f"--cpus={cpus}", docker.image,
                                           "ecosystem.config.js", "-i", "max",
                                           name=f"drvtest-max{cpus}")
    for cpus, name in names.items():
        docker.wait_healthy(name)
        procs = online(docker, name, cpus)
        report(f"-i max with docker run --cpus={cpus}: {len(procs)} instance(s)")
        assert len(procs) == cpus

    name = names[2]
    ls = docker.exec(name, "drover", "ls").stdout
    assert "hello" in ls and "online" in ls, ls
    old = {pid for _, pid, _ in docker.jlist(name)}
    t0 = time.monotonic()
    docker.exec(name, "drover", "reload", "hello", timeout=90)
    took = time.monotonic() - t0
    new = online(docker, name, 2)
    assert not old & {pid for _, pid, _ in new}, (old, new)
    report(f"docker exec drover reload hello (2 instances): {took:.2f} s")
    logs = docker.exec(name, "drover", "logs", "hello", "--lines", "5", "--nostream").stdout
    assert "listening on port 3000" in logs, logs
    for pid in old:  # the reload stopped the old instances gracefully
        assert f"(pid {pid}) stopping" in docker.logs(name)
    docker.remove(*names.values())


def test_runtime_http_probes_from_outside_the_container(docker):
    """drover-runtime --http 0.0.0.0:9615, as the Kubernetes manifest runs it:
    /livez and /readyz answer the host (the kubelet's view), /readyz turns
    503 on SIGTERM for the shutdown delay, then the container exits 0."""
    name = docker.run_container("-e", "DROVER_SHUTDOWN_DELAY=3s", "--entrypoint",
                                "drover-runtime", docker.image, "--http", "0.0.0.0:9615",
                                "ecosystem.config.js", name="drvtest-http")
    ip = docker.ip(name)
    wait_until(lambda: (http_get(ip, 9615, "/readyz") or (0,))[0] == 200, 60, 0.2,
               f"/readyz 200 on {ip}:9615")
    assert http_get(ip, 9615, "/livez")[0] == 200
    status, metrics = http_get(ip, 9615, "/metrics")
    assert status == 200 and "hello" in metrics
    assert http_get(ip, 3000, "/")[0] == 200
    docker("kill", "--signal", "TERM", name)
    t0 = time.monotonic()
    wait_until(lambda: (http_get(ip, 9615, "/readyz") or (0,))[0] == 503, 3, 0.05,
               "/readyz 503 after SIGTERM")
    unready = time.monotonic() - t0
    assert http_get(ip, 3000, "/")[0] == 200  # still serving during the delay
    wait_until(lambda: not docker.inspect(name)["State"]["Running"], 20, 0.2, "the exit")
    report(f"--http in a container: /readyz 503 {unready * 1000:.0f} ms after SIGTERM, "
           f"exit {docker.inspect(name)['State']['ExitCode']} after "
           f"{time.monotonic() - t0:.2f} s (shutdown delay 3 s)")
    assert docker.inspect(name)["State"]["ExitCode"] == 0
    docker.remove(name)
