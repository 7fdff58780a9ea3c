"""All the documents of one report, made from its context: mail body, PDF (and its HTML), workbook
(``.xlsx``: a summary sheet and one sheet per report table the context read).

:func:`daily_documents` and :func:`weekly_documents` are the one place that turns a report
context into files; the pipeline calls them when it renders a report, and again when an archived
report is re-rendered from its stored data (``shopreport archive verify``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.reports.context import DailyReportContext
    from flows.reports.recording import RecordedTable
    from flows.reports.render import RenderedEmail
    from flows.reports.weekly import WeeklyReportContext


@dataclass(frozen=True)
class ReportDocuments:
    kind: str  # daily | weekly
    scope_id: str
    scope_name: str
    period: str  # 2026-11-22 | 2026-W47
    business_date: dt.date  # the day, or the week's Monday
    language: str
    subject: str
    stem: str  # file name without extension: 日报_天猫旗舰店_2026-11-22
    email: "RenderedEmail"
    pdf_html: str
    pdf: bytes
    xlsx: bytes | None = None
    partial: bool = False  # made from incomplete data (banner and subject say so)


def _report_tables(tables: Sequence["RecordedTable"]) -> list["RecordedTable"]:
    return [t for t in tables if t.is_report_table]


def daily_documents(ctx: "DailyReportContext", tables: Sequence["RecordedTable"] = (), *,
                    timezone: str | None = None) -> ReportDocuments:
    """``tables`` are the queries the context ran (the workbook lays them out); ``timezone``
    is the one the workbook writes times in (Excel has no time zones)."""
    from flows.delivery.mail import report_subject
    from flows.reports.xlsx import daily_workbook
    from flows.reports.render import daily_chart, render_email, render_pdf, render_pdf_html, report_file_stem

    chart = daily_chart(ctx)  # drawn once: SVG in the PDF, PNG in the mail
    pdf_html = render_pdf_html(ctx, chart=chart)
    return ReportDocuments(
        kind="daily", scope_id=ctx.scope_id, scope_name=ctx.scope_name,
        period=ctx.business_date.isoformat(), business_date=ctx.business_date, language=ctx.language,
        subject=report_subject(ctx), stem=report_file_stem(ctx), email=render_email(ctx, chart=chart),
        pdf_html=pdf_html, pdf=render_pdf(ctx, html=pdf_html),
        xlsx=daily_workbook(ctx, _report_tables(tables), timezone=timezone),
        partial=bool(ctx.partial_text))


def weekly_documents(ctx: "WeeklyReportContext", tables: Sequence["RecordedTable"] = (), *,
                     timezone: str | None = None) -> ReportDocuments:
    from flows.reports.render import weekly_chart, render_pdf, render_weekly_email, render_weekly_pdf_html
    from flows.reports.weekly import weekly_file_stem, weekly_subject
    from flows.reports.xlsx import weekly_workbook

    chart = weekly_chart(ctx)
    pdf_html = render_weekly_pdf_html(ctx, chart=chart)
    return ReportDocuments(
        kind="weekly", scope_id=ctx.scope_id, scope_name=ctx.scope_name, period=ctx.iso_week,
        business_date=ctx.week_start, language=ctx.language, subject=weekly_subject(ctx),
        stem=weekly_file_stem(ctx), email=render_weekly_email(ctx, chart=chart), pdf_html=pdf_html,
        pdf=render_pdf(ctx, html=pdf_html), xlsx=weekly_workbook(ctx, _report_tables(tables), timezone=timezone))
