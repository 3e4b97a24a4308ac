#!/usr/bin/env python3
"""Leaks memory: allocates and touches STEP_MB (default 5) every INTERVAL
seconds (default 0.1) until it holds MAX_MB (default 1024), then idles.
With GATE set to a path, it leaks only while that file exists. Prints
"leaker <pid> started" first."""
import os
import time

step = int(float(os.environ.get("STEP_MB", "5")) * 1024 * 1024)
interval = float(os.environ.get("INTERVAL", "0.1"))
max_bytes = int(float(os.environ.get("MAX_MB", "1024")) * 1024 * 1024)
gate = os.environ.get("GATE")
print(f"leaker {os.getpid()} started", flush=True)
held = []
total = 0
while True:
    if total + step <= max_bytes and (not gate or os.path.exists(gate)):
        held.append(b"x" * step)  # filled, so every page is resident
        total += step
    time.sleep(interval)
