"""New vs returning buyers, the 30/90-day repeat rates, weekly buyers and first-order cohorts
(fct_buyer_orders, fct_buyer_daily, fct_buyer_weekly, fct_buyer_cohorts and the monthly rows it
is summed from, rpt_daily_buyers), each checked against an independent pandas computation on a
small hand-made warehouse."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

FIRST_DAY = dt.date(2026, 5, 1)
DAYS = 150
BUYER_MODELS = ("fct_buyer_orders", "fct_buyer_daily", "fct_buyer_weekly", "fct_buyer_cohort_months",
                "fct_buyer_cohorts", "rpt_daily_buyers")


def random_orders(seed: int = 7) -> pd.DataFrame:
    """~400 paid and unpaid orders of 2 shops over 150 days; a small buyer pool so that buyers come
    back, some on the same day, some orders with two lines."""
    rng = np.random.default_rng(seed)
    rows = []
    for shop, buyers in (("s1", 45), ("s2", 20)):
        n_orders = 300 if shop == "s1" else 100
        for i in range(n_orders):
            day = FIRST_DAY + dt.timedelta(days=int(rng.integers(0, DAYS)))
            paid = rng.random() > 0.1
            paid_at = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=int(rng.integers(0, 86_400)))
            buyer = f"{shop}-b{int(rng.integers(0, buyers)):02d}"
            for line in range(1 + int(rng.random() < 0.2)):
                amount = round(float(rng.uniform(10, 200)), 2)
                rows.append({
                    "shop_id": shop, "order_id": f"{shop}-o{i:04d}", "line_id": str(line + 1),
                    "buyer_key": buyer, "paid_at": paid_at if paid else None,
                    "paid_date": day if paid else None, "paid_amount": amount,
                    "refund_amount": round(amount * 0.5, 2) if rng.random() < 0.1 else 0.0,
                    "is_paid": paid,
                })
    return pd.DataFrame(rows)


def load(db, orders: pd.DataFrame, days: int = DAYS) -> None:
    db.table("fct_order_lines", orders, {"paid_at": "timestamp", "paid_date": "date",
                                         "paid_amount": "decimal(18, 2)", "refund_amount": "decimal(18, 2)"})
    spine = pd.DataFrame([{"business_date": FIRST_DAY + dt.timedelta(days=d), "shop_id": s,
                           "currency": "CNY"} for s in ("s1", "s2") for d in range(days)])
    db.table("fct_shop_daily", spine, {"business_date": "date"})


@pytest.fixture
def buyers_db(model_db):
    orders = random_orders()
    load(model_db, orders)
    model_db.run(*BUYER_MODELS)
    return model_db, orders


def paid_orders(orders: pd.DataFrame) -> pd.DataFrame:
    """One row per paid order, with the buyer's first paid day (by payment time)."""
    paid = orders[orders["is_paid"]].groupby(["shop_id", "order_id"], as_index=False).agg(
        buyer_key=("buyer_key", "first"), paid_at=("paid_at", "first"),
        paid_date=("paid_date", "first"), gmv=("paid_amount", "sum"))
    paid["first_paid_date"] = paid.groupby(["shop_id", "buyer_key"])["paid_date"].transform("min")
    return paid


def test_each_order_knows_the_buyers_orders_before_it(buyers_db):
    # fct_buyer_daily counts buyers from these columns alone: a wrong day here is a wrong count there
    db, orders = buyers_db
    paid = paid_orders(orders).sort_values(["shop_id", "buyer_key", "paid_at", "order_id"])
    history = paid.groupby(["shop_id", "buyer_key"])
    paid["seq"] = history.cumcount() + 1
    paid["previous"] = history["paid_date"].shift(1)
    paid["second_previous"] = history["paid_date"].shift(2)
    got = db.df("select shop_id, order_id, buyer_order_seq, previous_paid_date, second_previous_paid_date, "
                "first_paid_date from fct_buyer_orders").set_index(["shop_id", "order_id"])
    assert len(got) == len(paid)
    day = lambda value: None if pd.isna(value) else pd.Timestamp(value)  # noqa: E731
    for row in paid.itertuples():
        mine = got.loc[(row.shop_id, row.order_id)]
        assert mine["buyer_order_seq"] == row.seq, row
        assert day(mine["previous_paid_date"]) == day(row.previous), row
        assert day(mine["second_previous_paid_date"]) == day(row.second_previous), row
        assert day(mine["first_paid_date"]) == day(row.first_paid_date), row
    # buyers who came back at least twice, some of them on a day they had already paid
    assert (paid["second_previous"].notna()).sum() > 50
    assert (paid["previous"] == paid["paid_date"]).sum() > 0


