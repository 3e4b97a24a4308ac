#!/usr/bin/env python3
"""Unmodified Python HTTP app binding (HOST, PORT) with AF_INET like most
frameworks do. Answers with its pid and logs each client address, so a
garbled address (wrong socket family) would show."""
import http.server
import os
import signal
import socketserver
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{os.getpid()}\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stdout.write(f"client {self.client_address[0]} {fmt % args}\n")
        sys.stdout.flush()


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server((os.environ.get("HOST", "127.0.0.1"), int(os.environ["PORT"])), Handler)
print(f"pid {os.getpid()} family {srv.socket.family.name}", flush=True)
signal.signal(signal.SIGINT, lambda *a: os._exit(0))
srv.serve_forever()
