"""The sales bridge (rpt_daily_bridge): effects add up exactly to the change; zero cases say n/a."""

from __future__ import annotations

import datetime as dt
import math

import duckdb
import pytest
from hypothesis import given, settings, strategies as st

from flows.warehouse.build import TRANSFORMS_DIR

SQL = (TRANSFORMS_DIR / "reports" / "rpt_daily_bridge.sql").read_text(encoding="utf-8")
DAY = dt.date(2026, 11, 22)


def bridge(rows: list[tuple[dt.date, float | None, float | None]]) -> dict[str, dict]:
    """Run the model on a one-shop fct_scope_daily built from (date, visitors, buyers, gmv) rows."""
    con = duckdb.connect()
    con.execute("create table fct_scope_daily (business_date date, scope_id varchar, currency varchar, "
                "gmv decimal(18, 2), visitors bigint, paying_buyers bigint, conversion double, aov double)")
    for day, visitors, buyers, gmv in rows:
        conversion = buyers / visitors if visitors else None
        aov = gmv / buyers if buyers else None
        con.execute("insert into fct_scope_daily values (?, 's', 'CNY', ?, ?, ?, ?, ?)",
                    [day, gmv, visitors, buyers, conversion, aov])
    result = con.execute(f"select * from ({SQL}) where business_date = ?", [DAY])
    names = [d[0] for d in result.description]
    return {r[names.index("comparison")]: dict(zip(names, r)) for r in result.fetchall()}


@settings(max_examples=150, deadline=None)
@given(
    visitors=st.tuples(st.integers(1, 2_000_000), st.integers(1, 2_000_000)),
    buyers=st.tuples(st.integers(1, 50_000), st.integers(1, 50_000)),
    cents=st.tuples(st.integers(1, 10**11), st.integers(1, 10**11)),
)
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
    assert rows["prev_day"]["bridge_status"] == "no_base_day"


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
        "prev_day": "no_base_day", "last_week": "no_base_day", "last_year": "no_base_day"}
