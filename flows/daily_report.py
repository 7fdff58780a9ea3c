"""Prefect flows. Each reads like the recipe it is; the work is in ``flows.pipeline``.

- ``daily_report``: take the run lock → ingest the inbox and wait for the day's exports (the
  freshness gate) → build the warehouse (when anything changed) → for each scope, ask the send
  ledger for each audience (or send the "data late" notice) → for each report to send, in order:
  render (worker processes render from the end of the list meanwhile, ``flows/reports/ahead.py``),
  publish the run page's artifacts, deliver → apply the configured retention → rewrite the
  archive's index.
- ``weekly_report``: take the run lock → ingest the inbox → build → for each scope, ask the send
  ledger (kind ``weekly``, period the ISO week) → render each weekly report (the same way),
  deliver.
- ``backfill``: take the run lock → ingest old exports → build if anything changed → render every
  daily and weekly report of a date range that is not archived yet (mail only when asked).
- ``ingest_files`` and ``build_only``: the single steps, for the CLI's ``ingest`` and ``build``.

Configuration is read inside the flow (never at import). Tasks take plain values and the frozen
``Settings``; none is cached (a report must reflect the warehouse as it is now). Retries: the
freshness gate every ``report.freshness_retry_seconds`` until ``report.freshness_cutoff``; a
delivery after a temporary SMTP failure, ``mail.retry_delays`` apart (a permanent one is not
retried). A failed daily run mails a short notice to ``mail.admin_to``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import pipeline
from flows.freshness import Freshness, SourcesLate, freshness_deadline
from flows.progress import progress_bar
from flows.reports.ahead import RenderAhead, RenderJob
from flows.reports.render import warm_up
from flows.runlock import run_lock
from flows.settings import Settings, load_settings


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_task(settings: Settings, paths: list[str] | None = None, shop_id: str | None = None):
    given = [Path(p) for p in paths] if paths else None
    with progress_bar(pipeline.count_input_files(settings, given), "ingest") as step:
        def each_file(outcome) -> None:
            _print_outcome(outcome)
            step(outcome.path.name)

        report = pipeline.ingest(settings, given, shop_id, progress=each_file)
    _print_ingest(report)
    return report


def _print_ingest(report) -> None:
    elsewhere = ([f"{report.read_early} read while Prefect's server started"] if report.read_early else []) + \
        ([f"{report.read_ahead} read ahead by worker processes"] if report.read_ahead else [])
    print(f"ingest: {report.summary()}" + "".join(f"; {what}" for what in elsewhere))


def _print_outcome(outcome) -> None:
    """Every file that needs attention, and a short line for each one that loaded cleanly."""
    if outcome.status == "loaded" and not outcome.rows_rejected:
        print(f"  loaded {outcome.shop_id}/{outcome.path.name}: {outcome.rows_loaded} rows")
    else:
        print(outcome.line())


@task(name="build", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def build_task(settings: Settings, if_changed: bool = False, full: bool = False):
    from flows.warehouse.build import load_models

    with progress_bar(len(load_models()), "build") as step:
        result = pipeline.build_warehouse(settings, progress=step, if_changed=if_changed,
                                          mode="full" if full else "auto")
    if result.skipped:
        print("build: nothing changed since the last build (models, configuration, loaded files)")
        return result
    limit = f", memory limit {result.memory_limit}" if result.memory_limit else ""
    print(f"built {len(result.models)} models ({result.mode}{limit}) in {result.seconds:.1f}s; "
          f"{len(result.warnings)} warning check(s)")
    for note in result.notes:
        print(f"build: {note}")
    for warning in result.warnings:
        print(f"warning: {warning.line()}")
    return result


@task(name="freshness-gate", cache_policy=NO_CACHE)
def freshness_task(settings: Settings, scope_dates: dict[str, dt.date], ingest_inbox: bool,
                   wait: bool) -> Freshness:
    freshness = pipeline.gate_sources(settings, scope_dates, ingest_inbox=ingest_inbox, wait=wait,
                                      progress=_print_outcome, ingested=_print_ingest)
    print(f"freshness: {freshness.summary()}")
    return freshness


@task(name="render", cache_policy=NO_CACHE)
def render_task(settings: Settings, job: RenderJob, ahead: RenderAhead):
    report, by_worker = ahead.take(job)
    print(f"rendered {report.archived.pdf}" + (" (partial)" if report.partial else "")
          + (" (by a worker process)" if by_worker else ""))
    return report


render_weekly_task = render_task.with_options(name="render-weekly")  # its own name on the run page


def _temporary_failure(task, task_run, state) -> bool:
    """Retry a delivery only when the failure may go away (see DeliveryError.temporary)."""
    exc = state.data if isinstance(state.data, BaseException) else state.result(raise_on_failure=False)
    return bool(getattr(exc, "temporary", False))


@task(name="deliver", cache_policy=NO_CACHE, retry_condition_fn=_temporary_failure)
def deliver_task(settings: Settings, report: pipeline.RenderedReport, audience, claim) -> str:
    where = pipeline.deliver_to_audience(settings, report, audience, claim)
    print(f"{audience.label}: {report.subject} → {where} (ledger #{claim.delivery_id})")
    return where


@task(name="publish", cache_policy=NO_CACHE)
def publish_task(settings: Settings, report: pipeline.RenderedReport) -> str:
    """The run page's summary: headline and movements, the data-quality record, the report's link."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact

    from flows.delivery.artifacts import run_artifacts

    made = run_artifacts(report.context, report.kind, report.archived.folder.name, report.archived.pdf,
                         settings.archive_dir)
    create_markdown_artifact(key=made.key, markdown=made.markdown, description=report.subject)
    if made.table:
        create_table_artifact(key=f"{made.key}-data-quality", table=made.table,
                              description=f"data quality: {report.subject}")
    create_link_artifact(key=f"{made.key}-report", link=made.link, link_text=made.link_text,
                         description="the archived report (the archive's index.html lists them all)")
    return made.key


