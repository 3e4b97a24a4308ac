#!/usr/bin/env python3
"""Writes one line of SIZE bytes (without its newline): "BEGIN", then
digits cycling 0-9, then "END"; written in pieces of 64 KiB, then the line
"after", then sleeps until stopped."""
import os
import time

size = int(os.environ.get("SIZE", str(1024 * 1024)))
body = bytes(ord("0") + i % 10 for i in range(size - 8))
line = b"BEGIN" + body + b"END\n"
for i in range(0, len(line), 65536):
    os.write(1, line[i:i + 65536])
os.write(1, b"after\n")
while True:
    time.sleep(3600)
