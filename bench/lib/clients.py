"""clients.py - Python HTTP clients for what wrk cannot measure.

KeepAlive is the "keep-alive, retry once" client of the reload and balancing
sections, with the semantics of tests/e2e/loadgen.py's KeepAliveLoad: each
client (a thread) keeps one HTTP/1.1 connection to 127.0.0.1:port and sends
its requests on it one after the other, pausing `pause` seconds between them.
A request that fails on a REUSED connection before any byte of the answer
came back (the server closed the idle connection: end of input, reset,
broken pipe) is retried once on a new connection, as browsers do; any other
failure (refused, timeout, cut short, non-200, a failed retry) counts. Every
answer's X-Pid is counted, and the latency of each answered request is kept
per path (the time from sending it to its last byte; a retried request's
latency includes the failed try).

Requests go to the path paths(client, n) names (default "/"); a client either
runs `count` requests or until stop(). Every socket operation is bounded by
`timeout`.
"""
import collections
import socket
import threading
import time


class EmptyAnswer(Exception):
    """The server closed a connection before answering (idle close)."""


def _ask(s, path):
    """One request on s: (pid, reusable), or raises EmptyAnswer when the
    connection ended before any byte of the answer."""
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = s.recv(4096)
        except ConnectionResetError:
            if not data:
                raise
            raise RuntimeError(f"reset after {data[:40]!r}") from None
        if not chunk:
            if not data:
                raise EmptyAnswer("closed before the answer")
            raise RuntimeError(f"answer cut short {data[:40]!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    fields = {}
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        fields[k.strip().lower()] = v.strip()
    length = int(fields.get(b"content-length", b"0"))
    while len(body) < length:
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("body cut short")
        body += chunk
    if not (head.startswith(b"HTTP/1.") and head[8:12] == b" 200"):
        raise RuntimeError(f"bad answer {head[:40]!r}")
    return fields.get(b"x-pid", b"?").decode(), fields.get(b"connection", b"").lower() != b"close"


class KeepAlive:
    def __init__(self, port, clients=8, pause=0.005, count=None, paths=None, timeout=5.0):
        self.port, self.pause, self.count, self.timeout = port, pause, count, timeout
        self.paths = paths or (lambda client, n: "/")
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.by_pid = collections.Counter()
        self.latency_ms = collections.defaultdict(list)   # path -> [ms]
        self.errors = []
        self.retries = 0
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(clients)]

    def _connect(self):
        return socket.create_connection(("127.0.0.1", self.port), timeout=self.timeout)

    def _run(self, client):
        s, n = None, 0
        while not self.stop_event.is_set() and (self.count is None or n < self.count):
            path = self.paths(client, n)
            n += 1
            reused = s is not None
            t = time.perf_counter()
            try:
                if s is None:
                    s = self._connect()
                try:
                    pid, keep = _ask(s, path)
                except (EmptyAnswer, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    s.close()
                    with self.lock:
                        self.retries += 1
                    s = self._connect()
                    pid, keep = _ask(s, path)
                ms = (time.perf_counter() - t) * 1000
                with self.lock:
                    self.by_pid[pid] += 1
                    self.latency_ms[path].append(ms)
                if not keep:
                    s.close()
                    s = None
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.errors.append(f"{type(e).__name__}: {e}")
                if s is not None:
                    s.close()
                s = None
            if self.pause:
                time.sleep(self.pause)
        if s is not None:
            s.close()

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def join(self, timeout):
        """Waits for clients that run `count` requests (bounded), then stops."""
        deadline = time.monotonic() + timeout
        for t in self.threads:
            t.join(max(0.0, deadline - time.monotonic()))
        return self.stop()

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=self.timeout * 2 + 1)
        return self

    @property
    def served(self):
        return sum(self.by_pid.values())

    def result(self):
        """The json-able summary the sections keep."""
        kinds = collections.Counter(e.split(":", 1)[0] for e in self.errors)
        return {"requests": self.served, "errors": len(self.errors), "retries": self.retries,
                "error_kinds": dict(kinds), "first_errors": self.errors[:3],
                "by_pid": dict(self.by_pid)}
