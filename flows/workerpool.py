"""Worker processes for CPU work beside a run: reading files ahead (flows/ingest/parallel.py),
rendering reports (flows/reports/ahead.py) and backfills (flows/backfill.py).

Every pool starts its workers with ``spawn``: a clean interpreter that inherits nothing from the
run's threads (Prefect's, DuckDB's). Each worker watches the process that started it and ends
when that process is gone. A run killed with SIGKILL cannot stop its workers, and a worker left
behind would finish its file or report and then wait for ever to hand over a result nobody
reads, holding its memory.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

PARENT_POLL_SECONDS = 0.5


def worker_pool(workers: int, initializer: Callable[..., None] | None = None,
                initargs: tuple = ()) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes that end when this process ends."""
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(os.getpid(), initializer, initargs))


def _start_worker(parent: int, initializer: Callable[..., None] | None, initargs: tuple) -> None:
    threading.Thread(target=_watch_parent, args=(parent,), name="watch-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(0)  # the run is gone: nobody will read what this worker makes
