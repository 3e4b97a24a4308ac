#!/usr/bin/env python3
"""Ignores SIGINT and SIGTERM, and leaves behind a double-forked grandchild
that also ignores them and holds a listening TCP port (PORT, default 0 =
any). Writes the grandchild's pid and port to $MARKER when ready."""
import os
import signal
import socket
import sys
import time

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)

marker = os.environ["MARKER"]
r, w = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        # the grandchild: a daemonized leftover that keeps a port
        os.close(r)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", int(os.environ.get("PORT", "0"))))
        s.listen(5)
        os.write(w, f"{os.getpid()} {s.getsockname()[1]}\n".encode())
        os.close(w)
        while True:
            time.sleep(1)
    os._exit(0)
os.close(w)
line = os.read(r, 100).decode()
with open(marker + ".tmp", "w") as f:
    f.write(line)
os.rename(marker + ".tmp", marker)
print("stubborn ready", line.strip(), flush=True)
while True:
    time.sleep(1)
