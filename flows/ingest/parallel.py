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

A command that starts Prefect's temporary server waits 1-1.5 s for it with a core to spare
(flows/cli.py). It steps :func:`read_early` meanwhile, which reads the inbox's files one at a time
in the command's own process, as a worker would; the run's ingest then takes what it read under
the same rule as a worker's result (the same sha256, the same profiles, salt and shop settings).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from flows.faults import exit_point
from flows.ingest.load import (SUPPORTED_SUFFIXES, Prefetched, inbox_files, read_export,
                               scratch_database)
from flows.ingest.profiles import Profile, load_profiles
from flows.settings import Settings, ShopConfig
from flows.warehouse.db import existing_salt
from flows.workerpool import worker_pool

if TYPE_CHECKING:
    from flows.ingest.load import Ingestor

MIN_FILES = 8  # below this, starting the workers (≈1 s) costs more than they save
MAX_BYTES = 32 * 2**20  # bigger files are read by the writer
AHEAD = 2  # files read ahead per worker (their rows wait in the writer's memory)
MAX_EARLY_BYTES = 32 * 2**20  # read_early stops before its files pass this many bytes (their parsed rows wait in memory)

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


def _one_thread_scratch() -> duckdb.DuckDBPyConnection:
    """The fast reader's scratch database on one thread: the other cores read other files, or
    start Prefect's server."""
    con = scratch_database()
    con.execute("set threads = 1")
    return con


def _scratch_db() -> duckdb.DuckDBPyConnection:
    global _scratch
    if _scratch is None:
        _scratch = _one_thread_scratch()
    return _scratch


def read_for_writer(path: Path, shop: ShopConfig, profiles: list[Profile], salt: str,
                    scratch: Callable[[], duckdb.DuckDBPyConnection] | None, by: str) -> Prefetched | None:
    """A file's bytes read and recognised, parsed and mapped (``read_export``) for the writer, or
    None when the writer must read it itself (a type it does not read, a file it cannot open)."""
    if path.suffix.lower() not in SUPPORTED_SUFFIXES:
        return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return Prefetched(hashlib.sha256(data).hexdigest(), read_export(path, data, shop, profiles, salt, scratch), by)


def read_ahead(path: Path, shop: ShopConfig) -> Prefetched | None:
    """In a worker: ``read_for_writer`` with the pool's profiles and salt."""
    exit_point("read_ahead")
    return read_for_writer(path, shop, _profiles, _salt, _scratch_db if _fast else None, "worker")


def _file_bytes(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except OSError:
        return None


@dataclass
class EarlyReads:
    """What :func:`read_early` read, and with what, for the process's next ingest."""

    profiles: list[Profile]
    salt: str
    reads: dict[tuple[Path, ShopConfig], Prefetched] = field(default_factory=dict)


_early: EarlyReads | None = None  # the last read_early's, until an ingest takes them


def read_early(settings: Settings) -> Iterator[Path]:
    """Read the inbox's files (``inbox_files``, in loading order), one per step; each step yields
    the file it read. Nothing is written or moved. What it read waits for this process's next
    ingest (:func:`load_files`), which takes each file's reading under the rule for a worker's,
    and drops the rest. A file it cannot read here (an unsupported type, over :data:`MAX_BYTES`,
    or any error) is left to the ingest, which reports on it; it stops before holding more than
    :data:`MAX_EARLY_BYTES`, and does nothing before the first ingest (no salt yet)."""
    global _early
    salt = existing_salt(settings.warehouse_path)
    if salt is None:
        return
    early = _early = EarlyReads(load_profiles(settings.profiles_dir), salt)
    scratch: duckdb.DuckDBPyConnection | None = None

    def scratch_db() -> duckdb.DuckDBPyConnection:
        nonlocal scratch
        if scratch is None:
            scratch = _one_thread_scratch()
        return scratch

    held = 0
    try:
        for shop, path in inbox_files(settings):
            size = _file_bytes(path)
            if size is None or size > MAX_BYTES:
                continue
            if held + size > MAX_EARLY_BYTES:
                return
            try:
                prefetched = read_for_writer(path, shop, early.profiles, salt, scratch_db, "early")
            except Exception:  # noqa: BLE001 - the ingest reads the file again and reports
                continue
            if prefetched is None:
                continue
            held += size
            early.reads[(path, shop)] = prefetched
            yield path
    finally:
        if scratch is not None:
            scratch.close()


def _take_early(ingestor: "Ingestor") -> dict[tuple[Path, ShopConfig], Prefetched]:
    """The readings :func:`read_early` left for this ingest, if it read with the same profiles
    and salt as ``ingestor`` reads (and the fast reader, as the ingest does by default); none
    otherwise. They are taken once."""
    global _early
    early, _early = _early, None
    if early is None or not ingestor.fast or early.salt != ingestor.salt or early.profiles != ingestor.profiles:
        return {}
    return early.reads


def load_files(ingestor: "Ingestor", items: Sequence[Item], workers: int) -> None:
    """Load ``items`` in order through ``ingestor``, read ahead by ``workers`` processes (and
    taking what :func:`read_early` read)."""
    early = _take_early(ingestor)
    left = sum(1 for path, shop, _ in items if (path, shop) not in early)
    if workers <= 1 or left < MIN_FILES:
        for path, shop, from_inbox in items:
            ingestor.ingest_file(path, shop, from_inbox=from_inbox, prefetched=early.pop((path, shop), None))
        return
    pool = worker_pool(workers, _start, (ingestor.profiles or [], ingestor.salt, ingestor.fast))
    futures: dict[int, Future] = {}
    broken = False

    def submit(i: int) -> None:
        nonlocal broken
        if broken or i >= len(items):
            return
        path, shop, _ = items[i]
        size = _file_bytes(path)
        if (path, shop) in early or size is None or size > MAX_BYTES:
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
            prefetched = early.pop((path, shop), None)
            if future is not None:
                try:
                    prefetched = future.result()
                except Exception:  # the writer reads the file again; any error surfaces there
                    prefetched = None
            ingestor.ingest_file(path, shop, from_inbox=from_inbox, prefetched=prefetched)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
