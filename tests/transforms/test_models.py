"""The transforms on hand-made exports: snapshots, refund dating, allocation, time zones, fx.

Expected values are worked out by hand from tests/fixtures/exports/ in the comments.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from flows import pipeline
from flows.settings import load_settings
from flows.warehouse.build import LAYERS, TRANSFORMS_DIR, BuildFailed, load_models
from flows.warehouse.db import open_warehouse

D = dt.date


@pytest.fixture(scope="module")
def built_once(new_project, drop, tmp_path_factory) -> Path:
    """Both shops' fixture exports ingested in two morning runs, then the warehouse built: the
    project folder, made once for this module (tests use their own copy, ``built``)."""
    folder = tmp_path_factory.mktemp("built")
    project = new_project(folder)
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv",
         "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv", "计划报表_20261123_073000.csv")
    drop(project, "shopify_us", "orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
         "sessions_over_time_2026-11-22.csv")
    pipeline.ingest(project)
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-23.csv")
    pipeline.ingest(project)
    pipeline.build_warehouse(project)
    return folder


@pytest.fixture
def built(built_once, tmp_path):
    """This test's own copy of the built project (a test may change its warehouse); its Settings."""
    shutil.copytree(built_once, tmp_path / "built")
    return load_settings(tmp_path / "built" / "shopreport.toml")


