#!/usr/bin/env python3
"""Echoes every line it reads on stdin as "got <line>" on stdout (flushed),
for `send <id> <line>`. Prints "stdin_echo <pid> up" first; at EOF it keeps
running (a closed stdin is not a reason to exit)."""
import os
import sys
import time

print(f"stdin_echo {os.getpid()} up", flush=True)
for line in sys.stdin:
    sys.stdout.write(f"got {line.rstrip(chr(10))}\n")
    sys.stdout.flush()
while True:
    time.sleep(3600)
