"""The weekly report's context and templates on a small hand-made ``rpt_weekly_*`` warehouse.

The end-to-end checks on the real demo warehouse (GMV = the 7 daily GMVs, the PDF with its CJK
font, the flow and the send ledger) are in tests/flows/test_weekly_flow.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import pytest

from flows.reports.context import COMPARISONS, _tiles
from flows.reports.i18n import get_locale
from flows.reports.weekly import (
    build_weekly_context, iso_week_label, last_complete_week, parse_iso_week, weekly_subject,
)

WEEK = date(2026, 11, 16)  # Monday of 2026-W47

HEADLINE = """
create table rpt_weekly_headline (
    week_start date, iso_week varchar, scope_id varchar, scope_name varchar, currency varchar,
    metric varchar, metric_order integer, is_ratio boolean, higher_is_better boolean, value double,
    value_prev_week double, value_last_year double, change_prev_week double,
    change_last_year double, diff_prev_week double, diff_last_year double)
"""


@pytest.fixture
def weekly_con(tmp_path):
    """Only the headline and the trend exist: every other section is left out with a note.

    GMV ¥700,000 against ¥560,000 the week before (+25.0 %) and ¥800,000 in 2025-W47 (−12.5 %);
    conversion 3.0 % against 2.5 % (+0.5pp) and no value last year.
    """
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(HEADLINE)
    con.executemany("insert into rpt_weekly_headline values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        (WEEK, "2026-W47", "tmall_flagship", "天猫旗舰店", "CNY", "gmv", 1, False, True, 700_000,
         560_000, 800_000, 0.25, -0.125, 140_000, -100_000),
        (WEEK, "2026-W47", "tmall_flagship", "天猫旗舰店", "CNY", "conversion", 3, True, True, 0.03,
         0.025, None, 0.2, None, 0.005, None),
    ])
    con.execute("create table rpt_weekly_trend (week_start date, iso_week varchar, scope_id varchar, "
                "currency varchar, days_with_data integer, gmv double, net_sales double, "
                "refund_amount double, ad_cost double, visitors double, paying_buyers double)")
    con.execute("insert into rpt_weekly_trend values (?, '2026-W47', 'tmall_flagship', 'CNY', 7, "
                "700000, 650000, 50000, 80000, 20000, 600)", [WEEK])
    yield con
    con.close()


def test_iso_weeks():
    assert iso_week_label(date(2026, 11, 22)) == "2026-W47"
    assert parse_iso_week("2026-W47") == WEEK
    assert parse_iso_week("2026w47") == WEEK
    assert parse_iso_week("2021-W01") == date(2021, 1, 4)
    with pytest.raises(ValueError):
        parse_iso_week("2026-11-16")
    # Monday 23 Nov: last complete week is W47; on Sunday 22 Nov it is still W46
    assert last_complete_week(date(2026, 11, 23)) == WEEK
    assert last_complete_week(date(2026, 11, 22)) == WEEK - timedelta(days=7)


def test_the_weekly_context_compares_with_the_week_before_and_last_year(weekly_con, report_settings):
    ctx = build_weekly_context(weekly_con, report_settings, date(2026, 11, 19), "tmall_flagship")
    assert (ctx.week_start, ctx.week_end, ctx.iso_week) == (WEEK, date(2026, 11, 22), "2026-W47")
    assert ctx.title == "天猫旗舰店 周报"
    assert "2026-W47" in ctx.subtitle
    gmv = ctx.tile("gmv")
    assert gmv.value == "¥70.0万"
    assert [c.key for c in gmv.comparisons] == ["prev_week", "last_year"]
    prev, last_year = gmv.comparisons
    assert (prev.label, prev.base_date, prev.base_date_label) == ("环比", WEEK - timedelta(days=7), "2026-W46")
    assert (last_year.base_date, last_year.base_date_label) == (date(2025, 11, 17), "2025-W47")
    assert last_year.long_label == "去年同一 ISO 周（52周前）"
    assert (prev.delta, prev.tone, last_year.delta, last_year.tone) == ("+25.0%", "good", "-12.5%", "bad")
    conversion = ctx.tile("conversion")
    assert conversion.comparison("prev_week").delta == "+0.5个百分点"
    assert conversion.comparison("last_year").tone == "none"
    assert [c.date_label for c in ctx.comparison_legend] == ["2026-W46", "2025-W47"]
    assert weekly_subject(ctx) == "【周报】天猫旗舰店 2026-W47 支付金额 ¥70.0万 环比 +25%"
    # 12 weeks, one point per Monday, labelled by ISO week; weeks without a row are gaps
    assert len(ctx.trend) == 12 and ctx.trend[-1].day == WEEK
    assert [p.axis_label for p in ctx.trend[-2:]] == ["W46", "W47"]
    assert ctx.trend[-1].gmv == 700_000 and ctx.trend[0].gmv is None
    # the missing section tables are named, never a crash
    assert ctx.ad_campaigns == [] and ctx.buyers == [] and ctx.targets == []
    assert any("rpt_weekly_buyers" in note for note in ctx.notes)
    assert any("rpt_weekly_bridge" in note for note in ctx.notes)


def test_the_weekly_email_renders_in_english(weekly_con, report_settings):
    from flows.reports.render import render_weekly_email

    ctx = build_weekly_context(weekly_con, report_settings, WEEK, "tmall_flagship", "en")
    email = render_weekly_email(ctx)
    assert "Weekly report: 天猫旗舰店" in email.html and "2026-W47" in email.html
    assert "<svg" not in email.html and "cid:" in email.html and len(email.images) == 1
    assert "the same ISO week last year" in email.text
    assert "WoW +25.0%" in email.text


def test_daily_tiles_are_unchanged_by_the_comparisons_parameter():
    loc = get_locale("zh-CN")
    row = {"metric": "gmv", "is_ratio": False, "higher_is_better": True, "currency": "CNY",
           "value": 120_000, "value_prev_day": 100_000, "value_last_week": 110_000,
           "value_last_year": None, "change_prev_day": 0.2, "change_last_week": 1 / 11,
           "change_last_year": None, "diff_prev_day": 20_000, "diff_last_week": 10_000,
           "diff_last_year": None}
    day = date(2026, 11, 22)
    assert _tiles([row], loc, "CNY", day) == _tiles([row], loc, "CNY", day, COMPARISONS)
    (tile,) = _tiles([row], loc, "CNY", day)
    assert [(c.key, c.label, c.base_date_label) for c in tile.comparisons] == [
        ("prev_day", "环比", "11月21日"), ("last_week", "上周同期", "11月15日"), ("last_year", "同比", "11月23日")]


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_weekly_labels_exist_in_both_languages(language):
    loc = get_locale(language)
    for key in ("compare.prev_week", "compare_long.prev_week", "compare.last_year_week",
                "compare_long.last_year_week", "weekly.subject", "weekly.section.product_stages",
                "role.traffic_driver", "stage.decline"):
        assert loc.t(key)
