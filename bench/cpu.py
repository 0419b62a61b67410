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
