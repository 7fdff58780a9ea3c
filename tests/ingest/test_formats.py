"""Every built-in export profile on a hand-made file in the platform's real layout, loaded into a
real DuckDB warehouse once, then checked field by field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from flows import pipeline
from flows.warehouse.db import open_warehouse

from .conftest import EXPORTS, drop_file, write_project

FILES = {
    "tmall_flagship": ["ExportOrderList_tmall_short_2026-11-21.csv", "ExportOrderList_php_2026-11-22.csv",
                       "ExportOrderDetailList_2026-11-22.csv",
                       "【生意参谋平台】经营概况_2026-11-22_2026-11-22.xlsx",
                       "【生意参谋平台】商品_全部_2026-11-22_2026-11-22.xls", "商品报表_20261122_081500.csv"],
    "jd_pop": ["jd_orders_2026-11-22.csv", "jd_orders_new_2026-11-23.xlsx", "京准通_SKU_2026-11-22.csv"],
    "pdd_shop": ["pdd_orders_2026-11-22.csv", "推广-pdd_2026-11-21_2026-11-22.xlsx", "全站推广_2026-11-22.csv"],
    "douyin_shop": ["douyin_orders_2026-11-22.csv", "千川_计划_2026-11-22.csv"],
    "shopify_us": ["Campaign_report_utf16_2026-11-22.csv", "Meta-Ads-Campaigns-2026-11-22.csv",
                   "Meta_fr_2026-11-22.csv"],
}
EXPECTED_PROFILE = {
    "ExportOrderList_tmall_short_2026-11-21.csv": ("taobao_orders", "utf-8-sig", 3, 0),
    "ExportOrderList_php_2026-11-22.csv": ("taobao_orders", "gb18030", 3, 0),
    "ExportOrderDetailList_2026-11-22.csv": ("taobao_order_items", "gb18030", 3, 0),
    "【生意参谋平台】经营概况_2026-11-22_2026-11-22.xlsx": ("sycm_shop_overview", "xlsx", 1, 0),
    "【生意参谋平台】商品_全部_2026-11-22_2026-11-22.xls": ("sycm_product", "html/gb18030", 2, 0),
    "商品报表_20261122_081500.csv": ("alimama_product_report", "utf-8-sig", 3, 0),
    "jd_orders_2026-11-22.csv": ("jd_orders", "gb18030", 4, 0),
    "jd_orders_new_2026-11-23.xlsx": ("jd_orders", "xlsx", 2, 0),
    "京准通_SKU_2026-11-22.csv": ("jd_ads", "utf-8", 2, 1),
    "pdd_orders_2026-11-22.csv": ("pdd_orders", "utf-8-sig", 4, 0),
    "推广-pdd_2026-11-21_2026-11-22.xlsx": ("pdd_ads", "xlsx", 2, 0),
    "全站推广_2026-11-22.csv": ("pdd_ads", "utf-8", 2, 0),
    "douyin_orders_2026-11-22.csv": ("douyin_orders", "utf-8-sig", 4, 0),
    "千川_计划_2026-11-22.csv": ("qianchuan_ads", "utf-8", 2, 0),
    "Campaign_report_utf16_2026-11-22.csv": ("google_ads_campaign_day", "utf-16", 3, 0),
    "Meta-Ads-Campaigns-2026-11-22.csv": ("meta_ads_daily", "utf-8-sig", 3, 1),
    "Meta_fr_2026-11-22.csv": ("meta_ads_daily", "utf-8", 1, 0),
}


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    settings = write_project(tmp_path_factory.mktemp("formats"))
    for shop, names in FILES.items():
        for name in names:
            drop_file(settings, shop, EXPORTS / name)
    report = pipeline.ingest(settings)
    return settings, {o.path.name: o for o in report.outcomes}


def q(settings, sql, params=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.mark.parametrize("name", sorted(EXPECTED_PROFILE))
def test_each_file_is_recognised_decoded_and_reconciled(loaded, name):
    settings, outcomes = loaded
    outcome = outcomes[name]
    profile, encoding, rows_loaded, rows_rejected = EXPECTED_PROFILE[name]
    assert outcome.status == "loaded", outcome.line()
    assert (outcome.profile, outcome.rows_loaded, outcome.rows_rejected) == (profile, rows_loaded, rows_rejected)
    assert outcome.rows_read == outcome.rows_loaded + outcome.rows_rejected
    (got_encoding, read, loaded_n, rejected), = q(
        settings, "select encoding, rows_read, rows_loaded, rows_rejected from source_files where file_name = ?", [name])
    assert got_encoding == encoding and read == loaded_n + rejected
    assert q(settings, "select count(*) from rejects where file_name = ?", [name]) == [(rejected,)]


def test_tmall_short_variant_bom_crlf_trailing_spaces(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, paid_amount, refund_amount, strftime(created_at, '%Y-%m-%d %H:%M:%S'),
                                strftime(paid_at, '%Y-%m-%d %H:%M:%S'), status, currency
                         from raw_orders where shop_id = 'tmall_flagship' and order_id in ('1', '2', '3')
                         order by order_id""")
    assert got == [
        ("1", Decimal("0.00"), Decimal("0.00"), "2026-11-20 16:00:00", None, None, "CNY"),
        ("2", Decimal("21.00"), Decimal("21.00"), "2026-11-20 16:00:05", "2026-11-20 16:00:10", None, "CNY"),
        ("3", Decimal("37.00"), Decimal("0.00"), "2026-11-20 16:02:29", "2026-11-20 16:02:40", None, "CNY")]
    assert q(settings, "select coverage_start, coverage_end from source_files where file_name like '%tmall_short%'") \
        == [(dt.date(2026, 11, 21), dt.date(2026, 11, 21))]


