"""Ingest of every supported export, into a real DuckDB file, checked field by field."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from flows import pipeline
from flows.warehouse.db import open_warehouse

from .conftest import write_project

TMALL_FILES = ["ExportOrderList_2026-11-22.csv", "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv",
               "计划报表_20261123_073000.csv"]
SHOPIFY_FILES = ["orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
                 "sessions_over_time_2026-11-22.csv"]


def rows(settings, sql, params=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_taobao_gbk_order_export(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    report = pipeline.ingest(project)
    (outcome,) = report.outcomes
    assert outcome.status == "loaded" and outcome.profile == "taobao_orders"
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (4, 4, 0)
    got = rows(project, """
        select order_id, line_id, paid_amount, status, platform_status, quantity, refund_amount,
               strftime(paid_at, '%Y-%m-%d %H:%M:%S'), product_name, currency, refund_reason
        from raw_orders order by order_id""")
    assert got[0] == ("3856201234567890123", "1", Decimal("1234.50"), "completed", "交易成功", 1,
                      Decimal("0.00"), "2026-11-21 16:00:10", "羊毛围巾 秋冬款", "CNY", None)
    assert got[1][2:7] == (Decimal("0.00"), "created", "等待买家付款", 2, Decimal("0.00"))
    assert got[1][7] is None, "an unpaid order has no payment time"
    assert got[3][3] == "closed" and got[3][6] == Decimal("199.00") and got[3][10] == "买家申请退款"
    assert got[3][8] == "<script>alert(1)</script>手套", "text is stored as exported; escaping is the report's job"
    (encoding, coverage, landing), = rows(project, "select encoding, coverage_end, landing_path from source_files")
    assert encoding == "gb18030" and coverage == dt.date(2026, 11, 22)
    assert open(landing, "rb").read() == (fixtures_dir / "ExportOrderList_2026-11-22.csv").read_bytes()
    assert not any((project.inbox_dir / "tmall_flagship").glob("*.csv")), "the inbox copy is removed after loading"


def test_buyer_ids_are_salted_hashes(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    pipeline.ingest(project)
    keys = [r[0] for r in rows(project, "select buyer_key from raw_orders order by order_id")]
    assert keys[0] == keys[2], "the same buyer gets the same key"
    assert all(len(k) == 32 and "tb_" not in k for k in keys)
    raw = project.warehouse_path.read_bytes()
    assert b"tb_alice" not in raw and "138****".encode() not in raw


def test_shopify_line_items_continuation_rows_and_offsets(project, drop, fixtures_dir):
    drop(project, "shopify_us", "orders_export_2026-11-22.csv")
    (outcome,) = pipeline.ingest(project).outcomes
    assert (outcome.profile, outcome.rows_read, outcome.rows_loaded) == ("shopify_orders", 6, 6)
    got = rows(project, """
        select order_id, line_id, sku, quantity, unit_price, order_paid_amount, order_refund_amount,
               status, refund_status, strftime(paid_at, '%Y-%m-%d %H:%M'), currency
        from raw_orders order by order_id, line_id""")
    first, second = got[0], got[1]
    assert first == ("#1001", "1", "MUG-BLU-01", 2, Decimal("15.00"), Decimal("61.00"), Decimal("20.00"),
                     "paid", "partial", "2026-11-23 02:30", "USD")
    # the continuation row gets the order's fields filled down
    assert second == ("#1001", "2", "TWL-01", 1, Decimal("20.00"), Decimal("61.00"), Decimal("20.00"),
                      "paid", "partial", "2026-11-23 02:30", "USD")
    assert [r[1] for r in got if r[0] == "#1003"] == ["1", "2", "3"]


def test_continuation_rows_take_their_own_orders_fields_wherever_they_are(project, fixtures_dir):
    """Fill-down follows the order number, not the row above: a line of order #1001 listed after
    a line of #1002 gets #1001's payment time and status."""
    text = (fixtures_dir / "orders_export_2026-11-22.csv").read_text(encoding="utf-8").splitlines()
    header, first = text[0], text[1]  # the first line of #1001 (paid, partially refunded)
    other = next(line for line in text if line.startswith("#1002,"))
    late = first.split(",")
    filled = [header.split(",").index(h) for h in ("Email", "Financial Status", "Paid at", "Currency", "Total")]
    for i in filled:
        late[i] = ""
    late[header.split(",").index("Lineitem sku")] = "LATE-01"
    (project.inbox_dir / "shopify_us" / "orders_export_2026-11-22.csv").write_text(
        "\n".join([header, first, other, ",".join(late)]) + "\n", encoding="utf-8")
    (outcome,) = pipeline.ingest(project).outcomes
    assert (outcome.rows_read, outcome.rows_loaded) == (3, 3)
    got = rows(project, "select order_id, sku, status, strftime(paid_at, '%Y-%m-%d %H:%M'), order_paid_amount, "
                        "buyer_key from raw_orders order by source_row")
    assert got[2][:5] == ("#1001", "LATE-01", got[0][2], got[0][3], got[0][4])
    assert got[2][5] == got[0][5] != got[1][5], "the buyer filled down is #1001's"


