"""drover as it is installed, driven from the installed paths only.

The build ($DROVER_BUILD) is installed with `meson install --destdir` into a
fresh root; or, with DROVER_INSTALL_ROOT set (scripts/check-deb.sh: the
.deb unpacked with `dpkg -x`), that tree's usr/ is used as it is. Then, with
PATH holding only the installed bin dir and the working dir outside the
repository, a cluster app is started, reloaded, its logs read, a boot unit
printed, the man pages read with man and the installed completion loaded;
the daemon, the supervisors and the preload shim the apps map are checked
(/proc/<pid>/exe, /proc/<pid>/maps) to be the installed files, not the
build's."""
import glob
import json
import os
import shutil
import subprocess
import tempfile

import pytest

from conftest import BUILD, REPO, wait_until
from loadgen import free_port, get_pid


class Layout:
    """Where the installed files are: root is the tree that stands for /
    (the destdir), prefix the installed prefix inside it."""

    def __init__(self, root, prefix, bindir="bin", helperdir="lib/drover", mandir="share/man",
                 datadir="share"):
        self.root = root
        self.prefix = prefix

        def under(p):
            return os.path.join(root, (p if os.path.isabs(p) else os.path.join(prefix, p)).lstrip("/"))
        self.bin = under(bindir)
        self.helpers = under(helperdir)
        self.man = under(mandir)
        self.share = under(datadir)

    def drover(self):
        return os.path.join(self.bin, "drover")


def meson_options(build):
    with open(os.path.join(build, "meson-info", "intro-buildoptions.json")) as f:
        return {o["name"]: o["value"] for o in json.load(f)}


@pytest.fixture(scope="module")
def installed():
    given = os.environ.get("DROVER_INSTALL_ROOT")
    if given:  # an unpacked package: usr/ under it
        yield Layout(os.path.abspath(given), "/usr")
        return
    if not os.path.exists(os.path.join(BUILD, "meson-info", "intro-buildoptions.json")):
        pytest.skip(f"no meson build in {BUILD}")
    opts = meson_options(BUILD)
    root = tempfile.mkdtemp(prefix="drover-installed-")
    try:
        p = subprocess.run(["meson", "install", "-C", BUILD, "--destdir", root, "--no-rebuild",
                            "--quiet"], capture_output=True, text=True, timeout=120)
        assert p.returncode == 0, p.stdout + p.stderr
        yield Layout(root, opts["prefix"], opts["bindir"], opts.get("helperdir") or "lib/drover",
                     opts["mandir"], opts["datadir"])
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def inst(installed, drover):
    """conftest's drover (its teardown kills what the test started), made to
    run the installed drover: found through PATH, which holds only the
    installed bin dir, from a working dir outside the repository."""
    drover.bin = "drover"
    drover.layout = installed
    drover.env = {"PATH": installed.bin, "HOME": drover.tmp, "DROVER_HOME": drover.home,
                  "NO_COLOR": "1", "LANG": "C.UTF-8"}
    return drover


def real(path):
    return os.path.realpath(path)


def assert_installed_file(path, layout):
    """path (a process's exe or a mapped file) is inside the installed tree,
    not in the build dir or the repository."""
    path = real(path)
    assert path.startswith(real(layout.root) + "/"), f"{path} is not under {layout.root}"
    assert not path.startswith(real(BUILD) + "/") and not path.startswith(real(REPO) + "/"), path


def man_page(layout, name, section):
    found = [p for p in (os.path.join(layout.man, f"man{section}", f"{name}.{section}"),
                         os.path.join(layout.man, f"man{section}", f"{name}.{section}.gz"))
             if os.path.exists(p)]
    assert found, f"{name}({section}) is not installed under {layout.man}"
    return found[0]


def test_the_layout(installed):
    lay = installed
    assert os.access(lay.drover(), os.X_OK)
    for helper in ("droverd", "drover-sup", "drover-gzip", "libdrover-preload.so", "drover-monit"):
        assert os.path.isfile(os.path.join(lay.helpers, helper)), helper
        assert not os.path.exists(os.path.join(lay.bin, helper)) or helper == "droverd"
    # bin/droverd and bin/drover-runtime are relative links: the tree can move
    for link, target in (("droverd", os.path.join(lay.helpers, "droverd")),
                         ("drover-runtime", lay.drover())):
        path = os.path.join(lay.bin, link)
        assert os.path.islink(path) and not os.readlink(path).startswith("/"), path
        assert real(path) == real(target)
    for name, section in (("drover", 1), ("drover-runtime", 1), ("drover-ecosystem", 5),
                          ("droverd", 8)):
        man_page(lay, name, section)
    assert os.path.isfile(os.path.join(lay.share, "bash-completion", "completions", "drover"))
    assert glob.glob(os.path.join(lay.share, "zsh", "*", "_drover"))
    assert os.path.isfile(os.path.join(lay.share, "fish", "vendor_completions.d", "drover.fish"))
    unit = os.path.join(lay.share, "doc", "drover", "examples", "drover@.service")
    with open(unit) as f:
        text = f.read()
    # the unit names the installed daemon by its final path (no destdir)
    assert f"ExecStart={os.path.join(lay.prefix, 'lib', 'drover', 'droverd')} " in text, text
    assert glob.glob(os.path.join(lay.share, "doc", "drover", "README.md*"))


