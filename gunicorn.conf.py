"""gunicorn reads this file (from the directory it is started in) before it starts a worker:
a missing or wrong setting stops it here with one clear line and exit status 4, instead of
every worker failing to load the app.

It also sets up prometheus-client's multiprocess mode, so that GET /metrics, whichever worker
answers it, sums the counters of all this gunicorn's workers (and of those that were restarted:
a counter never goes back between two scrapes). The folder is PROMETHEUS_MULTIPROC_DIR if set
(emptied of metric files when gunicorn starts: give each gunicorn its own, e.g. systemd's
RuntimeDirectory), else a new temporary one removed when gunicorn stops.

And it freezes each process's start-up objects out of the garbage collector's full passes
(safety/heap.py): in the master before it forks (with --preload the app is loaded there, and the
workers then share its pages without the collector writing to them), and in each worker once
it has loaded the app (without --preload, its own copy).
"""

import glob
import os
import shutil
import tempfile

from safety.config import load_config, or_exit
from safety.heap import freeze_start_up

or_exit(load_config)

def _metrics_dir() -> None:
    """In the master, before any worker (or --preload) imports prometheus-client; once per
    master: gunicorn reads this file again on a reload (HUP), when the folder is in use."""
    owner = os.environ.get("SAFETY_METRICS_DIR_MASTER")
    if owner == str(os.getpid()):
        return
    os.environ["SAFETY_METRICS_DIR_MASTER"] = str(os.getpid())
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        os.makedirs(directory, exist_ok=True)
        for path in glob.glob(os.path.join(directory, "*.db")):
            os.remove(path)  # a previous run's: its processes are gone
    else:
        directory = tempfile.mkdtemp(prefix="safety-metrics-")
        os.environ["SAFETY_METRICS_DIR_MADE"] = directory
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory


_metrics_dir()


def pre_fork(server, worker):
    freeze_start_up()


def post_worker_init(worker):
    freeze_start_up()


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    made = os.environ.get("SAFETY_METRICS_DIR_MADE")
    if made and made == os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        shutil.rmtree(made, ignore_errors=True)
