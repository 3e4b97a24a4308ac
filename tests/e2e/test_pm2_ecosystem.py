"""PM2 drop-in: ecosystem files (JavaScript through node, JSON, YAML, stdin),
--only / --env / append_env_to_name, the file verbs (start, restart, reload,
stop, delete, startOrRestart, startOrReload), declarative environment on
restart, --update-env, and errors that touch nothing."""
import json
import os
import shutil

import pytest

from conftest import pid_alive, wait_until

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def environ(pid):
    """The environment of a running process, as a dict."""
    with open(f"/proc/{pid}/environ", "rb") as f:
        items = f.read().decode(errors="replace").split("\0")
    return dict(i.split("=", 1) for i in items if "=" in i)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


JS_ECOSYSTEM = """
// a realistic PM2 file: shared defaults, computed values, a function
const path = require('path');
const base = { kill_timeout: 3000, max_restarts: 5 };
function port(n) { return 3000 + n; }
module.exports = {
  apps: [
    {
      ...base,
      name: 'api',
      script: path.join(__dirname, 'apps', 'sleeper.sh'),
      env: { PORT: String(port(1)), SHARED: 'dev', FROM_JS: String(6 * 7) },
      env_production: { SHARED: 'prod', NODE_ENV: 'production' },
    },
    {
      ...base,
      name: 'worker',
      script: './apps/counter.py',
      instances: 2,
      env: { INTERVAL: '1' },
    },
  ],
};
console.log('this line must not corrupt the configuration');
"""


def copy_apps(app, tmpdir_path):
    """The test apps next to the ecosystem file (relative paths resolve
    against the file's directory)."""
    dst = os.path.join(tmpdir_path, "apps")
    os.makedirs(dst, exist_ok=True)
    for name in ("sleeper.sh", "counter.py"):
        shutil.copy(app(name), dst)
    return dst


@needs_node
def test_js_ecosystem_env_production_only_api(drover, tmpdir_path, app):
    copy_apps(app, tmpdir_path)
    eco = write(os.path.join(tmpdir_path, "ecosystem.config.js"), JS_ECOSYSTEM)
    r = drover.run("start", eco, "--env", "production", "--only", "api", env={"SHELLVAR": "x"})
    assert "this line must not corrupt" in r.stderr  # the file's stdout goes to stderr
    procs = drover.procs()
    assert [p["name"] for p in procs] == ["api"], "only api runs"
    api = procs[0]
    assert api["status"] == "online" and api["config"]["kill_timeout"] == 3000
    env = environ(api["pid"])
    assert env["SHARED"] == "prod" and env["NODE_ENV"] == "production"  # env_production wins
    assert env["PORT"] == "3001" and env["FROM_JS"] == "42"  # computed by node
    assert env["SHELLVAR"] == "x"  # the CLI's environment is the base, as in PM2

    # the rest of the file starts later; api is restarted, not duplicated
    drover.run("start", eco)
    names = sorted(p["name"] for p in drover.procs())
    assert names == ["api", "worker", "worker"]
    env = environ(drover.proc("api")["pid"])
    assert env["SHARED"] == "dev" and "NODE_ENV" not in env  # no --env this time


@needs_node
def test_js_ecosystem_esm_and_errors(drover, tmpdir_path, app):
    write(os.path.join(tmpdir_path, "ecosystem.config.mjs"),
          f"export default {{ apps: [{{ name: 'esm', script: {json.dumps(app('sleeper.sh'))} }}] }};\n")
    drover.run("start", os.path.join(tmpdir_path, "ecosystem.config.mjs"))
    assert drover.proc("esm")["status"] == "online"

    bad = write(os.path.join(tmpdir_path, "broken.config.js"), "module.exports = { apps: [\n")
    r = drover.run("start", bad, check=False)
    assert r.returncode != 0
    assert "broken.config.js" in r.stderr and "SyntaxError" in r.stderr
    # the path reaches node as data, never as code
    odd = write(os.path.join(tmpdir_path, "x'); process.exit(7); ('.config.js"),
                f"module.exports = {{ apps: [{{ name: 'odd', script: {json.dumps(app('sleeper.sh'))} }}] }};\n")
    drover.run("start", odd)
    assert drover.proc("odd")["status"] == "online"


def normalized_jlist(drover):
    """jlist and configs without what legitimately differs between two runs
    (pids, ids, times, per-id log paths)."""
    out = []
    for p in json.loads(drover.run("jlist").stdout):
        env = dict(p["pm2_env"])
        for k in ("pm_id", "pm_uptime", "created_at", "drover_supervisor_pid",
                  "pm_out_log_path", "pm_err_log_path", "pm_log_path", "status"):
            env.pop(k, None)
        out.append({"name": p["name"], "pm2_env": env})
    configs = {p["name"]: p["config"] for p in drover.procs()}
    return sorted(out, key=lambda x: (x["name"], x["pm2_env"]["NODE_APP_INSTANCE"])), configs