@task(name="notice", cache_policy=NO_CACHE, retry_condition_fn=_temporary_failure)
def notice_task(settings: Settings, notice: pipeline.Notice, claim) -> str:
    where = str(pipeline.deliver_notice(settings, notice, claim))
    print(f"delivered {notice.subject} → {where} (ledger #{claim.delivery_id})")
    return where


@flow(name="daily-report", log_prints=True)
def daily_report(config: str | None = None, report_date: dt.date | None = None,
                 scopes: list[str] | None = None, ingest: bool = True, resend: bool = False) -> list[str]:
    """Load the inbox, wait for the day's exports, build every layer with its checks, render and
    send the reports that have not gone out yet; returns where each mail went.

    Without ``report_date`` each shop reports its own yesterday (in its time zone) and the
    all-shops report uses yesterday in ``report.timezone``. ``resend`` sends reports again that
    the send ledger says went out already.
    """
    settings = load_settings(config)
    scope_dates = {scope_id: report_date or pipeline.default_report_date(settings, scope_id)
                   for scope_id in scopes or pipeline.report_scopes(settings)}
    run_id = _flow_run_id()
    with run_lock(settings.run_lock_path, "daily-report flow"):
        try:
            return _daily(settings, scope_dates, ingest, resend, run_id)
        except Exception as exc:
            if pipeline.notify_failure(settings, max(scope_dates.values()), exc, run_id):
                print(f"failure notice sent to {', '.join(settings.mail.admin_recipients)}")
            raise


def _daily(settings: Settings, scope_dates: dict[str, dt.date], ingest: bool, resend: bool,
           run_id: str) -> list[str]:
    try:
        return _daily_reports(settings, scope_dates, ingest, resend, run_id)
    finally:
        index_task(settings)


