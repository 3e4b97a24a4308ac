"""`drover monit`, the full-screen terminal monitor, driven the way a user
does: in a detached tmux session (send-keys, capture-pane), 80x24 like a
plain ssh terminal, then resized. Every wait is bounded (wait_until polls
the pane with a deadline)."""
import os
import pty
import re
import shutil
import signal
import subprocess
import time

import pytest

from conftest import wait_until

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is missing (scripts/install-deps.sh test installs it)")

PROMPT = "monit-test$ "
# a process row: marker, id (or +/- on an app's header), name, status, cpu, mem, restarts
ROW = re.compile(r"^[ >]\s*(\d+|[-+])\s+(\S+)\s+(online|stopped|errored|launching|stopping|waiting)"
                 r"\S*\s+(\d+\.\d)%\s+(\d[\d.]*[kmg]?b)\s+(\d+)\b")
COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;5;\d+)m")


class Tmux:
    """One tmux server of its own (socket in the test's directory) running
    sh with a known prompt in a window of the given size."""

    def __init__(self, drover, width, height):
        self.sock = os.path.join(drover.tmp, "tmux.sock")
        env = dict(drover.env)
        env.pop("NO_COLOR", None)  # colours unless a run asks for NO_COLOR
        env.pop("TMUX", None)
        env.update(LC_ALL="C.UTF-8", HOME=drover.tmp, ENV="")
        self.env = env
        # an interactive shell sets its own prompt from the environment's
        self.cmd("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height),
                 "sh", "-c", f"PS1='{PROMPT}' exec sh -i")
        self.wait(lambda s: PROMPT.strip() in s, "the shell's prompt")

    def cmd(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], env=self.env, check=True,
                              capture_output=True, text=True, timeout=10).stdout

    def screen(self, escapes=False):
        return self.cmd("capture-pane", "-p", "-t", "t", *(["-e"] if escapes else []))

    def keys(self, *keys):
        self.cmd("send-keys", "-t", "t", *keys)

    def pane(self, fmt):
        return self.cmd("display-message", "-p", "-t", "t", fmt).strip()

    def wait(self, pred, what, timeout=15):
        """Waits until pred(screen text) holds; returns the screen."""
        def check():
            s = self.screen()
            return s if pred(s) else None
        try:
            return wait_until(check, timeout, 0.1, what)
        except AssertionError:
            raise AssertionError(f"timed out waiting for {what}; the screen:\n{self.screen()}")

    def kill(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"], capture_output=True, timeout=10)


@pytest.fixture
def tmux(drover):
    made = []

    def start(width=80, height=24):
        t = Tmux(drover, width, height)
        made.append(t)
        return t
    yield start
    for t in made:
        t.kill()


def rows(screen):
    """{name: (id, status, cpu, mem, restarts)} of the process rows shown;
    an app's header row under the key '<name>*'."""
    found = {}
    for line in screen.splitlines():
        m = ROW.match(line)
        if m:
            ident, name = m.group(1), m.group(2)
            found[name + ("*" if ident in "+-" else f"#{ident}")] = m.groups()
    return found


def shell_again(screen):
    """The shell's screen as it was before monit, with a new prompt."""
    return not re.search(r"^ drover monit ", screen, re.M) and \
        re.search(r"^" + re.escape(PROMPT) + r".*drover monit$", screen, re.M) and \
        screen.rstrip().endswith(PROMPT.strip())


def assert_terminal_restored(t):
    """The terminal is the shell's again: main screen, typed keys echoed,
    lines run when Enter ends them (echo and canonical mode are back)."""
    assert t.pane("#{alternate_on}") == "0"
    assert t.pane("#{pane_current_command}") == "sh"
    t.keys("echo sane-$((40+2))", "Enter")
    t.wait(lambda s: "echo sane-$((40+2))" in s and re.search(r"^sane-42$", s, re.M),
           "the shell echoing a typed line and running it")


def selected(screen):
    """The key (as rows() has it) of the row marked '>'."""
    for line in screen.splitlines():
        m = ROW.match(line)
        if m and line.startswith(">"):
            return m.group(2) + ("*" if m.group(1) in "+-" else f"#{m.group(1)}")
    return None


def select(t, key, logs_title, direction="Down"):
    """Moves the selection (down, or up) to the row key, then waits for its
    logs."""
    for _ in range(8):
        now = selected(t.screen())
        if now == key:
            t.wait(lambda s: logs_title in s, logs_title)
            return
        t.keys(direction)
        t.wait(lambda s: selected(s) != now, "the selection to move")
    raise AssertionError(f"{key} never got selected:\n{t.screen()}")


def restarts(drover, name):
    return sum(p["pm2_env"]["restart_time"] for p in drover.json("jlist") if p["name"] == name)


def monit_pid(t):
    """The drover monit process: the pane's shell's child."""
    sh = t.pane("#{pane_pid}")
    with open(f"/proc/{sh}/task/{sh}/children") as f:
        kids = f.read().split()
    return int(kids[0]) if kids else None


def cpu_ns(pid):
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def start_apps(drover, app):
    drover.run("start", app("sleeper.sh"), "--name", "alpha")
    drover.run("start", app("sleeper.sh"), "--name", "beta")
    drover.run("start", app("sleeper.sh"), "--name", "gamma", "-i", "2")
    for target in ("alpha", "beta", 2, 3):
        drover.wait_status(target, "online")


def test_monit_shows_acts_resizes_and_quits(drover, app, tmux):
    start_apps(drover, app)
    t = tmux(80, 24)
    t.keys(f"{drover.bin} monit", "Enter")
    s = t.wait(lambda s: {"alpha#0", "beta#1", "gamma*", "gamma#2", "gamma#3"} <= rows(s).keys()
               and "q quit" in s.splitlines()[-1], "every app and instance listed")
    lines = s.splitlines()
    assert "drover monit" in lines[0] and "4 instances" in lines[0], lines[0]
    assert re.search(r"\bid\s+name\s+status\s+cpu\s+mem\b", lines[1]), lines[1]
    assert "cpu, last 5 min" in lines[1] and "mem, last" not in lines[1], lines[1]
    for key, (_, name, status, cpu, mem, _) in rows(s).items():
        assert status == "online" and float(cpu) >= 0 and mem.endswith("b"), (key, status, mem)
    assert len(lines) == 24 and all(len(l) <= 80 for l in lines)
    assert "q quit" in lines[-1] and "r restart" in lines[-1], lines[-1]
    # the first row is selected and its logs show
    t.wait(lambda s: "logs: alpha" in s and "sleeper started" in s, "alpha's logs")
    # sparklines: each row gets a cell a sample (one a second), at the right
    def sparklines(screen):
        lines = [line for line in screen.splitlines() if ROW.match(line)]
        return len(lines) == 5 and all(re.search(r"[▁▂▃▄▅▆▇█]{2,}\s*$", l) for l in lines)
    t.wait(sparklines, "a sparkline of two samples or more on every row")
    # colours on a terminal without NO_COLOR: the status is green
    assert "\x1b[32monline" in t.screen(escapes=True)

    # what it costs: CPU time of the monit process over a measuring window
    # (a window, not a wait: nothing is waited for)
    pid = monit_pid(t)
    with open(f"/proc/{pid}/comm") as f:  # drover exec'd the monitor program
        assert f.read().strip() == "drover-monit"
    cpu0, wall0 = cpu_ns(pid), time.monotonic()
    time.sleep(5)
    used = (cpu_ns(pid) - cpu0) / 1e9 / (time.monotonic() - wall0)
    assert used < 0.01, f"monit used {used:.2%} of a core"

    # select beta (the log pane follows the selection), restart it
    select(t, "beta#1", "logs: beta ")
    before = restarts(drover, "beta")
    t.keys("r")
    t.wait(lambda s: "restart beta? press y" in s, "the confirmation")
    t.keys("n")
    t.wait(lambda s: "cancelled" in s, "the cancel")
    assert restarts(drover, "beta") == before
    t.keys("r")
    t.wait(lambda s: "restart beta? press y" in s, "the confirmation")
    t.keys("y")
    t.wait(lambda s: "restart beta: done" in s, "the restart's result", timeout=30)
    assert restarts(drover, "beta") == before + 1
    # the log pane follows live: the lines of the stop and the new start
    t.wait(lambda s: "sleeper got signal" in s and len(re.findall(r"sleeper started pid", s)) == 2,
           "beta's new log lines in the pane")
    t.wait(lambda s: rows(s).get("beta#1", [""] * 6)[5] == str(before + 1),
           "the restart count on screen")

    # describe, then back
    t.keys("d")
    t.wait(lambda s: "describe beta" in s and re.search(r"status\s+online", s), "describe")
    t.keys("Escape")
    t.wait(lambda s: "logs: beta" in s, "the list again")

    # a larger terminal: the layout follows (a memory sparkline, more log lines)
    t.cmd("resize-window", "-t", "t", "-x", "120", "-y", "40")
    s = t.wait(lambda s: "mem, last" in s and len(s.splitlines()) == 40
               and "q quit" in s.splitlines()[-1] and "logs: beta" in s, "the 120x40 layout")
    lines = s.splitlines()
    assert len(lines) == 40 and "q quit" in lines[-1], lines[-1]
    logs_title = [l for l in lines if "logs: beta" in l][0]
    assert len(logs_title.rstrip()) == 120, logs_title
    assert {"alpha#0", "beta#1", "gamma*"} <= rows(s).keys()

    # back to 80x24: everything fits again
    t.cmd("resize-window", "-t", "t", "-x", "80", "-y", "24")
    s = t.wait(lambda s: "mem, last" not in s and len(s.splitlines()) == 24
               and "q quit" in s.splitlines()[-1]
               and {"alpha#0", "beta#1", "gamma*"} <= rows(s).keys(), "the 80x24 layout again")
    assert all(len(l) <= 80 for l in s.splitlines()), s

    # ? shows the keys, q closes them (and does not quit)
    t.keys("?")
    t.wait(lambda s: "drover monit: keys" in s and "restart (asks first)" in s, "the help")
    t.keys("q")
    t.wait(lambda s: "logs: beta" in s and "beta#1" in rows(s), "the list after the help")

    # q: the terminal is the shell's again
    t.keys("q")
    t.wait(shell_again, "the shell's prompt after q")
    assert_terminal_restored(t)


def test_monit_honours_no_color_and_folds(drover, app, tmux):
    start_apps(drover, app)
    t = tmux(80, 24)
    t.keys(f"NO_COLOR=1 {drover.bin} monit", "Enter")
    s = t.wait(lambda s: {"gamma*", "gamma#2"} <= rows(s).keys(), "the list")
    shown = t.screen(escapes=True)
    assert "\x1b[7m" in shown, "the title and the selection are reversed"
    assert not COLOUR.search(shown), COLOUR.search(shown).group(0)
    # fold gamma's instances from one of them, unfold them
    select(t, "gamma#2", "logs: gamma #2 ")
    t.keys("Left")
    t.wait(lambda s: "gamma*" in rows(s) and "gamma#2" not in rows(s), "gamma folded")
    t.keys("Right")
    t.wait(lambda s: "gamma#2" in rows(s), "gamma unfolded")
    # ^C quits as q does
    t.keys("C-c")
    t.wait(shell_again, "the shell's prompt after ^C")
    assert_terminal_restored(t)


def jlist(drover, name):
    """{id: (status, pid, restarts)} of name's instances, from the daemon."""
    return {p["pm_id"]: (p["pm2_env"]["status"], p["pid"], p["pm2_env"]["restart_time"])
            for p in drover.json("jlist") if p["name"] == name}


def wait_jlist(drover, name, pred, what, timeout=20):
    return wait_until(lambda: (lambda j: j if pred(j) else None)(jlist(drover, name)),
                      timeout, 0.1, what)


def test_monit_keys_change_the_daemon(drover, app, tmux):
    """Each action key does what the command does: checked in jlist."""
    drover.run("start", app("sleeper.sh"), "--name", "alpha")
    drover.run("start", app("sleeper.sh"), "--name", "gamma", "-i", "2")
    for target in ("alpha", 1, 2):
        drover.wait_status(target, "online")
    t = tmux(80, 24)
    t.keys(f"{drover.bin} monit", "Enter")
    t.wait(lambda s: {"alpha#0", "gamma*", "gamma#1", "gamma#2"} <= rows(s).keys(), "the list")

    # scale +1 on gamma's header row: a third instance, on screen too
    select(t, "gamma*", "logs: gamma ")
    t.keys("+")
    t.wait(lambda s: "scale +1 gamma: done" in s, "the scale up", timeout=30)
    j = wait_jlist(drover, "gamma", lambda j: len(j) == 3, "gamma at 3 instances")
    new_id = max(j)
    t.wait(lambda s: f"gamma#{new_id}" in rows(s), "the new instance's row")

    # scale -1 asks first
    t.keys("-")
    t.wait(lambda s: "scale -1 gamma? press y" in s, "the scale down's question")
    t.keys("y")
    t.wait(lambda s: "scale -1 gamma: done" in s, "the scale down", timeout=30)
    wait_jlist(drover, "gamma", lambda j: len(j) == 2, "gamma at 2 instances")
    t.wait(lambda s: sum(k.startswith("gamma#") for k in rows(s)) == 2, "two gamma rows")

    # reload the app: every instance gets a new process
    before = jlist(drover, "gamma")
    t.keys("R")
    t.wait(lambda s: "reload gamma (every instance)? press y" in s, "the reload's question")
    t.keys("y")
    t.wait(lambda s: "reload gamma (every instance): done" in s, "the reload", timeout=30)
    after = wait_jlist(drover, "gamma", lambda j: all(
        j[i][0] == "online" and j[i][1] != before[i][1] for i in before),
        "gamma's instances reloaded")
    assert all(after[i][2] == before[i][2] + 1 for i in before), (before, after)

    # stop alpha, then start it again
    select(t, "alpha#0", "logs: alpha ", "Up")
    t.keys("s")
    t.wait(lambda s: "stop alpha? press y" in s, "the stop's question")
    t.keys("y")
    t.wait(lambda s: "stop alpha: done" in s, "the stop", timeout=30)
    wait_jlist(drover, "alpha", lambda j: j[0][0] == "stopped", "alpha stopped")
    t.wait(lambda s: rows(s).get("alpha#0", ("",) * 3)[2] == "stopped", "alpha stopped on screen")
    t.keys("S")
    t.wait(lambda s: "start alpha: done" in s, "the start", timeout=30)
    wait_jlist(drover, "alpha", lambda j: j[0][0] == "online", "alpha online again")
    t.wait(lambda s: rows(s).get("alpha#0", ("",) * 3)[2] == "online", "alpha online on screen")
    t.keys("S")
    t.wait(lambda s: "it runs already" in s, "start of what runs")

    t.keys("q")
    t.wait(shell_again, "the shell's prompt after q")


def test_monit_survives_a_daemon_that_does_not_answer(drover, app, tmux):
    """A stopped daemon: the screen says the figures are stale and keys
    still work; when it answers again the note goes."""
    drover.run("start", app("sleeper.sh"), "--name", "alpha")
    drover.wait_status("alpha", "online")
    t = tmux(80, 24)
    t.keys(f"{drover.bin} monit", "Enter")
    t.wait(lambda s: "alpha#0" in rows(s), "the list")
    daemon = drover.daemon_pid()
    os.kill(daemon, signal.SIGSTOP)
    try:
        t.wait(lambda s: "the daemon has not answered for" in s, "the stale note")
        t.keys("?")
        t.wait(lambda s: "drover monit: keys" in s, "the help while the daemon sleeps")
        t.keys("q")
        t.wait(lambda s: "alpha#0" in rows(s), "the list while the daemon sleeps")
    finally:
        os.kill(daemon, signal.SIGCONT)
    t.wait(lambda s: "has not answered" not in s and "alpha#0" in rows(s), "the note gone")
    t.keys("q")
    t.wait(shell_again, "the shell's prompt after q")


def test_monit_without_a_terminal_says_so(drover):
    # stdout a pipe: one clear line, exit 1, the terminal untouched
    r = drover.run("monit", check=False, input="")
    lines = [l for l in (r.stdout + r.stderr).splitlines() if l.strip()]
    assert r.returncode == 1 and len(lines) == 1, (r.returncode, lines)
    assert "monit needs a terminal and stdout is not one" in lines[0], lines[0]
    assert "\x1b" not in r.stdout + r.stderr
    # stdin a pipe, stdout a terminal
    master, slave = pty.openpty()
    try:
        p = subprocess.run([drover.bin, "monit"], env=drover.env, stdin=subprocess.DEVNULL,
                           stdout=slave, stderr=subprocess.PIPE, text=True, timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 1 and "stdin is not one" in p.stderr, (p.returncode, p.stderr)
    # a terminal curses does not know: said, exit 1
    master, slave = pty.openpty()
    try:
        p = subprocess.run([drover.bin, "monit"], env=dict(drover.env, TERM="no-such-term"),
                           stdin=slave, stdout=slave, stderr=subprocess.PIPE, text=True,
                           timeout=30)
    finally:
        os.close(slave)
        os.close(master)
    assert p.returncode == 1 and "cannot drive this terminal (TERM=no-such-term)" in p.stderr, \
        (p.returncode, p.stderr)
