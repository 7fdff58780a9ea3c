"""Render a run's reports in worker processes while the flow renders and delivers in its own.

A daily run of many shops renders one report per shop and one for all of them, each 1-2 s of
CPU in the templates and WeasyPrint, which hold the GIL (threads do not help; see
docs/performance.md). With ``[report] render_workers`` above 0 (by default one per core beside
the flow's, at most :data:`MAX_AUTO_WORKERS`) and at least :data:`MIN_REPORTS` reports to
render, worker processes render from the end of the run's list while the flow goes through it
from the start, rendering in its own process each report no worker has taken and delivering each
in order as it comes to it. The two meet in the middle. No more workers start than there are
reports after the first, which the flow renders at once (a worker would have to start first).

What a run without workers would do, a run with them does:

- a worker calls the same :func:`render` (``pipeline.render_daily`` / ``render_weekly``): it
  reads the warehouse read-only (nothing holds it read-write once the build is done) and writes
  the report's archive folder, the manifest last;
- a render that fails in a worker raises its error in the flow, when the flow comes to that
  report, as if it had rendered there;
- a worker process that dies (killed, out of memory) loses nothing: the flow renders that report
  and every report left in its own process, and says so;
- the send ledger's claims and the deliveries stay in the flow's process, in the run's order.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING

from flows.faults import exit_point
from flows.workerpool import worker_pool

if TYPE_CHECKING:
    from flows.pipeline import RenderedReport
    from flows.settings import Settings

MIN_REPORTS = 3  # below this, starting a worker (an interpreter importing DuckDB and pandas, ≈1.5 s) saves nothing
MAX_AUTO_WORKERS = 3


@dataclass(frozen=True)
class RenderJob:
    """One report of a run: its kind (``daily`` | ``weekly``), day (a week's Monday) and scope,
    and for a partial daily report what is missing as of ``cutoff``."""

    kind: str
    day: dt.date
    scope_id: str
    missing: tuple[tuple[str, str], ...] = ()
    cutoff: dt.datetime | None = None

    @property
    def label(self) -> str:
        return f"{self.kind} {self.scope_id} {self.day}"


def render(settings: "Settings", job: RenderJob) -> "RenderedReport":
    """Render ``job`` into the archive (in whichever process calls it)."""
    from flows import pipeline

    if job.kind == "weekly":
        return pipeline.render_weekly(settings, job.day, job.scope_id)
    return pipeline.render_daily(settings, job.day, job.scope_id, missing=job.missing, cutoff=job.cutoff)


def _render_in_worker(settings: "Settings", job: RenderJob) -> tuple["RenderedReport", float]:
    """A worker's render, with the worker's peak RSS so far (MiB)."""
    exit_point("render_ahead")  # the crash test ends the worker here
    report = render(settings, job)
    return report, _peak_rss_mib()


def _peak_rss_mib() -> float:
    """This process's peak RSS (``VmHWM``; ``ru_maxrss`` would carry the parent's over fork and exec)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        return 0.0


def auto_render_workers() -> int:
    """One worker per core beside the flow's process, at most :data:`MAX_AUTO_WORKERS`."""
    return max(0, min((os.cpu_count() or 1) - 1, MAX_AUTO_WORKERS))


class RenderAhead:
    """Renders ``jobs`` from the end in worker processes while the flow calls :meth:`take` for
    each in order (see the module docstring). Use it as a context manager: leaving it stops the
    workers (a render under way is finished first)."""

    def __init__(self, settings: "Settings", jobs: Sequence[RenderJob], workers: int | None = None):
        self.settings = settings
        self.jobs = list(jobs)
        wanted = workers if workers is not None else (
            settings.render_workers if settings.render_workers is not None else auto_render_workers())
        # the flow renders at least the first report itself: never more workers than reports after it
        self.workers = min(wanted, len(self.jobs) - 1) if len(self.jobs) >= MIN_REPORTS else 0
        self.by_workers = 0  # reports the flow took from a worker
        self.worker_peak_mib = 0.0  # the largest worker's peak RSS
        self.broken = ""  # why the workers stopped, when one died
        self._told = False
        self._lock = threading.Lock()
        self._next = 0  # the first job the flow has not come to
        self._back = len(self.jobs) - 1  # the last job no worker has taken
        self._futures: dict[int, Future] = {}
        self._closed = False
        self._pool: ProcessPoolExecutor | None = None
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> "RenderAhead":
        if self.workers:
            self._pool = worker_pool(self.workers)
            self._threads = [threading.Thread(target=self._feed, name=f"render-ahead-{n}", daemon=True)
                             for n in range(self.workers)]
            for thread in self._threads:
                thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
        for thread in self._threads:
            thread.join()

    def _feed(self) -> None:
        """One worker's turn after turn: take the last job nobody has, wait for it, again."""
        while True:
            with self._lock:
                if self._closed or self.broken or self._back < self._next:
                    return
                i = self._back
                try:
                    future = self._pool.submit(_render_in_worker, self.settings, self.jobs[i])
                except RuntimeError as exc:  # the pool broke or shut down: the flow renders the rest
                    self.broken = self.broken or str(exc)
                    return
                self._back -= 1
                self._futures[i] = future
            try:
                future.result()
            except BrokenProcessPool as exc:
                self._stop(exc)
                return
            except CancelledError:
                return
            except Exception:  # noqa: BLE001 - the flow raises it when it comes to this report
                pass

    def take(self, job: RenderJob) -> tuple["RenderedReport", bool]:
        """The rendered ``job``: a worker's, waited for, or rendered here. Returns the report and
        whether a worker rendered it. A render's error is raised here, wherever it happened."""
        i = self.jobs.index(job) if job in self.jobs else -1
        with self._lock:
            future = self._futures.get(i)
            if future is None:
                self._next = max(self._next, i + 1)
        if future is None:
            return render(self.settings, job), False
        try:
            report, peak_mib = future.result()
        except BrokenProcessPool as exc:
            self._stop(exc)
            with self._lock:
                first, self._told = not self._told, True
            if first:
                print(f"render: a worker process ended before it finished {job.label} ({self.broken}); "
                      f"the flow renders it and the rest itself")
            return render(self.settings, job), False
        self.by_workers += 1
        self.worker_peak_mib = max(self.worker_peak_mib, peak_mib)
        return report, True

    def _stop(self, exc: BaseException) -> None:
        with self._lock:
            self.broken = self.broken or str(exc) or "a worker process ended"

    def summary(self) -> str:
        """One line for the run's log: how many reports the workers rendered."""
        if not self.workers:
            return ""
        peak = f" (peak RSS {self.worker_peak_mib:.0f} MiB)" if self.by_workers else ""
        stopped = "; the workers stopped early" if self.broken else ""
        return (f"render: {self.by_workers} of {len(self.jobs)} report(s) rendered by "
                f"{self.workers} worker process(es){peak}{stopped}")