def _daily_reports(settings: Settings, scope_dates: dict[str, dt.date], ingest: bool, resend: bool,
                   run_id: str) -> list[str]:
    freshness = _freshness_gate(settings, scope_dates, ingest)
    warm_up()  # the renderers import while the warehouse builds (DuckDB, the GIL released)
    build_task(settings, if_changed=True)  # nothing new since the last build: the tables stand
    delays = list(settings.mail.retry_delays)
    deliver = deliver_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
    notice = notice_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
    deliveries, failures = [], []
    todo = [plan for scope_id, day in scope_dates.items()
            if (plan := _daily_plan(settings, freshness, scope_id, day, resend, run_id, notice, deliveries, failures))]
    _render_and_deliver(settings, todo, deliver, deliveries, failures, "reports")
    if not failures and (settings.retention.landing_days or settings.retention.archive_days):
        retention_task(settings)
    if failures:
        raise pipeline.RunIncomplete(f"{len(failures)} of {len(scope_dates)} report(s) not delivered "
                                     f"(the send ledger has them; the next run retries): "
                                     + " | ".join(failures))
    return deliveries


def _daily_plan(settings: Settings, freshness: Freshness, scope_id: str, day: dt.date, resend: bool, run_id: str,
                notice, deliveries: list[str], failures: list[str]) -> tuple[RenderJob, list] | None:
    """One scope's daily report: send the late notice, or claim the report's deliveries; returns
    what to render and whom to deliver it to, when there is anything."""
    status, missing = freshness.status(scope_id, day), freshness.missing(scope_id, day)
    if status == "late":
        claim = pipeline.claim_delivery(settings, pipeline.DAILY_LATE, day, scope_id, resend=resend, run_id=run_id)
        if not claim.should_send:
            print(f"daily_late {scope_id} {day}: not sent again, {claim.reason}")
            return None
        state = notice(settings, pipeline.render_late_notice(settings, day, scope_id, missing, freshness.deadline),
                       claim, return_state=True)
        _collect(state, f"{scope_id} {day}", deliveries, failures)
        return None
    todo = _to_send(pipeline.claim_audiences(settings, pipeline.DAILY, day, scope_id, partial=status == "partial",
                                             resend=resend, run_id=run_id), f"daily {scope_id} {day}")
    if not todo:
        return None
    print(f"daily {scope_id} {day}: {status}; {len(todo)} delivery(ies) to make")
    return RenderJob("daily", day, scope_id, tuple(tuple(m) for m in missing), freshness.deadline), todo


def _render_and_deliver(settings: Settings, todo: list[tuple[RenderJob, list]], deliver,
                        deliveries: list[str], failures: list[str], what: str) -> None:
    """Render each report (worker processes render from the end of the list: flows/reports/ahead.py)
    and deliver it to each audience, in order."""
    with RenderAhead(settings, [job for job, _ in todo]) as ahead, progress_bar(len(todo), what) as step:
        for job, audiences in todo:
            _render_one(settings, ahead, job, audiences, deliver, deliveries, failures)
            step(f"{job.scope_id} {job.day}")
    if ahead.summary():
        print(ahead.summary())


def _render_one(settings: Settings, ahead: RenderAhead, job: RenderJob, audiences: list, deliver,
                deliveries: list[str], failures: list[str]) -> None:
    """Render one report once, publish its run-page summary and deliver it to each audience."""
    task = render_weekly_task if job.kind == "weekly" else render_task
    rendered = task(settings, job, ahead, return_state=True)
    if rendered.is_failed():
        failures.append(f"{job.scope_id} {job.day}: {rendered.result(raise_on_failure=False)}")
        return
    report = rendered.result()
    publish_task(settings, report, return_state=True)  # the run page's summary; never fails the run
    for audience, claim in audiences:
        state = deliver(settings, report, audience, claim, return_state=True)
        _collect(state, f"{job.scope_id} {job.day} → {audience.label}", deliveries, failures)