def test_traffic_and_ad_exports(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", *TMALL_FILES[1:])
    drop(project, "shopify_us", *SHOPIFY_FILES[1:])
    report = pipeline.ingest(project)
    assert {o.profile for o in report.outcomes} == {"sycm_traffic_source", "alimama_plan_report",
                                                    "google_ads_campaign_day", "shopify_sessions"}
    assert all(o.status == "loaded" and o.rows_rejected == 0 for o in report.outcomes)
    sycm = rows(project, "select business_date, source, visitors, page_views, paying_buyers, paid_amount, "
                         "round(bounce_rate, 4) from raw_traffic where shop_id = 'tmall_flagship' order by 1 desc, 2")
    assert sycm[0] == (dt.date(2026, 11, 22), "手淘搜索", 1234, 3456, 35, Decimal("4321.50"), 0.451)
    ga = rows(project, "select campaign_id, impressions, clicks, cost, attributed_orders, attributed_revenue, currency "
                       "from raw_ad_spend where channel = 'google_ads' order by campaign_id")
    assert ga == [("Brand - Search", 1204, 87, Decimal("123.45"), 4.0, Decimal("1456.78"), "USD"),
                  ("Performance Max", 0, 0, Decimal("0.00"), None, None, "USD")]
    (ga_file,) = [o for o in report.outcomes if o.profile == "google_ads_campaign_day"]
    assert rows(project, "select summary_rows from source_files where source_file_id = ?",
                [ga_file.source_file_id]) == [(2,)], "the two Total: rows are summaries, not data"
    ztc = rows(project, "select campaign_id, campaign, cost, attributed_revenue, channel, currency from raw_ad_spend "
                        "where shop_id = 'tmall_flagship' order by campaign_id")
    assert ztc[0] == ("30001", "品牌词-精准", Decimal("960.50"), Decimal("5800.00"), "alimama", "CNY")
    sessions = rows(project, "select source, visitors, add_to_cart_users from raw_traffic where shop_id = 'shopify_us'")
    assert sessions == [("all", 1050, 90)]


def test_loading_the_same_file_twice_changes_nothing(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    pipeline.ingest(project)
    before = rows(project, "select count(*), sum(paid_amount) from raw_orders")
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    (again,) = pipeline.ingest(project).outcomes
    assert again.status == "duplicate" and "already loaded" in again.message
    assert rows(project, "select count(*), sum(paid_amount) from raw_orders") == before
    assert rows(project, "select count(*) from source_files") == [(1,)]


def test_missing_required_column_refuses_the_whole_file(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "ExportOrderList_missing_paid_time.csv")
    (outcome,) = pipeline.ingest(project).outcomes
    assert outcome.status == "refused"
    assert "订单付款时间" in outcome.message and "missing" in outcome.message
    assert "ExportOrderList_missing_paid_time.csv" in outcome.line()
    assert rows(project, "select count(*) from raw_orders") == [(0,)]
    aside = project.inbox_dir / "tmall_flagship" / "_rejected"
    assert (aside / "ExportOrderList_missing_paid_time.csv").exists(), "moved aside, not deleted"
    assert "订单付款时间" in (aside / "ExportOrderList_missing_paid_time.csv.reason.txt").read_text(encoding="utf-8")
    (event,) = rows(project, "select level, message from ingest_events")
    assert event[0] == "error" and "订单付款时间" in event[1]


def test_garbage_cell_is_rejected_with_file_row_and_column(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-23.csv")
    (outcome,) = pipeline.ingest(project).outcomes
    assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == (3, 2, 1)
    assert rows(project, "select file_name, source_row, column_name, raw_value, reason from rejects") == [
        ("ExportOrderList_2026-11-23.csv", 4, "买家实际支付金额", "12,3x", "not an amount of money")]
    read, loaded, rejected = rows(project, "select rows_read, rows_loaded, rows_rejected from source_files")[0]
    assert read == loaded + rejected


def test_unrecognised_file_is_set_aside_with_the_headers_found(project, drop, fixtures_dir):
    drop(project, "tmall_flagship", "unknown_export.csv", "ExportOrderList_2026-11-22.csv")
    report = pipeline.ingest(project)
    statuses = {o.path.name: o.status for o in report.outcomes}
    assert statuses == {"unknown_export.csv": "unrecognised", "ExportOrderList_2026-11-22.csv": "loaded"}
    (bad,) = [o for o in report.outcomes if o.status == "unrecognised"]
    assert "foo, bar, baz" in bad.message
    assert (project.inbox_dir / "tmall_flagship" / "_rejected" / "unknown_export.csv").exists()


def test_files_outside_the_inbox_need_a_shop_and_stay_in_place(project, tmp_path, drop, fixtures_dir):
    outside = tmp_path / "downloads"
    outside.mkdir()
    src = outside / "orders_export_2026-11-22.csv"
    src.write_bytes((fixtures_dir / "orders_export_2026-11-22.csv").read_bytes())
    (outcome,) = pipeline.ingest(project, [outside], shop_id="shopify_us").outcomes
    assert outcome.status == "loaded" and src.exists()


def test_a_file_is_loaded_whole_or_not_at_all(project, drop, fixtures_dir, monkeypatch):
    """A failure inside a file's transaction, after its rows were inserted, leaves no trace."""
    from flows.ingest import load

    real_parse = load.parse_frame  # where both readers (Python and DuckDB) end

    def parse_then_corrupt(*args, **kwargs):
        parsed = real_parse(*args, **kwargs)
        # a reject whose row number is not a number: its insert fails after the raw rows went in
        parsed.rejects.append({"source_row": "not-a-row", "column_name": "x", "raw_value": "y",
                               "reason": "z", "file_name": "f"})
        return parsed

    drop(project, "shopify_us", "orders_export_2026-11-22.csv")
    monkeypatch.setattr(load, "parse_frame", parse_then_corrupt)
    with pytest.raises(Exception):
        pipeline.ingest(project)
    assert rows(project, "select count(*) from raw_orders") == [(0,)]
    assert rows(project, "select count(*) from source_files") == [(0,)]
    assert (project.inbox_dir / "shopify_us" / "orders_export_2026-11-22.csv").exists(), \
        "the inbox file stays until its rows are committed"
    monkeypatch.setattr(load, "parse_frame", real_parse)
    (retry,) = pipeline.ingest(project).outcomes
    assert retry.status == "loaded" and rows(project, "select count(*) from raw_orders") == [(6,)]



def test_an_ingest_keeps_its_commits_in_the_log_and_a_killed_process_loses_none(tmp_path):
    """The ingest checkpoints less often than DuckDB's default of 16 MB of write-ahead log
    (load.INGEST_CHECKPOINT_THRESHOLD): it commits file by file, and each checkpoint writes the raw
    tables' last row groups again. Thirty Shopify exports of 4,000 lines stay in the log (31 MB), and a
    process that ends without closing the warehouse (as a killed one does) loses none of them."""
    from bench.synthetic import write_shopify

    settings = write_project(tmp_path)
    for day in range(1, 31):  # different bytes each: the sha256 check would call copies loaded already
        write_shopify(settings.inbox_dir / "shopify_us" / f"orders_export_2026-11-{day:02d}.csv", 4000 + day)
    root = Path(__file__).resolve().parents[2]
    code = f"""
import os, sys
sys.path.insert(0, {str(root)!r})
from flows.ingest.load import Ingestor
from flows.settings import load_settings
from flows.warehouse.db import connect
settings = load_settings({str(tmp_path / "shopreport.toml")!r})
con = connect(settings.warehouse_path)  # kept open: a connection let go of closes (and checkpoints)
report = Ingestor(con, settings, "salt").ingest_inbox()
print(report.count("loaded"), sum(o.rows_loaded for o in report.loaded), flush=True)
os._exit(0)  # no close: nothing checkpoints on the way out
"""
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=300)
    files, lines = map(int, done.stdout.split())

    log = settings.warehouse_path.with_name(settings.warehouse_path.name + ".wal")
    assert files == 30 and log.stat().st_size > 16 * 2**20  # over DuckDB's default and not checkpointed
    assert rows(settings, "select count(*), count(distinct source_file_id) from raw_orders") == [(lines, 30)]
    assert rows(settings, "select count(*) from source_files where status = 'loaded'") == [(30,)]
