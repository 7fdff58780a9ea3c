"""One run at a time per warehouse: an advisory lock file beside the warehouse.

DuckDB is single-writer across processes, but a run opens and closes the warehouse several times
(ingest, build, render), so without a lock a second run could slip in between two steps of the
first one. :func:`run_lock` takes an exclusive ``flock`` on ``<warehouse>.run-lock`` for the whole
run. The kernel drops the lock when the process ends, however it ends (even on SIGKILL), so a
crashed run never leaves a stale lock behind. The file holds who has the lock, for the message
the second run prints.

The lock is re-entrant within one process: the CLI takes it before starting a flow (to fail fast
with a clean message) and the flow takes it again (for runs started by a Prefect worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from flows.warehouse.db import WarehouseBusy


class RunInProgress(WarehouseBusy):
    """Another shopreport run holds the run lock of this warehouse."""


_held: dict[Path, list] = {}  # lock path → [open file, depth] for the locks this process holds
_guard = threading.Lock()


@contextlib.contextmanager
def run_lock(lock_path: Path, what: str = "") -> Iterator[None]:
    """Hold the run lock for the ``with`` block, or raise :class:`RunInProgress` at once."""
    key = Path(lock_path).resolve()
    with _guard:
        if key in _held:
            _held[key][1] += 1
        else:
            _held[key] = [_acquire(key, what), 1]
    try:
        yield
    finally:
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1] == 0:
                del _held[key]
                entry[0].close()  # closing the file releases the flock


def _acquire(path: Path, what: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open while the lock is held
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise RunInProgress(
            f"another shopreport run is using this warehouse ({holder}); it was not interrupted. "
            f"Wait for it to finish and try again (lock file: {path})") from None
    handle.seek(0)
    handle.truncate()
    started = dt.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S %z")
    command = what or " ".join(["shopreport", *sys.argv[1:]])[:200]
    handle.write(f"process {os.getpid()}, `{command}`, started {started}")
    handle.flush()
    return handle
