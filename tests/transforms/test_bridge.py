"""The sales bridge (rpt_daily_bridge): effects add up exactly to the change; zero cases say n/a."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from hypothesis import example, given, settings, strategies as st

from flows.warehouse.build import load_models

# the models between fct_scope_daily and the bridges, in build order
CHAIN = [m for m in load_models() if m.name in (
    "fct_scope_periods", "dim_period_comparisons", "rpt_period_bridge", "rpt_daily_bridge",
    "rpt_weekly_bridge", "rpt_daily_source_bridge")]
DAY = dt.date(2026, 11, 22)  # a Sunday: the ISO week 2026-W47 starts on 2026-11-16


def fct_scope_daily(rows, source_rows=()) -> duckdb.DuckDBPyConnection:
    """A one-shop fct_scope_daily from (date, visitors, buyers, gmv) rows, its traffic sources from
    (date, source, visitors, buyers, sales) rows, and the bridge models on them."""
    con = duckdb.connect()
    con.execute("create table fct_scope_daily (business_date date, scope_id varchar, scope_name varchar, "
                "currency varchar, visitors bigint, add_to_cart_users bigint, order_buyers bigint, "
                "paying_buyers bigint, refund_events bigint, gmv decimal(18, 2), conversion double, "
                "aov double, refund_amount decimal(18, 2), net_sales decimal(18, 2), "
                "ad_cost decimal(18, 2), attributed_revenue decimal(18, 2), roas double)")
    for day, visitors, buyers, gmv in rows:
        con.execute("insert into fct_scope_daily (business_date, scope_id, scope_name, currency, visitors, "
                    "paying_buyers, order_buyers, refund_events, gmv, refund_amount, ad_cost, attributed_revenue) "
                    "values (?, 's', 's', 'CNY', ?, ?, ?, 0, ?, 0, 0, 0)", [day, visitors, buyers, buyers, gmv])
    con.execute("create table dim_shops as select 's' as shop_id, 'CNY' as currency")
    con.execute("create table fct_traffic_daily (shop_id varchar, business_date date, source varchar, "
                "visitors bigint, paying_buyers bigint, paid_amount decimal(18, 2))")
    for day, source, visitors, buyers, paid in source_rows:
        con.execute("insert into fct_traffic_daily values ('s', ?, ?, ?, ?, ?)", [day, source, visitors, buyers, paid])
    for model in CHAIN:
        con.execute(f"create table {model.name} as {model.sql}")
    return con


def bridge(rows: list[tuple[dt.date, float | None, float | None]]) -> dict[str, dict]:
    """rpt_daily_bridge for DAY on a one-shop fct_scope_daily of (date, visitors, buyers, gmv) rows."""
    con = fct_scope_daily(rows)
    result = con.execute("select * from rpt_daily_bridge where business_date = ?", [DAY])
    names = [d[0] for d in result.description]
    return {r[names.index("comparison")]: dict(zip(names, r)) for r in result.fetchall()}


@settings(max_examples=150, deadline=None)
@given(
    visitors=st.tuples(st.integers(1, 2_000_000), st.integers(1, 2_000_000)),
    buyers=st.tuples(st.integers(1, 50_000), st.integers(1, 50_000)),
    cents=st.tuples(st.integers(1, 10**11), st.integers(1, 10**11)),
)
@example(visitors=(1, 1), buyers=(1, 1), cents=(99_999_018_169, 99_999_262_020))  # two close, large GMVs
def test_effects_add_up_exactly_to_the_change(visitors, buyers, cents):
    gmv = [c / 100 for c in cents]
    rows = bridge([(DAY - dt.timedelta(days=7), visitors[0], buyers[0], gmv[0]),
                   (DAY, visitors[1], buyers[1], gmv[1])])
    week = rows["last_week"]
    assert week["bridge_status"] == "ok"
    total = week["traffic_effect"] + week["conversion_effect"] + week["aov_effect"]
    assert total == pytest.approx(gmv[1] - gmv[0], rel=1e-9, abs=1e-6)
    # each effect has the sign of its factor's move
    assert math.copysign(1, week["traffic_effect"]) == math.copysign(1, visitors[1] - visitors[0]) \
        or visitors[1] == visitors[0]
    assert rows["prev_day"]["bridge_status"] == "no_base_period"


def test_unchanged_gmv_with_shifting_factors_still_balances():
    # same GMV 1000 on both days: visitors up 25 %, conversion down 20 %, AOV unchanged
    rows = bridge([(DAY - dt.timedelta(days=1), 1000, 10, 1000.0), (DAY, 1250, 10, 1000.0)])
    b = rows["prev_day"]
    assert b["gmv_change"] == 0
    assert b["traffic_effect"] == pytest.approx(1000 * math.log(1.25))
    assert b["conversion_effect"] == pytest.approx(1000 * math.log(0.8))
    assert b["aov_effect"] == pytest.approx(0)


@pytest.mark.parametrize("base, today, status", [
    ((0, 0, 0.0), (100, 2, 50.0), "no_traffic"),        # no visitors on the base day
    ((100, 0, 0.0), (100, 2, 50.0), "no_sales_base"),   # visitors but no sales on the base day
    ((100, 2, 50.0), (100, 0, 0.0), "no_sales"),        # no sales today: ln(0) has no value
    ((None, 2, 50.0), (100, 2, 50.0), "no_traffic"),    # the traffic export is missing
])
def test_zero_and_missing_cases_give_no_split(base, today, status):
    rows = bridge([(DAY - dt.timedelta(days=364), *base), (DAY, *today)])
    b = rows["last_year"]
    assert b["bridge_status"] == status
    assert b["traffic_effect"] is None and b["conversion_effect"] is None and b["aov_effect"] is None


def test_a_new_shop_has_no_base_day():
    rows = bridge([(DAY, 100, 2, 50.0)])
    assert {c: r["bridge_status"] for c, r in rows.items()} == {
        "prev_day": "no_base_period", "last_week": "no_base_period", "last_year": "no_base_period"}


def test_weekly_bridge_sums_days_and_splits_the_week():
    # week 2026-W46 (11-09…11-15): 7 days of 1,000 visitors, 20 buyers, 2,000.00
    # week 2026-W47 (11-16…11-22): 7 days of 1,100 visitors, 20 buyers, 2,100.00
    before = [(dt.date(2026, 11, 9) + dt.timedelta(days=i), 1000, 20, 2000.0) for i in range(7)]
    after = [(dt.date(2026, 11, 16) + dt.timedelta(days=i), 1100, 20, 2100.0) for i in range(7)]
    con = fct_scope_daily(before + after)
    (row,) = con.execute("select iso_week, bridge_status, gmv_base, gmv, traffic_effect, conversion_effect, "
                         "aov_effect from rpt_weekly_bridge where week_start = '2026-11-16' "
                         "and comparison = 'prev_week'").fetchall()
    iso_week, status, base, gmv, traffic, conversion, aov = row
    assert (iso_week, status, base, gmv) == ("2026-W47", "ok", 14000.0, 14700.0)
    # buyers flat: visitors +10 % and conversion −1/11 cancel in buyers; AOV +5 % is the whole change
    weight = 700 / math.log(14700 / 14000)
    assert traffic == pytest.approx(weight * math.log(1.1))
    assert conversion == pytest.approx(weight * math.log(1 / 1.1))
    assert aov == pytest.approx(700.0)


def test_each_traffic_source_gets_its_own_exact_bridge():
    # 手淘搜索: 500 → 600 visitors, 10 → 15 buyers, 1,000 → 1,350 sales; 直通车 has no base day
    base, day = DAY - dt.timedelta(days=7), DAY
    con = fct_scope_daily([(base, 500, 10, 1000.0), (day, 700, 17, 1650.0)], [
        (base, "手淘搜索", 500, 10, 1000.0), (day, "手淘搜索", 600, 15, 1350.0),
        (day, "直通车", 100, 2, 300.0)])
    rows = {r[0]: r[1:] for r in con.execute(
        "select source, bridge_status, gmv_change, traffic_effect, conversion_effect, aov_effect "
        "from rpt_daily_source_bridge where business_date = ? and comparison = 'last_week'", [DAY]).fetchall()}
    status, change, traffic, conversion, aov = rows["手淘搜索"]
    weight = 350 / math.log(1350 / 1000)
    assert (status, change) == ("ok", 350.0)
    assert traffic == pytest.approx(weight * math.log(600 / 500))
    assert conversion == pytest.approx(weight * math.log((15 / 600) / (10 / 500)))
    assert aov == pytest.approx(weight * math.log(90 / 100))
    assert traffic + conversion + aov == pytest.approx(350.0)
    assert rows["直通车"][0] == "no_base_period"
    # the whole-shop bridge is unchanged by the sources
    (total,) = con.execute("select gmv_change from rpt_daily_bridge where business_date = ? "
                           "and comparison = 'last_week'", [DAY]).fetchall()
    assert total == (650.0,)
