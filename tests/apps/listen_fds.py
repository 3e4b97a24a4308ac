#!/usr/bin/env python3
"""Speaks systemd's socket-activation contract: serves HTTP on fd 3 after
checking LISTEN_PID/LISTEN_FDS, reports LISTEN_FDNAMES, then READY=1 on
NOTIFY_SOCKET. Never calls bind()."""
import os
import socket
import sys

assert os.environ.get("LISTEN_PID") == str(os.getpid()), "LISTEN_PID mismatch"
n = int(os.environ["LISTEN_FDS"])
assert n >= 1
sock = socket.socket(fileno=3)
print(f"pid {os.getpid()} fds {n} names {os.environ.get('LISTEN_FDNAMES')} "
      f"family {sock.family.name} addr {sock.getsockname()}", flush=True)
ns = os.environ.get("NOTIFY_SOCKET")
if ns:
    n_sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    n_sock.sendto(b"READY=1", "\0" + ns[1:] if ns.startswith("@") else ns)
while True:
    conn, peer = sock.accept()
    conn.recv(65536)
    body = f"{os.getpid()}\n".encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                 + body)
    conn.close()
