"""The freshness gate: which exports each shop is expected to send, whether they have landed for
the day, the cutoff, and — in one real flow run — waiting with retries while an export arrives,
then a partial report and a "data late" notice for what never came."""

from __future__ import annotations

import datetime as dt
import email
import shutil
import subprocess
import threading
import time
from dataclasses import replace
from email import policy
from itertools import count
from zoneinfo import ZoneInfo

import pytest

from flows import pipeline
from flows.freshness import SourcesLate, check_sources, freshness_deadline
from flows.ledger import SendLedger
from flows.settings import ConfigError, load_settings
from flows.warehouse.db import open_warehouse

DAY = dt.date(2026, 11, 22)
_ids = count(1)


def land(settings, shop_id, entity, start, end, status="loaded"):
    """A row in source_files as ingest writes it for a file covering start..end."""
    with open_warehouse(settings.warehouse_path) as con:
        i = next(_ids)
        con.execute(
            "insert into source_files (source_file_id, run_id, shop_id, entity, file_name, sha256, status, "
            "coverage_start, coverage_end, rows_read, rows_loaded, rows_rejected, loaded_at) "
            "values (?, 'run', ?, ?, ?, ?, ?, ?, ?, 1, 1, 0, now())",
            [i, shop_id, entity, f"f{i}.csv", f"sha{i}", status, start, end])


def check(settings, now=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return check_sources(con, settings, [(s.id, DAY) for s in settings.shops], now)


def test_a_source_lands_when_a_loaded_file_covers_the_day(project):
    land(project, "tmall_flagship", "orders", DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1))
    land(project, "tmall_flagship", "traffic", DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1))
    land(project, "tmall_flagship", "ad_spend", DAY - dt.timedelta(days=30), DAY - dt.timedelta(days=1))
    land(project, "tmall_flagship", "orders", DAY, DAY)  # today's daily export
    land(project, "tmall_flagship", "traffic", DAY - dt.timedelta(days=2), DAY + dt.timedelta(days=1))
    land(project, "tmall_flagship", "ad_spend", DAY, DAY, status="refused")  # refused: not landed
    (tmall, shopify) = sorted(check(project).shops, key=lambda s: s.shop_id != "tmall_flagship")
    assert tmall.expected == ("ad_spend", "orders", "traffic"), "what the shop had before the day"
    assert tmall.landed == ("orders", "traffic") and tmall.missing == ("ad_spend",)
    assert shopify.expected == () and shopify.missing == (), "a new shop is expected to send nothing yet"


def test_configured_expected_sources_are_required_even_when_never_seen(project):
    shops = (replace(project.shops[0], expected_sources=("orders", "traffic")),
             replace(project.shops[1], expected_sources=("orders",)))
    settings = replace(project, shops=shops)
    land(settings, "tmall_flagship", "orders", DAY, DAY)
    land(settings, "tmall_flagship", "ad_spend", DAY, DAY)  # landed but not expected: fine
    fresh = check(settings)
    assert fresh.missing("tmall_flagship", DAY) == [("tmall_flagship", "traffic")]
    assert fresh.missing("shopify_us", DAY) == [("shopify_us", "orders")]
    assert fresh.status("tmall_flagship", DAY) == "partial"
    assert fresh.status("shopify_us", DAY) == "late", "no orders: too little to report"
    assert fresh.status("all", DAY) == "partial", "one shop has its orders"
    assert fresh.missing("all", DAY) == [("shopify_us", "orders"), ("tmall_flagship", "traffic")]
    assert "shopify_us 2026-11-22: missing orders" in fresh.summary()
    assert pipeline.missing_text(settings, fresh.missing("all", DAY)) == "Shopify US：订单；天猫旗舰店：流量"


