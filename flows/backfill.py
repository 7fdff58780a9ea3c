"""Backfill: render every daily and weekly report of a date range, e.g. from a folder of old exports.

The ``backfill`` flow (``flows/daily_report.py``) loads the exports, builds the warehouse when
something changed, then calls :func:`backfill_reports`: every report of the range that is not in
the archive yet is rendered (in ``jobs`` worker processes; rendering a PDF is CPU work) and kept
in the archive. Reports already archived are left alone, so a second backfill of the same range
does nothing unless ``force``. Nothing is mailed unless ``send``; then each report goes through
the send ledger like a scheduled one (a report the ledger says went out already is not sent
again).

Which reports a range holds: the daily report of every day from ``start`` to ``end``, and the
weekly report of every ISO week whose Sunday falls in the range, for every scope (each shop, and
all shops together when there are several).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from flows.archive import MANIFEST, report_folder

if TYPE_CHECKING:
    from flows.pipeline import RenderedReport
    from flows.settings import Settings

KINDS = ("daily", "weekly")
MAX_DEFAULT_JOBS = 4


@dataclass(frozen=True, order=True)
class PlannedReport:
    day: dt.date  # the business day, or the week's Monday
    kind: str  # daily | weekly
    scope_id: str

    @property
    def period(self) -> str:
        if self.kind == "weekly":
            from flows.reports.weekly import iso_week_label

            return iso_week_label(self.day)
        return self.day.isoformat()

    def folder(self, archive_dir: Path) -> Path:
        return report_folder(archive_dir, self.kind, self.scope_id, self.period)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.scope_id} {self.period}"


def plan_reports(settings: "Settings", start: dt.date, end: dt.date, scopes: Sequence[str] | None = None,
                 kinds: Sequence[str] = KINDS) -> list[PlannedReport]:
    """Every report of the range, oldest first (see the module docstring)."""
    from flows.pipeline import report_scopes

    if end < start:
        raise ValueError(f"the range ends before it starts: --from {start} --to {end}")
    scope_ids = list(scopes) if scopes else report_scopes(settings)
    planned = []
    if "daily" in kinds:
        day = start
        while day <= end:
            planned += [PlannedReport(day, "daily", s) for s in scope_ids]
            day += dt.timedelta(days=1)
    if "weekly" in kinds:
        sunday = start + dt.timedelta(days=(6 - start.weekday()) % 7)
        while sunday <= end:
            planned += [PlannedReport(sunday - dt.timedelta(days=6), "weekly", s) for s in scope_ids]
            sunday += dt.timedelta(days=7)
    return sorted(planned, key=lambda p: (p.day + dt.timedelta(days=6 if p.kind == "weekly" else 0),
                                          p.kind, p.scope_id))


def is_archived(settings: "Settings", planned: PlannedReport) -> bool:
    """The report is in the archive, complete (its manifest is written last)."""
    return (planned.folder(settings.archive_dir) / MANIFEST).is_file()


@dataclass(frozen=True)
class Outcome:
    report: PlannedReport
    status: str  # rendered | no_data | failed
    detail: str = ""
    seconds: float = 0.0
    rendered: "RenderedReport | None" = None  # kept only when the report is to be sent


def render_planned(settings: "Settings", planned: PlannedReport, keep: bool = False) -> Outcome:
    """Render one planned report into the archive; never raises (the outcome says how it went)."""
    from flows.pipeline import NoDataForDate, render_daily, render_weekly

    started = time.perf_counter()
    try:
        if planned.kind == "weekly":
            rendered = render_weekly(settings, planned.day, planned.scope_id)
        else:
            rendered = render_daily(settings, planned.day, planned.scope_id)
    except NoDataForDate as exc:
        return Outcome(planned, "no_data", str(exc), time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - one bad report must not stop the backfill
        return Outcome(planned, "failed", f"{type(exc).__name__}: {exc}", time.perf_counter() - started)
    return Outcome(planned, "rendered", str(rendered.archived.pdf), time.perf_counter() - started,
                   rendered if keep else None)


def default_jobs() -> int:
    return max(1, min(os.cpu_count() or 1, MAX_DEFAULT_JOBS))


def render_many(settings: "Settings", todo: Sequence[PlannedReport], *, jobs: int, keep: bool,
                step: Callable[[str], None]) -> list[Outcome]:
    """Render ``todo`` in ``jobs`` worker processes (in this process when ``jobs`` is 1)."""
    if jobs <= 1 or len(todo) < 2:
        outcomes = []
        for planned in todo:
            outcomes.append(render_planned(settings, planned, keep))
            step(planned.label)
        return outcomes
    from concurrent.futures import as_completed
    from concurrent.futures.process import BrokenProcessPool

    from flows.workerpool import worker_pool

    outcomes = []
    with worker_pool(jobs) as pool:
        futures = {pool.submit(render_planned, settings, planned, keep): planned for planned in todo}
        for future in as_completed(futures):
            planned = futures[future]
            try:
                outcomes.append(future.result())
            except BrokenProcessPool as exc:
                outcomes.append(Outcome(planned, "failed", f"the worker process died: {exc}"))
            step(planned.label)
    return sorted(outcomes, key=lambda o: o.report)


@dataclass
class BackfillSummary:
    start: dt.date
    end: dt.date
    planned: int = 0
    skipped: list[PlannedReport] = field(default_factory=list)  # archived already
    outcomes: list[Outcome] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    not_sent: list[str] = field(default_factory=list)  # the send ledger says they went out already
    send_failures: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def with_status(self, status: str) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == status]

    @property
    def ok(self) -> bool:
        return not self.with_status("failed") and not self.send_failures

    def lines(self) -> list[str]:
        rendered = self.with_status("rendered")
        kinds = {k: sum(1 for o in rendered if o.report.kind == k) for k in KINDS}
        lines = [f"backfill {self.start} → {self.end}: {self.planned} report(s) in the range; "
                 f"rendered {len(rendered)} ({kinds['daily']} daily, {kinds['weekly']} weekly), "
                 f"{len(self.skipped)} already archived, {len(self.with_status('no_data'))} without data, "
                 f"{len(self.with_status('failed'))} failed; {len(self.sent)} sent; {self.seconds:.1f}s"]
        no_data = self.with_status("no_data")
        if no_data:
            days = sorted({o.report.period for o in no_data})
            lines.append(f"  no data: {len(no_data)} report(s), {days[0]} … {days[-1]}")
        lines += [f"  failed: {o.report.label}: {o.detail}" for o in self.with_status("failed")]
        lines += [f"  not sent: {label}" for label in self.send_failures]
        if self.not_sent:
            lines.append(f"  {len(self.not_sent)} report(s) not sent again: the send ledger has them as sent")
        if self.skipped and not rendered:
            lines.append("  nothing to do: every report of the range is in the archive (--force renders them again)")
        return lines

    def as_dict(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "planned": self.planned,
                "rendered": [o.report.label for o in self.with_status("rendered")],
                "skipped": [p.label for p in self.skipped],
                "no_data": [o.report.label for o in self.with_status("no_data")],
                "failed": {o.report.label: o.detail for o in self.with_status("failed")},
                "sent": self.sent, "seconds": round(self.seconds, 1)}


def backfill_reports(settings: "Settings", start: dt.date, end: dt.date, *, scopes: Sequence[str] | None = None,
                     kinds: Sequence[str] = KINDS, send: bool = False, force: bool = False,
                     jobs: int | None = None, run_id: str = "",
                     echo: Callable[[str], None] = print) -> BackfillSummary:
    """Render (and with ``send``, deliver) every report of the range not archived yet."""
    from flows.progress import progress_bar

    started = time.perf_counter()
    planned = plan_reports(settings, start, end, scopes, kinds)
    summary = BackfillSummary(start, end, planned=len(planned))
    todo = [p for p in planned if force or not is_archived(settings, p)]
    chosen = set(todo)
    summary.skipped = [p for p in planned if p not in chosen]
    if todo:
        echo(f"backfill: {len(todo)} report(s) to render ({len(summary.skipped)} archived already)")
    with progress_bar(len(todo), "backfill", echo=echo) as step:
        summary.outcomes = render_many(settings, todo, jobs=jobs or default_jobs(), keep=send, step=step)
    if send:
        _send_rendered(settings, summary, run_id)
    summary.seconds = time.perf_counter() - started
    return summary


def _send_rendered(settings: "Settings", summary: BackfillSummary, run_id: str) -> None:
    """Deliver each rendered report to its audiences, each once (the send ledger decides)."""
    from flows.pipeline import claim_audiences, deliver_to_audience

    for outcome in summary.with_status("rendered"):
        planned, report = outcome.report, outcome.rendered
        for audience, claim in claim_audiences(settings, planned.kind, planned.day, planned.scope_id, run_id=run_id):
            label = f"{planned.label} → {audience.label}"
            if not claim.should_send:
                summary.not_sent.append(label)
                continue
            try:
                deliver_to_audience(settings, report, audience, claim)
            except Exception as exc:  # noqa: BLE001 - recorded in the ledger; the next run may retry
                summary.send_failures.append(f"{label}: {type(exc).__name__}: {exc}")
                continue
            summary.sent.append(label)
