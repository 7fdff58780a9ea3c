"""Ad payback: the refund cohorts, the refund-adjusted ROAS of each campaign (for the day and the
30 days ending on it) and blended ROAS per shop and for all shops, against pandas
(fct_refund_cohorts_daily, rpt_daily_ad_payback, rpt_daily_blended_roas)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

FIRST, DAYS = dt.date(2026, 10, 1), 45
SHOPS = {"s1": ("CNY", 0.45), "s2": ("USD", 0.5)}


def inputs(seed: int = 11):
    rng = np.random.default_rng(seed)
    days = [FIRST + dt.timedelta(days=d) for d in range(DAYS)]
    lines = []
    for shop in SHOPS:
        for i in range(400):
            day = days[int(rng.integers(0, DAYS))]
            if shop == "s2" and day.day in (5, 6):
                continue  # two days without sales: their cohort rate has no value
            amount = float(rng.choice([20.0, 45.5, 99.0]))
            refunded = amount if rng.random() < 0.08 else (round(amount / 3, 2) if rng.random() < 0.05 else 0.0)
            lines.append({"shop_id": shop, "paid_date": day, "paid_amount": amount,
                          "refund_amount": refunded, "is_paid": bool(rng.random() > 0.05)})
    ads = []
    for shop, campaigns in (("s1", ("k1", "k2")), ("s2", ("g1",))):
        for campaign in campaigns:
            for day in days:
                if campaign == "k2" and 10 <= (day - FIRST).days < 20:
                    continue  # paused for ten days: no rows, the 30-day window is in days, not rows
                cost = round(float(rng.uniform(50, 150)), 2)
                ads.append({"shop_id": shop, "business_date": day, "channel": "ch", "campaign_id": campaign,
                            "campaign": campaign, "currency": SHOPS[shop][0], "impressions": 1000,
                            "clicks": 50, "cost": cost,
                            "attributed_revenue": round(cost * float(rng.uniform(0.8, 4.0)), 2)})
    rates = pd.DataFrame([{"rate_date": day, "currency": "USD", "rate_to_reporting": 7.0 + 0.01 * i}
                          for i, day in enumerate(days) if i % 3 == 0])  # a rate every third day
    return days, pd.DataFrame(lines), pd.DataFrame(ads), rates


@pytest.fixture
def payback_db(model_db):
    days, lines, ads, rates = inputs()
    paid = lines[lines["is_paid"]]
    ads = ads.assign(ctr=ads["clicks"] / ads["impressions"], cpc=ads["cost"] / ads["clicks"],
                     roas=ads["attributed_revenue"] / ads["cost"])
    money = {"paid_amount": "decimal(18, 2)", "refund_amount": "decimal(18, 2)", "paid_date": "date",
             "cost": "decimal(18, 2)", "attributed_revenue": "decimal(18, 2)", "business_date": "date",
             "gmv": "decimal(18, 2)", "ad_cost": "decimal(18, 2)", "rate_date": "date"}
    model_db.table("fct_order_lines", lines, money)
    model_db.table("fct_ad_spend_daily", ads, money)
    model_db.table("fct_shop_daily", pd.DataFrame([{"business_date": d, "shop_id": s, "currency": c}
                                                    for s, (c, _) in SHOPS.items() for d in days]), money)
    model_db.table("dim_shops", pd.DataFrame([{"shop_id": s, "gross_margin": m, "breakeven_roas": 1 / m}
                                               for s, (_, m) in SHOPS.items()]))
    model_db.table("stg_fx_rates", rates, money)
    model_db.table("seed_reporting", pd.DataFrame([{"reporting_currency": "CNY"}]))
    scope = []
    for shop, (currency, _) in SHOPS.items():
        for day in days:
            scope.append({"business_date": day, "scope_id": shop, "currency": currency,
                          "gmv": paid[(paid.shop_id == shop) & (paid.paid_date == day)].paid_amount.sum(),
                          "ad_cost": ads[(ads.shop_id == shop) & (ads.business_date == day)].cost.sum(),
                          "attributed_revenue": ads[(ads.shop_id == shop) & (ads.business_date == day)].attributed_revenue.sum()})
    scope = pd.DataFrame(scope)
    rate = {d: rates[rates.rate_date <= d].rate_to_reporting.iloc[-1] for d in days}
    for day in days:
        rows = scope[scope.business_date == day]
        factor = rows.scope_id.map({"s1": 1.0, "s2": rate[day]})
        scope.loc[len(scope)] = {"business_date": day, "scope_id": "all", "currency": "CNY",
                                 "gmv": round((rows.gmv * factor).sum(), 2), "ad_cost": round((rows.ad_cost * factor).sum(), 2),
                                 "attributed_revenue": round((rows.attributed_revenue * factor).sum(), 2)}
    model_db.table("fct_scope_daily", scope, money)
    model_db.run("fct_refund_cohorts_daily", "rpt_daily_ad_payback", "rpt_daily_blended_roas")
    return model_db, days, paid, ads, rate, scope


def test_refund_cohorts(payback_db):
    db, days, paid, *_ = payback_db
    got = db.df("select * from fct_refund_cohorts_daily").set_index(["shop_id", "business_date"])
    for (shop, day), group in paid.groupby(["shop_id", "paid_date"]):
        row = got.loc[(shop, pd.Timestamp(day))]
        assert float(row["cohort_gmv"]) == pytest.approx(group.paid_amount.sum())
        assert float(row["cohort_refund_amount"]) == pytest.approx(group.refund_amount.sum())
        assert row["cohort_refund_rate"] == pytest.approx(group.refund_amount.sum() / group.paid_amount.sum())
    empty = got.loc[("s2", pd.Timestamp(dt.date(2026, 10, 5)))]
    assert float(empty["cohort_gmv"]) == 0 and pd.isna(empty["cohort_refund_rate"])


def test_refund_adjusted_roas_per_campaign(payback_db):
    db, days, paid, ads, *_ = payback_db
    got = db.df("select * from rpt_daily_ad_payback").set_index(["scope_id", "campaign_id", "business_date"])
    breakeven = {s: 1 / m for s, (_, m) in SHOPS.items()}
    for _, ad in ads.iterrows():
        shop, day = ad.shop_id, ad.business_date
        row = got.loc[(shop, ad.campaign_id, pd.Timestamp(day))]
        cohort = paid[(paid.shop_id == shop) & (paid.paid_date == day)]
        if cohort.empty:
            assert pd.isna(row["refund_adjusted_roas"]) and not row["is_below_breakeven_after_refunds"]
        else:
            rate = cohort.refund_amount.sum() / cohort.paid_amount.sum()
            adjusted = ad.attributed_revenue * (1 - rate) / ad.cost
            assert row["refund_adjusted_roas"] == pytest.approx(adjusted)
            assert row["is_below_breakeven_after_refunds"] == (adjusted < breakeven[shop])
        assert row["is_below_breakeven"] == (ad.attributed_revenue / ad.cost < breakeven[shop])
        # the 30 days ending on the day: a calendar window, whatever rows the campaign has in it
        start = day - dt.timedelta(days=29)
        window = ads[(ads.shop_id == shop) & (ads.campaign_id == ad.campaign_id)
                     & (ads.business_date >= start) & (ads.business_date <= day)]
        orders = paid[(paid.shop_id == shop) & (paid.paid_date >= start) & (paid.paid_date <= day)]
        rate_30d = orders.refund_amount.sum() / orders.paid_amount.sum()
        assert row["roas_30d"] == pytest.approx(window.attributed_revenue.sum() / window.cost.sum())
        assert row["cohort_refund_rate_30d"] == pytest.approx(rate_30d)
        adjusted_30d = window.attributed_revenue.sum() * (1 - rate_30d) / window.cost.sum()
        assert row["refund_adjusted_roas_30d"] == pytest.approx(adjusted_30d)
        assert row["is_below_breakeven_after_refunds_30d"] == (adjusted_30d < breakeven[shop])
    # the paused campaign's window after its pause holds fewer than 30 rows
    k2 = got.loc[("s1", "k2", pd.Timestamp(dt.date(2026, 10, 25)))]
    assert float(k2["cost_30d"]) == pytest.approx(
        ads[(ads.campaign_id == "k2") & (ads.business_date <= dt.date(2026, 10, 25))].cost.sum())


def test_blended_roas_per_shop_and_for_all_shops(payback_db):
    db, days, paid, ads, rate, scope = payback_db
    got = db.df("select * from rpt_daily_blended_roas").set_index(["scope_id", "business_date"])
    for day in days:
        gmv_all, margin_gmv_all, refunds_all = 0.0, 0.0, 0.0
        for shop, (_, margin) in SHOPS.items():
            cohort = paid[(paid.shop_id == shop) & (paid.paid_date == day)]
            cost = ads[(ads.shop_id == shop) & (ads.business_date == day)].cost.sum()
            row = got.loc[(shop, pd.Timestamp(day))]
            assert row["blended_roas"] == pytest.approx(cohort.paid_amount.sum() / cost)
            assert row["breakeven_roas"] == pytest.approx(1 / margin)
            assert row["refund_adjusted_blended_roas"] == pytest.approx(
                (cohort.paid_amount.sum() - cohort.refund_amount.sum()) / cost)
            factor = 1.0 if shop == "s1" else rate[day]
            gmv_all += cohort.paid_amount.sum() * factor
            margin_gmv_all += cohort.paid_amount.sum() * factor * margin
            refunds_all += cohort.refund_amount.sum() * factor
        everyone = got.loc[("all", pd.Timestamp(day))]
        all_cost = float(scope[(scope.scope_id == "all") & (scope.business_date == day)].ad_cost.iloc[0])
        assert everyone["breakeven_roas"] == pytest.approx(gmv_all / margin_gmv_all)
        assert everyone["cohort_refund_rate"] == pytest.approx(refunds_all / gmv_all)
        assert everyone["blended_roas"] == pytest.approx(gmv_all / all_cost, rel=1e-4)  # GMV rounded to the cent
        assert everyone["is_below_breakeven"] == (everyone["blended_roas"] < everyone["breakeven_roas"])
    # the 30-day blended ROAS of the last day: all GMV and ad cost of the 30 days
    last, start = days[-1], days[-1] - dt.timedelta(days=29)
    s1_orders = paid[(paid.shop_id == "s1") & (paid.paid_date >= start)]
    s1_cost = ads[(ads.shop_id == "s1") & (ads.business_date >= start)].cost.sum()
    row = got.loc[("s1", pd.Timestamp(last))]
    assert row["blended_roas_30d"] == pytest.approx(s1_orders.paid_amount.sum() / s1_cost)
    assert row["refund_adjusted_blended_roas_30d"] == pytest.approx(
        (s1_orders.paid_amount.sum() - s1_orders.refund_amount.sum()) / s1_cost)