def q(settings, sql, params=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_model_has_a_documented_yml_and_builds_in_layer_order():
    models = load_models()
    assert [m.layer for m in models] == sorted((m.layer for m in models), key=LAYERS.index)
    for m in models:
        assert m.doc.get("grain"), f"{m.path}: the .yml needs a grain"
        assert m.doc.get("checks", {}).get("fail"), f"{m.path}: the .yml needs fail checks"
        for column, doc in (m.doc.get("columns") or {}).items():
            if isinstance(doc, dict):  # a glossary entry: a label and a definition in every language
                for part in ("label", "definition"):
                    texts = doc.get(part) or {}
                    assert set(texts) == {"zh-CN", "en"}, f"{m.path}: {column}.{part}"
                    assert all(isinstance(t, str) and t.strip() for t in texts.values()), f"{m.path}: {column}.{part}"
            else:
                assert isinstance(doc, str) and doc.strip(), f"{m.path}: {column}"
        assert m.name.startswith({"staging": "stg_", "intermediate": "int_", "marts": ("fct_", "dim_"),
                                  "reports": "rpt_"}[m.layer])


@pytest.mark.slow
def test_sql_follows_the_house_style():
    bin_dir = Path(sys.executable).parent
    result = subprocess.run([str(bin_dir / "sqlfluff"), "lint", str(TRANSFORMS_DIR)],
                            capture_output=True, text=True, cwd=TRANSFORMS_DIR.parent)
    assert result.returncode == 0, result.stdout[-3000:]


def test_latest_snapshot_wins(built):
    # order …125 was 买家已付款 on 11-22 and 交易成功 with 30.00 refunded in the 11-23 export
    assert q(built, "select status, refund_amount from fct_order_lines where order_id = '3856201234567890125'") == [
        ("completed", Decimal("30.00"))]


def test_refund_dating_rules(built):
    got = q(built, "select order_id, refund_amount, refund_date, refund_date_basis from fct_refunds "
                   "where shop_id = 'tmall_flagship' order by refund_date")
    assert got == [
        # already refunded when first seen: dated by its latest event, payment 2026-11-20 09:01 Beijing
        ("3856201234567890126", Decimal("199.00"), D(2026, 11, 20), "latest order event"),
        # appears in the 11-23 export, the first export after the line's first one: dated 11-23
        ("3856201234567890125", Decimal("30.00"), D(2026, 11, 23), "first export showing it"),
    ]


def test_order_level_amounts_are_allocated_to_lines_to_the_cent(built):
    got = q(built, "select order_id, line_id, paid_amount, refund_amount from fct_order_lines "
                   "where shop_id = 'shopify_us' order by order_id, line_id")
    assert got == [
        # #1001: Total 61.00 over lines worth 2 × 15.00 and 20.00 (60 % / 40 %); refunded 20.00
        ("#1001", "1", Decimal("36.60"), Decimal("12.00")),
        ("#1001", "2", Decimal("24.40"), Decimal("8.00")),
        # #1002: pending, never paid (Total 12.00 is still allocated, but it is not GMV)
        ("#1002", "1", Decimal("12.00"), Decimal("0.00")),
        # #1003: 10.00 over three equal lines: 3.33 + 3.33 + the remainder 3.34
        ("#1003", "1", Decimal("3.33"), Decimal("0.00")),
        ("#1003", "2", Decimal("3.33"), Decimal("0.00")),
        ("#1003", "3", Decimal("3.34"), Decimal("0.00")),
    ]


def test_business_dates_follow_each_shop_time_zone(built):
    # #1001 was paid 2026-11-22 21:30 in New York, which is already 11-23 in UTC and Beijing
    assert q(built, "select paid_date from fct_order_lines where order_id = '#1001' and line_id = '1'") == [
        (D(2026, 11, 22),)]
    # …123 was paid 00:00:10 on 11-22 in Beijing (16:00 on 11-21 UTC), created on 11-21
    assert q(built, "select created_date, paid_date from fct_order_lines where order_id = '3856201234567890123'") == [
        (D(2026, 11, 21), D(2026, 11, 22))]


def test_shop_daily_metrics_and_identity(built):
    row = q(built, """select gmv, paying_buyers, visitors, conversion, aov, refund_amount, net_sales, ad_cost,
                             attributed_revenue, roas, order_buyers, add_to_cart_users
                      from fct_shop_daily where shop_id = 'tmall_flagship' and business_date = '2026-11-22'""")[0]
    gmv, buyers, visitors, conversion, aov, refunds, net, cost, attributed, roas, order_buyers, carts = row
    # paid on 11-22 (Beijing): …123 1234.50 and …125 99.00, both by tb_alice: one paying buyer
    assert (gmv, buyers) == (Decimal("1333.50"), 1)
    assert visitors == 1234 + 800 and carts == 120 + 60
    assert conversion == pytest.approx(1 / 2034) and aov == pytest.approx(1333.50)
    assert float(gmv) == pytest.approx(visitors * conversion * aov, abs=0.005)
    assert (refunds, net) == (Decimal("0.00"), Decimal("1333.50"))
    assert (cost, attributed) == (Decimal("3960.50"), Decimal("9300.00"))
    assert roas == pytest.approx(9300 / 3960.50)
    # created on 11-22: …124 (tb_bob, unpaid) and …125 (tb_alice)
    assert order_buyers == 2
    refund_day = q(built, "select gmv, refund_amount, net_sales from fct_shop_daily "
                          "where shop_id = 'tmall_flagship' and business_date = '2026-11-20'")
    assert refund_day == [(Decimal("199.00"), Decimal("199.00"), Decimal("0.00"))]


def test_all_shops_scope_converts_to_the_reporting_currency(built):
    # 11-22: Tmall 1333.50 CNY; Shopify #1001 61.00 + #1003 10.00 = 71.00 USD at 7.2 = 511.20 CNY
    row = q(built, "select currency, gmv, paying_buyers, visitors from fct_scope_daily "
                   "where scope_id = 'all' and business_date = '2026-11-22'")
    assert row == [("CNY", Decimal("1844.70"), 3, 2034 + 1050)]
    shopify = q(built, "select currency, gmv from fct_scope_daily where scope_id = 'shopify_us' "
                       "and business_date = '2026-11-22'")
    assert shopify == [("USD", Decimal("71.00"))]


def test_headline_comparisons(built):
    row = q(built, "select value, value_prev_day, change_prev_day, value_last_week from rpt_daily_headline "
                   "where scope_id = 'tmall_flagship' and business_date = '2026-11-23' and metric = 'refund_amount'")
    # refunds: 30.00 on 11-23, nothing on 11-22; no data 7 days back
    assert row == [(30.0, 0.0, None, None)]


def test_a_failing_check_leaves_the_warehouse_as_it_was(built, tmp_path):
    before = q(built, "select count(*), sum(gmv) from fct_shop_daily")
    broken = tmp_path / "transforms"
    for layer in LAYERS:
        (broken / layer).mkdir(parents=True)
        for f in (TRANSFORMS_DIR / layer).iterdir():
            (broken / layer / f.name).write_bytes(f.read_bytes())
    yml = broken / "marts" / "fct_shop_daily.yml"
    yml.write_text(yml.read_text(encoding="utf-8").replace("- unique: [business_date, shop_id]",
                                                           "- expression: gmv < 0"), encoding="utf-8")
    from flows.warehouse.build import build
    with open_warehouse(built.warehouse_path) as con, pytest.raises(BuildFailed, match="gmv < 0"):
        build(con, built, root=broken)
    assert q(built, "select count(*), sum(gmv) from fct_shop_daily") == before


def test_a_product_breakdown_of_ad_spend_is_not_counted_twice(project, drop, fixtures_dir):
    """The 直通车 product report splits the plan report's money: with both loaded for a day the
    shop's ad cost is the plan report's; without the plan report, the product rows count."""
    import csv
    import io

    product_file = "商品报表_20261122_081500.csv"
    text = (fixtures_dir / product_file).read_bytes().decode("utf-8-sig")
    product_cost = sum(Decimal(r["花费"].replace(",", "")) for r in csv.DictReader(io.StringIO(text)))
    drop(project, "tmall_flagship", product_file)
    pipeline.ingest(project)
    pipeline.build_warehouse(project)
    day = "select ad_cost from fct_shop_daily where shop_id = 'tmall_flagship' and business_date = '2026-11-22'"
    assert q(project, day) == [(product_cost,)]
    drop(project, "tmall_flagship", "计划报表_20261123_073000.csv")  # plan rows for 2026-11-22
    pipeline.ingest(project)
    pipeline.build_warehouse(project)
    assert q(project, day) == [(Decimal("3960.50"),)]  # 960.50 + 3000.00, the plan report only
    assert q(project, "select count(*) from fct_ad_spend_daily where not counts_in_shop_total") == [
        (q(project, "select count(*) from fct_ad_spend_daily where channel = 'alimama_product'")[0][0],)]


@pytest.mark.parametrize("ceiling", ["256MB", "1GB", "100MB", "1MB"])
def test_an_incremental_builds_memory_limit_grows_with_the_new_rows_up_to_its_ceiling(ceiling):
    import duckdb

    from flows.settings import size_bytes
    from flows.warehouse.build import sized_memory_limit

    rows = [0, 1, 22_000, 57_800, 200_000, 574_000, 10_000_000]
    limits = [sized_memory_limit(ceiling, n) for n in rows]
    sizes = [size_bytes(limit) for limit in limits]
    assert sizes == sorted(sizes)  # more rows, never less memory
    assert all(size <= size_bytes(ceiling) for size in sizes)
    assert limits[-1] == ceiling  # a big morning gets the whole ceiling
    # a small morning gets the floor (128 MiB) when the ceiling leaves room for it, and every
    # row added asks for more
    if size_bytes(ceiling) > 150 * 1024**2:
        assert sizes[0] == 128 * 1024**2 and sizes[2] > sizes[0]
    con = duckdb.connect()
    for limit, size in zip(limits, sizes):
        con.execute(f"set memory_limit = '{limit}'")  # a size DuckDB takes as it is
        assert abs(size_bytes(con.execute("select current_setting('memory_limit')").fetchall()[0][0]) - size) < 1024**2
