"""The "why GMV moved" section: formatted effects, the narrative, and n/a with a reason."""

from __future__ import annotations

from flows.reports.context import build_daily_context


def test_bridge_rows_and_narrative_in_chinese(rpt_con, report_settings, rpt_facts):
    ctx = build_daily_context(rpt_con, report_settings, rpt_facts.report_date, "tmall_flagship")
    week, year = ctx.bridge.rows
    # 60,000 → 63,840 (+6.4 %); L = 3,840 / ln(1.064) ≈ 61,901
    # conversion 0.030 → 0.032: 61,901 × ln(32/30) ≈ +3,995 = 6.7 points of 60,000
    # AOV 200 → 190:            61,901 × ln(0.95)  ≈ −3,175 = 5.3 points
    # visitors 10,000 → 10,500: 61,901 × ln(1.05)  ≈ +3,020 = 5.0 points; 3,995 − 3,175 + 3,020 = 3,840
    assert week.comparison == "上周同期" and week.status == "ok"
    assert week.gmv_change == "+¥3,840.00 (+6.4%)"
    assert week.conversion == "+¥3,994.94 (+6.7)" and week.aov.endswith("(-5.3)")
    assert week.traffic.endswith("(+5.0)")
    assert ctx.bridge.headline == (
        "支付金额较上周同一天 +6.4%：转化率 +6.7% 拉动 6.7 个百分点，客单价 -5.0% 拖累 5.3 个百分点，"
        "访客数 +5.0% 拉动 5.0 个百分点；影响最大的是转化率。")
    assert year.status == "no_base_period" and "新店铺" in year.note and year.traffic == "–"


def test_bridge_narrative_in_english(rpt_con, report_settings, rpt_facts):
    ctx = build_daily_context(rpt_con, report_settings, rpt_facts.report_date, "tmall_flagship", "en")
    assert ctx.bridge.headline.startswith("GMV +6.4% vs same weekday last week: conversion +6.7% added 6.7 points")
    assert ctx.bridge.rows[1].note == "n/a: no data in the base period (e.g. a new shop)"


def test_no_bridge_rows_means_an_empty_section(rpt_con, report_settings, rpt_facts):
    ctx = build_daily_context(rpt_con, report_settings, rpt_facts.report_date, "us_store")
    assert ctx.bridge.rows == [] and ctx.bridge.headline == ""


def test_traffic_sources_get_their_own_bridge_rows(rpt_con, report_settings, rpt_facts):
    ctx = build_daily_context(rpt_con, report_settings, rpt_facts.report_date, "tmall_flagship")
    search, through_train = ctx.bridge.sources
    assert ctx.bridge.sources_title == "按流量来源（上周同期）"
    assert search.source == "手淘搜索" and search.gmv_change == "+¥350.00 (+35.0%)"
    assert search.traffic == "+¥162.84 (+16.3)"
    assert through_train.note.startswith("无法拆解") and through_train.traffic == "–"
    all_shops = build_daily_context(rpt_con, report_settings, rpt_facts.report_date, "all")
    assert all_shops.bridge.sources == [], "each platform has its own sources: none for all shops"
