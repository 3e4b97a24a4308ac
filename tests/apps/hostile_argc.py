#!/usr/bin/env python3
"""Writes how many arguments it got (and the last one) to ARGC_FILE, then
sleeps until stopped."""
import os
import sys
import time

with open(os.environ["ARGC_FILE"] + ".tmp", "w") as f:
    f.write(f"{len(sys.argv) - 1} {sys.argv[-1]}\n")
os.rename(os.environ["ARGC_FILE"] + ".tmp", os.environ["ARGC_FILE"])
while True:
    time.sleep(3600)
