#!/usr/bin/env python3
"""An app for drover-runtime's tests (tests/e2e/test_runtime.py). Prints
"start <pid>" on stdout and "hello stderr <pid>" on stderr, then:
  PORT, HOST   serve HTTP there (answers its pid; HOST default 127.0.0.1),
               after READY_DELAY seconds
  SIGNALS      print "got <SIGNAME> <pid>" for SIGHUP, SIGUSR1, SIGUSR2, and
               for SIGTERM/SIGINT too, then exit 0
  ORPHANS      every 0.2 s double-fork a grandchild that lives 0.1 s (an
               orphan for the nearest subreaper / PID 1 to reap)
  EXIT_AFTER   after that many seconds exit with EXIT_CODE (default 0), or
               kill itself with EXIT_SIGNAL (a number)"""
import http.server
import os
import signal
import socketserver
import sys
import threading
import time

pid = os.getpid()
print(f"start {pid}", flush=True)
print(f"hello stderr {pid}", file=sys.stderr, flush=True)


def on_signal(sig, _frame):
    print(f"got {signal.Signals(sig).name} {pid}", flush=True)
    if sig in (signal.SIGTERM, signal.SIGINT):
        os._exit(0)


for s in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGTERM, signal.SIGINT):
    signal.signal(s, on_signal)


def orphans():
    while True:
        if os.fork() == 0:
            if os.fork() == 0:
                time.sleep(0.1)
                os._exit(0)
            os._exit(0)
        os.waitpid(-1, 0)
        time.sleep(0.2)


if os.environ.get("ORPHANS"):
    threading.Thread(target=orphans, daemon=True).start()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = f"{pid}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a balancer's health check resets its connection


def serve():
    time.sleep(float(os.environ.get("READY_DELAY", "0")))
    srv = Server((os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"])), Handler)
    print(f"listening {pid}", flush=True)
    srv.serve_forever()


if os.environ.get("PORT"):
    threading.Thread(target=serve, daemon=True).start()

if os.environ.get("EXIT_AFTER"):
    time.sleep(float(os.environ["EXIT_AFTER"]))
    if os.environ.get("EXIT_SIGNAL"):
        if int(os.environ["EXIT_SIGNAL"]) not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(int(os.environ["EXIT_SIGNAL"]), signal.SIG_DFL)
        os.kill(pid, int(os.environ["EXIT_SIGNAL"]))
        time.sleep(5)
    os._exit(int(os.environ.get("EXIT_CODE", "0")))
while True:
    time.sleep(3600)
