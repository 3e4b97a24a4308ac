#!/usr/bin/env python3
"""Writes CHUNKS chunks of LINES lines each ("chunk <c> line <l>"), every
chunk with a single write(2), on stdout and (with ERR=1) on stderr, then
sleeps until stopped."""
import os
import time

chunks = int(os.environ.get("CHUNKS", "50"))
lines = int(os.environ.get("LINES", "7"))
err = os.environ.get("ERR") == "1"
for c in range(chunks):
    data = "".join(f"chunk {c} line {l}\n" for l in range(lines)).encode()
    os.write(1, data)
    if err:
        os.write(2, data)
    time.sleep(0.002)
os.write(1, b"chunks done\n")
while True:
    time.sleep(3600)
