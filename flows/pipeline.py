"""The steps of a run as plain functions: ingest, build, render, deliver.

Each step opens what it needs from the settings and closes it again, so a step can be retried
on its own and the Prefect tasks in ``flows/daily_report.py`` stay one-line wrappers. The
warehouse has one writer at a time: ingest and build open it read-write, render opens it
read-only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from flows.archive import ArchivedReport, archive_report
from flows.ingest.load import FileOutcome, IngestReport, Ingestor
from flows.settings import Settings
from flows.warehouse.build import BuildResult, build
from flows.warehouse.db import connect, install_salt, open_warehouse

ALL_SHOPS = "all"


class NoDataForDate(LookupError):
    """The warehouse has nothing for the asked report date."""


def default_report_date(settings: Settings, scope_id: str = ALL_SHOPS,
                        now: dt.datetime | None = None) -> dt.date:
    """Yesterday in the shop's time zone (for all shops together: in ``report.timezone``)."""
    now = now or dt.datetime.now(dt.UTC)
    zone = settings.timezone if scope_id == ALL_SHOPS else settings.shop(scope_id).timezone
    return (now.astimezone(ZoneInfo(zone)) - dt.timedelta(days=1)).date()


def report_scopes(settings: Settings) -> list[str]:
    """Each shop, then all shops together when there is more than one."""
    scopes = [s.id for s in settings.shops]
    return scopes + [ALL_SHOPS] if len(scopes) > 1 else scopes


def ingest(settings: Settings, paths: Sequence[Path] | None = None, shop_id: str | None = None,
           progress: Callable[[FileOutcome], None] | None = None) -> IngestReport:
    """Load the inbox (or the given files/folders) into the warehouse."""
    with open_warehouse(settings.warehouse_path) as con:
        ingestor = Ingestor(con, settings, install_salt(settings.warehouse_path), progress=progress)
        if paths:
            shop = settings.shop(shop_id) if shop_id else None
            return ingestor.ingest_paths(paths, shop)
        return ingestor.ingest_inbox()


def build_warehouse(settings: Settings, progress: Callable[[str], None] | None = None) -> BuildResult:
    with open_warehouse(settings.warehouse_path) as con:
        return build(con, settings, progress=progress)


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report, kept in the archive and ready to send."""

    scope_id: str
    business_date: dt.date
    subject: str
    pdf_name: str
    pdf: bytes
    email: object  # flows.reports.render.RenderedEmail (html, text, cid images)
    archived: ArchivedReport


def render_daily(settings: Settings, business_date: dt.date, scope_id: str,
                 language: str | None = None) -> RenderedReport:
    """Render one scope's daily report to HTML and PDF and keep both in the archive."""
    from flows.delivery.mail import report_subject
    from flows.reports.context import build_daily_context
    from flows.reports.render import render_email, render_pdf, render_pdf_html, report_file_stem

    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        has_day = con.execute(
            "select count(*) from rpt_daily_headline where business_date = ? and scope_id = ?",
            [business_date, scope_id]).fetchone()[0]
        if not has_day:
            latest = con.execute("select max(business_date) from rpt_daily_headline where scope_id = ?",
                                 [scope_id]).fetchone()[0]
            raise NoDataForDate(
                f"no data for {scope_id} on {business_date}; the latest day with data is {latest}. "
                f"Drop that day's exports into the inbox or pass --date.")
        ctx = build_daily_context(con, settings, business_date, scope_id, language)
    email = render_email(ctx)
    pdf_html = render_pdf_html(ctx)
    pdf = render_pdf(ctx, html=pdf_html)
    stem = report_file_stem(ctx)
    archived = archive_report(settings.archive_dir, "daily", scope_id, business_date.isoformat(), stem,
                              pdf=pdf, html=pdf_html, email_html=email.html)
    return RenderedReport(scope_id=scope_id, business_date=business_date, subject=report_subject(ctx),
                          pdf_name=f"{stem}.pdf", pdf=pdf, email=email, archived=archived)


def deliver_report(settings: Settings, report: RenderedReport) -> str:
    """Mail the report (or write it to the outbox folder); returns where it went."""
    from flows.delivery.mail import build_report_message, deliver

    message = build_report_message(settings.mail, report.subject, report.email, report.pdf_name, report.pdf)
    return str(deliver(message, settings.mail, settings.outbox_dir))