def test_the_cutoff_is_on_the_day_after_in_the_report_time_zone(project):
    settings = replace(project, freshness_cutoff=dt.time(10, 30), freshness_retry_seconds=600)
    deadline = freshness_deadline(settings, [DAY, DAY - dt.timedelta(days=1)])
    assert deadline == dt.datetime(2026, 11, 23, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    eight = dt.datetime(2026, 11, 23, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert pipeline.gate_attempts(settings, deadline, eight) == 15  # every 10 minutes for 2.5 hours
    assert pipeline.gate_attempts(settings, deadline, deadline + dt.timedelta(seconds=1)) == 0


def test_the_gate_asks_again_before_the_cutoff_and_goes_on_after_it(project):
    settings = replace(project, shops=(replace(project.shops[0], expected_sources=("orders",)),))
    land(settings, "tmall_flagship", "traffic", DAY, DAY)
    deadline = freshness_deadline(settings, [DAY])
    with pytest.raises(SourcesLate, match="not landed yet: tmall_flagship 2026-11-22: orders") as late:
        pipeline.gate_sources(settings, {"tmall_flagship": DAY}, ingest_inbox=False,
                              now=deadline - dt.timedelta(minutes=1))
    assert late.value.freshness.missing("tmall_flagship", DAY) == [("tmall_flagship", "orders")]
    fresh = pipeline.gate_sources(settings, {"tmall_flagship": DAY}, ingest_inbox=False, now=deadline)
    assert fresh.status("tmall_flagship", DAY) == "late"
    land(settings, "tmall_flagship", "orders", DAY, DAY)
    assert pipeline.gate_sources(settings, {"tmall_flagship": DAY}, ingest_inbox=False,
                                 now=deadline - dt.timedelta(hours=1)).complete


CONFIG = """
[report]
{report}

[[shops]]
id = "tmall_flagship"
currency = "CNY"
{shop}
"""


@pytest.mark.parametrize("report, shop, key", [
    ("", 'expected_sources = ["orders", "trafic"]', "shops[0].expected_sources"),
    ("", 'expected_sources = "orders"', "shops[0].expected_sources"),
    ("", 'expected_sources = ["orders", "orders"]', "shops[0].expected_sources"),
    ('freshness_cutoff = "25:00"', "", "report.freshness_cutoff"),
    ('freshness_cutoff = "10"', "", "report.freshness_cutoff"),
    ("freshness_cutoff = 10", "", "report.freshness_cutoff"),
    ("freshness_retry_seconds = 0", "", "report.freshness_retry_seconds"),
])
def test_bad_freshness_keys_name_the_file_and_the_key(tmp_path, report, shop, key):
    path = tmp_path / "shopreport.toml"
    path.write_text(CONFIG.format(report=report, shop=shop), encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_freshness_settings(tmp_path):
    path = tmp_path / "shopreport.toml"
    path.write_text(CONFIG.format(report="", shop=""), encoding="utf-8")
    s = load_settings(path)
    assert s.freshness_cutoff == dt.time(10, 0) and s.freshness_retry_seconds == 300
    assert s.shops[0].expected_sources is None
    path.write_text(CONFIG.format(report='freshness_cutoff = "09:15:30"\nfreshness_retry_seconds = 60',
                                  shop='expected_sources = ["orders", "ad_spend"]'), encoding="utf-8")
    s = load_settings(path)
    assert s.freshness_cutoff == dt.time(9, 15, 30) and s.freshness_retry_seconds == 60
    assert s.shops[0].expected_sources == ("orders", "ad_spend")


# ----------------------------------------------------------------------------------------------
# the gate in a real flow run: it waits, picks up an export that arrives, and past the cutoff
# sends what it can, clearly marked
# ----------------------------------------------------------------------------------------------

def _mails(outbox):
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in sorted(outbox.glob("*.eml"))]


@pytest.mark.slow
def test_the_flow_waits_for_late_exports_then_sends_partial_reports_and_a_late_notice(tmp_path):
    from flows.daily_report import daily_report
    from flows.demo import generate_demo

    tz = ZoneInfo("Asia/Shanghai")  # the demo's report.timezone
    # the report day is "yesterday" as of the cutoff; the demo ends on it
    day = (dt.datetime.now(tz) + dt.timedelta(seconds=60)).date() - dt.timedelta(days=1)
    manifest = generate_demo(tmp_path / "demo", day, days=15, daily_days=3)
    settings = load_settings(manifest.config_path)
    held = tmp_path / "held"
    held.mkdir()
    traffic = settings.inbox_dir / "tmall_flagship" / f"【生意参谋平台】流量来源_{day}_{day}.csv"
    orders = settings.inbox_dir / "shopify_us" / f"orders_export_{day}.csv"
    for path in (traffic, orders):
        shutil.move(path, held / path.name)
    pipeline.ingest(settings)  # the history is in; the day's Tmall traffic and Shopify orders are late

    cutoff = dt.datetime.now(tz) + dt.timedelta(seconds=6)
    if cutoff.date() != day + dt.timedelta(days=1):
        pytest.skip("too close to midnight in Asia/Shanghai")
    config = manifest.config_path.read_text(encoding="utf-8").replace(
        "\n[report]\n", f'\n[report]\nfreshness_cutoff = "{cutoff:%H:%M:%S}"\nfreshness_retry_seconds = 1\n')
    manifest.config_path.write_text(config, encoding="utf-8")

    def arrive():  # the Tmall traffic export lands while the flow waits
        time.sleep(1.5)
        shutil.copyfile(held / traffic.name, traffic)

    threading.Thread(target=arrive, daemon=True).start()
    started = time.monotonic()
    # the Tmall report itself is left out (one render less); the all-shops report covers Tmall too
    deliveries = daily_report(config=str(manifest.config_path), report_date=day, scopes=["shopify_us", "all"])
    assert time.monotonic() - started >= 4, "the gate waited for the cutoff"
    assert len(deliveries) == 2

    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from source_files where file_name = ?",
                           [traffic.name]).fetchone()[0] == 1, "loaded by a later attempt of the gate"
    by_subject = {m["Subject"]: m for m in _mails(settings.outbox_dir)}
    late = by_subject[f"【数据未到】Shopify US Store {day} 日报暂缓"]
    assert "缺少：Shopify US Store：订单" in late.get_content()
    assert f"shopreport run daily --date {day}" in late.get_content()
    (all_shops,) = [m for s, m in by_subject.items() if s.startswith("【数据不全】【日报】全部店铺")]
    banner = f"数据不全：截至 {cutoff:%Y-%m-%d %H:%M}，仍缺少 Shopify US Store：订单。"
    assert banner in all_shops.get_body(("html",)).get_content()
    assert banner in all_shops.get_body(("plain",)).get_content()
    (pdf,) = (settings.archive_dir / "daily" / "all" / day.isoformat()).glob("*.pdf")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "数据不全" in text and "Shopify US Store：订单" in text
    assert (settings.archive_dir / "daily" / "shopify_us" / day.isoformat() / "data_late.txt").exists()

    # the all-shops report names only what never came: the Tmall traffic arrived in time
    assert "天猫旗舰店：流量" not in all_shops.get_body(("plain",)).get_content()
    entries = {(e.kind, e.scope): e for e in SendLedger(settings.send_ledger_path).entries()}
    assert set(entries) == {("daily_late", "shopify_us"), ("daily", "all")}
    assert entries[("daily", "all")].partial and not entries[("daily_late", "shopify_us")].partial
    assert all(e.status == "sent" for e in entries.values())
