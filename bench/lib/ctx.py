"""ctx.py - what every section gets: configuration, temp dir, process
registry, available peers, drover's capabilities, and where results go.

Two profiles: FULL (make bench: >= 3 interleaved repetitions, issue-sized
counts, under 30 minutes on 2 cores) and SMOKE (make test: 1 repetition, tiny
counts, 1 s loads, well under a minute).
"""
import os
import shutil
import sys
import time

FULL = {
    "reps": 3,
    "mem_counts": [0, 2, 16, 100],
    "mem_cluster_counts": [2, 16, 100],
    "mem_settle_s": 2.0,
    "cli_small": 10,
    "cli_big": 1000,
    "cli_calls": 10,          # calls per variant per repetition (10 apps)
    "cli_calls_big": 4,       # same, 1,000 apps
    "start_n": 100,
    "http_apps": ["hello", "cpu"],
    "http_modes": ["keepalive", "close"],
    "http_skip": [],
    "http_s": 4,
    "http_warmup_s": 1,
    "wrk_threads": 2,
    "wrk_conns": 50,
    "reload_rounds": 10,
    "reload_stops": ["graceful", "abrupt"],
    "reload_managers": ["drover-shared", "drover-slots", "drover-sticky", "pm2", "node-rr"],
    "reload_pad_s": 1.0,      # load before the first and after the last reload
    "reload_clients": ["close", "keepalive"],   # wrk Connection: close; keep-alive, retry once
    "reload_ka_clients": 16,  # keep-alive clients (threads), one connection each
    "reload_ka_pause_s": 0.005,  # pause between a client's requests (moderate, not saturating)
    "balance_workers": 4,
    "balance_variants": ["drover-shared", "drover-slots", "drover-sticky", "drover-least_conn",
                         "pm2", "node-rr", "nginx"],
    "balance_concurrency": [1, 8, 64],
    "balance_requests": 1024,  # per variant and concurrency (new connection each)
    "balance_sources": 64,    # sticky row: requests from 127.0.0.2 .. 127.0.0.(1 + this)
    "mix_variants": ["drover-shared", "drover-slots", "drover-sticky", "drover-least_conn",
                     "nginx-lc", "nginx"],
    "mix_clients": 16,        # keep-alive clients
    "mix_requests": 200,      # per client; every mix_slow_every-th is slow
    "mix_slow_every": 10,
    "mix_slow_ms": 100,
    "mix_pause_s": 0.002,
    "recovery_kills": 3,      # per manager per repetition
    "recovery_uptime_s": 1.6,  # an app runs this long before its next kill (> min_uptime)
    "log_lines": 2_000_000,
    "scale_apps": 1000,
    "scale_idle_s": 60,
    "log_batches": [1, 512],
    "settle_s": 1.0,          # quiet time after starting apps, before measuring
    "probe_scale": True,
}

SMOKE = dict(FULL, **{
    "reps": 1,
    "mem_counts": [2],
    "mem_cluster_counts": [],      # cluster start is exercised by section 3
    "mem_settle_s": 0.3,
    "cli_small": 3,
    "cli_big": 0,                  # 0: skip the many-apps table
    "cli_calls": 2,
    "cli_calls_big": 2,
    "start_n": 5,
    "http_apps": ["hello"],
    "http_modes": ["keepalive"],   # close is exercised by the single-process row
    "http_skip": ["nomgr-1s"],     # same code path as nomgr
    "http_s": 1,
    "http_warmup_s": 0,
    "reload_rounds": 1,
    "reload_stops": ["abrupt"],
    "reload_managers": ["drover-shared", "node-rr"],
    "reload_pad_s": 0.3,
    "reload_ka_clients": 4,
    "balance_variants": ["drover-shared", "drover-sticky", "nginx"],
    "balance_concurrency": [1, 8],
    "balance_requests": 48,
    "balance_sources": 8,
    "mix_variants": ["drover-shared", "drover-least_conn", "nginx-lc"],
    "mix_clients": 4,
    "mix_requests": 20,
    "recovery_kills": 1,
    "recovery_uptime_s": 1.1,
    "log_lines": 20_000,
    "scale_apps": 20,
    "scale_idle_s": 1,
    "log_batches": [1],
    "settle_s": 0.2,
    "probe_scale": False,
})


class Ctx:
    def __init__(self, repo, build, tmp, smoke, cfg, procs):
        self.repo = repo
        self.build = build
        self.tmp = tmp
        self.smoke = smoke
        self.cfg = cfg
        self.procs = procs
        self.apps = os.path.join(repo, "bench", "apps")
        self.have = {}        # peer -> True or reason string it is missing
        self.caps = {}        # drover capability -> True or reason string
        self.results = {}     # section -> json-able raw results
        self.goals = []       # rows for the goals table
        self.commands = {}    # label -> exact command line used
        self.machine = {}
        self.leftovers = []
        self.t0 = time.monotonic()

    def log(self, msg):
        t = time.monotonic() - self.t0
        print(f"[bench {int(t // 60):02d}:{t % 60:04.1f}] {msg}", flush=True)

    def app(self, name):
        return os.path.join(self.apps, name)

    def ok(self, peer):
        return self.have.get(peer) is True

    def cap(self, name):
        return self.caps.get(name) is True

    def why_not(self, name):
        """Table text for a drover capability or peer that is missing."""
        if name in self.caps and self.caps[name] is not True:
            return "n/a (not available in this build)"
        v = self.have.get(name)
        return f"n/a ({v})" if v is not True else ""

    def rotation(self, variants, rep):
        """Every variant once per repetition, in the same order (A B C A B C)."""
        return list(variants)


def which(cmd):
    return shutil.which(cmd) is not None


def python():
    return sys.executable or "/usr/bin/python3"
