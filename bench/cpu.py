"""CPU per request in one process: the figure a loaded machine does not move much.

Wall-clock throughput on a shared box moves with whatever else runs (docs/scaling.md); the CPU
time the web process itself spends on a request (`time.process_time`, this process only: not
PostgreSQL's, not the client's) moves far less. `cpu_per_request` drives a Flask test client
through a list of calls after a few warm-up ones and returns the CPU each took; bench/panic_bench.py
runs it for the bare insert (bench/bare_app.py) and the panic in the same world, and prints
both and their ratio beside the gunicorn figures.

CPU time still moves with the machine's load (other processes share the caches and the
cores' hyper-threads: the same code measured 17 to 22 ms a panic in runs minutes apart), so
beside it `calls_per_request` counts the Python function calls a request makes (cProfile's
count, builtins included): work done, the same however loaded the machine is. Both counts
include the test client's own work (building the WSGI environ), the same for both requests.

    SAFETY_BENCH_POSTGRES_URL=postgresql://... python -m bench.panic_bench --cpu-only
"""

from __future__ import annotations

import cProfile
import pstats
import statistics
import time
from dataclasses import dataclass


@dataclass
class Cpu:
    """CPU seconds per request (after the warm-up) and the statuses seen."""

    seconds: list[float]
    statuses: list[int]

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.seconds) * 1000

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    def bad(self, ok: tuple[int, ...]) -> int:
        return sum(1 for s in self.statuses if s not in ok)

    def line(self, name: str, floor: Cpu | None = None) -> str:
        text = (f"  {name:<42} CPU per request: mean {self.mean_ms:6.2f} ms  "
                f"median {self.median_ms:6.2f} ms  (n={len(self.seconds)})")
        if floor is not None:
            text += f"  {self.mean_ms / floor.mean_ms:5.1f}x the bare insert"
        return text


def cpu_per_request(client, calls: list, warmup: int) -> Cpu:
    """Each call is (method, path, json body, bearer token or None, cookies (unused here)); the
    first `warmup` are sent and not counted (imports, compiled-statement caches). The
    garbage collector's work falls where it falls, as it would in a server."""
    seconds, statuses = [], []
    for k, (method, path, body, token, _cookies) in enumerate(calls):
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        t = time.process_time()
        r = client.open(path, method=method, json=body, headers=headers)
        dt = time.process_time() - t
        if k >= warmup:
            seconds.append(dt)
            statuses.append(r.status_code)
    return Cpu(seconds, statuses)


def calls_per_request(client, calls: list) -> float:
    """The Python function calls (cProfile's count) per request of `calls`, sent after the
    warm-up; every answer must be a 201 (else the count is of something else)."""
    profile = cProfile.Profile()
    for method, path, body, token, _cookies in calls:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        profile.enable()
        r = client.open(path, method=method, json=body, headers=headers)
        profile.disable()
        if r.status_code != 201:
            raise RuntimeError(f"{path} answered {r.status_code}")
    return pstats.Stats(profile).total_calls / len(calls)


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by process `pid` and its living children, read
    from /proc (Linux; 0.0 elsewhere or once it is gone). A child that exited is not counted:
    gunicorn's workers, the outbox worker and PostgreSQL's pooled backends live through a run."""
    import os

    def own(p: int) -> float:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def parent(p: str) -> int | None:
        try:
            with open(f"/proc/{p}/stat") as f:
                return int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return None

    children = [int(p) for p in os.listdir("/proc") if p.isdigit() and parent(p) == pid]
    return own(pid) + sum(own(c) for c in children)


def postmaster_pid(port: int) -> int | None:
    """The PostgreSQL server listening on `port` (scripts/pgcluster.sh starts it with
    `-p <port>`), found by its command line; None when not found (another machine)."""
    import os

    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/cmdline", "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"postgres") and b"-p" in args:
            i = args.index(b"-p")
            if i + 1 < len(args) and args[i + 1] == str(port).encode():
                return int(p)
    return None


class MachineCpu:
    """CPU used by each process of a run between two `take()`s: the web server's tree, the
    outbox worker, PostgreSQL (its server and backends)."""

    def __init__(self, **pids: int | None) -> None:
        self.pids = {name: pid for name, pid in pids.items() if pid}
        self.start: dict[str, float] = {}

    def take(self) -> None:
        self.start = {name: tree_cpu_s(pid) for name, pid in self.pids.items()}

    def used(self) -> dict[str, float]:
        return {name: tree_cpu_s(pid) - self.start[name] for name, pid in self.pids.items()}


def machine_line(used: dict[str, float], n: int, what: str) -> str:
    """'CPU per panic by process: web 14.1 ms, worker 6.2 ms, PostgreSQL 7.0 ms; 27.3 ms in all'"""
    parts = ", ".join(f"{name} {1000 * s / n:.1f} ms" for name, s in used.items())
    return f"  CPU per {what} by process: {parts}; {1000 * sum(used.values()) / n:.1f} ms in all"
