"""Read the next files in worker processes while the one writer loads the earlier ones.

A run's files are loaded in order, each in its own transaction, by the process that holds the
warehouse (DuckDB has one writer). Reading a file (decoding, recognising, parsing every cell,
hashing buyer ids: :func:`flows.ingest.load.read_export`) needs nothing from the warehouse and is
most of the time a file takes (docs/performance.md). With ``[ingest] workers`` above 1 and at
least :data:`MIN_FILES` files, a pool of worker processes reads up to :data:`AHEAD` files per
worker ahead of the writer, and the writer does the rest exactly as in a serial run: the
duplicate check, the landing copy, the transaction, the event, setting bad files aside.

What a serial run would do, a parallel run does, in the same order, with the same ids:

- the writer uses a worker's result only when the file's bytes still have the sha256 the worker
  read (a file replaced in between is read again by the writer);
- a worker that fails, for any reason (a bug, a killed process, a result too big to send), has
  its file read again by the writer, where the error surfaces as it would in a serial run;
- files over :data:`MAX_BYTES` are read by the writer itself, so their rows never cross
  processes (their parse is multi-threaded in DuckDB anyway).

``tests/ingest/test_parallel.py`` checks that a parallel ingest gives the same warehouse as a
serial one, bad files included.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.faults import exit_point
from flows.ingest.load import SUPPORTED_SUFFIXES, ReadResult, read_export, scratch_database
from flows.ingest.profiles import Profile
from flows.settings import ShopConfig

if TYPE_CHECKING:
    from flows.ingest.load import Ingestor

MIN_FILES = 8  # below this, starting the workers (≈1 s) costs more than they save
MAX_BYTES = 32 * 2**20  # bigger files are read by the writer
AHEAD = 2  # files read ahead per worker (their rows wait in the writer's memory)

Item = tuple[Path, ShopConfig, bool]  # (file, shop, from the inbox)

# one worker process's state, set by _start
_profiles: list[Profile] = []
_salt = ""
_fast = True
_scratch: duckdb.DuckDBPyConnection | None = None


def auto_workers() -> int:
    """The default pool size: one worker per core, at most four (the writer needs a core too)."""
    return max(1, min(os.cpu_count() or 1, 4))


def _start(profiles: list[Profile], salt: str, fast: bool) -> None:
    global _profiles, _salt, _fast
    _profiles, _salt, _fast = profiles, salt, fast


def _scratch_db() -> duckdb.DuckDBPyConnection:
    global _scratch
    if _scratch is None:
        _scratch = scratch_database()
        _scratch.execute("set threads = 1")  # the pool is the parallelism
    return _scratch


def read_ahead(path: Path, shop: ShopConfig) -> tuple[str, ReadResult] | None:
    """In a worker: (sha256, what reading the file found), or None when the writer must read it."""
    exit_point("read_ahead")
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    sha = hashlib.sha256(data).hexdigest()
    return sha, read_export(path, data, shop, _profiles, _salt, _scratch_db if _fast else None)


def _file_bytes(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


def load_files(ingestor: "Ingestor", items: Sequence[Item], workers: int) -> None:
    """Load ``items`` in order through ``ingestor``, read ahead by ``workers`` processes."""
    if workers <= 1 or len(items) < MIN_FILES:
        for path, shop, from_inbox in items:
            ingestor.ingest_file(path, shop, from_inbox=from_inbox)
        return
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start, initargs=(ingestor.profiles or [], ingestor.salt, ingestor.fast))
    futures: dict[int, Future] = {}
    broken = False

    def submit(i: int) -> None:
        nonlocal broken
        if broken or i >= len(items):
            return
        path, shop, _ = items[i]
        size = _file_bytes(path)
        if size is None or size > MAX_BYTES:
            return
        try:
            futures[i] = pool.submit(read_ahead, path, shop)
        except RuntimeError:  # the pool broke (a worker was killed): the writer reads the rest
            broken = True

    try:
        ahead = workers * AHEAD
        for i in range(ahead):
            submit(i)
        for i, (path, shop, from_inbox) in enumerate(items):
            submit(i + ahead)
            future = futures.pop(i, None)
            prefetched = None
            if future is not None:
                try:
                    prefetched = future.result()
                except Exception:  # the writer reads the file again; any error surfaces there
                    prefetched = None
            ingestor.ingest_file(path, shop, from_inbox=from_inbox, prefetched=prefetched)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
