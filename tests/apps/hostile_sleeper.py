#!/usr/bin/env python3
"""Sleeps until killed, in one process (no children), so every live copy of
an instance is easy to count. With PIDDIR set, records each start as a file
PIDDIR/<pid> holding NODE_APP_INSTANCE,
once its first line is written. With DESCENDANT=1, first forks a
child that leaves the session (setsid) and sleeps too, recorded as
PIDDIR/desc-<pid>."""
import os
import time

piddir = os.environ.get("PIDDIR")
if os.environ.get("DESCENDANT") == "1":
    child = os.fork()
    if child == 0:
        os.setsid()
        if piddir:
            with open(os.path.join(piddir, f"desc-{os.getpid()}"), "w") as f:
                f.write(os.environ.get("NODE_APP_INSTANCE", "0"))
        while True:
            time.sleep(3600)
print(f"hostile_sleeper {os.getpid()} up", flush=True)
if piddir:  # after the line: the output pipe is known to work by then
    with open(os.path.join(piddir, str(os.getpid())), "w") as f:
        f.write(os.environ.get("NODE_APP_INSTANCE", "0"))
while True:
    time.sleep(3600)
