#!/usr/bin/env python3
"""The Python twin of hold_node.js: GET /hold answers the pid and keeps the
connection until the client closes it (the handler's thread waits for
EOF, then the server closes the socket with close()); other paths answer
the pid and close."""
import http.server
import os
import signal
import socketserver


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"

    def do_GET(self):
        body = f"{os.getpid()}\n".encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        if self.path == "/hold":
            while self.rfile.read(1):
                pass

    def log_message(self, fmt, *args):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", int(os.environ["PORT"])), Handler)
signal.signal(signal.SIGINT, lambda *a: os._exit(0))
srv.serve_forever()
