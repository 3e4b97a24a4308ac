#!/usr/bin/python3
"""nomgr.py - the no-manager limit: N node processes sharing one socket.

    nomgr.py <port> <instances> <app.js> [--one-session]

Binds 127.0.0.1:<port> (backlog 511, like node's default), starts <instances>
copies of `node <app.js>` with the listening socket as fd 3 and LISTEN_FD=3
(the app calls server.listen({fd: 3})), then waits. Nothing sits in the data
path: the kernel hands connections to whichever worker accepts. SIGTERM or
SIGINT stops the workers and exits.

Each worker runs in its own session, as drover and systemd run instances;
with --one-session they share the launcher's, as the workers of node's
cluster module and PM2 do. With the kernel's autogroup scheduling on
(kernel.sched_autogroup_enabled), each session is one CPU-scheduling entity,
which decides how much CPU the workers get against a load generator on the
same cores.
"""
import os
import signal
import socket
import subprocess
import sys


def main():
    port, n, app = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    one_session = "--one-session" in sys.argv[4:]
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(511)
    fd = s.fileno()
    if fd != 3:
        os.dup2(fd, 3, inheritable=True)
    else:
        os.set_inheritable(3, True)
    env = dict(os.environ, LISTEN_FD="3")
    workers = [subprocess.Popen(["node", app], env=env, pass_fds=(3,),
                                start_new_session=not one_session) for _ in range(n)]

    def stop(*_):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for w in workers:
            if w.poll() is None:
                w.terminate()
        for w in workers:
            try:
                w.wait(timeout=3)
            except subprocess.TimeoutExpired:
                w.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    while True:
        pid, _ = os.wait()
        if all(w.poll() is not None for w in workers):
            sys.exit(1)


if __name__ == "__main__":
    main()
