#!/usr/bin/env python3
"""Writes TEXT (default "partial-no-newline") to stdout without a trailing
newline, in one write(2), then sleeps until stopped without writing again."""
import os
import time

os.write(1, os.environ.get("TEXT", "partial-no-newline").encode())
while True:
    time.sleep(3600)