def test_cluster_app_reload_logs_and_startup_from_the_installed_tree(inst, app):
    lay = inst.layout
    assert shutil.which("drover", path=inst.env["PATH"]) == lay.drover()
    version = inst.run("version").stdout
    assert real(lay.helpers) in version, version
    port = free_port()
    # PATH has no python3: the interpreter is named
    inst.run("start", app("http_py.py"), "-i", "2", "--name", "web", "--interpreter",
             "/usr/bin/python3", "--env", f"PORT={port}", "-s")
    procs = inst.procs()
    assert [p["status"] for p in procs] == ["online", "online"], procs
    assert get_pid(port) in {p["pid"] for p in procs}

    # every process drover runs is an installed file
    assert_installed_file(f"/proc/{inst.daemon_pid()}/exe", lay)
    assert real(f"/proc/{inst.daemon_pid()}/exe") == real(os.path.join(lay.helpers, "droverd"))
    for p in procs:
        with open(f"/proc/{p['pid']}/stat") as f:
            sup = int(f.read().rsplit(")", 1)[1].split()[1])
        assert real(f"/proc/{sup}/exe") == real(os.path.join(lay.helpers, "drover-sup"))
        with open(f"/proc/{p['pid']}/maps") as f:
            shims = {line.split()[-1] for line in f if "drover-preload" in line}
        assert shims == {real(os.path.join(lay.helpers, "libdrover-preload.so"))}, shims

    before = {p["pid"] for p in procs}
    inst.run("reload", "web", "-s")
    after = wait_until(lambda: {p["pid"] for p in inst.procs() if p["status"] == "online"}
                       if len(inst.procs()) == 2 else None, 15, 0.1, "two instances after reload")
    assert len(after) == 2 and not (after & before), (before, after)
    assert get_pid(port) in after

    get_pid(port)  # a logged request
    out = wait_until(lambda: (lambda t: t if "client 127.0.0.1" in t else None)(
        inst.run("logs", "web", "--nostream", "--lines", "50").stdout), 10, 0.1, "the app's log")
    assert "family AF_INET" in out, out

    unit = inst.run("startup", "--print").stdout
    droverd = real(os.path.join(lay.helpers, "droverd"))
    assert f'ExecStart="{droverd}"' in unit or f"ExecStart={droverd} " in unit, unit
    assert real(BUILD) not in unit and REPO not in unit, unit


def test_man_reads_the_installed_pages(installed):
    if shutil.which("man") is None:
        pytest.skip("man is not installed (apt-get install man-db)")
    env = {"PATH": "/usr/bin:/bin", "LC_ALL": "C.UTF-8", "MANWIDTH": "80", "MANPAGER": "cat",
           "PAGER": "cat", "HOME": installed.root}
    for name, section, words in (("drover", 1, ["completion", "doctor", "--instances"]),
                                 ("drover-runtime", 1, ["drover-runtime"]),
                                 ("drover-ecosystem", 5, ["instances", "exec_mode"]),
                                 ("droverd", 8, ["droverd"])):
        page = man_page(installed, name, section)
        p = subprocess.run(["man", "--warnings=all", "-E", "UTF-8", "-l", page], env=env,
                           capture_output=True, text=True, timeout=60)
        assert p.returncode == 0 and p.stderr == "", f"{page}: {p.stderr}"
        for w in words:
            assert w in p.stdout, f"{page} lacks {w!r}"
    # and by name, through the installed man dir
    p = subprocess.run(["man", "-M", installed.man, "5", "drover-ecosystem"], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "ecosystem" in p.stdout, p.stderr


def test_installed_doctor_and_completion(inst):
    rows = json.loads(inst.run("doctor", "--json").stdout)
    text = json.dumps(rows)
    for helper in ("droverd", "drover-sup", "drover-gzip", "libdrover-preload.so", "drover-monit"):
        assert real(os.path.join(inst.layout.helpers, helper)) in text, helper
    # the installed bash completion, run by a bash whose PATH finds only the
    # installed drover
    script = os.path.join(inst.layout.share, "bash-completion", "completions", "drover")
    tab = (f"source {script}; COMP_WORDS=(drover doc); COMP_CWORD=1; _drover; "
           "printf '%s\\n' \"${COMPREPLY[@]}\"")
    p = subprocess.run(["/bin/bash", "--norc", "--noprofile", "-c", tab], env=inst.env,
                       cwd=inst.tmp, capture_output=True, text=True, timeout=30)
    assert p.stdout.split() == ["doctor"], p.stdout + p.stderr
