"""A small HTTP load generator for the e2e tests: N threads, each opening a
fresh connection per request (Connection: close) to 127.0.0.1:port and
recording the pid each answer carries. Every failure (refused, reset,
timeout, bad status) is counted and kept for the report."""
import collections
import socket
import threading
import time


class Load:
    def __init__(self, port, threads=8, host="127.0.0.1", timeout=10.0, family=socket.AF_INET):
        self.port, self.host, self.timeout, self.family = port, host, timeout, family
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.by_pid = collections.Counter()
        self.errors = []
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _one(self):
        head, _, body = ask(self.port, self.host, self.timeout).partition(b"\r\n\r\n")
        if not (head.startswith(b"HTTP/1.") and head[8:12] == b" 200"):
            raise RuntimeError(f"bad answer {head[:40]!r}")
        return int(body.strip())

    def _run(self):
        while not self.stop_event.is_set():
            try:
                pid = self._one()
                with self.lock:
                    self.by_pid[pid] += 1
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.errors.append(f"{type(e).__name__}: {e}")
                time.sleep(0.01)

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(timeout=self.timeout + 5)
        return self

    @property
    def served(self):
        return sum(self.by_pid.values())

    def report(self):
        return (f"served {self.served} requests, {len(self.errors)} failed; "
                f"per pid {dict(self.by_pid)}; first errors {self.errors[:3]}")



class KeepAliveLoad(Load):
    """Like Load, but each thread keeps one connection open across requests
    (HTTP/1.1 keep-alive, as browsers do), pausing `pause` seconds between
    them. A request that fails on a reused connection before any byte of
    the answer came back is retried once on a new connection, the way
    browsers treat a server closing an idle connection; any other failure
    counts. `retries` counts those second tries."""

    def __init__(self, port, threads=8, pause=0.01, **kw):
        super().__init__(port, threads=threads, **kw)
        self.pause = pause
        self.retries = 0

    def _connect(self):
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        s.connect((self.host, self.port))
        return s

    def _ask(self, s):
        """One request on s: (pid, reusable), or raises. EmptyAnswer when
        the connection ended before any byte of the answer."""
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk:
                if not data:
                    raise EmptyAnswer("closed before the answer")
                raise RuntimeError(f"answer cut short {data[:40]!r}")
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            chunk = s.recv(4096)
            if not chunk:
                raise RuntimeError("body cut short")
            body += chunk
        if not (head.startswith(b"HTTP/1.") and head[8:12] == b" 200"):
            raise RuntimeError(f"bad answer {head[:40]!r}")
        return int(body.strip()), b"connection: close" not in head.lower()

    def _run(self):
        s = None
        while not self.stop_event.is_set():
            reused = s is not None
            try:
                if s is None:
                    s = self._connect()
                try:
                    pid, keep = self._ask(s)
                except (EmptyAnswer, ConnectionResetError, BrokenPipeError):
                    if not reused:
                        raise
                    s.close()
                    with self.lock:
                        self.retries += 1
                    s = self._connect()
                    pid, keep = self._ask(s)
                with self.lock:
                    self.by_pid[pid] += 1
                if not keep:
                    s.close()
                    s = None
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.errors.append(f"{type(e).__name__}: {e}")
                if s is not None:
                    s.close()
                s = None
            time.sleep(self.pause)
        if s is not None:
            s.close()

    def report(self):
        return super().report() + f"; {self.retries} retried on a closed idle connection"


class EmptyAnswer(Exception):
    """The server closed a connection before answering (idle close)."""


def free_port(host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_to_end(s):
    """Everything s receives until the peer closes; s is closed."""
    data = b""
    try:
        while True:
            c = s.recv(4096)
            if not c:
                break
            data += c
    finally:
        s.close()
    return data


def ask(port, host="127.0.0.1", timeout=5.0, source=None):
    """One GET on a new connection (from address source, if given); the
    whole answer."""
    s = socket.create_connection((host, port), timeout=timeout,
                                 source_address=(source, 0) if source else None)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    return read_to_end(s)


def get_pid(port, host="127.0.0.1", timeout=5.0, source=None):
    """The pid a one-request connection is answered with."""
    return int(ask(port, host, timeout, source).partition(b"\r\n\r\n")[2].strip())
