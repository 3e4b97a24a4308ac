"""Shell completion in the real shells: the scripts `drover completion
bash|zsh|fish` prints are loaded into bash, zsh and fish, a Tab press is
simulated (bash: COMP_WORDS/COMP_CWORD and the completion function; zsh: the
function with compadd standing in; fish: `complete -C`), and what it offers
is checked: verbs, the flags of start, and app names and ids asked from the
running daemon. `drover completion install` writes where each shell looks
under $HOME. Shells that are not installed skip their part."""
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, procs_holding

BASH_TAB = r"""
source <(drover completion bash) || exit 3
COMP_WORDS=(drover "$@")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
_drover || exit 4
printf '%s\n' "${COMPREPLY[@]}"
"""

# zsh calls the function inside a completion widget; outside one, compadd
# and _files are stood in for by functions that print what they are given
ZSH_TAB = r"""
compdef() { :; }
source <(drover completion zsh) || exit 3
compadd() { [[ $1 == -- ]] && shift; print -l -- "$@"; }
_files() { :; }
words=(drover "$@")
CURRENT=${#words}
_drover
"""


def shell_env(drover, tmpdir_path):
    """drover's env with a PATH whose `drover` is the one under test."""
    bindir = os.path.join(tmpdir_path, "bin")
    os.makedirs(bindir, exist_ok=True)
    link = os.path.join(bindir, "drover")
    if not os.path.exists(link):
        os.symlink(os.path.join(BUILD, "drover"), link)
    env = dict(drover.env)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "/usr/bin:/bin")
    env["HOME"] = tmpdir_path
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "BASH_ENV", "ENV"):
        env.pop(var, None)
    return env


def tab(shell, env, *words):
    """What a Tab press after `drover <words>` offers in shell (the last word
    is the one under the cursor), as a list."""
    if shutil.which(shell) is None:
        pytest.skip(f"{shell} is not installed (scripts/install-deps.sh test)")
    if shell == "bash":
        argv = ["bash", "--norc", "--noprofile", "-c", BASH_TAB, "tab", *words]
    elif shell == "zsh":
        argv = ["zsh", "-f", "-c", ZSH_TAB, "tab", *words]
    else:
        line = " ".join(["drover", *words])
        script = f"source (drover completion fish | psub); or exit 3; complete -C {quote_fish(line)}"
        argv = ["fish", "--no-config", "-c", script]
    # file names are offered too after verbs that take files: from an empty dir
    cwd = os.path.join(env["HOME"], "empty")
    os.makedirs(cwd, exist_ok=True)
    p = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, f"{shell} {words}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    # fish prints "candidate<TAB>description"
    return [line.split("\t")[0] for line in p.stdout.splitlines() if line]


def quote_fish(s):
    return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.fixture
def two_apps(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "web")
    drover.run("start", app("sleeper.sh"), "--name", "worker")
    return {p["name"]: p["id"] for p in drover.procs()}


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_offers_verbs_flags_and_values(drover, tmpdir_path, shell):
    env = shell_env(drover, tmpdir_path)
    got = tab(shell, env, "sta")
    assert {"start", "startup", "status", "startOrReload"} <= set(got), got
    assert "stop" not in got and "restart" not in got
    assert not [w for w in tab(shell, env, "") if w.startswith("__")]  # internal verbs
    # start's flags: its own, the option table's, the global ones
    got = tab(shell, env, "start", "app.js", "--")
    assert {"--name", "--instances", "--watch", "--max-memory-restart", "--no-daemon",
            "--json"} <= set(got), got
    got = tab(shell, env, "start", "app.js", "--wa")
    assert {"--watch", "--wait-ready"} <= set(got), got
    got = tab(shell, env, "start", "app.js", "--exec-mode", "")
    assert {"fork", "cluster"} <= set(got), got
    assert "max" in tab(shell, env, "start", "app.js", "-i", "")
    # a value after the flag, and only the flag's own values
    got = tab(shell, env, "ls", "--sort", "")
    assert "memory" in got and "-m" not in got, got
    assert set(tab(shell, env, "completion", "")) >= {"bash", "zsh", "fish", "install"}


