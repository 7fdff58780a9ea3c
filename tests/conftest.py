"""Shared test fixtures: a tiny ``rpt_*`` warehouse, report settings, a model-docs folder, a
real SMTP server (aiosmtpd on 127.0.0.1), one Prefect test server per test process, and
``made_once`` for expensive folders that the test processes of one run share.

The ``rpt_*`` fixture tables follow the contract in docs/architecture.md ("Report tables")
column for column, in a real DuckDB file. Report day: Sunday 2026-11-22; two shops
(``tmall_flagship`` 天猫旗舰店 in CNY, ``us_store`` in USD) and the ``all`` scope.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from flows.prefect_server import free_port

REPORT_DATE = date(2026, 11, 22)
SCRIPT_TITLE = '<script>alert("xss")</script>保温杯 500ml'

# --------------------------------------------------------------------------------------------
# the rpt_ contract: table → (column, type) in contract order
# --------------------------------------------------------------------------------------------

RPT_TABLES: dict[str, list[tuple[str, str]]] = {
    "rpt_daily_source_bridge": [
        ("business_date", "date"), ("scope_id", "varchar"), ("source", "varchar"),
        ("currency", "varchar"), ("comparison", "varchar"), ("comparison_order", "integer"),
        ("bridge_status", "varchar"), ("gmv_base", "double"), ("gmv", "double"),
        ("gmv_change", "double"), ("visitors_base", "double"), ("visitors", "double"),
        ("conversion_base", "double"), ("conversion", "double"), ("aov_base", "double"),
        ("aov", "double"), ("traffic_effect", "double"), ("conversion_effect", "double"),
        ("aov_effect", "double"),
    ],
    "rpt_daily_bridge": [
        ("business_date", "date"), ("scope_id", "varchar"), ("currency", "varchar"),
        ("comparison", "varchar"), ("comparison_order", "integer"), ("base_date", "date"),
        ("bridge_status", "varchar"), ("gmv_base", "double"), ("gmv", "double"),
        ("gmv_change", "double"), ("visitors_base", "double"), ("visitors", "double"),
        ("conversion_base", "double"), ("conversion", "double"), ("aov_base", "double"),
        ("aov", "double"), ("traffic_effect", "double"), ("conversion_effect", "double"),
        ("aov_effect", "double"),
    ],
    "rpt_daily_headline": [
        ("business_date", "date"), ("scope_id", "varchar"), ("scope_name", "varchar"),
        ("currency", "varchar"), ("metric", "varchar"), ("metric_order", "integer"),
        ("is_ratio", "boolean"), ("higher_is_better", "boolean"), ("value", "double"),
        ("value_prev_day", "double"), ("value_last_week", "double"), ("value_last_year", "double"),
        ("change_prev_day", "double"), ("change_last_week", "double"), ("change_last_year", "double"),
        ("diff_prev_day", "double"), ("diff_last_week", "double"), ("diff_last_year", "double"),
    ],
    "rpt_daily_trend": [
        ("business_date", "date"), ("scope_id", "varchar"), ("currency", "varchar"),
        ("gmv", "decimal(18,2)"), ("net_sales", "decimal(18,2)"), ("refund_amount", "decimal(18,2)"),
        ("ad_cost", "decimal(18,2)"), ("visitors", "bigint"), ("paying_buyers", "bigint"),
    ],
    "rpt_daily_funnel": [
        ("business_date", "date"), ("scope_id", "varchar"), ("step_order", "integer"),
        ("step", "varchar"), ("users", "bigint"), ("rate_from_previous", "double"),
        ("rate_from_top", "double"),
    ],
    "rpt_daily_traffic_sources": [
        ("business_date", "date"), ("scope_id", "varchar"), ("source", "varchar"),
        ("visitors", "bigint"), ("paying_buyers", "bigint"), ("paid_amount", "decimal(18,2)"),
        ("conversion", "double"), ("visitor_share", "double"),
    ],
    "rpt_daily_ad_campaigns": [
        ("business_date", "date"), ("scope_id", "varchar"), ("channel", "varchar"),
        ("campaign_id", "varchar"), ("campaign", "varchar"), ("currency", "varchar"),
        ("impressions", "bigint"), ("clicks", "bigint"), ("cost", "decimal(18,2)"),
        ("attributed_revenue", "decimal(18,2)"), ("ctr", "double"), ("cpc", "decimal(18,2)"),
        ("roas", "double"), ("breakeven_roas", "double"), ("is_below_breakeven", "boolean"),
    ],
    "rpt_daily_refunds": [
        ("business_date", "date"), ("scope_id", "varchar"), ("currency", "varchar"),
        ("refund_amount", "decimal(18,2)"), ("refund_lines", "bigint"), ("gmv", "decimal(18,2)"),
        ("refund_rate", "double"),
    ],
    "rpt_daily_refund_products": [
        ("business_date", "date"), ("scope_id", "varchar"), ("product_rank", "integer"),
        ("product_name", "varchar"), ("refund_amount", "decimal(18,2)"), ("refund_lines", "bigint"),
    ],
    "rpt_daily_top_products": [
        ("business_date", "date"), ("scope_id", "varchar"), ("product_rank", "integer"),
        ("product_name", "varchar"), ("gmv", "decimal(18,2)"), ("quantity", "bigint"),
        ("paying_buyers", "bigint"),
    ],
    "rpt_daily_source_coverage": [
        ("business_date", "date"), ("scope_id", "varchar"), ("entity", "varchar"),
        ("rows", "bigint"), ("is_missing", "boolean"),
    ],
    "rpt_files_loaded": [
        ("source_file_id", "varchar"), ("run_id", "varchar"), ("shop_id", "varchar"),
        ("file_name", "varchar"), ("profile", "varchar"), ("entity", "varchar"),
        ("rows_read", "bigint"), ("rows_loaded", "bigint"), ("rows_rejected", "bigint"),
        ("loaded_at", "timestamptz"), ("coverage_start", "date"), ("coverage_end", "date"),
    ],
}

# metric → (metric_order, is_ratio, higher_is_better)
METRICS = {
    "gmv": (1, False, True), "visitors": (2, False, True), "conversion": (3, True, True),
    "aov": (4, False, True), "paying_buyers": (5, False, True), "refund_amount": (6, False, False),
    "net_sales": (7, False, True), "ad_cost": (8, False, None), "roas": (9, True, True),
}

# scope → (scope_name, currency, {metric: (value, prev_day, last_week, last_year)})
HEADLINE = {
    "tmall_flagship": ("天猫旗舰店", "CNY", {
        "gmv": (123_456.78, 118_000.00, 114_311.83, None),
        "visitors": (8_000, 8_200, 7_500, 6_000),
        "conversion": (0.0321, 0.0281, 0.0321, None),
        "aov": (480.38, 470.00, 490.00, 455.00),
        "paying_buyers": (257, 251, 233, 210),
        "refund_amount": (5_432.10, 4_000.00, 5_432.10, 3_000.00),
        "net_sales": (118_024.68, 114_000.00, 108_879.73, None),
        "ad_cost": (20_000.00, 18_000.00, 21_000.00, None),
        "roas": (2.10, 2.40, 2.00, None),
    }),
    "us_store": ("US Store", "USD", {
        "gmv": (2_345.67, 2_000.00, 2_500.00, 1_800.00),
        "visitors": (900, 850, 950, 700),
        "conversion": (0.0267, 0.0259, 0.0274, 0.0257),
        "aov": (97.74, 90.91, 96.15, 100.00),
        "paying_buyers": (24, 22, 26, 18),
        "refund_amount": (120.00, 0.0, 80.00, None),
        "net_sales": (2_225.67, 2_000.00, 2_420.00, None),
        "ad_cost": (200.00, 210.00, 190.00, None),
        "roas": (4.50, 4.10, 4.70, None),
    }),
    "all": ("all shops", "CNY", {
        "gmv": (1_240_345.00, 1_150_000.00, 1_148_467.59, None),
        "visitors": (8_900, 9_050, 8_450, 6_700),
        "conversion": (0.0316, 0.0302, 0.0306, None),
        "aov": (4_428.38, 4_259.26, 4_338.94, None),
        "paying_buyers": (281, 273, 259, 228),
        "refund_amount": (6_293.10, 4_000.00, 6_006.10, None),
        "net_sales": (1_234_051.90, 1_146_000.00, 1_142_461.49, None),
        "ad_cost": (21_440.00, 19_512.00, 22_368.00, None),
        "roas": (2.25, 2.51, 2.13, None),
    }),
}


def _headline_rows():
    for scope, (name, currency, metrics) in HEADLINE.items():
        for metric, (value, *bases) in metrics.items():
            order, is_ratio, hib = METRICS[metric]
            changes = [None if b in (None, 0) else value / b - 1 for b in bases]
            diffs = [None if b is None else value - b for b in bases]
            yield (REPORT_DATE, scope, name, currency, metric, order, is_ratio, hib, value,
                   *bases, *changes, *diffs)


def _trend_rows():
    for scope, currency, scale in (("tmall_flagship", "CNY", 1.0), ("us_store", "USD", 0.02),
                                   ("all", "CNY", 11.0)):
        for back in range(40):
            day = REPORT_DATE - timedelta(days=back)
            if back in (20, 21):  # two days without data: gaps in the chart
                continue
            gmv = Decimal(round((90_000 + 1_100 * ((back * 7) % 30) + 800 * (day.weekday() >= 5)) * scale, 2))
            if back == 0:
                gmv = Decimal(str(HEADLINE[scope][2]["gmv"][0]))
            refund = (gmv * Decimal("0.04")).quantize(Decimal("0.01"))
            ad = (gmv * Decimal("0.16")).quantize(Decimal("0.01"))
            yield (day, scope, currency, gmv, gmv - refund, refund, ad, int(8_000 * scale),
                   int(250 * scale))


def _funnel_rows():
    for scope, users in (("tmall_flagship", (8_000, 1_200, 300, 257)),
                         ("us_store", (900, 110, 30, 24)),
                         ("all", (8_900, 1_310, 330, 281))):
        steps = ("visitors", "add_to_cart_users", "order_buyers", "paying_buyers")
        for i, (step, n) in enumerate(zip(steps, users)):
            prev = None if i == 0 else n / users[i - 1]
            yield (REPORT_DATE, scope, i + 1, step, n, prev, n / users[0])


TRAFFIC = [
    ("tmall_flagship", "search", 4_000, 140, "60000.00"),
    ("tmall_flagship", "recommend", 2_500, 70, "35000.00"),
    ("tmall_flagship", "direct", 1_000, 35, "20000.00"),
    ("tmall_flagship", "付费推广", 500, 12, "8456.78"),
    ("us_store", "google", 600, 18, "1700.00"),
    ("us_store", "direct", 300, 6, "645.67"),
]

ADS = [
    # scope, channel, id, name, currency, impressions, clicks, cost, revenue, breakeven
    ("tmall_flagship", "ztc", "c-100", "双11爆款拉新", "CNY", 120_000, 3_000, "12000.00", "36000.00", 2.5),
    ("tmall_flagship", "ztc", "c-200", "清仓计划", "CNY", 80_000, 2_000, "8000.00", "12000.00", 2.5),
    ("us_store", "google_ads", "g-1", "Brand search", "USD", 5_000, 250, "200.00", "900.00", 2.0),
]

TOP_PRODUCTS = [
    ("tmall_flagship", 1, SCRIPT_TITLE, "30000.00", 300, 280),
    ("tmall_flagship", 2, "羽绒服 男款 加厚", "25000.00", 50, 48),
    ("tmall_flagship", 3, "Thermos & Co. 旅行杯", "9000.00", 90, 85),
    ("us_store", 1, "Insulated Mug <b>Pro</b>", "800.00", 20, 18),
]

REFUND_PRODUCTS = [
    ("tmall_flagship", 1, SCRIPT_TITLE, "2000.00", 3),
    ("tmall_flagship", 2, "羽绒服 男款 加厚", "1500.00", 2),
    ("us_store", 1, "Insulated Mug <b>Pro</b>", "120.00", 1),
]

REFUNDS = [
    ("tmall_flagship", "CNY", "5432.10", 12, "123456.78", 5432.10 / 123456.78),
    ("us_store", "USD", "120.00", 1, "2345.67", 120 / 2345.67),
    ("all", "CNY", "6293.10", 13, "1240345.00", 6293.10 / 1240345.00),
]

COVERAGE = [
    ("tmall_flagship", "orders", 512, False),
    ("tmall_flagship", "traffic", 40, False),
    ("tmall_flagship", "ad_spend", 2, False),
    ("us_store", "orders", 30, False),
    ("us_store", "traffic", 0, True),
]

RUN_NEW, RUN_OLD = "run-20261123T060000", "run-20261122T060000"
FILES = [
    ("f1", RUN_OLD, "tmall_flagship", "订单报表_20261121.csv", "tmall_orders", "orders", 480, 480, 0,
     datetime(2026, 11, 21, 22, 0, tzinfo=timezone.utc), date(2026, 11, 21), date(2026, 11, 21)),
    ("f2", RUN_NEW, "tmall_flagship", "订单报表_20261122.csv", "tmall_orders", "orders", 514, 512, 2,
     datetime(2026, 11, 22, 22, 0, 30, tzinfo=timezone.utc), date(2026, 11, 20), date(2026, 11, 22)),
    ("f3", RUN_NEW, "tmall_flagship", "生意参谋_流量_20261122.xlsx", "sycm_traffic", "traffic", 40, 40, 0,
     datetime(2026, 11, 22, 22, 0, 40, tzinfo=timezone.utc), date(2026, 11, 22), date(2026, 11, 22)),
    ("f4", RUN_NEW, "us_store", "orders_export_1.csv", "shopify_orders", "orders", 30, 30, 0,
     datetime(2026, 11, 22, 22, 1, tzinfo=timezone.utc), date(2026, 11, 22), date(2026, 11, 22)),
]


def _bridge_rows():
    """The Tmall shop vs the same weekday last week, split with the log-mean Divisia formula;
    no data a year ago (a young shop)."""
    import math

    v0, c0, a0 = 10_000, 0.030, 200.0   # GMV 60,000
    v1, c1, a1 = 10_500, 0.032, 190.0   # GMV 63,840
    g0, g1 = v0 * c0 * a0, v1 * c1 * a1
    weight = (g1 - g0) / (math.log(g1) - math.log(g0))
    yield (REPORT_DATE, "tmall_flagship", "CNY", "last_week", 2, REPORT_DATE - timedelta(days=7), "ok",
           g0, g1, g1 - g0, v0, v1, c0, c1, a0, a1, weight * math.log(v1 / v0),
           weight * math.log(c1 / c0), weight * math.log(a1 / a0))
    yield (REPORT_DATE, "tmall_flagship", "CNY", "last_year", 3, REPORT_DATE - timedelta(days=364),
           "no_base_period", None, g1, None, None, v1, None, c1, None, a1, None, None, None)


def build_rpt_warehouse(path: Path) -> Path:
    """Create the ``rpt_*`` tables (contract columns and types) with the fixture rows in ``path``."""
    import duckdb

    rows: dict[str, list[tuple]] = {
        "rpt_daily_headline": list(_headline_rows()),
        "rpt_daily_trend": list(_trend_rows()),
        "rpt_daily_funnel": list(_funnel_rows()),
        "rpt_daily_traffic_sources": [
            (REPORT_DATE, s, src, v, b, Decimal(amt), b / v,
             v / sum(t[2] for t in TRAFFIC if t[0] == s))
            for s, src, v, b, amt in TRAFFIC],
        "rpt_daily_ad_campaigns": [
            (REPORT_DATE, s, ch, cid, name, cur, imp, clk, Decimal(cost), Decimal(rev), clk / imp,
             (Decimal(cost) / clk).quantize(Decimal("0.01")), float(rev) / float(cost), be,
             float(rev) / float(cost) < be)
            for s, ch, cid, name, cur, imp, clk, cost, rev, be in ADS],
        "rpt_daily_refunds": [(REPORT_DATE, s, cur, Decimal(a), n, Decimal(g), r)
                              for s, cur, a, n, g, r in REFUNDS],
        "rpt_daily_refund_products": [(REPORT_DATE, s, rank, name, Decimal(a), n)
                                      for s, rank, name, a, n in REFUND_PRODUCTS],
        "rpt_daily_top_products": [(REPORT_DATE, s, rank, name, Decimal(g), q, b)
                                   for s, rank, name, g, q, b in TOP_PRODUCTS],
        "rpt_daily_source_coverage": [(REPORT_DATE, s, e, n, m) for s, e, n, m in COVERAGE],
        "rpt_files_loaded": FILES,
        "rpt_daily_bridge": list(_bridge_rows()),
        "rpt_daily_source_bridge": [
            # 手淘搜索 1,000 → 1,350 (visitors 500 → 600, buyers 10 → 15); 直通车 new this week
            (REPORT_DATE, "tmall_flagship", "手淘搜索", "CNY", "last_week", 2, "ok", 1000.0, 1350.0,
             350.0, 500.0, 600.0, 0.02, 0.025, 100.0, 90.0, 162.84, 199.28, -147.99 + 135.87),
            (REPORT_DATE, "tmall_flagship", "直通车", "CNY", "last_week", 2, "no_base_period", None,
             300.0, None, None, 100.0, None, 0.02, None, 150.0, None, None, None),
        ],
    }
    with duckdb.connect(str(path)) as con:
        for table, columns in RPT_TABLES.items():
            con.execute(f"create table {table} ({', '.join(f'{c} {t}' for c, t in columns)})")
            if rows[table]:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {table} values ({marks})", rows[table])
    return path


# --------------------------------------------------------------------------------------------
# the order of the test files: the ones with end-to-end runs first
# --------------------------------------------------------------------------------------------

def pytest_configure(config):
    # `make test` runs `-n 2 --dist loadfile`: pytest-xdist then hands out whole test files, by
    # default the ones with the most tests first, which leaves the few-but-long end-to-end files
    # for last. Keep the collection order instead (see pytest_collection_modifyitems).
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(config, items):
    """The test files that hold a ``slow`` test (a real end-to-end run) first, each file's tests
    together and in their order: a file of a few minutes does not start last, when the other
    worker has nothing left to do."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)  # a stable sort


