"""Targets and the [products] configuration: the targets file (errors name file, row and column),
month-to-date pacing against pandas, and the new models built end to end on the hand-made
exports (buyers, cohort refunds, payback, products and targets worked out by hand)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pandas as pd
import pytest

from flows import pipeline
from flows.settings import ConfigError, load_settings
from flows.warehouse.build import ModelError, load_targets
from flows.warehouse.db import open_warehouse

D = dt.date
HEADER = "shop_id,month,gmv_target,ad_cost_target\n"


def targets_table(tmp_path, text: str, shops=("tmall_flagship", "shopify_us")):
    path = tmp_path / "targets.csv"
    path.write_text(text, encoding="utf-8")
    con = duckdb.connect()
    con.execute("create table seed_targets (shop_id varchar, month_start date, gmv_target decimal(18, 2), "
                "ad_cost_target decimal(18, 2))")
    load_targets(con, path, list(shops))
    return con.execute("select * from seed_targets order by shop_id, month_start").fetchall()


def test_targets_file_loads(tmp_path):
    rows = targets_table(tmp_path, HEADER + "tmall_flagship,2026-11,2700000,168000\n"
                                            "shopify_us,2026-11, 70800.50 ,\n")
    assert rows == [("shopify_us", D(2026, 11, 1), Decimal("70800.50"), None),
                    ("tmall_flagship", D(2026, 11, 1), Decimal("2700000.00"), Decimal("168000.00"))]


@pytest.mark.parametrize("text, where", [
    (HEADER + "tmall_flagship,2026-11,1000,10\nnosuchshop,2026-11,1000,10\n", "row 3, column shop_id"),
    (HEADER + "tmall_flagship,2026/11,1000,10\n", "row 2, column month"),
    (HEADER + "tmall_flagship,2026-11,1000,10\ntmall_flagship,2026-11,2000,10\n", "row 3, column month"),
    (HEADER + "tmall_flagship,2026-11,-5,10\n", "row 2, column gmv_target"),
    (HEADER + "tmall_flagship,2026-11,,10\n", "row 2, column gmv_target"),
    (HEADER + "tmall_flagship,2026-11,1000,ten\n", "row 2, column ad_cost_target"),
    ("shop_id,month,gmv\ntmall_flagship,2026-11,1000\n", "missing column(s) gmv_target, ad_cost_target"),
])
def test_a_bad_targets_file_names_file_row_and_column(tmp_path, text, where):
    with pytest.raises(ModelError) as err:
        targets_table(tmp_path, text)
    assert str(tmp_path / "targets.csv") in str(err.value) and where in str(err.value)


def test_a_missing_targets_file_names_the_setting(tmp_path):
    con = duckdb.connect()
    with pytest.raises(ModelError, match="paths.targets"):
        load_targets(con, tmp_path / "nope.csv", ["s1"])


CONFIG = """
[paths]
targets = "plans/targets.csv"

[[shops]]
id = "tmall_flagship"
currency = "CNY"

