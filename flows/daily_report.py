"""Prefect flows. Each reads like the recipe it is; the work is in ``flows.pipeline``.

- ``daily_report``: ingest the inbox → build the warehouse → render each scope → deliver.
- ``ingest_files`` and ``build_only``: the single steps, for the CLI's ``ingest`` and ``build``.

Configuration is read inside the flow (never at import). Tasks take plain values and the frozen
``Settings``; none is cached (a report must reflect the warehouse as it is now).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import pipeline
from flows.settings import Settings, load_settings


@task(name="ingest", cache_policy=NO_CACHE)
def ingest_task(settings: Settings, paths: list[str] | None = None, shop_id: str | None = None):
    report = pipeline.ingest(settings, [Path(p) for p in paths] if paths else None, shop_id,
                             progress=_print_outcome)
    print(f"ingest: {report.summary()}")
    return report


def _print_outcome(outcome) -> None:
    """Every file that needs attention, and a short line for each one that loaded cleanly."""
    if outcome.status == "loaded" and not outcome.rows_rejected:
        print(f"  loaded {outcome.shop_id}/{outcome.path.name}: {outcome.rows_loaded} rows")
    else:
        print(outcome.line())


@task(name="build", cache_policy=NO_CACHE, retries=1, retry_delay_seconds=5)
def build_task(settings: Settings):
    result = pipeline.build_warehouse(settings)
    print(f"built {len(result.models)} models in {result.seconds:.1f}s; "
          f"{len(result.warnings)} warning check(s)")
    for warning in result.warnings:
        print(f"warning: {warning.line()}")
    return result


@task(name="render", cache_policy=NO_CACHE)
def render_task(settings: Settings, business_date: dt.date, scope_id: str):
    report = pipeline.render_daily(settings, business_date, scope_id)
    print(f"rendered {report.archived.pdf}")
    return report


@task(name="deliver", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[10, 60])
def deliver_task(settings: Settings, report: pipeline.RenderedReport) -> str:
    where = pipeline.deliver_report(settings, report)
    print(f"delivered {report.subject} → {where}")
    return where


@flow(name="daily-report", log_prints=True)
def daily_report(config: str | None = None, report_date: dt.date | None = None,
                 scopes: list[str] | None = None, ingest: bool = True) -> list[str]:
    """Load the inbox, build every layer with its checks, render and send the reports.

    Without ``report_date`` each shop reports its own yesterday (in its time zone) and the
    all-shops report uses yesterday in ``report.timezone``.
    """
    settings = load_settings(config)
    if ingest:
        ingest_task(settings)
    build_task(settings)
    deliveries = []
    for scope_id in scopes or pipeline.report_scopes(settings):
        business_date = report_date or pipeline.default_report_date(settings, scope_id)
        report = render_task(settings, business_date, scope_id)
        deliveries.append(deliver_task(settings, report))
    return deliveries


@flow(name="ingest", log_prints=True)
def ingest_files(config: str | None = None, paths: list[str] | None = None, shop_id: str | None = None):
    """Load the inbox, or the given files and folders, into the warehouse."""
    settings = load_settings(config)
    return ingest_task(settings, paths, shop_id)


@flow(name="build", log_prints=True)
def build_only(config: str | None = None):
    """Rebuild every transform layer and run its checks."""
    settings = load_settings(config)
    return build_task(settings)
