#!/bin/bash
# Runs until stopped; exits cleanly on SIGINT/SIGTERM.
trap 'echo "sleeper got signal"; exit 0' INT TERM
echo "sleeper started pid $$"
while true; do sleep 0.2; done
