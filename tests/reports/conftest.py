"""The report tests' fixture warehouse: the shared ``rpt_*`` tables (tests/conftest.py) plus the
tables of the newer sections — target pacing, buyers, blended ROAS and campaign payback, abnormal
products — with rows for the report day (Sunday 2026-11-22).

``rpt_warehouse`` is overridden here for the tests in this folder only; a warehouse without the
newer tables (``rpt_facts.build``) must still give a report, with a note in its data-quality box.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

REPORT_DATE = date(2026, 11, 22)
SCRIPT_TITLE = '<script>alert("xss")</script>保温杯 500ml'

SECTION_TABLES: dict[str, list[tuple[str, str]]] = {
    "rpt_daily_buyers": [
        ("business_date", "date"), ("scope_id", "varchar"), ("paying_buyers", "bigint"),
        ("new_buyers", "bigint"), ("returning_buyers", "bigint"), ("returning_buyer_share", "double"),
        ("repeat_rate_30d", "double"), ("repeat_rate_90d", "double"),
    ],
    "rpt_daily_target_pacing": [
        ("business_date", "date"), ("scope_id", "varchar"), ("currency", "varchar"),
        ("month_start", "date"), ("days_in_month", "integer"), ("elapsed_days", "integer"),
        ("elapsed_share", "double"), ("has_full_month_to_date", "boolean"),
        ("gmv_mtd", "decimal(18,2)"), ("gmv_target", "decimal(18,2)"),
        ("gmv_target_to_date", "double"), ("gmv_attainment", "double"), ("gmv_pacing", "double"),
        ("gmv_projected", "double"), ("gmv_projected_attainment", "double"),
        ("ad_cost_mtd", "decimal(18,2)"), ("ad_cost_target", "decimal(18,2)"),
        ("ad_cost_target_to_date", "double"), ("ad_cost_attainment", "double"),
        ("ad_cost_pacing", "double"), ("ad_cost_projected", "double"),
        ("ad_cost_projected_attainment", "double"),
    ],
    "rpt_daily_blended_roas": [
        ("business_date", "date"), ("scope_id", "varchar"), ("ad_cost", "decimal(18,2)"),
        ("blended_roas", "double"), ("breakeven_roas", "double"), ("is_below_breakeven", "boolean"),
        ("cohort_refund_rate_30d", "double"), ("refund_adjusted_blended_roas_30d", "double"),
    ],
    "rpt_daily_ad_payback": [
        ("business_date", "date"), ("scope_id", "varchar"), ("channel", "varchar"),
        ("campaign_id", "varchar"), ("roas_30d", "double"), ("refund_adjusted_roas_30d", "double"),
        ("is_below_breakeven_after_refunds_30d", "boolean"),
    ],
    "rpt_daily_abnormal_products": [
        ("business_date", "date"), ("scope_id", "varchar"), ("product_rank", "bigint"),
        ("product_key", "varchar"), ("product_name", "varchar"), ("currency", "varchar"),
        ("order_lines", "bigint"), ("refund_amount", "decimal(18,2)"), ("refund_lines", "bigint"),
        ("visitors", "bigint"), ("conversion", "double"), ("baseline_order_lines", "double"),
        ("baseline_refund_amount", "double"), ("baseline_visitors", "double"),
        ("baseline_conversion", "double"), ("visitors_change", "double"),
        ("conversion_change", "double"), ("is_sales_stopped", "boolean"),
        ("is_traffic_drop", "boolean"), ("is_conversion_drop", "boolean"),
        ("is_refund_spike", "boolean"),
    ],
    "rpt_daily_product_checks": [
        ("business_date", "date"), ("scope_id", "varchar"), ("products_checked", "bigint"),
        ("products_abnormal", "bigint"), ("has_product_traffic", "boolean"),
    ],
}

D = REPORT_DATE
SECTION_ROWS: dict[str, list[tuple]] = {
    "rpt_daily_buyers": [
        (D, "tmall_flagship", 257, 180, 77, 77 / 257, 0.0412, 0.0837),
        (D, "us_store", 24, 20, 4, 4 / 24, 0.031, 0.062),
        (D, "all", 281, 200, 81, 81 / 281, 0.0405, 0.0826),
    ],
    # Tmall: November GMV target ¥2,700,000, ¥1,800,000 by day 22 of 30 (73.3 % of the month):
    # 66.7 % reached, pace 0.909, projected ¥2,454,545 (90.9 %); ad budget ¥500,000, ¥400,000
    # spent: pace 1.09 → over budget. US Store: ahead on GMV, no ad budget.
    "rpt_daily_target_pacing": [
        (D, "tmall_flagship", "CNY", date(2026, 11, 1), 30, 22, 22 / 30, True, 1_800_000, 2_700_000,
         1_980_000, 1_800_000 / 2_700_000, 1_800_000 / 1_980_000, 1_800_000 * 30 / 22,
         1_800_000 * 30 / 22 / 2_700_000, 400_000, 500_000, 366_666.67, 0.8, 400_000 / 366_666.67,
         400_000 * 30 / 22, 400_000 * 30 / 22 / 500_000),
        (D, "us_store", "USD", date(2026, 11, 1), 30, 22, 22 / 30, False, 60_000, 70_000, 51_333.33,
         60_000 / 70_000, 60_000 / 51_333.33, 60_000 * 30 / 22, 60_000 * 30 / 22 / 70_000,
         5_000, None, None, None, None, 5_000 * 30 / 22, None),
    ],
    "rpt_daily_blended_roas": [
        (D, "tmall_flagship", 20_000, 6.17, 2.5, False, 0.065, 5.43),
        (D, "us_store", 200, 1.8, 2.0, True, 0.05, 1.7),
        (D, "all", 21_440, 5.79, 2.45, False, 0.063, 5.2),
    ],
    # g-1 makes 4.50 on the day but only 1.90 over 30 days after refunds (< 2.0): flagged
    "rpt_daily_ad_payback": [
        (D, "tmall_flagship", "ztc", "c-100", 2.8, 2.6, False),
        (D, "tmall_flagship", "ztc", "c-200", 1.6, 1.45, True),
        (D, "us_store", "google_ads", "g-1", 2.1, 1.9, True),
    ],
    "rpt_daily_abnormal_products": [
        (D, "tmall_flagship", 1, "t1", SCRIPT_TITLE, "CNY", 0, 1_200, 4, None, None, 6.75, 300, None,
         None, None, None, True, False, False, True),
        (D, "tmall_flagship", 2, "t2", "羽绒服 男款 加厚", "CNY", 20, 0, 0, 400, 0.05, 25, 0, 1_000,
         0.04, -0.6, 0.25, False, True, False, False),
    ],
    "rpt_daily_product_checks": [
        (D, "tmall_flagship", 12, 2, True),
        (D, "us_store", 5, 0, False),
    ],
}


def add_section_tables(path: Path) -> Path:
    import duckdb

    with duckdb.connect(str(path)) as con:
        for table, columns in SECTION_TABLES.items():
            con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
            marks = ", ".join("?" for _ in columns)
            con.executemany(f"insert into {table} values ({marks})", SECTION_ROWS[table])
    return path


@pytest.fixture(scope="session")
def rpt_warehouse(tmp_path_factory, rpt_facts) -> Path:
    """The shared fixture warehouse plus the newer sections' tables (read only)."""
    path = rpt_facts.build(tmp_path_factory.mktemp("warehouse_sections") / "shopreport.duckdb")
    return add_section_tables(path)