def test_new_and_returning_buyers_per_day(buyers_db):
    db, orders = buyers_db
    paid = paid_orders(orders)
    got = db.df("select * from fct_buyer_daily").set_index(["shop_id", "business_date"])
    checked = 0
    for (shop, day), group in paid.groupby(["shop_id", "paid_date"]):
        buyers = group.groupby("buyer_key")["first_paid_date"].first()
        row = got.loc[(shop, pd.Timestamp(day))]
        new = set(buyers[buyers == day].index)
        assert row["paying_buyers"] == len(buyers)
        assert row["new_buyers"] == len(new)
        assert row["returning_buyers"] == len(buyers) - len(new)
        new_gmv = group[group["buyer_key"].isin(new)]["gmv"].sum()
        assert float(row["new_buyer_gmv"]) == pytest.approx(new_gmv, abs=0.005)
        assert float(row["returning_buyer_gmv"]) == pytest.approx(group["gmv"].sum() - new_gmv, abs=0.005)
        checked += 1
    assert checked > 100
    # a day without sales has no buyers at all, and every day of the spine has a row
    assert len(got) == 2 * DAYS
    # the whole history: every buyer is new exactly once
    assert got.groupby(level=0)["new_buyers"].sum().to_dict() == paid.groupby("shop_id")["buyer_key"].nunique().to_dict()


def brute_force_windows(paid: pd.DataFrame, shop: str, day: dt.date, n: int) -> tuple[int, int]:
    """(buyers with a paid order in the n days ending on day, those with two or more)."""
    window = paid[(paid["shop_id"] == shop) & (paid["paid_date"] <= day)
                  & (paid["paid_date"] > day - dt.timedelta(days=n))]
    per_buyer = window.groupby("buyer_key")["order_id"].nunique()
    return len(per_buyer), int((per_buyer >= 2).sum())


def test_repeat_rates_over_30_and_90_days(buyers_db):
    db, orders = buyers_db
    paid = paid_orders(orders)
    got = db.df("select * from fct_buyer_daily").set_index(["shop_id", "business_date"])
    for shop in ("s1", "s2"):
        for offset in range(0, DAYS, 3):
            day = FIRST_DAY + dt.timedelta(days=offset)
            row = got.loc[(shop, pd.Timestamp(day))]
            for n in (30, 90):
                buyers, repeat = brute_force_windows(paid, shop, day, n)
                assert (row[f"buyers_{n}d"], row[f"repeat_buyers_{n}d"]) == (buyers, repeat), (shop, day, n)
                expected = repeat / buyers if buyers else None
                assert (row[f"repeat_rate_{n}d"] if buyers else None) == pytest.approx(expected)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(0, 100)), min_size=1, max_size=25))
def test_repeat_windows_match_brute_force_on_any_order_history(new_model_db, events):
    # the factory fixture opens a fresh database for every example
    # (buyer, day) pairs: any mix of same-day repeats, gaps shorter and longer than a window
    orders = pd.DataFrame([{
        "shop_id": "s1", "order_id": f"o{i}", "line_id": "1", "buyer_key": f"b{buyer}",
        "paid_at": dt.datetime.combine(FIRST_DAY + dt.timedelta(days=day), dt.time(12)) + dt.timedelta(seconds=i),
        "paid_date": FIRST_DAY + dt.timedelta(days=day), "paid_amount": 10.0, "refund_amount": 0.0,
        "is_paid": True} for i, (buyer, day) in enumerate(events)])
    db = new_model_db()
    load(db, orders, days=101)
    db.run("fct_buyer_orders", "fct_buyer_daily")
    got = db.df("select buyers_30d, repeat_buyers_30d, buyers_90d, repeat_buyers_90d from fct_buyer_daily "
                "where shop_id = 's1' order by business_date")
    db.con.close()
    # orders per buyer and day, summed over the n days ending on each day
    per_day = np.zeros((6, 101), dtype=int)
    for buyer, day in events:
        per_day[buyer, day] += 1
    cumulative = np.concatenate([np.zeros((6, 1), dtype=int), per_day.cumsum(axis=1)], axis=1)
    for n in (30, 90):
        start = np.maximum(np.arange(101) + 1 - n, 0)
        in_window = cumulative[:, 1:] - cumulative[:, start]
        assert got[f"buyers_{n}d"].tolist() == (in_window >= 1).sum(axis=0).tolist(), n
        assert got[f"repeat_buyers_{n}d"].tolist() == (in_window >= 2).sum(axis=0).tolist(), n


def test_weekly_buyers_count_each_buyer_once(buyers_db):
    db, orders = buyers_db
    paid = paid_orders(orders)
    paid["week_start"] = paid["paid_date"].map(lambda d: d - dt.timedelta(days=d.weekday()))
    got = db.df("select * from fct_buyer_weekly").set_index(["shop_id", "week_start"])
    for (shop, week), group in paid.groupby(["shop_id", "week_start"]):
        first = group.groupby("buyer_key")["first_paid_date"].first()
        row = got.loc[(shop, pd.Timestamp(week))]
        assert row["paying_buyers"] == len(first)
        assert row["new_buyers"] == int((first >= week).sum())
        assert row["returning_buyers"] == int((first < week).sum())
        assert row["repeat_buyers_in_week"] == int((group.groupby("buyer_key")["order_id"].nunique() >= 2).sum())
        iso = week.isocalendar()
        assert row["week_label"] == f"{iso.year}-W{iso.week:02d}"
    # the repeat rates of a week are those of its last day with data
    daily = db.df("select * from fct_buyer_daily").set_index(["shop_id", "business_date"])
    for (shop, week), row in got.iterrows():
        assert row["repeat_rate_30d"] == daily.loc[(shop, row["as_of_date"]), "repeat_rate_30d"]


