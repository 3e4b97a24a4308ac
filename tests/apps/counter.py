#!/usr/bin/env python3
"""Prints numbered lines: "<pid> <n>", every INTERVAL seconds (default
0.01), flushing each line. With COUNT set, exits 0 after COUNT lines."""
import os
import sys
import time

interval = float(os.environ.get("INTERVAL", "0.01"))
count = int(os.environ.get("COUNT", "0"))
n = 0
pid = os.getpid()
while count == 0 or n < count:
    sys.stdout.write(f"{pid} {n}\n")
    sys.stdout.flush()
    n += 1
    if interval > 0:
        time.sleep(interval)
