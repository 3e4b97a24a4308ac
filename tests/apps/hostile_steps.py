#!/usr/bin/env python3
"""An app that attacks its own log files, step by step, for test_hostile.py.

STEPS is a list of steps separated by ';' (run in order, in the app's cwd):

  print:TEXT          a line on stdout          eprint:TEXT   a line on stderr
  lines:N:TEXT        N lines "TEXT <i>" on stdout, flushed one by one
  wait:FILE           wait until FILE exists (the test's go-ahead)
  done:FILE           create FILE (tell the test this step was reached)
  link:NAME=TARGET    replace NAME with a symlink to TARGET
  swapdir:DIR=TARGET  rename DIR to DIR.old, make DIR a symlink to TARGET
  plantrot:BASE=TARGET  for the next SECS (default 30) seconds' rotation
                      stamps, plant symlinks to TARGET at every name a
                      rotation of BASE could use: BASE__<stamp>[_NNNN]<ext>
                      and the same with .gz (counters 0-3)
  hijack:BASE=TARGET  in the background: replace every rotated file of
                      BASE (BASE__*, not .gz) that appears with a symlink
                      to TARGET, as fast as possible
  sleep               sleep until stopped

Every step appends its index to ./steps.done so the test can follow along.
"""
import os
import sys
import threading
import time


def stamp(t):
    return time.strftime("%Y-%m-%d_%H-%M-%S", time.gmtime(t))


def split_base(base):
    dot = base.rfind(".")
    if dot <= 0:
        return base, ""
    return base[:dot], base[dot:]


def relink(name, target):
    try:
        os.unlink(name)
    except FileNotFoundError:
        pass
    os.symlink(target, name)


def plantrot(base, target, secs):
    stem, ext = split_base(base)
    now = int(time.time())
    for t in range(now, now + secs):
        for counter in range(4):
            count = f"_{counter:04d}" if counter else ""
            name = f"{stem}__{stamp(t)}{count}{ext}"
            for n in (name, name + ".gz"):
                try:
                    os.symlink(target, n)
                except FileExistsError:
                    pass


def hijack(base, target):
    stem, ext = split_base(base)
    d = os.path.dirname(base) or "."
    b = os.path.basename(stem) + "__"
    while True:
        try:
            for n in os.listdir(d):
                if n.startswith(b) and not n.endswith(".gz") and not n.startswith("."):
                    p = os.path.join(d, n)
                    if not os.path.islink(p):
                        tmp = p + ".hj"
                        try:
                            os.symlink(target, tmp)
                            os.rename(tmp, p)
                        except OSError:
                            pass
        except OSError:
            pass
        time.sleep(0.001)


def main():
    steps = os.environ.get("STEPS", "").split(";")
    secs = int(os.environ.get("SECS", "30"))
    for i, step in enumerate(steps):
        kind, _, arg = step.partition(":")
        if kind == "print":
            print(arg, flush=True)
        elif kind == "eprint":
            print(arg, file=sys.stderr, flush=True)
        elif kind == "lines":
            n, _, text = arg.partition(":")
            for k in range(int(n)):
                print(f"{text} {k}", flush=True)
        elif kind == "wait":
            while not os.path.exists(arg):
                time.sleep(0.02)
        elif kind == "done":
            open(arg, "w").close()
        elif kind == "link":
            name, _, target = arg.partition("=")
            relink(name, target)
        elif kind == "swapdir":
            name, _, target = arg.partition("=")
            os.rename(name, name + ".old")
            os.symlink(target, name)
        elif kind == "plantrot":
            name, _, target = arg.partition("=")
            plantrot(name, target, secs)
        elif kind == "hijack":
            name, _, target = arg.partition("=")
            threading.Thread(target=hijack, args=(name, target), daemon=True).start()
        elif kind == "sleep":
            while True:
                time.sleep(3600)
        elif kind:
            raise SystemExit(f"unknown step {step!r}")
        with open("steps.done", "a") as f:
            f.write(f"{i}\n")


if __name__ == "__main__":
    main()
