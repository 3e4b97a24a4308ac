#!/usr/bin/env python3
"""Writes COUNT numbered lines to stdout as fast as it can (0: forever),
BATCH lines per write(2), each "<7-digit n> <PAD x's>\\n", sleeping
INTERVAL seconds between writes (default 0). With PREGEN=1 all the lines
are generated before the clock starts (measures the pipe, not Python).
Before writing it waits for
the file GO (if set) to exist; it prints "ready" first when GO is set.
When done it writes "flood done <seconds>" to stderr and sleeps until
stopped, so it is never restarted into writing the numbers again."""
import os
import sys
import time

count = int(os.environ.get("COUNT", "1000000"))
batch = int(os.environ.get("BATCH", "2000"))
pad = "x" * int(os.environ.get("PAD", "15"))
interval = float(os.environ.get("INTERVAL", "0"))
go = os.environ.get("GO")
out = sys.stdout.fileno()

def write_all(data):
    view = memoryview(data)
    while view:
        n = os.write(out, view)
        view = view[n:]

def chunk(n, end):
    return "".join(f"{i:07d} {pad}\n" for i in range(n, end)).encode()

pregen = None
if os.environ.get("PREGEN") == "1" and count > 0:
    pregen = [chunk(n, min(n + batch, count)) for n in range(0, count, batch)]

if go:
    write_all(b"ready\n")
    while not os.path.exists(go):
        time.sleep(0.01)
t0 = time.monotonic()
n = 0
while count == 0 or n < count:
    end = n + batch if count == 0 else min(n + batch, count)
    write_all(pregen[n // batch] if pregen else chunk(n, end))
    n = end
    if interval > 0:
        time.sleep(interval)
os.write(2, f"flood done {time.monotonic() - t0:.3f}\n".encode())
while True:
    time.sleep(3600)
