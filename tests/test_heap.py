"""Long-running processes freeze their start-up objects out of the garbage collector's full
passes (safety/heap.py): the outbox worker's loop and gunicorn's master and workers. The gain is
measured in bench/panic_bench.py (docs/scaling.md, "Fourth pass"); these tests show where the
freeze happens, that garbage is collected before it, and that the collector still frees cycles
made after it."""

import gc
import json
import subprocess
import sys
import threading
import time
import weakref
from pathlib import Path

from safety.heap import freeze_start_up
from safety.notify.worker import Worker

ROOT = Path(__file__).resolve().parent.parent


class _Node:
    def __init__(self):
        self.other = self


def test_garbage_is_collected_first_then_the_living_are_frozen(unfrozen):
    gc.disable()  # no automatic pass may free the cycle before freeze_start_up does
    try:
        garbage = _Node()  # a cycle: only the collector frees it
        gone = weakref.ref(garbage)
        del garbage
        alive = _Node()
        assert gc.get_freeze_count() == 0
        assert gone() is not None
        frozen = freeze_start_up()
    finally:
        gc.enable()
    assert gone() is None, "a cycle that was garbage before the freeze is freed, not frozen"
    assert frozen > 1000  # (a frozen object may die meanwhile: frozen, not immortal)
    assert not any(o is alive for o in gc.get_objects()), "the living are out of the passes"


def test_the_collector_still_runs_after_the_freeze(unfrozen):
    """Automatic passes stay on, at CPython's thresholds: cycles made afterwards are freed."""
    thresholds = gc.get_threshold()
    freeze_start_up()
    assert gc.isenabled() and gc.get_threshold() == thresholds
    later = _Node()
    gone = weakref.ref(later)
    del later
    for _ in range(thresholds[0] * 3):  # enough allocations for an automatic young pass
        _Node()
    assert gone() is None


def test_the_outbox_worker_freezes_before_its_first_pass(app, unfrozen):
    worker = Worker(app, worker_id="heap-worker")
    stop = threading.Event()
    thread = threading.Thread(target=worker.run_forever, args=(stop,))
    thread.start()
    try:
        deadline = time.monotonic() + 10
        while gc.get_freeze_count() == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert gc.get_freeze_count() > 1000
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_gunicorn_freezes_in_the_master_before_a_fork_and_in_each_worker(tmp_path):
    """gunicorn.conf.py's hooks, run in a process of their own (as gunicorn runs them)."""
    script = """
import gc, json, runpy, sys
hooks = runpy.run_path("gunicorn.conf.py")
seen = {}
hooks["pre_fork"](None, None)
seen["master"] = gc.get_freeze_count()
gc.unfreeze()
hooks["post_worker_init"](None)
seen["worker"] = gc.get_freeze_count()
hooks["on_exit"](None)
print(json.dumps(seen))
"""
    env = {"PATH": "/usr/bin:/bin", "SAFETY_ENV": "development",
           "DATABASE_URL": f"sqlite:///{tmp_path}/g.db", "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["master"] > 1000 and seen["worker"] > 1000, seen