def test_taobao_second_header_variant_gbk_with_guarded_ids(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, paid_amount, status, platform_status, quantity, product_name, refund_reason
                         from raw_orders where order_id like '38562012345678902%' order by order_id""")
    assert got == [
        ("3856201234567890200", Decimal("88.00"), "shipped", "卖家已发货，等待买家确认", 2, "羊毛围巾 秋冬款", None),
        ("3856201234567890201", Decimal("45.50"), "paid", "买家已付款,等待卖家发货", 1, "保温杯 500ml", None),
        ("3856201234567890202", Decimal("120.00"), "closed", "付款以后用户退款成功，交易自动关闭", 1, "手套", "退款")]
    buyers = [r[0] for r in q(settings, "select buyer_key from raw_orders where order_id like '38562012345678902%' "
                                        "order by order_id")]
    assert buyers[0] == buyers[2] != buyers[1] and all(len(b) == 32 for b in buyers)


def test_taobao_order_items_feed_their_own_table(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, line_id, sku, product_name, sku_properties, package_info, quantity,
                                unit_price, platform_status, currency from raw_order_items order by order_id, line_id""")
    assert got == [
        ("3856201234567890200", "1", "WJ-GRY", "羊毛围巾 秋冬款", "颜色分类：灰色", None, 1, Decimal("30.00"),
         "卖家已发货，等待买家确认", "CNY"),
        ("3856201234567890200", "2", "WJ-RED-L", "羊毛围巾 秋冬款", "颜色分类：红色;尺码：加大", None, 1, Decimal("58.00"),
         "卖家已发货，等待买家确认", "CNY"),
        ("3856201234567890201", "1", "BWB-500", "保温杯 500ml", "颜色分类：白", "套餐一", 1, Decimal("45.50"),
         "买家已付款，等待卖家发货", "CNY")]
    # the items of order …200 add up to what its 订单报表 line says was paid
    (items,), = q(settings, "select sum(unit_price * quantity) from raw_order_items where order_id = '3856201234567890200'")
    (paid,), = q(settings, "select paid_amount from raw_orders where order_id = '3856201234567890200'")
    assert items == paid


