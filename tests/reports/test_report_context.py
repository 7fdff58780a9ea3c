"""build_daily_context reads the rpt_ fixture tables into a formatted, typed context."""

from datetime import date

import duckdb
import pytest

from flows.reports.context import ReportDataError, build_daily_context
from flows.settings import ConfigError

REPORT_DATE = date(2026, 11, 22)  # the fixture's report day (tests/conftest.py)


@pytest.fixture
def shop_ctx(rpt_con, report_settings, glossary_dir):
    return build_daily_context(rpt_con, report_settings, REPORT_DATE, "tmall_flagship",
                               transforms_dir=glossary_dir)


@pytest.fixture
def all_ctx_en(rpt_con, report_settings, glossary_dir):
    return build_daily_context(rpt_con, report_settings, REPORT_DATE, "all", "en",
                               transforms_dir=glossary_dir)


def test_header(shop_ctx):
    assert shop_ctx.scope_name == "天猫旗舰店"
    assert shop_ctx.language == "zh-CN"  # from the settings
    assert shop_ctx.currency == "CNY"
    assert shop_ctx.date_label == "2026年11月22日 周日"
    assert [c.date_label for c in shop_ctx.comparison_legend] == [
        "2026年11月21日 周六", "2026年11月15日 周日", "2025年11月23日 周日"]


def test_tiles_in_metric_order(shop_ctx):
    assert [t.metric for t in shop_ctx.tiles] == [
        "gmv", "visitors", "conversion", "aov", "paying_buyers", "refund_amount", "net_sales",
        "ad_cost", "roas"]
    assert [t.label for t in shop_ctx.tiles][:3] == ["支付金额", "访客数", "支付转化率"]


def test_gmv_tile(shop_ctx):
    gmv = shop_ctx.tile("gmv")
    assert gmv.value == "¥12.3万"
    assert gmv.number == pytest.approx(123_456.78)
    prev, week, year = gmv.comparisons
    assert (prev.label, prev.delta, prev.tone, prev.arrow) == ("环比", "+4.6%", "good", "▲")
    assert (week.label, week.delta, week.tone, week.delta_compact) == ("上周同期", "+8.0%", "good", "+8%")
    assert (year.label, year.delta, year.tone, year.base_value) == ("同比", "–", "none", "–")


def test_ratio_metric_in_percentage_points(shop_ctx):
    conversion = shop_ctx.tile("conversion")
    assert conversion.value == "3.21%"
    prev, week, _ = conversion.comparisons
    assert (prev.delta, prev.tone) == ("+0.4个百分点", "good")
    assert (week.delta, week.tone) == ("0.0个百分点", "flat")


def test_lower_is_better_and_neutral(shop_ctx):
    refunds = shop_ctx.tile("refund_amount")
    assert refunds.value == "¥5,432.10"
    assert refunds.comparison("prev_day").tone == "bad"  # refunds went up
    ad_cost = shop_ctx.tile("ad_cost")
    assert ad_cost.comparison("prev_day").tone == "neutral"  # higher_is_better is null
    roas = shop_ctx.tile("roas")
    assert (roas.value, roas.comparison("prev_day").delta) == ("2.10", "-0.30")
    assert roas.comparison("prev_day").tone == "bad"


def test_trend_is_30_days_with_gaps(shop_ctx):
    assert len(shop_ctx.trend) == 30
    assert shop_ctx.trend[0].day == date(2026, 10, 24)
    assert shop_ctx.trend[-1].day == REPORT_DATE
    assert shop_ctx.trend[-1].gmv == pytest.approx(123_456.78)
    gaps = [p.day for p in shop_ctx.trend if p.gmv is None]
    assert gaps == [date(2026, 11, 1), date(2026, 11, 2)]


def test_funnel(shop_ctx):
    assert [(s.label, s.users, s.rate_from_previous, s.rate_from_top) for s in shop_ctx.funnel] == [
        ("访客", "8,000", "–", "100.00%"),
        ("加购人数", "1,200", "15.00%", "15.00%"),
        ("下单买家数", "300", "25.00%", "3.75%"),
        ("支付买家数", "257", "85.67%", "3.21%"),
    ]
    assert shop_ctx.funnel[0].bar_percent == 100.0