[products]
baseline_weeks = 3
traffic_drop = 0.4
"""


def test_settings_read_targets_path_and_product_rules(tmp_path):
    path = tmp_path / "shopreport.toml"
    path.write_text(CONFIG, encoding="utf-8")
    s = load_settings(path)
    assert s.targets_path == tmp_path / "plans" / "targets.csv"
    assert (s.products.baseline_weeks, s.products.traffic_drop, s.products.min_orders) == (3, 0.4, 3.0)


@pytest.mark.parametrize("change, key", [
    (("traffic_drop = 0.4", "traffic_drop = 40"), "products.traffic_drop"),
    (("baseline_weeks = 3", "baseline_weeks = 0"), "products.baseline_weeks"),
    (("baseline_weeks = 3", "baseline_weeks = 3.5"), "products.baseline_weeks"),
    (("traffic_drop = 0.4", "trafic_drop = 0.4"), "products.trafic_drop"),
    (("traffic_drop = 0.4", "refund_spike = -1"), "products.refund_spike"),
    (("traffic_drop = 0.4", "min_visitors = -10"), "products.min_visitors"),
])
def test_a_bad_product_rule_names_the_file_and_the_key(tmp_path, change, key):
    path = tmp_path / "shopreport.toml"
    path.write_text(CONFIG.replace(*change), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_month_to_date_pacing_matches_pandas(model_db):
    # s1 has data from 12 Oct; targets for October and November, not December. s2's data starts
    # on 10 Nov (mid-month) and it has no ad budget.
    days = pd.date_range("2026-10-12", "2026-12-03").date
    shop_daily = pd.DataFrame(
        [{"business_date": d, "shop_id": "s1", "currency": "CNY", "gmv": 1000 + 10 * i, "ad_cost": 100 + i}
         for i, d in enumerate(days)]
        + [{"business_date": d, "shop_id": "s2", "currency": "USD", "gmv": 50.0, "ad_cost": 5.0}
           for d in days if d >= D(2026, 11, 10)])
    targets = pd.DataFrame([
        {"shop_id": "s1", "month_start": D(2026, 10, 1), "gmv_target": 40000, "ad_cost_target": 4000},
        {"shop_id": "s1", "month_start": D(2026, 11, 1), "gmv_target": 45000, "ad_cost_target": 5000},
        {"shop_id": "s2", "month_start": D(2026, 11, 1), "gmv_target": 1200, "ad_cost_target": None}])
    model_db.table("fct_shop_daily", shop_daily, {"business_date": "date", "gmv": "decimal(18, 2)",
                                                  "ad_cost": "decimal(18, 2)"})
    model_db.table("seed_targets", targets, {"month_start": "date", "gmv_target": "decimal(18, 2)",
                                             "ad_cost_target": "decimal(18, 2)"})
    model_db.run("stg_targets", "fct_target_pacing_daily", "rpt_daily_target_pacing")
    got = model_db.df("select * from rpt_daily_target_pacing").set_index(["scope_id", "business_date"])
    assert {d.month for d in got.index.get_level_values(1)} == {10, 11}  # December has no target
    for _, t in targets.iterrows():
        month_days = 31 if t.month_start.month == 10 else 30
        rows = shop_daily[(shop_daily.shop_id == t.shop_id)
                          & shop_daily.business_date.map(lambda d: (d.year, d.month) == (t.month_start.year, t.month_start.month))]
        for _, day in rows.iterrows():
            so_far = rows[rows.business_date <= day.business_date]
            share = day.business_date.day / month_days
            row = got.loc[(t.shop_id, pd.Timestamp(day.business_date))]
            assert float(row["gmv_mtd"]) == pytest.approx(so_far.gmv.sum())
            assert row["elapsed_share"] == pytest.approx(share)
            assert row["gmv_pacing"] == pytest.approx(so_far.gmv.sum() / (t.gmv_target * share))
            assert row["gmv_projected"] == pytest.approx(so_far.gmv.sum() / share)
            assert row["gmv_projected_attainment"] == pytest.approx(so_far.gmv.sum() / share / t.gmv_target)
            assert row["gmv_attainment"] == pytest.approx(so_far.gmv.sum() / t.gmv_target)
            assert row["has_full_month_to_date"] == (len(so_far) == day.business_date.day)
            if pd.isna(t.ad_cost_target):
                assert pd.isna(row["ad_cost_pacing"]) and pd.isna(row["ad_cost_projected_attainment"])
            else:
                assert row["ad_cost_pacing"] == pytest.approx(so_far.ad_cost.sum() / (t.ad_cost_target * share))
    # the week's share of the monthly target: Monday 26 Oct – Sunday 1 Nov spans two months
    daily = model_db.df("select business_date, gmv_target_daily from fct_target_pacing_daily "
                        "where shop_id = 's1' and business_date between '2026-10-26' and '2026-11-01'")
    assert float(daily["gmv_target_daily"].sum()) == pytest.approx(6 * 40000 / 31 + 45000 / 30)


@pytest.fixture
def built_with_targets(project, drop):
    """The hand-made exports of both shops (two Tmall order snapshots), with a targets file."""
    config = project.config_path.read_text(encoding="utf-8").replace(
        'fx_rates = "fx_rates.csv"', 'fx_rates = "fx_rates.csv"\ntargets = "targets.csv"')
    project.config_path.write_text(config, encoding="utf-8")
    (project.base_dir / "targets.csv").write_text(
        HEADER + "tmall_flagship,2026-11,30000,100000\nshopify_us,2026-11,1000,\n", encoding="utf-8")
    settings = load_settings(project.config_path)
    drop(settings, "tmall_flagship", "ExportOrderList_2026-11-22.csv",
         "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv", "计划报表_20261123_073000.csv")
    drop(settings, "shopify_us", "orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
         "sessions_over_time_2026-11-22.csv")
    pipeline.ingest(settings)
    drop(settings, "tmall_flagship", "ExportOrderList_2026-11-23.csv")
    pipeline.ingest(settings)
    pipeline.build_warehouse(settings)
    return settings


def q(settings, sql, params=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_new_models_on_the_hand_made_exports(built_with_targets):
    s = built_with_targets
    # Tmall: tb_carol pays …126 on 11-20 (new); tb_alice pays …123 and …125 on 11-22 (one new
    # buyer with two orders); tb_dave pays …127 on 11-23 (new). On 11-22 the 30-day window holds
    # carol and alice, and alice has two orders: repeat rate 1/2.
    assert q(s, "select business_date, paying_buyers, new_buyers, returning_buyers, buyers_30d, "
                "repeat_buyers_30d, repeat_rate_30d from fct_buyer_daily where shop_id = 'tmall_flagship' "
                "order by business_date") == [
        (D(2026, 11, 20), 1, 1, 0, 1, 0, 0.0), (D(2026, 11, 21), 0, 0, 0, 1, 0, 0.0),
        (D(2026, 11, 22), 1, 1, 0, 2, 1, 0.5), (D(2026, 11, 23), 1, 1, 0, 3, 1, 1 / 3)]
    # Shopify 11-22 (New York): ann (#1001) and cat (#1003) are new; ben's #1002 is unpaid
    assert q(s, "select new_buyers, returning_buyers from rpt_daily_buyers "
                "where scope_id = 'shopify_us' and business_date = '2026-11-22'") == [(2, 0)]
    # the cohort of 11-22: 1,234.50 + 99.00 paid, 30.00 refunded on …125 since
    [(gmv, refunded, rate)] = q(s, "select cohort_gmv, cohort_refund_amount, cohort_refund_rate from "
                                   "fct_refund_cohorts_daily where shop_id = 'tmall_flagship' and business_date = '2026-11-22'")
    assert (gmv, refunded) == (Decimal("1333.50"), Decimal("30.00")) and rate == pytest.approx(30 / 1333.5)
    for attributed, cost, adjusted in q(s, "select attributed_revenue, cost, refund_adjusted_roas from rpt_daily_ad_payback "
                                           "where scope_id = 'tmall_flagship' and business_date = '2026-11-22'"):
        assert adjusted == pytest.approx(float(attributed) * (1 - 30 / 1333.5) / float(cost))
    # blended: 1,333.50 GMV ÷ 3,960.50 ad cost on 11-22
    [(blended, breakeven)] = q(s, "select blended_roas, breakeven_roas from rpt_daily_blended_roas "
                                  "where scope_id = 'tmall_flagship' and business_date = '2026-11-22'")
    assert blended == pytest.approx(1333.50 / 3960.50) and breakeven == pytest.approx(1 / 0.45)
    # products keyed by title (the Tmall export has no SKU); 保温杯 500ml: …125 paid 99.00 on 11-22
    assert q(s, "select gmv, order_lines, visitors from fct_product_daily where shop_id = 'tmall_flagship' "
                "and product_key = '保温杯 500ml' and business_date = '2026-11-22'") == [(Decimal("99.00"), 1, None)]
    # targets: Tmall GMV in November up to 11-22 is 199.00 + 1,333.50; 22 of 30 days gone; its data
    # starts on 11-20, so the month to date is not complete
    [(mtd, pacing, projected, full)] = q(s, "select gmv_mtd, gmv_pacing, gmv_projected, has_full_month_to_date "
                                            "from rpt_daily_target_pacing where scope_id = 'tmall_flagship' "
                                            "and business_date = '2026-11-22'")
    assert mtd == Decimal("1532.50") and not full
    assert pacing == pytest.approx(1532.5 / (30000 * 22 / 30)) and projected == pytest.approx(1532.5 * 30 / 22)
    assert q(s, "select ad_cost_target, ad_cost_pacing from rpt_daily_target_pacing "
                "where scope_id = 'shopify_us' and business_date = '2026-11-22'") == [(None, None)]
