"""examples/kubernetes: `kubectl kustomize` renders it (offline: no cluster
here) and the rendered objects carry what the runtime relies on; then the
rendered pod spec runs for real in Docker, as a kubelet would run it: the
same command, args, env and CPU limit, probed the way its probes say."""
import os
import shutil
import time

import pytest
import yaml

from conftest import EXAMPLES, http_get, parse_duration, report, run, wait_until

KUSTOMIZE_DIR = os.path.join(EXAMPLES, "kubernetes")
KILL_TIMEOUT_S = 5  # examples/docker/ecosystem.config.js kill_timeout


@pytest.fixture(scope="module")
def rendered():
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not on PATH (scripts/test-containers.sh installs kubernetes-client)"
    out = run([kubectl, "kustomize", KUSTOMIZE_DIR], timeout=60).stdout
    docs = [d for d in yaml.safe_load_all(out) if d]
    return {d["kind"]: d for d in docs}


def pod(rendered):
    return rendered["Deployment"]["spec"]["template"]["spec"]


def container(rendered):
    return pod(rendered)["containers"][0]


def env_of(c):
    return {e["name"]: e["value"] for e in c.get("env", [])}


def test_kustomize_renders_probes_grace_period_and_limits(rendered):
    assert set(rendered) == {"Deployment", "Service"}
    dep, svc = rendered["Deployment"], rendered["Service"]
    c = container(rendered)
    # drover-runtime is the entry point, -i max, HTTP probes on --http's port
    argv = c["command"] + c["args"]
    assert argv[0] == "drover-runtime" and "-i" in argv and argv[argv.index("-i") + 1] == "max"
    http_addr = argv[argv.index("--http") + 1]
    assert http_addr.startswith("0.0.0.0:"), "a kubelet probes the pod IP"
    ports = {p["name"]: p["containerPort"] for p in c["ports"]}
    assert ports["probes"] == int(http_addr.rsplit(":", 1)[1])
    assert c["livenessProbe"]["httpGet"] == {"path": "/livez", "port": "probes"}
    assert c["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "probes"}
    assert c["startupProbe"]["exec"]["command"][:3] == ["drover", "probe", "ready"]
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert c[probe]["timeoutSeconds"] >= 2, probe
    # the grace period covers the shutdown delay, the apps' kill_timeout and a margin
    delay = parse_duration(env_of(c)["DROVER_SHUTDOWN_DELAY"])
    grace = pod(rendered)["terminationGracePeriodSeconds"]
    assert grace >= delay + KILL_TIMEOUT_S + 2, (grace, delay)
    # a CPU limit for -i max to count
    assert float(c["resources"]["limits"]["cpu"]) >= 1
    # no instance is taken down before its replacement is ready
    assert dep["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    # the Service reaches the pods' app port
    labels = dep["spec"]["template"]["metadata"]["labels"]
    assert all(labels.get(k) == v for k, v in svc["spec"]["selector"].items())
    assert svc["spec"]["ports"][0]["targetPort"] == "http" and ports["http"] == 3000
    report(f"kubernetes: kustomize renders Deployment+Service; grace {grace} s >= delay "
           f"{delay:g} s + kill_timeout {KILL_TIMEOUT_S} s; cpu limit "
           f"{c['resources']['limits']['cpu']}")


def test_the_rendered_pod_spec_runs_as_a_kubelet_would_run_it(rendered, docker):
    c = container(rendered)
    cpus = c["resources"]["limits"]["cpu"]
    args = [f"--cpus={cpus}", "--stop-timeout", str(pod(rendered)["terminationGracePeriodSeconds"])]
    for k, v in env_of(c).items():
        args += ["-e", f"{k}={v}"]
    args += ["--entrypoint", c["command"][0], docker.image, *c["command"][1:], *c["args"]]
    name = docker.run_container(*args, name="drvtest-k8s")
    ip = docker.ip(name)
    port = next(p["containerPort"] for p in c["ports"] if p["name"] == "probes")

    def probe_http(kind):
        r = http_get(ip, port, c[kind]["httpGet"]["path"], timeout=c[kind]["timeoutSeconds"])
        return r[0] if r else None
    startup = c["startupProbe"]
    budget = startup["periodSeconds"] * startup["failureThreshold"]
    t0 = time.monotonic()
    wait_until(lambda: docker.exec(name, *startup["exec"]["command"], check=False,
                                   timeout=startup["timeoutSeconds"] + 5).returncode == 0,
               budget, startup["periodSeconds"] / 4, "the startup probe")
    started = time.monotonic() - t0
    assert probe_http("livenessProbe") == 200
    assert probe_http("readinessProbe") == 200
    instances = len(docker.jlist(name))
    assert instances == int(float(cpus)), f"-i max under cpu limit {cpus}: {instances}"
    # pod deletion: SIGTERM, not ready at once, the apps serve through the delay
    delay = parse_duration(env_of(c)["DROVER_SHUTDOWN_DELAY"])
    docker("kill", "--signal", "TERM", name)
    t1 = time.monotonic()
    wait_until(lambda: probe_http("readinessProbe") == 503, c["readinessProbe"]["periodSeconds"],
               0.05, "readiness 503 within one probe period")
    assert probe_http("livenessProbe") == 200  # not restarted meanwhile
    assert http_get(ip, 3000, "/")[0] == 200
    wait_until(lambda: not docker.inspect(name)["State"]["Running"],
               pod(rendered)["terminationGracePeriodSeconds"], 0.1, "the exit")
    took = time.monotonic() - t1
    code = docker.inspect(name)["State"]["ExitCode"]
    report(f"kubernetes pod spec in Docker: startup probe passed after {started:.1f} s, "
           f"{instances} instances (cpu limit {cpus}); SIGTERM -> exit {code} after "
           f"{took:.2f} s (delay {delay:g} s, grace "
           f"{pod(rendered)['terminationGracePeriodSeconds']} s)")
    assert code == 0
    assert delay <= took < pod(rendered)["terminationGracePeriodSeconds"]
    docker.remove(name)