def test_bash_completes_a_flag_value_after_equals(drover, tmpdir_path):
    """bash splits --sort=c into three words; the script joins them and
    replaces only the part after '='."""
    env = shell_env(drover, tmpdir_path)
    assert tab("bash", env, "ls", "--sort", "=", "c") == ["cpu"]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_tab_offers_app_names_and_ids_of_the_running_daemon(drover, tmpdir_path, two_apps, shell):
    env = shell_env(drover, tmpdir_path)
    got = tab(shell, env, "restart", "")
    want = {"web", "worker", "all", *(str(i) for i in two_apps.values())}
    assert want <= set(got), got
    got = tab(shell, env, "logs", "w")
    assert {"web", "worker"} <= set(got), got
    got = tab(shell, env, "stop", "wo")
    assert got == ["worker"], got
    got = tab(shell, env, "scale", "")  # an app name first, not an id
    assert {"web", "worker"} <= set(got) and str(two_apps["web"]) not in got, got


def test_tab_without_a_daemon_starts_none(drover, tmpdir_path):
    env = shell_env(drover, tmpdir_path)
    got = tab("bash", env, "restart", "")
    assert got == ["all"], got
    assert not procs_holding(drover.home)


def test_scripts_parse(drover, tmpdir_path):
    """zsh -n and fish --no-execute: the scripts are valid in each shell."""
    checked = 0
    for shell, argv in (("bash", ["bash", "-n"]), ("zsh", ["zsh", "-n"]),
                        ("fish", ["fish", "--no-execute"])):
        if shutil.which(shell) is None:
            continue
        script = drover.run("completion", shell).stdout
        path = os.path.join(tmpdir_path, f"drover.{shell}")
        with open(path, "w") as f:
            f.write(script)
        p = subprocess.run([*argv, path], capture_output=True, text=True, timeout=30)
        assert p.returncode == 0 and p.stderr == "", f"{shell}: {p.stderr}"
        checked += 1
    assert checked >= 1


def test_completion_install_writes_where_each_shell_looks(drover, tmpdir_path):
    env = shell_env(drover, tmpdir_path)
    home = env["HOME"]
    want = {
        "bash": os.path.join(home, ".local/share/bash-completion/completions/drover"),
        "zsh": os.path.join(home, ".local/share/zsh/site-functions/_drover"),
        "fish": os.path.join(home, ".config/fish/completions/drover.fish"),
    }
    for shell, path in want.items():
        p = drover.run("completion", "install", shell, env=env)
        assert path in p.stdout + p.stderr
        with open(path) as f:
            assert f.read() == drover.run("completion", shell).stdout
    # no shell named: $SHELL's
    os.unlink(want["zsh"])
    drover.run("completion", "install", env={**env, "SHELL": "/usr/bin/zsh"})
    assert os.path.exists(want["zsh"])
    # XDG_DATA_HOME wins over ~/.local/share
    xdg = os.path.join(tmpdir_path, "xdg")
    drover.run("completion", "install", "bash", env={**env, "XDG_DATA_HOME": xdg})
    assert os.path.exists(os.path.join(xdg, "bash-completion/completions/drover"))
    # an unknown shell is a usage error
    assert drover.run("completion", "install", "tcsh", env=env, check=False).returncode != 0
    assert drover.run("completion", "install", env={**env, "SHELL": ""},
                      check=False).returncode != 0


def test_bash_completion_package_loads_the_installed_script(drover, tmpdir_path, two_apps):
    """A new bash with the bash-completion package finds the script that
    `completion install` wrote, on the first Tab after `drover`."""
    loader = "/usr/share/bash-completion/bash_completion"
    if not os.path.exists(loader):
        pytest.skip("bash-completion is not installed (scripts/install-deps.sh test)")
    env = shell_env(drover, tmpdir_path)
    drover.run("completion", "install", "bash", env=env)
    script = (f"source {loader}; __load_completion drover || exit 5; "
              "COMP_WORDS=(drover stop ''); COMP_CWORD=2; _drover; printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], env=env,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert {"web", "worker", "all"} <= set(p.stdout.split()), p.stdout