# --------------------------------------------------------------------------------------------
# expensive things, made once
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def made_once(tmp_path_factory):
    """``made_once(name, make)`` → a folder that ``make(folder)`` filled once for the whole test run.

    With pytest-xdist the worker processes share it: the first one to ask makes it under a file
    lock in the run's common temp folder, the others wait for it and then use it as it is. A
    ``make`` that raised leaves nothing behind, and the next one to ask tries again. The folder
    is for reading: a test that changes anything works on a copy.
    """
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # …/pytest-N/ above each worker's popen-gwX/

    def made(name: str, make) -> Path:
        folder, done = root / "made-once" / name, root / "made-once" / f"{name}.done"
        folder.parent.mkdir(exist_ok=True)
        with open(root / "made-once" / f"{name}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
            if not done.exists():
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                make(folder)
                done.touch()
        return folder

    return made


@pytest.fixture(scope="session")
def prefect_harness():
    """The API URL of an isolated Prefect server (a temporary database) for this test process,
    started once whichever test folder needs it first (a start costs 8–20 s)."""
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield PREFECT_API_URL.value()


@dataclass(frozen=True)
class DailyDemo:
    folder: Path  # the demo project, after its daily run: never change it, copy it
    exports: Path  # a copy of its inbox as it was before the run
    deliveries: list  # what the flow run returned: where each report went


@pytest.fixture(scope="session")
def daily_demo(made_once, request) -> DailyDemo:
    """The demo business of 380 days ending 2026-11-22 (the last 10 days as daily exports) after
    one real daily flow run for 2026-11-22 over its full inbox: ingest, build, the three reports
    rendered and delivered to the outbox.

    Made once for the whole test run (``made_once``; the flow runs on the Prefect test server of
    whichever test process asks first) and shared by the flow and reconciliation tests, which
    only read it or work on a copy."""
    import json

    def make(folder: Path) -> None:
        from flows.daily_report import daily_report
        from flows.demo import generate_demo

        request.getfixturevalue("prefect_harness")
        generate_demo(folder / "demo", date(2026, 11, 22), days=380, daily_days=10)
        shutil.copytree(folder / "demo" / "inbox", folder / "exports")  # the flow moves them out
        deliveries = daily_report(config=str(folder / "demo" / "shopreport.toml"), report_date=date(2026, 11, 22))
        (folder / "deliveries.json").write_text(json.dumps(deliveries), encoding="utf-8")

    folder = made_once("daily-run-demo", make)
    return DailyDemo(folder / "demo", folder / "exports",
                     json.loads((folder / "deliveries.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="session")
def rpt_facts():
    """The fixture's facts for assertions: report_date, script_title, build (a fresh warehouse)."""
    from types import SimpleNamespace

    return SimpleNamespace(report_date=REPORT_DATE, script_title=SCRIPT_TITLE,
                           build=build_rpt_warehouse)


@pytest.fixture(scope="session")
def rpt_warehouse(tmp_path_factory) -> Path:
    """A DuckDB file holding the ``rpt_*`` fixture tables (build once per session, read only)."""
    return build_rpt_warehouse(tmp_path_factory.mktemp("warehouse") / "shopreport.duckdb")


@pytest.fixture
def rpt_con(rpt_warehouse):
    import duckdb

    con = duckdb.connect(str(rpt_warehouse), read_only=True)
    yield con
    con.close()


@pytest.fixture(scope="session")
def report_settings(tmp_path_factory):
    """Settings for the two fixture shops (zh-CN, CNY); folders under a session temp folder."""
    from flows.settings import MailSettings, Settings, ShopConfig

    tmp_path = tmp_path_factory.mktemp("settings")
    return Settings(
        config_path=tmp_path / "shopreport.toml",
        inbox_dir=tmp_path / "inbox",
        warehouse_path=tmp_path / "warehouse" / "shopreport.duckdb",
        landing_dir=tmp_path / "landing",
        archive_dir=tmp_path / "archive",
        outbox_dir=tmp_path / "outbox",
        fx_rates_path=None,
        reporting_currency="CNY",
        language="zh-CN",
        timezone="Asia/Shanghai",
        shops=(
            ShopConfig(id="tmall_flagship", name="天猫旗舰店", platform="tmall", currency="CNY",
                       gross_margin=0.4),
            ShopConfig(id="us_store", name="US Store", platform="shopify", currency="USD",
                       timezone="America/New_York", gross_margin=0.5),
        ),
        mail=MailSettings(sender="reports@shop.example", recipients=("boss@shop.example",)),
    )


GLOSSARY_FILES = {
    "marts/fct_orders.yml": """\
description: One row per order line.
grain: [shop_id, order_id, line_id]
columns:
  order_id: the platform order id
  paid_amount:
    label: {zh-CN: 支付金额, en: GMV}
    definition:
      zh-CN: 当日支付的订单行实付金额之和（按支付时间的业务日期）
      en: sum of paid_amount of order lines paid on the day (paid_at business date)
""",
    "marts/fct_refunds.yml": """\
description: One row per refund event.
columns:
  refund_amount:
    label: {zh-CN: 成功退款金额, en: Refunds}
    definition: {zh-CN: 按退款日期统计的退款金额, en: refund_amount by refunded_at business date}
""",
    "reports/rpt_daily_headline.yml": """\
description: Headline metrics per day and scope.
columns:
  gmv:
    label: {zh-CN: 支付金额, en: GMV}
    definition: {zh-CN: 重复的定义（不应出现）, en: duplicate (must not appear)}
  roas:
    label: {zh-CN: 投入产出比, en: ROAS}
    definition: {zh-CN: 成交金额 ÷ 推广花费, en: attributed_revenue ÷ cost}
  metric_order: display order
""",
}


@pytest.fixture(scope="session")
def glossary_dir(tmp_path_factory) -> Path:
    """A transforms folder with three model .yml files (one duplicate label, plain descriptions)."""
    root = tmp_path_factory.mktemp("transforms")
    for name, text in GLOSSARY_FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "staging").mkdir()
    return root


# --------------------------------------------------------------------------------------------
# a real SMTP server
# --------------------------------------------------------------------------------------------

SMTP_USER, SMTP_PASSWORD = "reporter", "s3cret-Pa55!"


@dataclass
class SmtpServer:
    host: str
    port: int
    messages: list = field(default_factory=list)  # email.message.Message as received
    envelopes: list = field(default_factory=list)  # (mail_from, rcpt_tos)
    logins: list = field(default_factory=list)  # user names that logged in
    user: str = SMTP_USER  # the login the server accepts
    password: str = SMTP_PASSWORD


@pytest.fixture
def smtp_server():
    """aiosmtpd on 127.0.0.1 (free port), plain SMTP with AUTH allowed without TLS.

    Login works with SMTP_USER / SMTP_PASSWORD; every received message is kept.
    """
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    # Controller(port=0) fails its self-check: pick a free port
    server = SmtpServer(host="127.0.0.1", port=free_port())

    class Handler:
        async def handle_DATA(self, smtp, session, envelope):
            server.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=policy.default))
            server.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            return "250 OK"

    def authenticator(smtp, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            server.logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)

    controller = Controller(Handler(), hostname=server.host, port=server.port,
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


# --------------------------------------------------------------------------------------------
# a project folder with two shops, and the hand-made exports in tests/fixtures/exports/
# --------------------------------------------------------------------------------------------
import shutil as _shutil

from flows.settings import load_settings as _load_settings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "exports"

CONFIG = """
[paths]
fx_rates = "fx_rates.csv"

[report]
reporting_currency = "CNY"

[[shops]]
id = "tmall_flagship"
name = "天猫旗舰店"
platform = "tmall"
currency = "CNY"
timezone = "Asia/Shanghai"
gross_margin = 0.45

[[shops]]
id = "shopify_us"
name = "Shopify US"
platform = "shopify"
currency = "USD"
timezone = "America/New_York"
gross_margin = 0.5
"""

TMALL_FILES = ["ExportOrderList_2026-11-22.csv", "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv",
               "计划报表_20261123_073000.csv"]
SHOPIFY_FILES = ["orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
                 "sessions_over_time_2026-11-22.csv"]


def _new_project(folder: Path):
    (folder / "shopreport.toml").write_text(CONFIG, encoding="utf-8")
    (folder / "fx_rates.csv").write_text("rate_date,currency,rate_to_reporting\n2026-11-01,USD,7.2000\n",
                                         encoding="utf-8")
    for shop in ("tmall_flagship", "shopify_us"):
        (folder / "inbox" / shop).mkdir(parents=True)
    return _load_settings(folder / "shopreport.toml")


@pytest.fixture
def project(tmp_path: Path):
    """A project folder with a configuration and an empty inbox per shop; returns its Settings."""
    return _new_project(tmp_path)


@pytest.fixture(scope="session")
def new_project():
    """``new_project(folder)``: what ``project`` makes, in a folder of the caller's (e.g. module-wide)."""
    return _new_project


@pytest.fixture(scope="session")
def drop():
    """Copy fixture exports into a shop's inbox, as a team member would."""
    def copy(settings, shop_id: str, *names: str) -> list[Path]:
        paths = []
        for name in names:
            target = settings.inbox_dir / shop_id / name
            _shutil.copyfile(FIXTURES / name, target)
            paths.append(target)
        return paths
    return copy


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def chat_server(monkeypatch):
    monkeypatch.setenv("no_proxy", "*")  # never through a proxy from the environment
    monkeypatch.setenv("NO_PROXY", "*")
    from chat_server import ChatServer

    server = ChatServer()
    server.thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
