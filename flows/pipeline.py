"""The steps of a run as plain functions: ingest, check freshness, build, render, deliver.

Each step opens what it needs from the settings and closes it again, so a step can be retried
on its own and the Prefect tasks in ``flows/daily_report.py`` stay one-line wrappers. The
warehouse has one writer at a time: ingest and build open it read-write, the freshness check
and render open it read-only. Every delivery goes through the send ledger
(:mod:`flows.ledger`): it is claimed before rendering (a report already sent is neither
rendered nor sent again), recorded as ``sending`` before it leaves and as ``sent`` or
``failed`` after.

``flows.faults.pause_point`` marks the places where the crash-safety tests kill a run (inert
unless ``SHOPREPORT_TEST_PAUSE_AT`` is set).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from flows.archive import ArchivedReport, archive_report, record_delivery, report_folder, write_atomic
from flows.faults import pause_point
from flows.freshness import Freshness, SourcesLate, check_sources
from flows.ledger import Claim, SendLedger
from flows.settings import Settings
from flows.warehouse.build import BuildResult, build, build_is_current
from flows.warehouse.db import install_salt, open_warehouse

if TYPE_CHECKING:
    from email.message import EmailMessage

    from flows.delivery.mail import Delivery
    from flows.ingest.load import FileOutcome, IngestReport

log = logging.getLogger(__name__)

# what the send ledger calls each kind of mail
DAILY, DAILY_LATE, RUN_FAILED = "daily", "daily_late", "run_failed"
WEEKLY = "weekly"  # its ledger period is the ISO week ("2026-W47")

ALL_SHOPS = "all"


class NoDataForDate(LookupError):
    """The warehouse has nothing for the asked report date."""


class RunIncomplete(RuntimeError):
    """Some reports of a run were not delivered; the message lists them (the ledger has them)."""


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
    from flows.ingest.load import Ingestor  # pandas: not imported by a process that only renders
    from flows.ingest.parallel import auto_workers

    def each_file(outcome: FileOutcome) -> None:
        if progress:
            progress(outcome)
        pause_point("ingest")  # a file is committed, others may still wait in the inbox

    with open_warehouse(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        ingestor = Ingestor(con, settings, install_salt(settings.warehouse_path), progress=each_file,
                            workers=settings.ingest_workers or auto_workers())
        try:
            if paths:
                shop = settings.shop(shop_id) if shop_id else None
                return ingestor.ingest_paths(paths, shop)
            return ingestor.ingest_inbox()
        finally:
            ingestor.close()


def count_input_files(settings: Settings, paths: Sequence[Path] | None = None) -> int:
    """How many files an ingest of the inbox (or of ``paths``) will look at: a progress bar's total."""
    from flows.ingest.load import given_files, inbox_files

    if paths:
        return sum(len(given_files(p)) for p in paths)
    return len(inbox_files(settings))


