#!/usr/bin/env python3
"""Prints COUNT lines "out <n>" on stdout and "err <n>" on stderr, then
"done" on stdout, then sleeps until stopped."""
import os
import sys
import time

count = int(os.environ.get("COUNT", "20"))
for n in range(count):
    sys.stdout.write(f"out {n}\n")
    sys.stdout.flush()
    sys.stderr.write(f"err {n}\n")
    sys.stderr.flush()
sys.stdout.write("done\n")
sys.stdout.flush()
while True:
    time.sleep(3600)
