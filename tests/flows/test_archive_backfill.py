"""The archive and backfill, as Prefect runs them: 23 days of demo exports (a month boundary, four ISO
weeks, the first of them partial) → every daily and weekly report in the archive with its data, manifest and index; a second backfill does nothing; an
archived report re-renders the same from its stored data alone; the workbook holds the numbers."""

from __future__ import annotations

import datetime as dt
import email
import io
import json
from email import policy
from pathlib import Path
from urllib.parse import unquote, urlparse

import duckdb
import openpyxl
import pytest
from bs4 import BeautifulSoup

from flows.archive import (MANIFEST, code_version, list_reports, pdf_text, record_delivery, verify_report,
                           write_index)
from flows.daily_report import backfill
from flows.pipeline import rerender_archived
from flows.reports.i18n import get_locale
from flows.reports.weekly import iso_week_label
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

pytestmark = pytest.mark.slow  # every test here stands on a real end-to-end run

END = dt.date(2026, 11, 22)  # a Sunday
START = dt.date(2026, 10, 31)  # a Saturday: 23 business days; 2026-W44 is in the range from its Saturday on
SHOP = "tmall_flagship"


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory):
    """A 45-day demo whose exports sit in a folder of old exports (not the inbox), backfilled over
    its last 23 days for the Tmall shop: (settings, first summary, second summary)."""
    from flows.demo import generate_demo

    target = tmp_path_factory.mktemp("backfill")
    generate_demo(target, END, days=45, daily_days=10)
    old_exports = target / "old_exports"
    (target / "inbox").rename(old_exports)  # old_exports/<shop_id>/… as the inbox was
    (target / "inbox").mkdir()
    config = str(target / "shopreport.toml")
    first = backfill(config=config, start=START, end=END, paths=[str(old_exports)], scopes=[SHOP], jobs=2)
    second = backfill(config=config, start=START, end=END, paths=[str(old_exports)], scopes=[SHOP], jobs=2)
    return load_settings(config), first, second


def expected_folders(settings) -> set[Path]:
    days = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    daily = {settings.archive_dir / "daily" / SHOP / d.isoformat() for d in days}
    weekly = {settings.archive_dir / "weekly" / SHOP / iso_week_label(d) for d in days if d.weekday() == 6}
    return daily | weekly


def test_backfill_renders_every_daily_and_weekly_report_of_the_range(backfilled):
    settings, first, _ = backfilled
    expected = expected_folders(settings)
    assert len(expected) == 23 + 4  # 23 days; the Sundays 2026-11-01 … 2026-11-22 close 4 ISO weeks
    made = {p.parent for p in settings.archive_dir.glob(f"*/*/*/{MANIFEST}")}
    assert made == expected
    assert len(first["rendered"]) == len(expected) and not first["skipped"] and not first["failed"]
    assert first["sent"] == [] and not list(settings.outbox_dir.glob("*.eml")), "nothing mailed without --send"


def test_a_second_backfill_of_the_range_is_a_no_op(backfilled):
    settings, first, second = backfilled
    assert second["rendered"] == [] and len(second["skipped"]) == len(first["rendered"])
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        loaded = con.execute("select count(*) from source_files where status = 'loaded'").fetchone()[0]
    assert loaded == len([p for p in (settings.base_dir / "old_exports").rglob("*") if p.is_file()])


def test_each_report_folder_holds_its_files_data_and_manifest(backfilled):
    settings, _, _ = backfilled
    folder = settings.archive_dir / "daily" / SHOP / "2026-11-20"
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    for role in ("pdf", "html", "xlsx", "email"):
        assert (folder / manifest["files"][role]).is_file(), role
    assert manifest["files"]["pdf"] == "日报_天猫旗舰店_2026-11-20.pdf"
    assert manifest["version"]["transforms"] == code_version()["transforms"]
    assert manifest["deliveries"] == []  # a backfill without --send
    queries = json.loads((folder / "data" / "queries.json").read_text(encoding="utf-8"))["queries"]
    headline = next(q for q in queries if q["table"] == "rpt_daily_headline")
    stored = duckdb.sql(f"select metric, value from read_parquet('{folder / 'data' / headline['file']}')").fetchall()
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        live = con.execute("select metric, value from rpt_daily_headline where business_date = ? and scope_id = ?",
                           [dt.date(2026, 11, 20), SHOP]).fetchall()
    assert sorted(stored) == sorted(live) and len(live) >= 5