def test_shop_tables(shop_ctx, rpt_facts):
    [traffic] = shop_ctx.traffic_sources
    assert [r.source for r in traffic.rows] == ["搜索", "推荐", "直接访问", "付费推广"]
    [ads] = shop_ctx.ad_campaigns
    assert [(r.campaign, r.roas, r.is_below_breakeven, r.flag) for r in ads.rows] == [
        ("双11爆款拉新", "3.00", False, ""), ("清仓计划", "1.50", True, "低于保本")]
    [top] = shop_ctx.top_products
    assert top.rows[0].product_name == rpt_facts.script_title  # raw text; the templates escape it
    assert shop_ctx.refunds.refund_rate == "4.40%"


def test_all_shops_lists_per_shop_tables_per_shop(all_ctx_en):
    ctx = all_ctx_en
    assert ctx.scope_name == "All shops" and ctx.is_all_shops
    assert [g.shop_name for g in ctx.ad_campaigns] == ["天猫旗舰店", "US Store"]
    us_ads = ctx.ad_campaigns[1].rows[0]
    assert (us_ads.cost, us_ads.attributed_revenue) == ("$200.00", "$900.00")
    assert [g.shop_id for g in ctx.top_products] == ["tmall_flagship", "us_store"]
    # per-shop money in the shop's own currency (the tables carry no currency column)
    assert ctx.traffic_sources[1].rows[0].paid_amount == "$1,700"
    assert ctx.tile("gmv").value == "¥1,240,345"
    assert ctx.tile("gmv").comparison("last_year").delta == "n/a"


def test_data_quality(shop_ctx, all_ctx_en):
    dq = shop_ctx.data_quality
    assert "run-20261123T060000" in dq.run_text and "2026-11-23 06:01" in dq.run_text
    assert [f.file_name for f in dq.files] == ["生意参谋_流量_20261122.xlsx", "订单报表_20261122.csv"]
    assert dq.has_rejects and not dq.is_clean
    assert dq.files[1].rows_rejected == "2"
    assert dq.missing == []  # us_store's traffic is missing, not this shop's
    assert [m.text for m in all_ctx_en.data_quality.missing] == ["US Store: traffic"]
    assert len(all_ctx_en.data_quality.files) == 3


def test_glossary(shop_ctx):
    assert [g.term for g in shop_ctx.glossary] == ["支付金额", "成功退款金额", "投入产出比"]


def test_a_day_without_data_does_not_crash(rpt_con, report_settings, glossary_dir):
    ctx = build_daily_context(rpt_con, report_settings, date(2026, 12, 25), "tmall_flagship",
                              transforms_dir=glossary_dir)
    assert not ctx.has_data and ctx.tiles == []
    assert all(p.gmv is None for p in ctx.trend)
    assert ctx.funnel == [] and ctx.ad_campaigns == [] and not ctx.refunds.available
    assert ctx.refunds.refund_rate == "–"


def test_unknown_shop(rpt_con, report_settings):
    with pytest.raises(ConfigError, match="nosuchshop"):
        build_daily_context(rpt_con, report_settings, REPORT_DATE, "nosuchshop")


def test_missing_report_table_names_it(tmp_path, report_settings, rpt_facts):
    path = rpt_facts.build(tmp_path / "w.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("drop table rpt_daily_funnel")
        with pytest.raises(ReportDataError, match="rpt_daily_funnel"):
            build_daily_context(con, report_settings, REPORT_DATE, "tmall_flagship")


def test_a_broken_model_doc_leaves_the_glossary_out_and_says_so(rpt_con, report_settings, tmp_path):
    (tmp_path / "marts").mkdir()
    (tmp_path / "marts" / "fct_x.yml").write_text(
        "columns:\n  gmv:\n    label: {zh-CN: 支付金额, en: GMV}\n"
        "    definition: {zh-CN: 定义, en: paid lines, by paid date}\n", encoding="utf-8")
    ctx = build_daily_context(rpt_con, report_settings, REPORT_DATE, "tmall_flagship",
                              transforms_dir=tmp_path)
    assert ctx.glossary == [] and ctx.has_data
    [note] = ctx.data_quality.notes
    assert "fct_x.yml" in note and "columns.gmv.definition" in note
    assert not ctx.data_quality.is_clean