def test_jd_pop_order_lines_and_order_amount(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, line_id, sku, product_name, quantity, unit_price, order_paid_amount,
                                status, platform_status, strftime(paid_at, '%Y-%m-%d %H:%M:%S'),
                                strftime(completed_at, '%Y-%m-%d %H:%M:%S'), shipping_fee
                         from raw_orders where shop_id = 'jd_pop' and source_row > 0 order by order_id, line_id""")
    assert got[:4] == [
        ("301234567890", "1", "BWB-500", "保温杯 500ml", 2, Decimal("45.00"), Decimal("120.00"), "paid", "等待出库",
         "2026-11-22 02:00:20", None, Decimal("0.00")),
        ("301234567890", "2", "BS-01", "杯刷", 1, Decimal("30.00"), Decimal("120.00"), "paid", "等待出库",
         "2026-11-22 02:00:20", None, Decimal("0.00")),
        ("301234567891", "1", "BWB-500", "保温杯 500ml", 1, Decimal("45.00"), Decimal("45.00"), "completed", "完成",
         "2026-11-20 01:00:05", "2026-11-22 04:00:00", Decimal("0.00")),
        ("301234567892", "1", "WJ-01", "围巾", 1, Decimal("99.00"), Decimal("99.00"), "closed", "(删除)锁定",
         None, None, Decimal("0.00"))]
    # the newer, shorter export as .xlsx: typed numbers, Excel dates, a formula's cached value
    assert got[4:] == [
        ("301234567893", "1", "BWB-500", "保温杯 500ml", 1, None, None, "shipped", "等待确认收货",
         "2026-11-23 01:00:30", None, None),
        ("301234567894", "1", "LH-01", "礼盒", 2, None, None, "closed", "已取消", None, None, None)]
    assert q(settings, "select paid_amount from raw_orders where order_id = '301234567894'") == [(Decimal("90.00"),)]


def test_pdd_orders_yuan_headers_refunds_and_cancellations(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, sku, product_name, quantity, paid_amount, discount_amount, status,
                                platform_status, refund_amount, strftime(paid_at, '%Y-%m-%d %H:%M'),
                                strftime(shipped_at, '%Y-%m-%d %H:%M'), strftime(completed_at, '%Y-%m-%d %H:%M')
                         from raw_orders where shop_id = 'pdd_shop' order by order_id""")
    assert got == [
        ("261122-018696128123287", "HF-RED", "接考横幅", 1, Decimal("16.30"), Decimal("1.00"), "shipped",
         "已发货，待签收", None, "2026-11-22 04:00", "2026-11-22 07:00", None),
        ("261122-018696128123288", "HF-BLU", "接考横幅", 2, Decimal("35.60"), Decimal("0.00"), "completed", "已收货",
         Decimal("35.60"), "2026-11-20 04:00", "2026-11-20 07:00", "2026-11-22 01:00"),
        ("261122-018696128123289", None, "气球", 1, Decimal("9.90"), Decimal("0.00"), "closed", "已取消",
         Decimal("9.90"), "2026-11-22 05:00", None, None),
        ("261122-018696128123290", None, "气球", 2, Decimal("19.80"), Decimal("0.00"), "paid", "待发货", None,
         "2026-11-22 06:00", None, None)]


