#!/usr/bin/env python3
"""Ignores SIGINT and SIGTERM: only SIGKILL (after kill_timeout) stops it.
No children, so its stop time is the manager's kill timeout."""
import os
import signal
import time

signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print(f"deaf {os.getpid()} up", flush=True)
while True:
    time.sleep(3600)
