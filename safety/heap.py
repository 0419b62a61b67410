"""A long-running process's start-up heap, left out of the garbage collector's full passes.

After start-up a process holds some 200,000 objects that live as long as it does: modules,
functions, classes, the app, SQLAlchemy's mappers and compiled statements. CPython's collector
walks all of them on every full (generation 2) pass. A process that keeps many objects alive
for a few milliseconds at a time, such as the outbox worker during a batch, starts such a pass
whenever enough of them have reached the oldest generation. Timed during a bench run (an
instrumented worker, `gc.callbacks`), the worker ran one about every 0.7 s, each taking
110-260 ms of wall time on the loaded bench box. The push of an alarm committed during one
waited for it; that was most of the worker's "commit → first push" p99 (docs/scaling.md,
"Fourth pass").

`freeze_start_up()` collects what is already garbage, then moves every object still alive into
the collector's permanent generation (`gc.freeze()`, the standard library's answer to exactly
this). The collector still runs and still frees cycles made afterwards; its passes skip the
frozen objects. The cost is that a frozen object which later becomes part of an unreachable
cycle is never freed. So it is called once, where a process has finished loading and its
objects live as long as it does: the outbox worker's loop (`Worker.run_forever`) and
gunicorn's workers (gunicorn.conf.py). It is not called in create_app, which tests call
thousands of times in one process.
"""

from __future__ import annotations

import gc


def freeze_start_up() -> int:
    """Collect, then freeze everything alive; returns how many objects are frozen in all."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