def test_the_index_lists_every_report_and_its_links_resolve(backfilled):
    settings, _, _ = backfilled
    index = settings.archive_dir / "index.html"
    soup = BeautifulSoup(index.read_text(encoding="utf-8"), "html.parser")
    rows = soup.select("tr.report")
    assert {(r["data-kind"], r["data-period"]) for r in rows} == {
        (p.parent.parent.name, p.name) for p in expected_folders(settings)}
    hrefs = [a["href"] for a in soup.select("tr.report a")]
    assert len(hrefs) >= 6 * len(rows)
    for href in hrefs:
        assert not urlparse(href).scheme and not href.startswith("/"), href  # relative: file:// and copies work
        assert (index.parent / unquote(href)).is_file(), href


def test_the_index_makes_again_only_the_months_whose_reports_changed(backfilled, tmp_path):
    """Each month's rows are kept (archive/.index/<month>.json): a delivery recorded on a report
    of November remakes November's rows and leaves October's file alone; a removed report
    disappears from the index; the index lists what a full listing of the archive lists."""
    import shutil

    settings, _, _ = backfilled
    archive = tmp_path / "archive"
    shutil.copytree(settings.archive_dir, archive)
    shutil.rmtree(archive / ".index", ignore_errors=True)
    write_index(archive)
    cache = archive / ".index"
    october, november = cache / "2026-10.json", cache / "2026-11.json"
    assert october.is_file() and november.is_file()
    kept = october.stat().st_mtime_ns, october.read_bytes()

    def rows() -> dict[tuple[str, str], str]:
        soup = BeautifulSoup((archive / "index.html").read_text(encoding="utf-8"), "html.parser")
        return {(r["data-kind"], r["data-period"]): r.get_text(" ", strip=True) for r in soup.select("tr.report")}

    record_delivery(archive / "daily" / SHOP / "2026-11-20",
                    {"to": ["late-reader@example.com"], "at": "2026-11-21T02:00:00+00:00", "method": "smtp"})
    write_index(archive)
    assert "late-reader@example.com" in rows()[("daily", "2026-11-20")]
    assert (october.stat().st_mtime_ns, october.read_bytes()) == kept, "October's rows were made again"

    shutil.rmtree(archive / "daily" / SHOP / "2026-10-31")
    write_index(archive)
    listed = {(e.kind, e.period) for e in list_reports(archive)}
    assert ("daily", "2026-10-31") not in rows() and set(rows()) == listed
    assert len(listed) == len(expected_folders(settings)) - 1


def test_archive_list_finds_reports_by_shop_kind_and_date(backfilled):
    settings, _, _ = backfilled
    on_day = list_reports(settings.archive_dir, start=dt.date(2026, 11, 18), end=dt.date(2026, 11, 18))
    assert {(e.kind, e.period) for e in on_day} == {("daily", "2026-11-18"), ("weekly", "2026-W47")}
    weekly = list_reports(settings.archive_dir, kinds=["weekly"], scopes=[SHOP])
    assert [e.period for e in weekly][:2] == ["2026-W47", "2026-W46"]  # newest first
    assert list_reports(settings.archive_dir, scopes=["shopify_us"]) == []


@pytest.mark.parametrize("kind, period", [("daily", "2026-11-22"), ("weekly", "2026-W46"), ("daily", "2026-10-31")])
def test_an_archived_report_re_renders_the_same_from_its_stored_data(backfilled, kind, period):
    settings, _, _ = backfilled
    folder = settings.archive_dir / kind / SHOP / period
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    settings.warehouse_path.rename(settings.warehouse_path.with_suffix(".away"))  # no warehouse to read
    try:
        again = rerender_archived(folder)
    finally:
        settings.warehouse_path.with_suffix(".away").rename(settings.warehouse_path)
    assert again.pdf_html == (folder / manifest["files"]["html"]).read_text(encoding="utf-8")
    assert again.email.html == (folder / "email.html").read_text(encoding="utf-8")
    assert pdf_text(again.pdf) == pdf_text((folder / manifest["files"]["pdf"]).read_bytes())
    assert again.xlsx == (folder / manifest["files"]["xlsx"]).read_bytes()
    assert verify_report(folder).same


