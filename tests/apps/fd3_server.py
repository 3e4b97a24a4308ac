#!/usr/bin/env python3
"""An HTTP server on an inherited socket (fd 3, LISTEN_FDS) that never says
it is ready: no READY=1, no listen(). WAIT picks how it waits for clients,
as servers do: accept (a blocking accept), select, poll or epoll. STARTUP_S
delays the start of serving. It stops gracefully on SIGINT/SIGTERM: the
request in hand is answered first. A blocking accept is restarted after the
signal (PEP 475), so in accept mode it stops after the next client, or is
killed at kill_timeout while nothing is in hand: exiting from the handler
could drop a connection accept just returned."""
import os
import select
import signal
import socket
import sys
import time

stopping = False


def stop(signo, frame):
    global stopping
    stopping = True


signal.signal(signal.SIGINT, stop)
signal.signal(signal.SIGTERM, stop)

assert int(os.environ["LISTEN_FDS"]) >= 1
sock = socket.socket(fileno=3)
time.sleep(float(os.environ.get("STARTUP_S", "0")))
how = os.environ.get("WAIT", "accept")
ep = None
if how == "epoll":
    ep = select.epoll()
    ep.register(sock.fileno(), select.EPOLLIN)


def wait():
    """True when a client waits (the waits wake up to look at `stopping`)."""
    if how == "select":
        return bool(select.select([sock], [], [], 0.1)[0])
    if how == "poll":
        p = select.poll()
        p.register(sock.fileno(), select.POLLIN)
        return bool(p.poll(100))
    if how == "epoll":
        return bool(ep.poll(0.1))
    return True  # accept: a plain blocking accept(2)


while not stopping:
    if not wait():
        continue
    conn, peer = sock.accept()
    conn.recv(65536)
    body = f"{os.getpid()}\n".encode()
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
                 + body)
    conn.close()
sys.exit(0)
