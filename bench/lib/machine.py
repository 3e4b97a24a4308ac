"""machine.py - the machine and peer versions a run is measured on."""
import os
import platform
import re
import subprocess

from . import procs as P


def _out(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=20)
        return (p.stdout + p.stderr).strip()
    except (OSError, subprocess.TimeoutExpired):
        return None


def _first(text, pattern, default="not installed"):
    if not text:
        return default
    m = re.search(pattern, text)
    return m.group(1) if m else text.splitlines()[0]


def info(repo, build, pm2_version):
    cpu = "?"
    for line in (P.read("/proc/cpuinfo", "") or "").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in (P.read("/proc/meminfo", "") or "").splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    osr = P.read("/etc/os-release", "") or ""
    m = re.search(r'^PRETTY_NAME="?([^"\n]*)', osr, re.M)
    drover_v = _out([os.path.join(build, "drover"), "version"])
    git = _out(["git", "-C", repo, "rev-parse", "--short", "HEAD"])
    dirty = _out(["git", "-C", repo, "status", "--porcelain", "--", "src"])
    if git and " " in git:
        git = dirty = None
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "mem_gib": round(mem_kb / 1048576, 1),
        "kernel": platform.release(),
        "os": m.group(1) if m else "?",
        "drover": (drover_v or "?").splitlines()[0]
        + (f" (git {git}{', with uncommitted changes in src/' if dirty else ''})" if git else "")
        + f", binaries in `{os.path.relpath(build, repo) if build.startswith(repo) else build}`",
        "node": _out(["node", "--version"]) or "not installed",
        "pm2": pm2_version or "not installed",
        "nginx": _first(_out(["nginx", "-v"]), r"nginx/(\S+)"),
        "haproxy": _first(_out(["haproxy", "-v"]), r"version (\S+)"),
        "wrk": _first(_out(["wrk", "-v"]), r"wrk (\S+)"),
        "gnuplot": _first(_out(["gnuplot", "--version"]), r"gnuplot (.+)"),
        "python": platform.python_version(),
        "autogroup": (P.read("/proc/sys/kernel/sched_autogroup_enabled", "") or "n/a").strip(),
    }


def loadavg():
    """'1min 5min 15min' load averages."""
    return " ".join((P.read("/proc/loadavg", "") or "? ? ?").split()[:3])