def test_verify_notices_stored_data_that_was_changed(backfilled, tmp_path):
    import shutil

    import pyarrow as pa
    import pyarrow.parquet as pq

    settings, _, _ = backfilled
    folder = tmp_path / "copy"
    shutil.copytree(settings.archive_dir / "daily" / SHOP / "2026-11-21", folder)
    headline = next(folder.glob("data/*_rpt_daily_headline.parquet"))
    table = pq.read_table(headline)
    values = table.column("value").to_pylist()
    doubled = pa.array([v * 2 if v else v for v in values], type=table.schema.field("value").type)
    pq.write_table(table.set_column(table.schema.get_field_index("value"), "value", doubled), headline)
    result = verify_report(folder)
    assert not result.same and "PDF" in result.detail


def test_the_workbook_holds_the_reports_numbers(backfilled):
    settings, _, _ = backfilled
    day = dt.date(2026, 11, 21)
    folder = settings.archive_dir / "daily" / SHOP / day.isoformat()
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    wb = openpyxl.load_workbook(io.BytesIO((folder / manifest["files"]["xlsx"]).read_bytes()))
    summary = wb.worksheets[0]
    assert summary.title == "汇总" and summary.freeze_panes
    cells = {row[0].value: [c.value for c in row[1:]] for row in summary.iter_rows() if row[0].value}
    with open_warehouse(settings.warehouse_path, read_only=True) as con:  # the mart, not the rpt_ table
        gmv, buyers = con.execute("select gmv, paying_buyers from fct_shop_daily where shop_id = ? "
                                  "and business_date = ?", [SHOP, day]).fetchone()
    gmv_row = next(v for k, v in cells.items() if k == "支付金额")
    assert gmv_row[0] == pytest.approx(float(gmv), abs=0.005)
    assert next(v for k, v in cells.items() if k == "支付买家数")[0] == buyers
    text = pdf_text((folder / manifest["files"]["pdf"]).read_bytes())
    assert get_locale("zh-CN").money(float(gmv), "CNY", compact=True) in text
    for ws in wb.worksheets:
        assert all(c.data_type != "f" for row in ws.iter_rows() for c in row), ws.title


def test_backfill_send_mails_each_report_once_with_pdf_and_xlsx(backfilled):
    settings, _, _ = backfilled
    config = str(settings.config_path)
    days = (dt.date(2026, 11, 21), dt.date(2026, 11, 22))
    first = backfill(config=config, start=days[0], end=days[1], scopes=[SHOP], send=True, force=True, jobs=1)
    assert len(first["sent"]) == 3  # two days and the week ending on the 22nd
    again = backfill(config=config, start=days[0], end=days[1], scopes=[SHOP], send=True, force=True, jobs=1)
    assert again["sent"] == []  # the send ledger has them
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default)
             for p in sorted(settings.outbox_dir.glob("*.eml"))]
    assert len(mails) == 3
    for mail in mails:
        names = [part.get_filename() for part in mail.iter_attachments()]
        assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".xlsx") for n in names), names
    manifest = json.loads((settings.archive_dir / "daily" / SHOP / "2026-11-22" / MANIFEST).read_text("utf-8"))
    assert [d["method"] for d in manifest["deliveries"]] == ["outbox"]


def test_backfill_counts_days_without_data_and_goes_on(backfilled):
    settings, _, _ = backfilled
    before = settings.archive_dir / "daily" / SHOP
    early = dt.date(2026, 10, 1)  # the demo's history starts on 2026-10-09
    summary = backfill(config=str(settings.config_path), start=early, end=early + dt.timedelta(days=1),
                       scopes=[SHOP], jobs=1)
    assert summary["rendered"] == [] and len(summary["no_data"]) == 2 and not summary["failed"]
    assert not (before / early.isoformat()).exists()