def test_douyin_orders_tabs_dashes_sub_orders_and_refunds(loaded):
    settings, _ = loaded
    got = q(settings, """select order_id, line_id, sku, product_name, quantity, paid_amount, status, refund_amount,
                                refund_reason, strftime(paid_at, '%Y-%m-%d %H:%M:%S'),
                                strftime(completed_at, '%Y-%m-%d %H:%M:%S')
                         from raw_orders where shop_id = 'douyin_shop' order by order_id, line_id""")
    assert got == [
        ("6917926768823643751", "6917926768823643751", "300400008", "辣丝丝", 1, Decimal("28.90"), "completed",
         Decimal("28.90"), None, "2026-11-19 16:54:10", "2026-11-22 05:18:29"),
        ("6917926768823643752", "6917926768823643752", "300400008", "辣丝丝", 1, Decimal("20.00"), "shipped",
         None, None, "2026-11-22 02:00:00", None),
        ("6917926768823643752", "69179267688236437529", "300400009", "赠品", 1, Decimal("0.00"), "closed",
         None, "主品订单售后完成", "2026-11-22 02:00:00", None),
        ("6917926768823643753", "6917926768823643753", "300400010", "辣丝丝", 2, Decimal("57.80"), "paid",
         None, None, "2026-11-22 13:00:00", None)]
    raw = settings.warehouse_path.read_bytes()
    assert "##密文".encode() not in raw and "吃了一包".encode() not in raw, "unmapped columns never enter the warehouse"


def test_sycm_shop_overview_xlsx_with_title_rows_and_day_from_title(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, source, sku, visitors, page_views, add_to_cart_users, order_buyers,
                                paying_buyers, paid_amount, round(bounce_rate, 4)
                         from raw_traffic where shop_id = 'tmall_flagship' and sku is null""")
    assert got == [(dt.date(2026, 11, 22), "all", None, 12345, 30001, 800, 340, 310, Decimal("123500.00"), 0.451)]


def test_sycm_product_html_saved_as_xls(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, source, sku, visitors, page_views, add_to_cart_users, paying_buyers,
                                paid_amount, round(bounce_rate, 4)
                         from raw_traffic where sku is not null order by sku""")
    assert got == [
        (dt.date(2026, 11, 22), "all", "612345678901", 1024, 2300, 88, 38, Decimal("3456.70"), 0.523),
        (dt.date(2026, 11, 22), "all", "612345678902", 512, 900, 60, 120, Decimal("12000.00"), 0.4)]


def test_alimama_product_report_day_from_file_name(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, channel, campaign_id, campaign, impressions, clicks, cost,
                                attributed_revenue, attribution_window
                         from raw_ad_spend where channel = 'alimama_product' order by source_row""")
    assert got == [
        (dt.date(2026, 11, 22), "alimama_product", "30001 / 612345678901", "品牌词-精准 / 羊毛围巾 秋冬款", 8000, 300,
         Decimal("600.50"), Decimal("3000.00"), "15d click"),
        (dt.date(2026, 11, 22), "alimama_product", "30001 / 612345678902", "品牌词-精准 / 保温杯 500ml", 4000, 180,
         Decimal("360.00"), Decimal("1000.00"), "15d click"),
        (dt.date(2026, 11, 22), "alimama_product", "30003 / 612345678901", "全站推-爆款 / 羊毛围巾 秋冬款", 12000, 420,
         Decimal("1050.00"), Decimal("4300.00"), "15d click")]


def test_jd_ads_compact_dates_and_a_range_row_rejected(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, campaign_id, campaign, impressions, clicks, cost, attributed_orders,
                                attributed_revenue from raw_ad_spend where channel = 'jd_ads' order by campaign_id""")
    assert got == [(dt.date(2026, 11, 22), "100012345678", "保温杯 500ml", 8328, 330, Decimal("33.49"), 3.0,
                    Decimal("135.00")),
                   (dt.date(2026, 11, 22), "100012345680", "围巾", 1200, 40, Decimal("12.00"), 0.0, Decimal("0.00"))]
    assert q(settings, "select source_row, column_name, raw_value from rejects where file_name like '京准通%'") == [
        (4, "日期", "20261101~20261122")]