def test_monthly_first_order_cohorts(buyers_db):
    db, orders = buyers_db
    paid = paid_orders(orders).sort_values(["shop_id", "buyer_key", "paid_at", "order_id"])
    paid["seq"] = paid.groupby(["shop_id", "buyer_key"]).cumcount() + 1
    paid["cohort"] = paid["first_paid_date"].map(lambda d: d.replace(day=1))
    paid["k"] = paid.apply(lambda r: (r.paid_date.year - r.cohort.year) * 12 + r.paid_date.month - r.cohort.month, axis=1)
    got = db.df("select * from fct_buyer_cohorts").set_index(["shop_id", "cohort_month", "months_since_first"])
    last_month = (FIRST_DAY + dt.timedelta(days=DAYS - 1)).replace(day=1)
    for (shop, cohort), members in paid[paid["seq"] == 1].groupby(["shop_id", "cohort"]):
        buyers = set(members["buyer_key"])
        repeats = paid[(paid["shop_id"] == shop) & paid["buyer_key"].isin(buyers) & (paid["seq"] > 1)]
        first_repeat = repeats.groupby("buyer_key")["k"].min()
        months = (last_month.year - cohort.year) * 12 + last_month.month - cohort.month
        for k in range(months + 1):
            row = got.loc[(shop, pd.Timestamp(cohort), k)]
            in_month = repeats[repeats["k"] == k]
            assert row["cohort_buyers"] == len(buyers)
            assert row["repurchase_buyers"] == in_month["buyer_key"].nunique(), (shop, cohort, k)
            assert row["repeat_orders"] == len(in_month)
            assert row["cumulative_repurchase_buyers"] == int((first_repeat <= k).sum())
            assert row["repurchase_rate"] == pytest.approx(in_month["buyer_key"].nunique() / len(buyers))
        assert (shop, pd.Timestamp(cohort), months + 1) not in got.index
    # the current month (the data ends on 27 Sep) is not complete
    assert not got.loc[("s1", pd.Timestamp("2026-05-01"), 4), "is_complete_month"]
    assert got.loc[("s1", pd.Timestamp("2026-05-01"), 3), "is_complete_month"]


def test_cohort_months_count_each_months_orders_of_the_cohort(buyers_db):
    """fct_buyer_cohort_months, which fct_buyer_cohorts is summed from: per cohort and month
    paid, the first orders, the repeat buyers, orders and GMV, and the buyers whose second paid
    order it is."""
    db, orders = buyers_db
    paid = paid_orders(orders).sort_values(["shop_id", "buyer_key", "paid_at", "order_id"])
    paid["seq"] = paid.groupby(["shop_id", "buyer_key"]).cumcount() + 1
    paid["cohort"] = paid["first_paid_date"].map(lambda d: pd.Timestamp(d.replace(day=1)))
    paid["month"] = paid["paid_date"].map(lambda d: pd.Timestamp(d.replace(day=1)))
    got = db.df("select * from fct_buyer_cohort_months").set_index(["shop_id", "cohort_month", "paid_month"])
    cells = paid.groupby(["shop_id", "cohort", "month"])
    assert len(got) == cells.ngroups > 20
    for (shop, cohort, month), cell in cells:
        row, repeats = got.loc[(shop, cohort, month)], cell[cell["seq"] > 1]
        assert row["first_orders"] == (cell["seq"] == 1).sum()
        assert (row["first_orders"] > 0) == (month == cohort)
        assert row["repurchase_buyers"] == repeats["buyer_key"].nunique()
        assert row["first_time_repurchasers"] == (cell["seq"] == 2).sum()
        assert row["repeat_orders"] == len(repeats)
        assert float(row["repeat_gmv"]) == pytest.approx(repeats["gmv"].sum(), abs=0.005)


def test_all_shops_add_the_shops_up(buyers_db):
    db, _ = buyers_db
    got = db.df("select * from rpt_daily_buyers").set_index(["scope_id", "business_date"])
    daily = db.df("select * from fct_buyer_daily").set_index(["shop_id", "business_date"])
    day = pd.Timestamp(FIRST_DAY + dt.timedelta(days=120))
    s1, s2, everyone = daily.loc[("s1", day)], daily.loc[("s2", day)], got.loc[("all", day)]
    assert everyone["new_buyers"] == s1["new_buyers"] + s2["new_buyers"]
    assert everyone["repeat_rate_30d"] == pytest.approx(
        (s1["repeat_buyers_30d"] + s2["repeat_buyers_30d"]) / (s1["buyers_30d"] + s2["buyers_30d"]))
    assert got.loc[("s1", day), "returning_buyer_share"] == pytest.approx(s1["returning_buyers"] / s1["paying_buyers"])