def build_warehouse(settings: Settings, progress: Callable[[str], None] | None = None, *,
                    if_changed: bool = False, mode: str = "auto") -> BuildResult:
    """Build every layer with its checks; with ``if_changed``, only when the models, the
    configuration or the loaded files changed since the last build. ``mode`` is passed to
    :func:`flows.warehouse.build.build` (``full``, ``incremental`` or ``auto``)."""
    def each_model(name: str) -> None:
        if progress:
            progress(name)
        pause_point("build")  # inside the build's one transaction

    with open_warehouse(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        if if_changed and build_is_current(con, settings):
            return BuildResult(skipped=True)
        return build(con, settings, progress=each_model, mode=mode)


# ----------------------------------------------------------------------------------------------
# the freshness gate
# ----------------------------------------------------------------------------------------------

def scope_shops(settings: Settings, scope_id: str) -> list[str]:
    return [s.id for s in settings.shops] if scope_id == ALL_SHOPS else [settings.shop(scope_id).id]


def check_freshness(settings: Settings, scope_dates: dict[str, dt.date],
                    now: dt.datetime | None = None) -> Freshness:
    """Which expected sources have landed for every shop of every scope on its report date."""
    pairs = [(shop_id, day) for scope_id, day in scope_dates.items()
             for shop_id in scope_shops(settings, scope_id)]
    if not settings.warehouse_path.exists():
        return check_sources(None, settings, pairs, now)
    with open_warehouse(settings.warehouse_path, read_only=True, memory_limit=settings.memory_limit) as con:
        return check_sources(con, settings, pairs, now)


def gate_sources(settings: Settings, scope_dates: dict[str, dt.date], *, ingest_inbox: bool = True,
                 wait: bool = True, progress: Callable[[FileOutcome], None] | None = None,
                 ingested: Callable[[IngestReport], None] | None = None,
                 now: dt.datetime | None = None) -> Freshness:
    """Load the inbox (when asked; ``ingested`` is given the ingest's report) and check freshness;
    raise :class:`SourcesLate` while expected sources are missing and the cutoff has not passed
    (``wait``), so the caller tries again."""
    if ingest_inbox:
        report = ingest(settings, progress=progress)
        if ingested:
            ingested(report)
    freshness = check_freshness(settings, scope_dates, now)
    if wait and not freshness.complete and not freshness.past_cutoff:
        raise SourcesLate(freshness)
    return freshness


def gate_attempts(settings: Settings, freshness_deadline: dt.datetime, now: dt.datetime | None = None) -> int:
    """How many retries reach the cutoff at ``report.freshness_retry_seconds`` apart."""
    now = now or dt.datetime.now(dt.UTC)
    remaining = (freshness_deadline - now).total_seconds()
    if remaining <= 0:
        return 0
    return min(10_000, int(-(-remaining // settings.freshness_retry_seconds)))


def missing_text(settings: Settings, missing: Iterable[tuple[str, str]], language: str | None = None) -> str:
    """``Shopify US Store：流量；天猫旗舰店：推广`` / ``Shopify US Store: traffic; …``."""
    from flows.reports.i18n import report_locale

    loc = report_locale(settings, language)
    names = {s.id: s.name for s in settings.shops}
    return loc.t("list_sep").join(loc.t("dq.missing_item", shop=names.get(shop, shop),
                                        entity=loc.lookup("entity", entity)) for shop, entity in missing)


def _cutoff_text(settings: Settings, deadline: dt.datetime | None) -> str:
    if deadline is None:
        return ""
    return deadline.astimezone(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M")


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
    partial: bool = False  # sent from incomplete data (the banner and subject say so)
    xlsx_name: str | None = None
    xlsx: bytes | None = None
    kind: str = "daily"
    language: str = ""
    context: object = None  # the report context it was rendered from
    tables: tuple = ()  # the queries it ran (flows.reports.recording.RecordedTable): other languages
    missing: tuple = ()  # (shop id, entity) pairs a partial report lacks
    cutoff: dt.datetime | None = None

    @property
    def content_sha256(self) -> str:
        """SHA-256 of the PDF, as kept in the archive and recorded in the send ledger."""
        return hashlib.sha256(self.pdf).hexdigest()


def daily_context(con, settings: Settings, business_date: dt.date, scope_id: str, language: str | None = None,
                  missing: Sequence[tuple[str, str]] = (), cutoff: dt.datetime | None = None):
    """The daily report's context from ``con`` (the warehouse, a recording or a replay of it);
    ``missing`` ((shop id, entity) pairs from the freshness gate) makes it a partial report."""
    from flows.reports.context import build_daily_context

    ctx = build_daily_context(con, settings, business_date, scope_id, language)
    return _mark_partial(ctx, settings, missing, cutoff) if missing else ctx


def weekly_context(con, settings: Settings, week_start: dt.date, scope_id: str, language: str | None = None):
    from flows.reports.weekly import build_weekly_context

    return build_weekly_context(con, settings, week_start, scope_id, language)


def render_daily(settings: Settings, business_date: dt.date, scope_id: str,
                 language: str | None = None, missing: Sequence[tuple[str, str]] = (),
                 cutoff: dt.datetime | None = None) -> RenderedReport:
    """Render one scope's daily report (mail body, PDF, workbook) and keep it in the archive
    with the rows it showed.

    ``missing`` ((shop id, entity) pairs from the freshness gate) makes it a partial report: a
    banner and a subject marker name what is missing as of ``cutoff``, and the data-quality
    box lists it.
    """
    from flows.reports.documents import daily_documents
    from flows.reports.recording import RecordingConnection

    with open_warehouse(settings.warehouse_path, read_only=True, memory_limit=settings.memory_limit) as con:
        has_day = con.execute(
            "select count(*) from rpt_daily_headline where business_date = ? and scope_id = ?",
            [business_date, scope_id]).fetchall()[0][0]
        if not has_day:
            latest = con.execute("select max(business_date) from rpt_daily_headline where scope_id = ?",
                                 [scope_id]).fetchall()[0][0]
            raise NoDataForDate(
                f"no data for {scope_id} on {business_date}; the latest day with data is {latest}. "
                f"Drop that day's exports into the inbox or pass --date.")
        recorder = RecordingConnection(con)
        ctx = daily_context(recorder, settings, business_date, scope_id, language, missing, cutoff)
    documents = daily_documents(ctx, recorder.tables, timezone=settings.timezone)
    pause_point("render")  # rendered, not archived yet
    extra = {"missing": [list(m) for m in missing], "cutoff": cutoff.isoformat() if cutoff else None}
    return replace(_archive(settings, documents, recorder.tables, extra), context=ctx, tables=tuple(recorder.tables),
                   missing=tuple(tuple(m) for m in missing), cutoff=cutoff)


def default_report_week(settings: Settings, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the last complete ISO week in ``report.timezone``."""
    from flows.reports.weekly import last_complete_week

    now = now or dt.datetime.now(dt.UTC)
    return last_complete_week(now.astimezone(ZoneInfo(settings.timezone)).date())


def render_weekly(settings: Settings, week_start: dt.date, scope_id: str,
                  language: str | None = None) -> RenderedReport:
    """Render one scope's weekly report (the ISO week starting ``week_start``, a Monday) and keep
    it in the archive under ``weekly/<scope>/<2026-W47>/`` with the rows it showed.

    The returned report's ``business_date`` is the week's Monday; its ledger period is the ISO
    week (:func:`claim_weekly`).
    """
    from flows.reports.documents import weekly_documents
    from flows.reports.recording import RecordingConnection
    from flows.reports.weekly import iso_week_label

    week = iso_week_label(week_start)
    with open_warehouse(settings.warehouse_path, read_only=True, memory_limit=settings.memory_limit) as con:
        has_week = con.execute(
            "select count(*) from rpt_weekly_headline where week_start = ? and scope_id = ?",
            [week_start, scope_id]).fetchall()[0][0]
        if not has_week:
            latest = con.execute("select max(iso_week) from rpt_weekly_headline where scope_id = ?",
                                 [scope_id]).fetchall()[0][0]
            raise NoDataForDate(f"no data for {scope_id} in {week}; the latest week with data is {latest}. "
                                f"Pass --week.")
        recorder = RecordingConnection(con)
        ctx = weekly_context(recorder, settings, week_start, scope_id, language)
    documents = weekly_documents(ctx, recorder.tables, timezone=settings.timezone)
    pause_point("render")
    return replace(_archive(settings, documents, recorder.tables, {}), context=ctx, tables=tuple(recorder.tables))


def _archive(settings: Settings, documents, tables, extra: dict) -> RenderedReport:
    """Keep the documents, the recorded rows and the manifest in the archive."""
    from flows.archive import code_version
    from flows.reports.recording import write_recorded
    from flows.settings import render_snapshot

    manifest = {
        "scope_name": documents.scope_name, "business_date": documents.business_date.isoformat(),
        "language": documents.language, "subject": documents.subject, "partial": documents.partial,
        "rendered_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": code_version(), "settings": render_snapshot(settings), **extra,
    }
    archived = archive_report(settings.archive_dir, documents.kind, documents.scope_id, documents.period,
                              documents.stem, pdf=documents.pdf, html=documents.pdf_html,
                              email_html=documents.email.html, xlsx=documents.xlsx,
                              data_files=write_recorded(tables), manifest=manifest)
    return RenderedReport(scope_id=documents.scope_id, business_date=documents.business_date,
                          subject=documents.subject, pdf_name=f"{documents.stem}.pdf", pdf=documents.pdf,
                          email=documents.email, archived=archived, partial=documents.partial,
                          xlsx_name=f"{documents.stem}.xlsx" if documents.xlsx is not None else None,
                          xlsx=documents.xlsx, kind=documents.kind, language=documents.language)


def rerender_archived(folder: Path):
    """Render an archived report again from its stored data and settings alone (no warehouse):
    the :class:`~flows.reports.documents.ReportDocuments` it gives now."""
    from flows.archive import DATA_DIR, load_manifest
    from flows.reports.documents import daily_documents, weekly_documents
    from flows.reports.recording import ReplayConnection, read_recorded
    from flows.settings import settings_from_snapshot

    manifest = load_manifest(folder)
    if manifest is None or "settings" not in manifest or not (folder / DATA_DIR).is_dir():
        raise FileNotFoundError(f"{folder}: no manifest with stored data (archived before the data was kept)")
    settings = settings_from_snapshot(manifest["settings"], folder)
    tables = read_recorded(folder / DATA_DIR)
    con = ReplayConnection(tables)
    day = dt.date.fromisoformat(manifest["business_date"])
    if manifest["kind"] == "weekly":
        ctx = weekly_context(con, settings, day, manifest["scope_id"], manifest["language"])
        return weekly_documents(ctx, tables, timezone=settings.timezone)
    cutoff = dt.datetime.fromisoformat(manifest["cutoff"]) if manifest.get("cutoff") else None
    missing = [tuple(m) for m in manifest.get("missing") or []]
    ctx = daily_context(con, settings, day, manifest["scope_id"], manifest["language"], missing, cutoff)
    return daily_documents(ctx, tables, timezone=settings.timezone)


def claim_weekly(settings: Settings, week_start: dt.date, scope_id: str, *, resend: bool = False,
                 run_id: str = "") -> Claim:
    """Ask the send ledger whether this scope's weekly report for the ISO week goes out now."""
    from flows.delivery.mail import message_domain
    from flows.reports.weekly import iso_week_label

    return SendLedger(settings.send_ledger_path).claim(
        WEEKLY, iso_week_label(week_start), scope_id, resend=resend, run_id=run_id,
        domain=message_domain(settings.mail), outbox_dir=settings.outbox_dir)


def _mark_partial(ctx, settings: Settings, missing: Sequence[tuple[str, str]], cutoff: dt.datetime | None):
    """The context with the partial banner, and the missing sources in the data-quality box."""
    from flows.reports.context import MissingEntity
    from flows.reports.i18n import report_locale

    loc = report_locale(settings, ctx.language)
    names = {s.id: s.name for s in settings.shops}
    listed = list(ctx.data_quality.missing)
    for shop_id, entity in missing:
        shop, label = names.get(shop_id, shop_id), loc.lookup("entity", entity)
        text = loc.t("dq.missing_item", shop=shop, entity=label)
        if all(m.text != text for m in listed):
            listed.append(MissingEntity(shop_name=shop, entity=label, text=text))
    banner = loc.t("partial.banner", cutoff=_cutoff_text(settings, cutoff) or ctx.date_label,
                   missing=missing_text(settings, missing, ctx.language))
    return replace(ctx, partial_text=banner,
                   data_quality=replace(ctx.data_quality, missing=listed, is_clean=False))


# ----------------------------------------------------------------------------------------------
# delivery, through the send ledger
# ----------------------------------------------------------------------------------------------

def claim_delivery(settings: Settings, kind: str, business_date: dt.date, scope_id: str, *,
                   partial: bool = False, resend: bool = False, run_id: str = "") -> Claim:
    """Ask the send ledger whether this mail goes out now (see :meth:`SendLedger.claim`)."""
    from flows.delivery.mail import message_domain

    return SendLedger(settings.send_ledger_path).claim(
        kind, business_date.isoformat(), scope_id, partial=partial, resend=resend, run_id=run_id,
        domain=message_domain(settings.mail), outbox_dir=settings.outbox_dir)


def report_in(settings: Settings, report: RenderedReport, language: str):
    """The report's context in ``language``: the rendered one, or rebuilt from the rows the report
    read (no warehouse needed)."""
    from flows.reports.recording import ReplayConnection

    if language == report.language and report.context is not None:
        return report.context
    con = ReplayConnection(report.tables)
    if report.kind == "weekly":
        return weekly_context(con, settings, report.business_date, report.scope_id, language)
    return daily_context(con, settings, report.business_date, report.scope_id, language, report.missing,
                         report.cutoff)


def translated_report(settings: Settings, report: RenderedReport, language: str) -> RenderedReport:
    """The same report in another language, kept in the archive beside it (``<period>/<language>/``)."""
    from flows.reports.documents import daily_documents, weekly_documents

    if language == report.language:
        return report
    ctx = report_in(settings, report, language)
    make = weekly_documents if report.kind == "weekly" else daily_documents
    documents = make(ctx, report.tables, timezone=settings.timezone)
    folder = report.archived.folder / language
    files = {f"{documents.stem}.pdf": documents.pdf, f"{documents.stem}.html": documents.pdf_html.encode("utf-8"),
             "email.html": documents.email.html.encode("utf-8")}
    if documents.xlsx is not None:
        files[f"{documents.stem}.xlsx"] = documents.xlsx
    for name, data in files.items():
        write_atomic(folder / name, data)
    archived = ArchivedReport(folder=folder, pdf=folder / f"{documents.stem}.pdf",
                              html=folder / f"{documents.stem}.html", email_html=folder / "email.html",
                              xlsx=folder / f"{documents.stem}.xlsx" if documents.xlsx is not None else None)
    return replace(report, subject=documents.subject, pdf_name=f"{documents.stem}.pdf", pdf=documents.pdf,
                   email=documents.email, archived=archived, xlsx=documents.xlsx,
                   xlsx_name=f"{documents.stem}.xlsx" if documents.xlsx is not None else None,
                   language=language, context=ctx)


def claim_audience(settings: Settings, report_kind: str, period_day: dt.date, scope_id: str, audience: str, *,
                   partial: bool = False, resend: bool = False, run_id: str = "") -> Claim:
    """Ask the send ledger whether this audience gets the report now (daily: the day; weekly: the
    ISO week of ``period_day``)."""
    from flows.delivery.mail import message_domain
    from flows.reports.weekly import iso_week_label

    period = iso_week_label(period_day) if report_kind == WEEKLY else period_day.isoformat()
    return SendLedger(settings.send_ledger_path).claim(
        report_kind, period, scope_id, audience=audience, partial=partial, resend=resend, run_id=run_id,
        domain=message_domain(settings.mail), outbox_dir=settings.outbox_dir)


def claim_audiences(settings: Settings, report_kind: str, period_day: dt.date, scope_id: str, *,
                    partial: bool = False, resend: bool = False, run_id: str = "") -> list:
    """Every audience of the report (:func:`flows.delivery.audiences.report_audiences`) with its
    send-ledger claim: ``[(audience, claim), …]``."""
    from flows.delivery.audiences import report_audiences

    return [(audience, claim_audience(settings, report_kind, period_day, scope_id, audience.key, partial=partial,
                                      resend=resend, run_id=run_id))
            for audience in report_audiences(settings, report_kind, scope_id)]


def deliver_to_audience(settings: Settings, report: RenderedReport, audience, claim: Claim) -> str:
    """Deliver the claimed report to one audience (:mod:`flows.delivery.audiences`); returns where
    it went, or why it was skipped (an empty slice: the ad team on a day without ad spend)."""
    if audience.channel == "webhook":
        return str(_post_webhook(settings, report, audience, claim))
    if audience.view == "ads":
        return _deliver_ads(settings, report, audience, claim)
    return str(deliver_report(settings, translated_report(settings, report, audience.language), claim,
                              recipients=audience.recipients))


def _deliver_ads(settings: Settings, report: RenderedReport, audience, claim: Claim) -> str:
    from flows.delivery.mail import build_report_message
    from flows.reports.render import render_ads_email

    ctx = report_in(settings, report, audience.language)
    email = render_ads_email(ctx)
    if email is None:
        reason = "no ad campaigns in this report: nothing for the ad team"
        SendLedger(settings.send_ledger_path).mark_skipped(claim.delivery_id, reason, audience.recipients)
        return f"skipped ({reason})"
    subject = ctx.labels["ads.subject"].format(subject=_subject_of(ctx, report.kind))
    message = build_report_message(settings.mail, subject, email, None, None, message_id=claim.message_id,
                                   recipients=audience.recipients)
    return str(_send(settings, claim, message, audience.recipients,
                     content_sha256=hashlib.sha256(email.html.encode("utf-8")).hexdigest(),
                     partial=report.partial, archive_path=str(report.archived.pdf)))


def _subject_of(ctx, kind: str) -> str:
    if kind == WEEKLY:
        from flows.reports.weekly import weekly_subject

        return weekly_subject(ctx)
    from flows.delivery.mail import report_subject

    return report_subject(ctx)


def _post_webhook(settings: Settings, report: RenderedReport, audience, claim: Claim):
    """Post the report's chat summary, recorded in the send ledger like a mail."""
    from flows.delivery.mail import DeliveryError
    from flows.delivery.webhooks import daily_summary, scrub, send_webhook, weekly_summary

    hook = audience.webhook.webhook()
    ctx = report_in(settings, report, audience.language)
    link = report.archived.pdf.resolve().as_uri()
    summary = (weekly_summary if report.kind == WEEKLY else daily_summary)(ctx, link)
    ledger = SendLedger(settings.send_ledger_path)
    ledger.start_attempt(claim.delivery_id, recipients=[f"{hook.platform}:{hook.name}"], subject=summary.title,
                         content_sha256=hashlib.sha256(repr(summary).encode("utf-8")).hexdigest(),
                         method="webhook", partial=report.partial, archive_path=str(report.archived.pdf))
    pause_point("send")
    try:
        delivery = send_webhook(hook, summary)
    except DeliveryError as exc:
        ledger.mark_failed(claim.delivery_id, str(exc))
        raise
    except Exception as exc:
        ledger.mark_failed(claim.delivery_id, scrub(f"{type(exc).__name__}: {exc}", hook))
        raise
    ledger.mark_sent(claim.delivery_id, f"{hook.platform}:{hook.name}")
    record_delivery(report.archived.folder, {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "to": [f"{hook.platform}:{hook.name}"],
        "method": "webhook", "where": str(delivery), "ledger_id": claim.delivery_id, "status": "sent"})
    return delivery


def deliver_report(settings: Settings, report: RenderedReport, claim: Claim,
                   recipients: Sequence[str] | None = None) -> "Delivery":
    """Mail the report (or write it to the outbox folder) as the claimed ledger delivery."""
    from flows.delivery.mail import build_report_message

    attachments = [(report.xlsx_name, report.xlsx)] if report.xlsx is not None else []
    recipients = tuple(settings.mail.recipients if recipients is None else recipients)
    message = build_report_message(settings.mail, report.subject, report.email, report.pdf_name, report.pdf,
                                   message_id=claim.message_id, attachments=attachments, recipients=recipients)
    delivery = _send(settings, claim, message, recipients, content_sha256=report.content_sha256,
                     partial=report.partial, archive_path=str(report.archived.pdf))
    record_delivery(report.archived.folder, {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "to": list(recipients),
        "method": "outbox" if settings.mail.uses_outbox else "smtp", "where": str(delivery),
        "ledger_id": claim.delivery_id, "message_id": claim.message_id, "status": "sent"})
    return delivery


@dataclass(frozen=True)
class Notice:
    """A short plain-text mail (data late, run failed)."""

    subject: str
    text: str
    archived: Path | None = None

    @property
    def content_sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


def render_late_notice(settings: Settings, business_date: dt.date, scope_id: str,
                       missing: Sequence[tuple[str, str]], cutoff: dt.datetime | None) -> Notice:
    """The "data late" notice that replaces a report with too little data (kept in the archive)."""
    from flows.reports.i18n import report_locale

    loc = report_locale(settings)
    scope = loc.t("all_shops") if scope_id == ALL_SHOPS else settings.shop(scope_id).name
    values = {"scope": scope, "date": business_date.isoformat(),
              "cutoff": _cutoff_text(settings, cutoff) or business_date.isoformat(),
              "missing": missing_text(settings, missing)}
    text = loc.t("late.body", **values) + "\n"
    path = report_folder(settings.archive_dir, "daily", scope_id, business_date.isoformat()) / "data_late.txt"
    write_atomic(path, text.encode("utf-8"))
    return Notice(subject=loc.t("late.subject", **values), text=text, archived=path)


def deliver_notice(settings: Settings, notice: Notice, claim: Claim,
                   recipients: Sequence[str] | None = None) -> "Delivery":
    from flows.delivery.mail import build_notice_message

    to = tuple(settings.mail.recipients if recipients is None else recipients)
    message = build_notice_message(settings.mail, notice.subject, notice.text, to, message_id=claim.message_id)
    return _send(settings, claim, message, to, content_sha256=notice.content_sha256,
                 archive_path=str(notice.archived) if notice.archived else None)


def notify_failure(settings: Settings, business_date: dt.date, error: BaseException,
                   run_id: str = "", kind: str = "daily") -> "Delivery | None":
    """Mail a short failure notice to ``mail.admin_to``; never raises (mail may be what failed).

    Returns the delivery, or None when there is no admin list or the notice could not be sent.
    """
    if not settings.mail.admin_recipients:
        return None
    try:
        from flows.delivery.mail import scrub
        from flows.reports.i18n import report_locale

        loc = report_locale(settings)
        at = dt.datetime.now(ZoneInfo(settings.timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")
        detail = scrub(f"{type(error).__name__}: {error}", settings.mail.password)
        if run_id:
            detail += f"\n(Prefect flow run {run_id})"
        if kind == "weekly":
            from flows.reports.weekly import iso_week_label

            period = iso_week_label(business_date)
            rerun = f"shopreport run weekly --week {period}"
        else:
            period = business_date.isoformat()
            rerun = f"shopreport run daily --date {period}"
        report = loc.t(f"report_kind.{kind}")
        notice = Notice(subject=loc.t("failure.subject", report=report, date=period),
                        text=loc.t("failure.body", report=report, date=period, at=at, error=detail,
                                   rerun=rerun) + "\n")
        claim = claim_delivery(settings, RUN_FAILED, business_date, "admin", resend=True, run_id=run_id)
        return deliver_notice(settings, notice, claim, settings.mail.admin_recipients)
    except Exception as exc:  # noqa: BLE001 - the run has failed already; say so in the log only
        log.error("the failure notice to %s could not be sent: %s",
                  ", ".join(settings.mail.admin_recipients), exc)
        return None


def _send(settings: Settings, claim: Claim, message: "EmailMessage", recipients: Sequence[str], *,
          content_sha256: str, partial: bool = False, archive_path: str | None = None) -> "Delivery":
    """Record the attempt in the ledger, deliver, and record how it went."""
    from flows.delivery.mail import DeliveryError, deliver, scrub

    if claim.delivery_id is None or not claim.should_send:
        raise ValueError(f"not a claim to send: {claim}")
    ledger = SendLedger(settings.send_ledger_path)
    ledger.start_attempt(claim.delivery_id, recipients=recipients, subject=str(message["Subject"]),
                         content_sha256=content_sha256, method="outbox" if settings.mail.uses_outbox else "smtp",
                         partial=partial, archive_path=archive_path)
    pause_point("send")  # recorded as sending, not sent yet
    try:
        delivery = deliver(message, settings.mail, settings.outbox_dir, recipients=recipients)
    except DeliveryError as exc:
        ledger.mark_failed(claim.delivery_id, str(exc))
        raise
    except Exception as exc:
        ledger.mark_failed(claim.delivery_id, scrub(f"{type(exc).__name__}: {exc}", settings.mail.password))
        raise
    note = f"refused by the server: {', '.join(delivery.refused)}" if delivery.refused else None
    ledger.mark_sent(claim.delivery_id, str(delivery.path) if delivery.path else delivery.server, note)
    return delivery