@task(name="archive-index", cache_policy=NO_CACHE)
def index_task(settings: Settings) -> str:
    """Rewrite the archive's index.html (every report, by date, shop and kind)."""
    from flows.archive import write_index

    path = write_index(settings.archive_dir)
    print(f"archive index: {path}")
    return str(path)


@flow(name="weekly-report", log_prints=True)
def weekly_report(config: str | None = None, week_start: dt.date | None = None,
                  scopes: list[str] | None = None, ingest: bool = True, resend: bool = False) -> list[str]:
    """Load the inbox, build every layer, render and send the weekly reports of one ISO week that
    have not gone out yet; returns where each mail went.

    ``week_start`` is any day of the week (its Monday is used); without it, the last complete
    ISO week in ``report.timezone``. There is no freshness gate: a week is reported from what
    the warehouse holds (the daily reports have waited for the exports).
    """
    settings = load_settings(config)
    week = week_start or pipeline.default_report_week(settings)
    week = week - dt.timedelta(days=week.weekday())
    run_id = _flow_run_id()
    with run_lock(settings.run_lock_path, "weekly-report flow"):
        try:
            return _weekly(settings, week, scopes or pipeline.report_scopes(settings), ingest, resend, run_id)
        except Exception as exc:
            if pipeline.notify_failure(settings, week, exc, run_id, kind="weekly"):
                print(f"failure notice sent to {', '.join(settings.mail.admin_recipients)}")
            raise


def _weekly(settings: Settings, week: dt.date, scopes: list[str], ingest: bool, resend: bool,
            run_id: str) -> list[str]:
    try:
        return _weekly_reports(settings, week, scopes, ingest, resend, run_id)
    finally:
        index_task(settings)


def _weekly_reports(settings: Settings, week: dt.date, scopes: list[str], ingest: bool, resend: bool,
                    run_id: str) -> list[str]:
    if ingest:
        ingest_task(settings)
    warm_up()  # the renderers import while the warehouse builds (DuckDB, the GIL released)
    build_task(settings, if_changed=True)  # nothing new since the last build: the tables stand
    delays = list(settings.mail.retry_delays)
    deliver = deliver_task.with_options(retries=len(delays), retry_delay_seconds=delays or 0)
    deliveries, failures = [], []
    todo = [plan for scope_id in scopes if (plan := _weekly_plan(settings, week, scope_id, resend, run_id))]
    _render_and_deliver(settings, todo, deliver, deliveries, failures, "weekly reports")
    if failures:
        raise pipeline.RunIncomplete(f"{len(failures)} of {len(scopes)} weekly report(s) not delivered "
                                     f"(the send ledger has them; the next run retries): "
                                     + " | ".join(failures))
    return deliveries


def _weekly_plan(settings: Settings, week: dt.date, scope_id: str, resend: bool,
                 run_id: str) -> tuple[RenderJob, list] | None:
    """One scope's weekly report: claim its deliveries; what to render and whom to deliver it to."""
    todo = _to_send(pipeline.claim_audiences(settings, pipeline.WEEKLY, week, scope_id, resend=resend, run_id=run_id),
                    f"weekly {scope_id} {week}")
    if not todo:
        return None
    print(f"weekly {scope_id} {week}: {len(todo)} delivery(ies) to make")
    return RenderJob("weekly", week, scope_id), todo


@task(name="backfill-reports", cache_policy=NO_CACHE)
def backfill_reports_task(settings: Settings, start: dt.date, end: dt.date, scopes: list[str] | None,
                          send: bool, force: bool, jobs: int | None, run_id: str):
    from flows.backfill import backfill_reports

    return backfill_reports(settings, start, end, scopes=scopes, send=send, force=force, jobs=jobs,
                            run_id=run_id)


