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
        s = socket.socket(self.family, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect((self.host, self.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        head, _, body = data.partition(b"\r\n\r\n")
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


def free_port(host="127.0.0.1", family=socket.AF_INET):
    s = socket.socket(family, socket.SOCK_STREAM)
    s.bind((host, 0))
    port = s.getsockname()[1]
    s.close()
    return port


def get_pid(port, host="127.0.0.1", timeout=5.0):
    s = socket.create_connection((host, port), timeout=timeout)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        c = s.recv(4096)
        if not c:
            break
        data += c
    s.close()
    return int(data.partition(b"\r\n\r\n")[2].strip())
