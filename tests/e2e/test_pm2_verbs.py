"""PM2's other verbs, beyond what test_pm2_dropin.py asks of them: `send`
through the supervisor's stdin pipe (across a daemon kill and app restarts,
bounded when the app does not read), `env`, `ecosystem` never overwriting,
`ls --sort` and `logs --format` details, and every verb the table says drover
does not run answering in one line.

Each test runs in its own DROVER_HOME; waits poll for the event they need.
"""
import json
import os
import re
import signal

from conftest import pid_alive, wait_until


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def start_echo(drover, app, name="echo"):
    drover.run("start", app("stdin_echo.py"), "--name", name)
    wait_until(lambda: " up" in read(drover.log_path(name)), 10, what=f"{name} up")


def test_send_survives_the_daemon_and_restarts(drover, app):
    start_echo(drover, app)
    sup = drover.proc("echo")["sup_pid"]
    drover.run("send", "echo", "one")
    wait_until(lambda: "got one" in read(drover.log_path("echo")), 10, what="line one")

    os.kill(drover.daemon_pid(), signal.SIGKILL)
    drover.run("send", "0", "two", "words")  # a new daemon adopts the supervisor
    wait_until(lambda: "got two words" in read(drover.log_path("echo")), 10, what="line two")
    assert drover.proc("echo")["sup_pid"] == sup

    drover.run("restart", "echo")
    wait_until(lambda: read(drover.log_path("echo")).count(" up") >= 2, 10, what="the restart")
    drover.run("send", "echo", "three")
    wait_until(lambda: "got three" in read(drover.log_path("echo")), 10, what="line three")


def test_send_to_an_app_that_does_not_read_is_refused_not_blocked(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "deafin")
    line = "x" * 60000
    refused = None
    for _ in range(10):  # 64 KiB of pipe, then 64 KiB queued in the supervisor
        r = drover.run("send", "deafin", line, check=False, timeout=15)
        if r.returncode != 0:
            refused = r
            break
    assert refused is not None, "every send was accepted"
    assert "stdin is full" in refused.stderr, refused.stderr
    assert drover.proc("deafin")["status"] == "online"  # the supervisor still answers
    r = drover.run("send", "deafin", "y" * 70000, check=False, timeout=15)
    assert r.returncode != 0 and "too long" in r.stderr, r.stderr


def test_send_errors(drover, app):
    start_echo(drover, app)
    assert drover.run("send", "nosuch", "x", check=False).returncode != 0
    assert drover.run("send", "echo", check=False).returncode == 2
    drover.run("stop", "echo")
    r = drover.run("send", "echo", "x", check=False)
    assert r.returncode == 1 and "not running" in r.stderr, r.stderr


def test_env_by_name_of_a_stopped_app_and_json(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "e", "--env", "MY_KEY=my value",
               env={"FROM_SHELL": "yes"})
    drover.run("stop", "e")
    out = drover.run("env", "e").stdout.splitlines()
    assert "MY_KEY: my value" in out and "FROM_SHELL: yes" in out
    assert "pm_id: 0" in out and "name: e" in out
    envs = drover.json("env", "0")
    assert envs[0]["id"] == 0 and envs[0]["env"]["MY_KEY"] == "my value"


def test_ecosystem_never_overwrites(drover, tmpdir_path):
    proj = os.path.join(tmpdir_path, "proj")
    os.makedirs(proj)
    path = os.path.join(proj, "ecosystem.config.js")
    with open(path, "w") as f:
        f.write("// mine\n")
    r = drover.run("ecosystem", cwd=proj, check=False, env={"PWD": proj})
    assert r.returncode == 1 and "already exists" in r.stderr
    assert read(path) == "// mine\n"
    os.unlink(path)
    r = drover.run("init", "simple", cwd=proj, env={"PWD": proj})
    assert path in r.stdout and "app1" in read(path)
    assert drover.run("init", "fancy", cwd=proj, check=False).returncode == 2


def test_ls_sort_fields_and_json_order(drover, app):
    for name in ("b", "a"):
        drover.run("start", app("sleeper.sh"), "--name", name, "-f")
    assert [p["name"] for p in drover.json("ls")] == ["b", "a"], "--json stays in id order"
    assert [p["name"] for p in drover.json("ls", "--sort", "name")] == ["a", "b"]
    assert [p["name"] for p in drover.json("ls", "--sort=restarts:desc")] == ["b", "a"]
    for bad in (["--sort", "nope"], ["--sort", "name:up"], ["--sort"], ["extra"]):
        assert drover.run("ls", *bad, check=False).returncode == 2, bad
    mini = drover.run("ls", "-m").stdout
    assert mini.index("+--- a") < mini.index("+--- b")
    assert "status : online" in mini


def test_logs_format_and_timestamp_forms(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "lf")
    wait_until(lambda: "sleeper started" in read(drover.log_path("lf")), 10, what="a line")
    out = drover.run("logs", "lf", "--nostream", "--format").stdout
    line = [l for l in out.splitlines() if "sleeper started" in l][0]
    assert re.match(r"timestamp=\S+ app=lf id=0 type=out message=sleeper started", line), line
    out = drover.run("logs", "lf", "--nostream", "--format", "--raw").stdout
    assert any(l.startswith("message=sleeper started") for l in out.splitlines()), out
    # a word that is no date format is the target, not --timestamp's value
    out = drover.run("logs", "--timestamp", "lf", "--nostream").stdout
    assert re.search(r"lf\s+\| \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: sleeper started", out), out
    out = drover.run("logs", "lf", "--nostream", "--timestamp", "YYYY").stdout
    assert re.search(r"\| \d{4}: sleeper started", out), out
    out = drover.run("logs", "lf", "--nostream", "--highlight", "started").stdout
    assert "sleeper started" in out and "\033[" not in out  # no colours off a terminal


def not_run_verbs(drover):
    """The PM2 verbs `drover help pm2` marks not covered or not yet."""
    verbs = []
    for row in drover.run("help", "pm2").stdout.splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", row)[1:-1]]
        if len(cells) == 3 and cells[1] in ("not covered", "not yet"):
            verbs += re.findall(r"`([^`]+)`", cells[0])
    return verbs


def test_every_verb_not_run_answers_in_one_line(drover):
    verbs = not_run_verbs(drover)
    assert "deploy" in verbs and "sysmonit" in verbs and "install" in verbs
    for verb in verbs:
        r = drover.run(verb, "x", check=False, timeout=15)
        lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
        assert r.returncode == 2 and len(lines) == 1 and f"'{verb}'" in lines[0], (verb, lines)
    assert not os.path.exists(os.path.join(drover.home, "daemon.lock")) or \
        not pid_alive(drover.daemon_pid()), "an answer needs no daemon"