@flow(name="backfill", log_prints=True)
def backfill(config: str | None = None, start: dt.date | None = None, end: dt.date | None = None,
             paths: list[str] | None = None, shop_id: str | None = None, scopes: list[str] | None = None,
             send: bool = False, force: bool = False, jobs: int | None = None) -> dict:
    """Load old exports (the given files and folders, else the inbox), build the warehouse if
    anything changed, and render every daily and weekly report from ``start`` to ``end`` that is
    not archived yet; mail them only with ``send``. ``force`` renders archived reports again.
    Returns the summary (``BackfillSummary.as_dict``); raises when a report failed."""
    settings = load_settings(config)
    if start is None or end is None:
        raise ValueError("a backfill needs a range: start and end")
    run_id = _flow_run_id()
    with run_lock(settings.run_lock_path, "backfill flow"):
        try:
            ingest_task(settings, paths, shop_id)
            build_task(settings, if_changed=not force)
            summary = backfill_reports_task(settings, start, end, scopes, send, force, jobs, run_id)
        finally:
            index_task(settings)
    for line in summary.lines():
        print(line)
    if not summary.ok:
        raise pipeline.RunIncomplete("backfill: " + "; ".join(summary.lines()[1:]))
    return summary.as_dict()


@task(name="retention", cache_policy=NO_CACHE)
def retention_task(settings: Settings) -> int:
    """Remove what ``[retention]`` says is old enough (nothing unless configured)."""
    from flows.retention import apply_retention, plan_retention

    removals = plan_retention(settings)
    freed = apply_retention(settings, removals)
    if removals:
        print(f"retention: removed {len(removals)} item(s), {freed / 1024 / 1024:.1f} MB (see retention_log)")
    return len(removals)


def _to_send(claims: list, report: str) -> list:
    """The (audience, claim) pairs the send ledger lets go out now; says why each other one does not."""
    for audience, claim in claims:
        if not claim.should_send:
            print(f"{report} → {audience.label}: not sent again, {claim.reason} (--resend sends it again)")
    return [(audience, claim) for audience, claim in claims if claim.should_send]


def _collect(state, label: str, deliveries: list[str], failures: list[str]) -> None:
    if state.is_failed():
        failures.append(f"{label}: {state.result(raise_on_failure=False)}")
    else:
        deliveries.append(state.result())


def _freshness_gate(settings: Settings, scope_dates: dict[str, dt.date], ingest: bool) -> Freshness:
    """Ingest and check until the expected exports have landed or the cutoff has passed.

    Without ingest nothing can arrive, so there is no waiting."""
    deadline = freshness_deadline(settings, scope_dates.values())
    retries = pipeline.gate_attempts(settings, deadline) if ingest else 0
    gate = freshness_task.with_options(retries=retries, retry_delay_seconds=settings.freshness_retry_seconds)
    state = gate(settings, scope_dates, ingest, ingest, return_state=True)
    result = state.result(raise_on_failure=False)
    if isinstance(result, SourcesLate):  # the retries ran out at the cutoff: go on with what there is
        print(f"freshness: cutoff reached; {result.freshness.summary()}")
        return result.freshness
    if isinstance(result, BaseException):
        raise result
    return result


def _flow_run_id() -> str:
    from prefect.runtime import flow_run

    return str(flow_run.id or "")


@flow(name="ingest", log_prints=True)
def ingest_files(config: str | None = None, paths: list[str] | None = None, shop_id: str | None = None):
    """Load the inbox, or the given files and folders, into the warehouse."""
    settings = load_settings(config)
    with run_lock(settings.run_lock_path, "ingest flow"):
        return ingest_task(settings, paths, shop_id)


@flow(name="build", log_prints=True)
def build_only(config: str | None = None, full: bool = False):
    """Build every transform layer and run its checks (``full``: every model from all history)."""
    settings = load_settings(config)
    with run_lock(settings.run_lock_path, "build flow"):
        return build_task(settings, full=full)
