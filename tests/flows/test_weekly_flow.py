"""The weekly flow end to end, as Prefect runs it, on the demo warehouse: the last ISO week of
the demo (2026-W47, 16–22 Nov 2026) against W46 and 2025-W47, rendered, archived, delivered once."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import pytest

from flows.daily_report import weekly_report
from flows.ledger import SendLedger
from flows.reports.weekly import build_weekly_context
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

pytestmark = pytest.mark.slow  # every test here stands on a real end-to-end run

WEEK = dt.date(2026, 11, 16)  # Monday of 2026-W47; the demo_dir fixture ends on its Sunday
SCOPES = ("tmall_flagship", "shopify_us", "all")


@pytest.fixture(scope="module")
def weekly_run(demo_dir):
    """One real weekly flow run over this module's copy of the demo, after its daily run (so the
    weekly flow's ingest finds the inbox empty and its build finds nothing changed)."""
    deliveries = weekly_report(config=str(demo_dir / "shopreport.toml"), week_start=WEEK)
    return load_settings(demo_dir / "shopreport.toml"), deliveries


def test_the_weekly_flow_delivers_every_scope_to_the_outbox(weekly_run):
    settings, deliveries = weekly_run
    assert len(deliveries) == 3
    weekly_mails = [p for p in settings.outbox_dir.glob("*.eml") if "周报" in p.name]
    assert len(weekly_mails) == 3
    for scope in SCOPES:
        pdfs = list((settings.archive_dir / "weekly" / scope / "2026-W47").glob("*.pdf"))
        assert len(pdfs) == 1, scope
    entries = [e for e in SendLedger(settings.send_ledger_path).entries(period="2026-W47")]
    assert sorted((e.kind, e.scope, e.status) for e in entries) == sorted(
        ("weekly", scope, "sent") for scope in SCOPES)


def _daily_gmv(con, scope: str, monday: dt.date) -> float:
    """Σ of the 7 daily GMVs of the ISO week, from the daily headline (an independent path)."""
    total, days = con.execute(
        "select sum(value), count(*) from rpt_daily_headline where scope_id = ? and metric = 'gmv' "
        "and business_date between ? and ?", [scope, monday, monday + dt.timedelta(days=6)]).fetchone()
    assert days == 7, (scope, monday)
    return float(total)


@pytest.mark.parametrize("scope", SCOPES)
def test_gmv_and_its_comparisons_are_the_sums_of_the_daily_gmvs(weekly_run, scope):
    settings, _ = weekly_run
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        ctx = build_weekly_context(con, settings, WEEK, scope)
        week = _daily_gmv(con, scope, WEEK)
        prev_week = _daily_gmv(con, scope, WEEK - dt.timedelta(days=7))
        last_year = _daily_gmv(con, scope, dt.date(2025, 11, 17))  # Monday of 2025-W47
    gmv = ctx.tile("gmv")
    assert gmv.number == pytest.approx(week, abs=0.01)
    prev, yoy = gmv.comparison("prev_week"), gmv.comparison("last_year")
    assert (prev.base_date_label, yoy.base_date_label) == ("2026-W46", "2025-W47")
    assert prev.delta == f"{(week / prev_week - 1) * 100:+.1f}%"
    assert yoy.delta == f"{(week / last_year - 1) * 100:+.1f}%"
    assert ctx.trend[-1].gmv == pytest.approx(week, abs=0.01)
    assert ctx.notes == []  # every weekly section table exists


def test_the_weekly_pdf_embeds_the_cjk_font_and_shows_the_week_and_gmv(weekly_run):
    settings, _ = weekly_run
    assert shutil.which("pdffonts") and shutil.which("pdftotext")
    (pdf,) = (settings.archive_dir / "weekly" / "tmall_flagship" / "2026-W47").glob("*.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "WenQuanYi" in fonts
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        gmv = build_weekly_context(con, settings, WEEK, "tmall_flagship").tile("gmv")
    assert "天猫旗舰店 周报" in text and "2026-W47" in text
    assert gmv.value in text
    for section in ("周目标与月目标进度", "近12周趋势", "本周推广投产", "商品角色与生命周期", "指标说明"):
        assert section in text, section


def test_a_second_run_for_the_same_week_sends_nothing(weekly_run):
    settings, _ = weekly_run
    before = sorted(settings.outbox_dir.glob("*.eml"))
    again = weekly_report(config=str(settings.config_path), week_start=WEEK + dt.timedelta(days=3),
                          ingest=False)
    assert again == []
    assert sorted(settings.outbox_dir.glob("*.eml")) == before


def test_cohort_repurchase_matches_an_independent_count(weekly_run):
    """Each cohort row: buyers whose first paid order falls in the month, and the share who had
    paid another order by the end of the 1st, 2nd and 3rd month after it (pandas on order lines)."""
    import pandas as pd

    settings, _ = weekly_run
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        orders = con.execute("select distinct buyer_key, order_id, paid_date from fct_order_lines "
                             "where is_paid and shop_id = 'shopify_us'").df()
        ctx = build_weekly_context(con, settings, WEEK, "shopify_us")
    orders["paid_date"] = pd.to_datetime(orders["paid_date"])
    orders = orders.sort_values(["buyer_key", "paid_date", "order_id"])
    first = orders.groupby("buyer_key")["paid_date"].min()
    second = orders.groupby("buyer_key")["paid_date"].apply(lambda d: d.iloc[1] if len(d) > 1 else pd.NaT)
    cohort = first.dt.to_period("M")
    (group,) = ctx.cohorts
    assert [r.cohort for r in group.rows] == ["2026-11", "2026-10", "2026-09", "2026-08", "2026-07", "2026-06"]
    report_month = pd.Period("2026-11", "M")
    for row in group.rows:
        month = pd.Period(row.cohort, "M")
        members = cohort[cohort == month].index
        assert row.cohort_buyers == f"{len(members):,}"
        for n, shown in ((1, row.month_1), (2, row.month_2), (3, row.month_3)):
            if month + n > report_month:
                assert shown == "–", (row.cohort, n)
                continue
            end = (month + n).end_time
            rate = (second[members] <= end).sum() / len(members)
            assert shown == f"{rate * 100:.1f}%", (row.cohort, n, shown, rate)


def test_the_weekly_flow_loads_and_builds_when_it_runs_first(tmp_path):
    """Mondays at 07:30 the weekly flow runs before the daily one: it loads the inbox and builds
    the warehouse itself (the tests above run it after a daily run, when there is nothing left)."""
    from flows.demo import generate_demo

    generate_demo(tmp_path, dt.date(2026, 11, 22), days=15, daily_days=8)
    settings = load_settings(tmp_path / "shopreport.toml")
    waiting = [p for p in settings.inbox_dir.rglob("*") if p.is_file()]
    assert waiting and not settings.warehouse_path.exists()

    deliveries = weekly_report(config=str(tmp_path / "shopreport.toml"), week_start=WEEK)

    assert len(deliveries) == 3
    assert not [p for p in settings.inbox_dir.rglob("*") if p.is_file()]  # every file loaded
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        files = con.execute("select count(*) from source_files where status = 'loaded'").fetchone()[0]
        week_gmv = _daily_gmv(con, "all", WEEK)
        stamped = con.execute("select count(*) from build_state").fetchone()[0]
    assert files == len(waiting) and stamped == 1 and week_gmv > 0
    assert len([p for p in settings.outbox_dir.glob("*.eml") if "周报" in p.name]) == 3
