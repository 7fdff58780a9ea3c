"""The warehouse's daily numbers equal an independent pandas computation from the export files.

The reference (``conftest.py`` in this folder) reads the demo's exports as downloaded and applies
docs/metrics.md itself — snapshots by coverage end then load order, refund events dated by rule 2
or 3, Shopify order amounts allocated to lines — with no shopreport code. Every business day of
both shops is compared to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import pytest

pytestmark = pytest.mark.slow  # every test here stands on a real end-to-end run

DEMO_END = date(2026, 11, 22)  # the demo's last business day and the report date (see conftest.py)
TMALL, SHOPIFY = "tmall_flagship", "shopify_us"
SHOPS = (TMALL, SHOPIFY)
CENT = Decimal("0.01")
MONEY = ("gmv", "refund_amount", "ad_cost", "attributed_revenue")
COUNTS = ("paying_buyers", "visitors")


def _warehouse_daily(warehouse_query, shop_id: str) -> dict[date, dict]:
    rows = warehouse_query(
        """select business_date, gmv, paying_buyers, refund_amount, ad_cost, attributed_revenue,
                  visitors, conversion, aov
           from fct_shop_daily where shop_id = ? order by business_date""", [shop_id])
    names = ("gmv", "paying_buyers", "refund_amount", "ad_cost", "attributed_revenue", "visitors",
             "conversion", "aov")
    return {r[0]: dict(zip(names, r[1:])) for r in rows}


def _reference_value(ref_row, metric):
    value = ref_row[metric]
    if value is None or value != value:  # pd.NA / NaN: no traffic export for the day
        return None
    if metric in MONEY:
        return (Decimal(int(value)) / 100).quantize(CENT)
    return int(value)


def test_pipeline_ran_clean(demo_run, warehouse_query):
    """Every export loaded without rejects (a rejected row would make any comparison moot)."""
    files = warehouse_query("select file_name, rows_read, rows_loaded, rows_rejected from source_files")
    exported = {p.name for shop in SHOPS for p in (demo_run.exports / shop).iterdir()}
    assert {f[0] for f in files} == exported
    assert [f for f in files if f[3] or f[1] != f[2]] == []


@pytest.mark.parametrize("shop_id", SHOPS)
def test_business_days_match(shop_id, reference, warehouse_query):
    ref_days = list(reference[shop_id].daily.index)
    wh_days = list(_warehouse_daily(warehouse_query, shop_id))
    assert wh_days == ref_days
    assert ref_days[-1] == DEMO_END


@pytest.mark.parametrize("metric", MONEY + COUNTS)
@pytest.mark.parametrize("shop_id", SHOPS)
def test_daily_metric_matches_reference(shop_id, metric, reference, warehouse_query):
    wh = _warehouse_daily(warehouse_query, shop_id)
    ref = reference[shop_id].daily
    mismatches = []
    for day, ref_row in ref.iterrows():
        expected = _reference_value(ref_row, metric)
        actual = wh[day][metric] if day in wh else "missing day"
        if metric in MONEY and isinstance(actual, Decimal):
            actual = actual.quantize(CENT)
        if actual != expected:
            mismatches.append((day.isoformat(), "warehouse", actual, "reference", expected))
    assert mismatches == [], (
        f"{shop_id} {metric}: {len(mismatches)} of {len(ref)} days differ; first: {mismatches[:10]}")


@pytest.mark.parametrize("shop_id", SHOPS)
def test_reference_refunds_add_up(shop_id, reference):
    """Self-check of the reference: dated refund events sum to the lines' latest refunded amounts."""
    r = reference[shop_id]
    assert int(r.refunds["amount_cents"].sum()) == int(r.lines["refund_cents"].sum())
    assert int(r.daily["refund_amount"].sum()) == int(r.lines["refund_cents"].sum())
    assert r.refunds["refund_date"].notna().all()


@pytest.mark.parametrize("shop_id", SHOPS)
def test_identity_gmv_visitors_conversion_aov(shop_id, reference, warehouse_query):
    wh = _warehouse_daily(warehouse_query, shop_id)
    checked, broken = 0, []
    for day, row in wh.items():
        if row["visitors"] is None or row["conversion"] is None or row["aov"] is None:
            assert row["paying_buyers"] == 0 or row["visitors"] is None, (day, row)
            continue
        product = row["visitors"] * row["conversion"] * float(row["aov"])
        checked += 1
        if abs(float(row["gmv"]) - product) > 0.005:
            broken.append((day.isoformat(), float(row["gmv"]), product))
    assert broken == []
    assert checked >= len(reference[shop_id].daily) - 2


@pytest.mark.parametrize("shop_id", SHOPS)
def test_report_headline_gmv(shop_id, reference, warehouse_query):
    (value,), = warehouse_query(
        "select value from rpt_daily_headline where business_date = ? and scope_id = ? and metric = 'gmv'",
        [DEMO_END, shop_id])
    expected = _reference_value(reference[shop_id].daily.loc[DEMO_END], "gmv")
    assert Decimal(repr(value)) == expected  # a decimal(18, 2) as a double: its repr is the amount


def test_report_headline_gmv_all_shops(reference, reference_rate, warehouse_query):
    (value, currency), = warehouse_query(
        "select value, currency from rpt_daily_headline "
        "where business_date = ? and scope_id = 'all' and metric = 'gmv'", [DEMO_END])
    tmall = _reference_value(reference[TMALL].daily.loc[DEMO_END], "gmv")
    shopify = _reference_value(reference[SHOPIFY].daily.loc[DEMO_END], "gmv")
    rate = reference_rate("USD", DEMO_END)
    expected = (tmall + shopify * rate).quantize(CENT, rounding=ROUND_HALF_UP)
    assert currency == "CNY"
    assert Decimal(repr(value)) == expected, (value, expected, tmall, shopify, rate)


@pytest.mark.parametrize("shop_id", [TMALL, SHOPIFY])
def test_order_lines_match_reference(shop_id, reference, warehouse_query):
    """Line level (the daily sums cannot see how an order's amounts are split over its lines):
    each line's latest state — paid date, paid amount (allocated for Shopify), refunded amount."""
    rows = warehouse_query(
        "select order_id, line_id, paid_date, paid_amount, refund_amount from fct_order_lines "
        "where shop_id = ?", [shop_id])
    wh = {(o, int(l)): (pd_, None if pd_ is None else int(pa * 100), int((ra or 0) * 100))
          for o, l, pd_, pa, ra in rows}
    lines = reference[shop_id].lines
    ref = {(o, int(l)): (pd_, None if pd_ is None else int(pa), int(ra))
           for o, l, pd_, pa, ra in lines[["order_id", "line_no", "paid_date", "paid_cents", "refund_cents"]]
           .itertuples(index=False)}
    assert wh.keys() == ref.keys()
    differ = [(k, "warehouse", wh[k], "reference", ref[k]) for k in ref if wh[k] != ref[k]]
    assert differ == [], f"{len(differ)} of {len(ref)} lines differ; first: {differ[:10]}"