def test_json_and_yaml_give_identical_lists(drover, tmpdir_path, app):
    sleeper, counter = app("sleeper.sh"), app("counter.py")
    with open(os.path.join(tmpdir_path, "eco.json"), "w") as f:
        json.dump({"apps": [
            {"name": "web", "script": sleeper, "instances": 2, "exec_mode": "fork",
             "kill_timeout": 1500, "autorestart": True, "max_memory_restart": "200M",
             "env": {"PORT": 8080, "DEBUG": False, "LABEL": "true", "EMPTY": "",
                     "RATIO": 0.5}, "args": ["--flag", "two words"]},
            {"name": "jobs", "script": counter, "cwd": tmpdir_path, "env": {"INTERVAL": "1"},
             "stop_exit_codes": [0, 3], "namespace": "batch"},
        ]}, f)
    write(os.path.join(tmpdir_path, "eco.yaml"), f"""
defaults: &defaults
  kill_timeout: 1500
  autorestart: true
apps:
  - <<: *defaults
    name: web
    script: {sleeper}
    instances: 2
    exec_mode: fork
    max_memory_restart: 200M
    env:
      PORT: 8080
      DEBUG: false
      LABEL: "true"
      EMPTY: ''
      RATIO: 0.5
    args: [--flag, "two words"]
  - name: jobs
    script: {counter}
    cwd: {tmpdir_path}
    env: {{INTERVAL: "1"}}
    stop_exit_codes: [0, 3]
    namespace: batch
""")
    r = drover.run("start", "eco.json")
    assert "defaults" not in r.stderr
    wait_until(lambda: all(p["status"] == "online" for p in drover.procs()), what="online")
    from_json = normalized_jlist(drover)
    drover.run("delete", "all")
    r = drover.run("start", "eco.yaml")
    assert "unknown option" not in r.stderr, r.stderr
    wait_until(lambda: all(p["status"] == "online" for p in drover.procs()), what="online")
    from_yaml = normalized_jlist(drover)
    assert from_yaml == from_json
    web = from_yaml[1]["web"]
    assert web["env"] == {"PORT": "8080", "DEBUG": "false", "LABEL": "true", "EMPTY": "",
                          "RATIO": "0.5"}
    assert web["args"] == ["--flag", "two words"] and web["kill_timeout"] == 1500


def test_yaml_errors_name_file_line_and_touch_nothing(drover, tmpdir_path, app):
    bad = write(os.path.join(tmpdir_path, "bad.yml"), "apps:\n  - name: a\n    script: [x\n")
    r = drover.run("start", bad, check=False)
    assert r.returncode != 0 and "bad.yml:" in r.stderr
    dup = write(os.path.join(tmpdir_path, "dup.yml"),
                f"apps:\n  - name: a\n    name: b\n    script: {app('sleeper.sh')}\n")
    r = drover.run("start", dup, check=False)
    assert r.returncode != 0 and "duplicate key 'name'" in r.stderr
    # an alias bomb is refused, not expanded
    lines = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = write(os.path.join(tmpdir_path, "bomb.yaml"), "\n".join(lines) + "\napps: *l8\n")
    r = drover.run("start", bomb, check=False, timeout=20)
    assert r.returncode != 0 and "too large" in r.stderr
    assert drover.procs() == []


def test_declarative_env_on_restart_and_update_env(drover, tmpdir_path, app):
    eco = os.path.join(tmpdir_path, "eco.json")

    def write_eco(env):
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "decl", "script": app("sleeper.sh"), "env": env}]}, f)

    write_eco({"FOO": "1", "BAR": "2"})
    drover.run("start", eco, env={"FIRST_SHELL": "yes"})
    pid = drover.proc("decl")["pid"]
    env = environ(pid)
    assert env["FOO"] == "1" and env["BAR"] == "2" and env["FIRST_SHELL"] == "yes"

    write_eco({"FOO": "1"})  # BAR removed from the file
    drover.run("restart", eco, env={"LATER_SHELL": "x"})
    p = drover.proc("decl")
    assert p["pid"] != pid and p["status"] == "online" and p["restarts"] == 1
    assert not pid_alive(pid)
    env = environ(p["pid"])
    assert "BAR" not in env, "a variable removed from the file must disappear"
    assert env["FOO"] == "1"
    assert env["FIRST_SHELL"] == "yes" and "LATER_SHELL" not in env  # base env kept

    # --update-env: the base environment becomes this shell's
    drover.run("restart", eco, "--update-env", env={"LATER_SHELL": "x"})
    env = environ(drover.proc("decl")["pid"])
    assert env["LATER_SHELL"] == "x" and env["FOO"] == "1"

    # and by name, as PM2 users do: restart <name> --update-env
    drover.run("restart", "decl", "--update-env", env={"BY_NAME": "1"})
    env = environ(drover.proc("decl")["pid"])
    assert env["BY_NAME"] == "1" and env["FOO"] == "1"
    assert drover.proc("decl")["restarts"] == 3