def test_pdd_ads_title_row_total_row_and_shop_level_layout(loaded):
    settings, outcomes = loaded
    got = q(settings, """select business_date, campaign_id, campaign, impressions, clicks, cost, attributed_orders,
                                attributed_revenue from raw_ad_spend where channel = 'pdd_ads'
                         order by campaign_id, business_date""")
    assert got == [
        (dt.date(2026, 11, 21), "754299529443 / 接考横幅", "接考横幅", 6000, 500, Decimal("80.00"), None, Decimal("500.00")),
        (dt.date(2026, 11, 22), "754299529443 / 接考横幅", "接考横幅", 7677, 624, Decimal("102.12"), None,
         Decimal("701.07")),
        (dt.date(2026, 11, 21), "全站推广", "全站推广", 9000, 700, Decimal("88.00"), 12.0, Decimal("600.00")),
        (dt.date(2026, 11, 22), "全站推广", "全站推广", 9500, 720, Decimal("95.50"), 13.0, Decimal("650.50"))]
    assert q(settings, "select summary_rows from source_files where file_name like '推广-pdd%'") == [(1,)], \
        "the 总计 row is a summary: counted apart, not loaded (else the spend doubles)"


def test_qianchuan_guessed_layout_skips_the_period_total(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, campaign_id, campaign, impressions, clicks, cost, attributed_orders,
                                attributed_revenue from raw_ad_spend where channel = 'qianchuan' order by business_date""")
    assert got == [
        (dt.date(2026, 11, 21), "1780000000000001", "辣丝丝-直播间", 60000, 1200, Decimal("500.00"), 30.0, Decimal("2000.00")),
        (dt.date(2026, 11, 22), "1780000000000001", "辣丝丝-直播间", 90000, 1800, Decimal("800.00"), 50.0, Decimal("3200.00"))]


def test_google_ads_utf16_tab_separated_with_dollars_percent_and_dashes(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, campaign_id, campaign, impressions, clicks, cost, attributed_orders,
                                attributed_revenue, currency
                         from raw_ad_spend where channel = 'google_ads' order by business_date, campaign_id""")
    assert got == [
        (dt.date(2026, 11, 21), "18000001", "Brand - Search", 1000, 62, Decimal("123.40"), 3.0, Decimal("456.00"), "USD"),
        (dt.date(2026, 11, 22), "18000001", "Brand - Search", 1250, 80, Decimal("1234.56"), 5.5, Decimal("2000.00"),
         "USD"),
        (dt.date(2026, 11, 22), "18000002", "Shopping - All", 0, 0, Decimal("0.00"), None, None, "USD")]
    assert q(settings, "select summary_rows from source_files where file_name like 'Campaign_report_utf16%'") == [(2,)]


def test_meta_ads_currency_from_the_header_and_one_day_rows(loaded):
    settings, _ = loaded
    got = q(settings, """select business_date, campaign_id, impressions, clicks, cost, attributed_orders,
                                attributed_revenue, attribution_window, currency
                         from raw_ad_spend where channel = 'meta_ads' order by currency desc, business_date, campaign_id""")
    assert got == [
        (dt.date(2026, 11, 21), "Winter Sale - Prospecting", 6200, 88, Decimal("49.40"), 4.0, Decimal("312.00"),
         "7-day click or 1-day view", "USD"),
        (dt.date(2026, 11, 22), "Retargeting, \"cart\"", 1350, 12, Decimal("15.25"), None, None,
         "7-day click or 1-day view", "USD"),
        (dt.date(2026, 11, 22), "Winter Sale - Prospecting", 7150, 97, Decimal("60.00"), 6.0, Decimal("480.50"),
         "7-day click or 1-day view", "USD"),
        # the French export: `;` separators, a decimal comma, EUR from "Montant dépensé (EUR)"
        (dt.date(2026, 11, 22), "Soldes hiver", 5000, 60, Decimal("42.50"), None, None, None, "EUR")]
    (reject,) = q(settings, "select source_row, column_name, raw_value, reason from rejects "
                             "where file_name = 'Meta-Ads-Campaigns-2026-11-22.csv'")
    assert reject[:3] == (5, "Reporting ends", "2026-11-22") and "one day" in reject[3]
