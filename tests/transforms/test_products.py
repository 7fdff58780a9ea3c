"""Products: daily and weekly product metrics and rankings against pandas, and the role, stage and
abnormal-product rules on small hand-made cases whose expected labels are worked out in the
comments (fct_product_daily, fct_product_weekly, rpt_daily_product_ranking,
fct_product_lifecycle_weekly, fct_product_alerts_daily, rpt_daily_abnormal_products)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

D = dt.date
FIRST, LAST = D(2026, 11, 2), D(2026, 11, 15)  # two ISO weeks, Monday to Sunday
TRAFFIC_FROM = D(2026, 11, 9)  # the by-product traffic export starts in the second week


def product_inputs(seed: int = 3):
    """Orders of four products over two weeks (one without SKU, one renamed, one with refunds)
    and a by-product traffic export for the second week only, one product split by source."""
    rng = np.random.default_rng(seed)
    catalogue = [("A1", "Mug"), (None, "Towel"), ("B2", "Kettle"), ("C3", "Tee")]
    lines, refunds = [], []
    for i in range(260):
        day = FIRST + dt.timedelta(days=int(rng.integers(0, 14)))
        sku, title = catalogue[int(rng.choice(4, p=[0.4, 0.3, 0.2, 0.1]))]
        if sku == "A1" and day >= D(2026, 11, 12):
            title = "Mug v2"  # renamed: the latest title wins
        paid = rng.random() > 0.08
        created = dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=i)
        amount = float(rng.choice([19.9, 39.0, 59.5]))
        lines.append({"shop_id": "s1", "order_id": f"o{i}", "line_id": "1", "sku": sku,
                      "product_name": title, "buyer_key": f"b{int(rng.integers(0, 60))}",
                      "created_at": created, "paid_date": day if paid else None,
                      "quantity": int(rng.integers(1, 4)), "paid_amount": amount, "is_paid": paid})
        if paid and rng.random() < 0.15:
            refunds.append({"shop_id": "s1", "order_id": f"o{i}", "line_id": "1",
                            "refund_date": min(day + dt.timedelta(days=int(rng.integers(1, 5))), LAST),
                            "refund_amount": round(amount / 2, 2)})
    traffic = []
    for offset in range(7):
        day = TRAFFIC_FROM + dt.timedelta(days=offset)
        traffic.append({"business_date": day, "source": "all", "sku": "A1", "visitors": 200 + 10 * offset})
        traffic.append({"business_date": day, "source": "search", "sku": "B2", "visitors": 60})
        traffic.append({"business_date": day, "source": "recommend", "sku": "B2", "visitors": 30 + offset})
        traffic.append({"business_date": day, "source": "all", "sku": "Z9", "visitors": 15})  # never sold
    traffic = pd.DataFrame(traffic).assign(shop_id="s1", add_to_cart_users=5, is_shop_level=False)
    shop_level = pd.DataFrame([{"shop_id": "s1", "business_date": FIRST, "source": "all", "sku": None,
                                "visitors": 9999, "add_to_cart_users": 1, "is_shop_level": True}])
    return pd.DataFrame(lines), pd.DataFrame(refunds), pd.concat([traffic, shop_level], ignore_index=True)


@pytest.fixture
def products_db(model_db):
    lines, refunds, traffic = product_inputs()
    model_db.table("fct_order_lines", lines, {"created_at": "timestamp", "paid_date": "date",
                                              "paid_amount": "decimal(18, 2)", "sku": "varchar"})
    keys = lines.assign(product_key=lines["sku"].fillna(lines["product_name"]))[["order_id", "line_id", "product_key"]]
    model_db.table("fct_refunds", refunds.merge(keys, on=["order_id", "line_id"], how="left"),  # as fct_refunds does
                   {"refund_date": "date", "refund_amount": "decimal(18, 2)"})
    model_db.table("int_traffic_deduped", traffic, {"business_date": "date", "sku": "varchar"})
    spine = pd.DataFrame({"business_date": pd.date_range(FIRST, LAST).date, "shop_id": "s1", "currency": "CNY"})
    model_db.table("fct_shop_daily", spine, {"business_date": "date"})
    model_db.rules(min_visitors=20)
    model_db.run("dim_products", "fct_product_daily", "fct_product_weekly", "rpt_daily_product_ranking")
    return model_db, lines, refunds, traffic


def reference_daily(lines, refunds, traffic) -> pd.DataFrame:
    """The product-day table computed with pandas from the same inputs."""
    lines = lines.assign(product_key=lines["sku"].fillna(lines["product_name"]))
    paid = lines[lines["is_paid"]]
    sales = paid.groupby(["paid_date", "product_key"]).agg(
        gmv=("paid_amount", "sum"), quantity=("quantity", "sum"), order_lines=("order_id", "size"),
        paying_buyers=("buyer_key", "nunique"))
    sales.index.names = ["business_date", "product_key"]
    joined = refunds.merge(lines[["order_id", "line_id", "product_key"]], on=["order_id", "line_id"])
    refunded = joined.groupby(["refund_date", "product_key"]).agg(
        refund_amount=("refund_amount", "sum"), refund_lines=("order_id", "size"))
    refunded.index.names = ["business_date", "product_key"]
    product_rows = traffic[~traffic["is_shop_level"]]
    visits = product_rows.groupby(["business_date", "sku"])["visitors"].sum()  # one 'all' row or the sources
    visits.index.names = ["business_date", "product_key"]
    first = pd.concat([sales.reset_index(), refunded.reset_index(), visits.reset_index()]).groupby(
        "product_key")["business_date"].min()
    traffic_days = set(product_rows["business_date"])
    names = lines.sort_values("created_at").groupby("product_key")["product_name"].last()
    rows = []
    for key, start in first.items():
        for day in pd.date_range(start, LAST).date:
            s = sales.loc[(day, key)] if (day, key) in sales.index else None
            r = refunded.loc[(day, key)] if (day, key) in refunded.index else None
            visitors = (visits.get((day, key), 0) if day in traffic_days else None)
            buyers = 0 if s is None else s["paying_buyers"]
            rows.append({"business_date": day, "product_key": key, "product_name": names.get(key, key),
                         "gmv": 0.0 if s is None else s["gmv"], "quantity": 0 if s is None else s["quantity"],
                         "order_lines": 0 if s is None else s["order_lines"], "paying_buyers": buyers,
                         "refund_amount": 0.0 if r is None else r["refund_amount"],
                         "refund_lines": 0 if r is None else r["refund_lines"], "visitors": visitors,
                         "conversion": None if not visitors else buyers / visitors})
    return pd.DataFrame(rows)


def test_product_days_match_pandas(products_db):
    db, lines, refunds, traffic = products_db
    got = db.df("select * from fct_product_daily order by business_date, product_key")
    expected = reference_daily(lines, refunds, traffic).sort_values(["business_date", "product_key"])
    assert len(got) == len(expected)
    for (_, g), (_, e) in zip(got.iterrows(), expected.iterrows()):
        assert (g["business_date"].date(), g["product_key"], g["product_name"]) == (
            e["business_date"], e["product_key"], e["product_name"])
        for column in ("gmv", "quantity", "order_lines", "paying_buyers", "refund_amount", "refund_lines"):
            assert float(g[column]) == pytest.approx(float(e[column]), abs=0.005), (column, e.to_dict())
        if pd.isna(e["visitors"]):
            assert pd.isna(g["visitors"]) and pd.isna(g["conversion"]), e.to_dict()
        else:
            assert g["visitors"] == e["visitors"], e.to_dict()
            if pd.isna(e["conversion"]):
                assert pd.isna(g["conversion"])
            else:
                assert g["conversion"] == pytest.approx(e["conversion"])
    # the sku-less product is keyed by its title; the renamed one shows its latest title
    assert {"Towel", "A1"} <= set(got["product_key"]) and set(got.loc[got["product_key"] == "A1", "product_name"]) == {"Mug v2"}
    # a product only in the traffic export still appears, named by its SKU, from its first visit
    z9 = got[got["product_key"] == "Z9"]
    assert z9["business_date"].min().date() == TRAFFIC_FROM and set(z9["product_name"]) == {"Z9"}
    # GMV adds up to the orders' GMV
    assert float(got["gmv"].sum()) == pytest.approx(lines.loc[lines["is_paid"], "paid_amount"].sum())


def test_product_weeks_and_ranks_match_pandas(products_db):
    db, lines, refunds, traffic = products_db
    daily = reference_daily(lines, refunds, traffic)
    daily["week_start"] = daily["business_date"].map(lambda d: d - dt.timedelta(days=d.weekday()))
    lines = lines.assign(product_key=lines["sku"].fillna(lines["product_name"]))
    paid = lines[lines["is_paid"]].assign(week_start=lambda f: f["paid_date"].map(lambda d: d - dt.timedelta(days=d.weekday())))
    got = db.df("select * from fct_product_weekly").set_index(["week_start", "product_key"])
    for (week, key), group in daily.groupby(["week_start", "product_key"]):
        row = got.loc[(pd.Timestamp(week), key)]
        assert float(row["gmv"]) == pytest.approx(group["gmv"].sum())
        assert row["order_lines"] == group["order_lines"].sum()
        assert row["paying_buyers"] == paid[(paid["week_start"] == week) & (paid["product_key"] == key)]["buyer_key"].nunique()
        with_traffic = group[group["visitors"].notna()]
        if with_traffic.empty:
            assert pd.isna(row["visitors"]) and pd.isna(row["conversion"])
        else:
            assert row["visitors"] == with_traffic["visitors"].sum()
            expected = with_traffic["paying_buyers"].sum() / with_traffic["visitors"].sum() if with_traffic["visitors"].sum() else None
            assert (None if pd.isna(row["conversion"]) else row["conversion"]) == pytest.approx(expected)
        week_gmv = daily.loc[daily["week_start"] == week, "gmv"].sum()
        assert row["gmv_share"] == pytest.approx(group["gmv"].sum() / week_gmv)
    # ranks: by GMV among sellers, by visitors among visited, by conversion above the visitor floor
    week2 = got.loc[pd.Timestamp(TRAFFIC_FROM)]
    sellers = week2[week2["gmv"] > 0].sort_values(["gmv"], ascending=False)
    assert sellers["gmv_rank"].tolist() == list(range(1, len(sellers) + 1))
    visited = week2[week2["visitors"] > 0].sort_values("visitors", ascending=False)
    assert visited.index.tolist()[:2] == ["A1", "B2"] and visited["visitors_rank"].tolist() == [1, 2, 3]
    ranked = week2[week2["conversion_rank"].notna()]  # ≥ 20 visitors a traffic day: A1 and B2, not Z9
    assert sorted(ranked.index) == ["A1", "B2"]
    assert ranked.sort_values("conversion", ascending=False)["conversion_rank"].tolist() == [1, 2]


def test_daily_ranking_matches_pandas(products_db):
    db, lines, refunds, traffic = products_db
    daily = reference_daily(lines, refunds, traffic)
    got = db.df("select * from rpt_daily_product_ranking").set_index(["business_date", "product_key"])
    for day, group in daily.groupby("business_date"):
        active = group[(group["gmv"] > 0) | (group["visitors"].fillna(0) > 0)]
        sellers = active[active["gmv"] > 0].sort_values(["gmv", "product_key"], ascending=[False, True])
        for rank, key in enumerate(sellers["product_key"], start=1):
            assert got.loc[(pd.Timestamp(day), key), "gmv_rank"] == rank
        eligible = active[active["visitors"].fillna(0) >= 20].sort_values(
            ["conversion", "product_key"], ascending=[False, True])
        for rank, key in enumerate(eligible["product_key"], start=1):
            assert got.loc[(pd.Timestamp(day), key), "conversion_rank"] == rank
        assert len(got.loc[pd.Timestamp(day)]) == len(active)


# ---------------------------------------------------------------------------------------------
# roles and lifecycle stages: fct_product_lifecycle_weekly on hand-made weekly rows
# ---------------------------------------------------------------------------------------------

WEEK41, WEEK42, WEEK43, WEEK44 = D(2026, 10, 5), D(2026, 10, 12), D(2026, 10, 19), D(2026, 10, 26)


def weekly_rows(shop: str, rows: list[tuple]) -> list[dict]:
    """(week, product, gmv, quantity, order_lines, buyer_days, refund_amount, visitors) tuples."""
    return [{"week_start": w, "shop_id": shop, "product_key": p, "product_name": p, "currency": "CNY",
             "gmv": g, "quantity": q, "order_lines": n, "buyer_days": b, "refund_amount": r,
             "visitors": v} for w, p, g, q, n, b, r, v in rows]


def lifecycle(db, rows: list[dict], **rules) -> pd.DataFrame:
    db.table("fct_product_weekly", pd.DataFrame(rows), {"week_start": "date", "visitors": "bigint"})
    days = pd.date_range(WEEK41, WEEK44 + dt.timedelta(days=6)).date
    db.table("fct_shop_daily", pd.DataFrame([{"business_date": d, "shop_id": s} for s in {r["shop_id"] for r in rows}
                                             for d in days]), {"business_date": "date"})
    db.rules(**rules)
    db.run("fct_product_lifecycle_weekly")
    return db.df("select * from fct_product_lifecycle_weekly").set_index(
        ["shop_id", "week_start", "product_key"]).sort_index()


def test_product_roles(model_db):
    # One-week windows (window_weeks = 1), default thresholds: hit ≥ 15 % of GMV; traffic driver
    # ≥ 10 % of visitors (of buyer-days without by-product traffic) at ≤ 0.8 × the shop's average
    # price; profit item ≥ 1.2 × the average price, ≥ 5 % of GMV and ≤ 10 % refunded.
    # Shop s1 (no visitors): GMV 15,300, 205 units (average price 74.63), 188 buyer-days.
    #   A  5,000 / 50 units  share 0.327                                  → hit
    #   B  1,000 / 40 units  share 0.065, 38/188 = 0.20 of buyers, price 25 (0.33×) → traffic_driver
    #   C  1,500 / 6 units   share 0.098, price 250 (3.35×), 60/1,500 = 4 % refunded → profit_item
    #   D  1,000 / 4 units   price 250 but 300/1,000 = 30 % refunded, 4/188 of buyers → regular
    #   E  6,500 / 100 units share 0.425                                  → hit
    #   F    300 / 5 units   price 60 = 0.804× (just above 0.8), 5/188 of buyers → regular
    s1 = weekly_rows("s1", [
        (WEEK43, "A", 5000, 50, 50, 45, 0, None), (WEEK43, "B", 1000, 40, 40, 38, 0, None),
        (WEEK43, "C", 1500, 6, 6, 6, 60, None), (WEEK43, "D", 1000, 4, 4, 4, 300, None),
        (WEEK43, "E", 6500, 100, 95, 90, 0, None), (WEEK43, "F", 300, 5, 5, 5, 0, None)])
    # Shop s2 has by-product visitors (5,000): GMV 5,100, 66 units (average 77.27), 49 buyer-days.
    #   P1   500 / 20 units  2,000/5,000 = 40 % of visitors at price 25 (0.32×) → traffic_driver
    #        (by buyers it would not be: 3/49 = 6 %)
    #   P2 4,000 / 40 units  share 0.78                                   → hit
    #   P3   600 / 6 units   no visitors; price 100 (1.29×), share 0.118, nothing refunded → profit_item
    s2 = weekly_rows("s2", [
        (WEEK43, "P1", 500, 20, 20, 3, 0, 2000), (WEEK43, "P2", 4000, 40, 40, 40, 0, 3000),
        (WEEK43, "P3", 600, 6, 6, 6, 0, 0)])
    got = lifecycle(model_db, s1 + s2, window_weeks=1)
    roles = {key[2]: row["product_role"] for key, row in got.iterrows()}
    assert roles == {"A": "hit", "B": "traffic_driver", "C": "profit_item", "D": "regular", "E": "hit",
                     "F": "regular", "P1": "traffic_driver", "P2": "hit", "P3": "profit_item"}
    assert got.loc[("s2", pd.Timestamp(WEEK43), "P1"), "traffic_basis"] == "visitors"
    assert got.loc[("s1", pd.Timestamp(WEEK43), "B"), "traffic_share"] == pytest.approx(38 / 188)
    assert got.loc[("s1", pd.Timestamp(WEEK43), "C"), "price_index"] == pytest.approx(250 / (15300 / 205))
    # A is also priced like a profit item (100 / 74.63 = 1.34×): the flags say so, the role is hit
    assert got.loc[("s1", pd.Timestamp(WEEK43), "A"), ["is_hit", "is_profit_item"]].tolist() == [True, True]


def test_lifecycle_stages_and_their_changes(model_db):
    # One-week windows (window_weeks = 1: a week against the week before), new for 2 weeks after
    # the first sale, ±20 % for growth/decline with at least 20 paid lines in one of the two weeks,
    # hot at 15 % of the shop's GMV. The shop's data starts on Monday 5 Oct (W41), so W41 has no
    # week before it: stages start in W42 (except "new").
    #          W41            W42            W43           W43 stage (W42 stage)
    #   N      –              300 / 10 l     500 / 15 l    new: first sale W42, 1 week ago (new)
    #   G      1,000 / 25     1,000 / 25     1,300 / 30    growth: +30 % (stable)      → changed
    #   DC     1,000 / 25     1,000 / 25       700 / 18    decline: −30 %, 25 lines (stable) → changed
    #   S      1,000 / 25     1,000 / 25     1,100 / 27    stable: +10 % (stable)
    #   H      8,000 / 200    8,000 / 200    8,200 / 205   hot: 45 % of GMV (hot)
    #   HD     8,000 / 200    8,000 / 200    6,000 / 150   decline before hot: −25 % (hot) → changed
    #   T        100 / 2        100 / 2        300 / 4     stable: +200 % but only 4 lines (stable)
    #   Z      1,000 / 25     1,000 / 25         0 / 0     decline: sales stopped (stable) → changed
    # W43 GMV 18,100: H 45 %, HD 33 %, every other product under 15 %. In W44 nobody sells Z and it
    # sold nothing in W43 either: it is no longer listed.
    rows = []
    for product, w41, w42, w43 in (
        ("N", None, (300, 10), (500, 15)), ("G", (1000, 25), (1000, 25), (1300, 30)),
        ("DC", (1000, 25), (1000, 25), (700, 18)), ("S", (1000, 25), (1000, 25), (1100, 27)),
        ("H", (8000, 200), (8000, 200), (8200, 205)), ("HD", (8000, 200), (8000, 200), (6000, 150)),
        ("T", (100, 2), (100, 2), (300, 4)), ("Z", (1000, 25), (1000, 25), (0, 0)),
    ):
        for week, values in ((WEEK41, w41), (WEEK42, w42), (WEEK43, w43)):
            if values:
                gmv, lines = values
                rows.append((week, product, gmv, lines, lines, lines, 0, None))
    rows.append((WEEK44, "Z", 0, 0, 0, 0, 0, None))
    rows.append((WEEK44, "H", 8000, 200, 200, 200, 0, None))
    got = lifecycle(model_db, weekly_rows("s1", rows), window_weeks=1, new_weeks=2)
    w43 = got.loc[("s1", pd.Timestamp(WEEK43))]
    assert w43["lifecycle_stage"].to_dict() == {
        "N": "new", "G": "growth", "DC": "decline", "S": "stable", "H": "hot", "HD": "decline",
        "T": "stable", "Z": "decline"}
    assert w43["previous_stage"].to_dict() == {
        "N": "new", "G": "stable", "DC": "stable", "S": "stable", "H": "hot", "HD": "hot",
        "T": "stable", "Z": "stable"}
    assert sorted(w43.index[w43["is_stage_changed"]]) == ["DC", "G", "HD", "Z"]
    assert w43.loc["G", "gmv_trend"] == pytest.approx(0.3)
    # W41 has no week before it in the data: no stage yet, except for new products
    assert got.loc[("s1", pd.Timestamp(WEEK41))]["lifecycle_stage"].isna().all()
    assert ("s1", pd.Timestamp(WEEK44), "Z") not in got.index
    assert got.loc[("s1", pd.Timestamp(WEEK44), "H"), "lifecycle_stage"] == "hot"


def test_stage_windows_add_up_several_weeks(model_db):
    # Two-week windows: W44 looks at W43+W44 (1,000 + 1,000) against W41+W42 (1,500 + 1,500):
    # 2,000 ÷ 3,000 − 1 = −33 % → decline; W43 (W42+W43 vs W41 and nothing before) has no full
    # history (the shop's data starts in W41) → no stage.
    rows = [(WEEK41, "X", 1500, 30, 30, 30, 0, None), (WEEK42, "X", 1500, 30, 30, 30, 0, None),
            (WEEK43, "X", 1000, 20, 20, 20, 0, None), (WEEK44, "X", 1000, 20, 20, 20, 0, None),
            (WEEK41, "Y", 9000, 90, 90, 90, 0, None), (WEEK42, "Y", 9000, 90, 90, 90, 0, None),
            (WEEK43, "Y", 9000, 90, 90, 90, 0, None), (WEEK44, "Y", 9000, 90, 90, 90, 0, None)]
    got = lifecycle(model_db, weekly_rows("s1", rows), window_weeks=2)
    x44 = got.loc[("s1", pd.Timestamp(WEEK44), "X")]
    assert (float(x44["window_gmv"]), float(x44["previous_gmv"])) == (2000, 3000)
    assert x44["lifecycle_stage"] == "decline"
    assert pd.isna(got.loc[("s1", pd.Timestamp(WEEK43), "X"), "lifecycle_stage"])


# ---------------------------------------------------------------------------------------------
# abnormal products: fct_product_alerts_daily on hand-made daily rows
# ---------------------------------------------------------------------------------------------

DAY = D(2026, 11, 22)  # a Sunday; its baseline: 15, 8 and 1 Nov and 25 Oct (4 weeks, same weekday)
BASELINE = [DAY - dt.timedelta(days=7 * k) for k in (1, 2, 3, 4)]


def product_days(product: str, day_values: dict, other: dict, start: dt.date = DAY - dt.timedelta(days=28)):
    """Every day from ``start`` to DAY: ``day_values[day]`` on the listed days, ``other`` elsewhere."""
    rows = []
    for day in pd.date_range(start, DAY).date:
        values = {"gmv": 0.0, "order_lines": 0, "paying_buyers": 0, "refund_amount": 0.0,
                  "refund_lines": 0, "visitors": None, **other, **day_values.get(day, {})}
        rows.append({"business_date": day, "shop_id": "s1", "product_key": product,
                     "product_name": product, "currency": "CNY", **values})
    return rows


def baseline_then(day_value: dict, *baseline_values: dict, other: dict | None = None, **kw):
    values = dict(zip(BASELINE, baseline_values))
    values[DAY] = day_value
    return values, other if other is not None else baseline_values[0], kw


def test_abnormal_product_rules(model_db):
    cases = {
        # baseline 5, 4, 6, 5 paid lines (average 5 ≥ 3), none on the day → sales stopped
        "stop": baseline_then({"order_lines": 0, "gmv": 0}, *({"order_lines": n, "gmv": 50.0 * n} for n in (5, 4, 6, 5))),
        # baseline 2, 3, 2, 1 (average 2 < the floor of 3), none on the day → nothing
        "small": baseline_then({"order_lines": 0}, *({"order_lines": n} for n in (2, 3, 2, 1))),
        # visitors 1,000 on each baseline day, 400 on the day: −60 % ≤ −50 % → traffic drop;
        # conversion 12/400 = 3 % as in the baseline (30/1,000) → no conversion drop
        "traffic": baseline_then({"visitors": 400, "paying_buyers": 12, "order_lines": 12},
                                 *[{"visitors": 1000, "paying_buyers": 30, "order_lines": 30}] * 4),
        # 1,000 visitors as usual; conversion 15/1,000 = 1.5 % against 40/1,000 = 4 %: −62.5 % → conversion drop
        "conversion": baseline_then({"visitors": 1000, "paying_buyers": 15, "order_lines": 15},
                                    *[{"visitors": 1000, "paying_buyers": 40, "order_lines": 40}] * 4),
        # conversion 1/80 = 1.25 % against 4/80 = 5 % (−75 %), but 80 visitors a day is under the
        # floor of 100: no conversion check → nothing
        "few_visitors": baseline_then({"visitors": 80, "paying_buyers": 1, "order_lines": 1},
                                      *[{"visitors": 80, "paying_buyers": 4, "order_lines": 4}] * 4,
                                      other={"visitors": 80, "paying_buyers": 4, "order_lines": 1}),
        # refunds 50, 0, 100, 50 (average 50); 200 in 4 lines on the day: 4× ≥ 3× → refund spike
        "refund": baseline_then({"refund_amount": 200.0, "refund_lines": 4, "order_lines": 10},
                                *({"refund_amount": a, "refund_lines": 1, "order_lines": 10} for a in (50.0, 0.0, 100.0, 50.0))),
        # no refunds in the baseline, 500 on the day but in 2 lines (floor 3) → nothing
        "refund_few": baseline_then({"refund_amount": 500.0, "refund_lines": 2, "order_lines": 10},
                                    *[{"order_lines": 10}] * 4),
        # sells every day except on the baseline's Sundays: the other weekdays do not count → nothing
        "weekdays": baseline_then({"order_lines": 0}, *[{"order_lines": 0}] * 4, other={"order_lines": 50}),
    }
    rows = []
    for product, (values, other, _) in cases.items():
        rows += product_days(product, values, other)
    # on sale only since 8 Nov: two baseline days of 10 lines, not four → not checked
    rows += product_days("new", {DAY: {"order_lines": 0}}, {"order_lines": 10}, start=D(2026, 11, 8))
    model_db.table("fct_product_daily", pd.DataFrame(rows), {"business_date": "date", "visitors": "bigint",
                                                             "gmv": "decimal(18, 2)", "refund_amount": "decimal(18, 2)"})
    model_db.con.execute("create or replace table fct_product_daily as select *, "
                         "paying_buyers / nullif(visitors, 0) as conversion from fct_product_daily")
    model_db.rules()
    model_db.run("fct_product_alerts_daily", "rpt_daily_abnormal_products", "rpt_daily_product_checks")
    got = model_db.df("select * from fct_product_alerts_daily where business_date = ?", [DAY]).set_index("product_key")
    flags = ["is_sales_stopped", "is_traffic_drop", "is_conversion_drop", "is_refund_spike"]
    fired = {p: [f[3:] for f in flags if got.loc[p, f]] for p in got.index}
    assert fired == {"stop": ["sales_stopped"], "small": [], "traffic": ["traffic_drop"],
                     "conversion": ["conversion_drop"], "few_visitors": [], "refund": ["refund_spike"],
                     "refund_few": [], "weekdays": [], "new": []}
    assert got.loc["stop", "baseline_order_lines"] == 5
    assert got.loc["traffic", "visitors_change"] == pytest.approx(-0.6)
    assert got.loc["conversion", "conversion_change"] == pytest.approx(0.015 / 0.04 - 1)
    assert got.loc["refund", "refund_multiple"] == pytest.approx(4)
    assert not got.loc["new", "has_full_baseline"] and got.loc["new", "baseline_days"] == 2
    # the report table lists the flagged products, the usual best sellers first (only "stop" had
    # GMV in its baseline: 250 a day), then by product
    report = model_db.df("select product_key, product_rank from rpt_daily_abnormal_products "
                         "where business_date = ? order by product_rank", [DAY])
    assert report["product_key"].tolist() == ["stop", "conversion", "refund", "traffic"]
    checks = model_db.df("select * from rpt_daily_product_checks where business_date = ?", [DAY]).iloc[0]
    assert (checks["products_checked"], checks["products_abnormal"], checks["has_product_traffic"]) == (8, 4, True)


def test_thresholds_come_from_the_configuration(model_db):
    # the same sales-stopped case with min_orders = 6: the baseline average of 5 is under the floor
    values, other, _ = baseline_then({"order_lines": 0}, *({"order_lines": n} for n in (5, 4, 6, 5)))
    model_db.table("fct_product_daily", pd.DataFrame(product_days("stop", values, other)),
                   {"business_date": "date", "visitors": "bigint", "gmv": "decimal(18, 2)",
                    "refund_amount": "decimal(18, 2)"})
    model_db.con.execute("create or replace table fct_product_daily as select *, "
                         "null::double as conversion from fct_product_daily")
    model_db.rules(min_orders=6)
    model_db.run("fct_product_alerts_daily")
    assert not model_db.df("select is_sales_stopped from fct_product_alerts_daily where business_date = ?",
                           [DAY]).iloc[0, 0]
    model_db.rules(min_orders=5, baseline_weeks=3)  # 4, 6, 5 → 5 ≥ 5
    model_db.run("fct_product_alerts_daily")
    assert model_db.df("select is_sales_stopped from fct_product_alerts_daily where business_date = ?",
                       [DAY]).iloc[0, 0]
