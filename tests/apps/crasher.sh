#!/bin/bash
# Exits with code ${CODE:-1} after ${AFTER:-0} seconds; logs its start.
echo "crasher started pid $$"
sleep "${AFTER:-0}"
exit "${CODE:-1}"