def test_invalid_value_on_restart_touches_nothing(drover, tmpdir_path, app):
    eco = os.path.join(tmpdir_path, "eco.json")
    apps = [{"name": "one", "script": app("sleeper.sh"), "env": {"V": "1"}},
            {"name": "two", "script": app("sleeper.sh")}]
    with open(eco, "w") as f:
        json.dump({"apps": apps}, f)
    drover.run("start", eco)
    before = {p["name"]: p["pid"] for p in drover.procs()}
    apps[0]["env"] = {"V": "2"}
    apps[1]["kill_timeout"] = "soon"
    apps[1]["bogus_key"] = 1
    with open(eco, "w") as f:
        json.dump({"apps": apps}, f)
    r = drover.run("restart", eco, check=False)
    assert r.returncode != 0
    assert "app 'two'" in r.stderr and "kill_timeout" in r.stderr and "soon" in r.stderr
    after = {p["name"]: p["pid"] for p in drover.procs()}
    assert after == before, "a rejected file must not restart anything"
    assert drover.proc("one")["config"]["env"] == {"V": "1"}

    apps[1].pop("kill_timeout")
    with open(eco, "w") as f:
        json.dump({"apps": apps}, f)
    r = drover.run("restart", eco)
    assert "unknown option 'bogus_key'" in r.stderr
    assert environ(drover.proc("one")["pid"])["V"] == "2"


def test_file_verbs_stop_start_or_restart_reload_delete(drover, tmpdir_path, app):
    eco = os.path.join(tmpdir_path, "eco.json")
    with open(eco, "w") as f:
        json.dump({"apps": [
            {"name": "a", "script": app("sleeper.sh"), "append_env_to_name": True},
            {"name": "b", "script": app("sleeper.sh")},
        ]}, f)
    drover.run("startOrRestart", eco, "--env", "staging")
    assert sorted(p["name"] for p in drover.procs()) == ["a-staging", "b"]
    drover.run("stop", eco, "--only", "b")
    assert drover.proc("b")["status"] == "stopped"
    assert drover.proc("a-staging")["status"] == "online"
    pid_a = drover.proc("a-staging")["pid"]
    drover.run("startOrReload", eco, "--env", "staging")
    assert drover.proc("b")["status"] == "online"
    assert drover.proc("a-staging")["pid"] != pid_a  # reload of a fork app restarts it
    drover.run("reload", eco, "--env", "staging", "--only", "b")
    r = drover.run("delete", eco)  # without --env: 'a' is unknown, a warning
    assert "app 'a' not found" in r.stderr
    assert [p["name"] for p in drover.procs()] == ["a-staging"]
    drover.run("delete", eco, "--env", "staging")
    assert drover.procs() == []
    r = drover.run("stop", eco, check=False)
    assert r.returncode != 0


def test_start_from_stdin(drover, app):
    apps = {"apps": [{"name": "piped", "script": app("sleeper.sh"), "env": {"P": "1"}}]}
    drover.run("start", "-", input=json.dumps(apps))
    p = drover.proc("piped")
    assert p["status"] == "online" and environ(p["pid"])["P"] == "1"


@needs_node
def test_reload_file_applies_new_env_without_dropping_requests(drover, tmpdir_path, app):
    from loadgen import Load, free_port
    port = free_port()
    eco = os.path.join(tmpdir_path, "eco.json")

    def write_eco(version):
        with open(eco, "w") as f:
            json.dump({"apps": [{"name": "web", "script": app("http_node.js"), "instances": 2,
                                 "exec_mode": "cluster", "kill_timeout": 3000,
                                 "env": {"PORT": str(port), "VERSION": version}}]}, f)

    write_eco("1")
    drover.run("start", eco)
    before = {p["pid"] for p in drover.procs()}
    load = Load(port, threads=4).start()
    write_eco("2")
    drover.run("reload", eco)
    wait_until(lambda: load.served > 50, what="requests after the reload")
    load.stop()
    assert load.errors == [], load.report()
    after = drover.procs()
    assert {p["status"] for p in after} == {"online"}
    assert not ({p["pid"] for p in after} & before), "an instance was not replaced"
    assert [p["id"] for p in after] == [0, 1]
    for p in after:
        assert environ(p["pid"])["VERSION"] == "2"
