"""Deliveries by audience, as Prefect runs them, against a real SMTP server and a real chat server
on 127.0.0.1: the owner gets the all-shops report, each operator their shop's in their language,
the ad team the ad-payback section alone (skipped and recorded where a shop has no ads); chat
groups get a summary; every delivery is in the send ledger once; the run page has artifacts."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from chat_server import Reply

from flows.daily_report import daily_report, weekly_report
from flows.ledger import SendLedger
from flows.pipeline import RunIncomplete
from flows.settings import load_settings

END = dt.date(2026, 11, 22)
WECOM_KEY = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def _mail_section(smtp, chat) -> str:
    return f'''[mail]
from = "shopreport@example.com"
smtp_host = "{smtp.host}"
smtp_port = {smtp.port}
smtp_security = "plain"
retry_delays = [0, 0]

[[recipients]]
name = "老板"
email = "boss@example.com"
role = "owner"

[[recipients]]
email = "tmall-ops@example.com"
role = "operator"
shops = ["tmall_flagship"]

[[recipients]]
email = "us-ops@example.com"
role = "operator"
shops = ["shopify_us"]
language = "en"

[[recipients]]
email = "ads@example.com"
role = "ads"
shops = ["tmall_flagship", "shopify_us"]

[[webhooks]]
name = "ops-group"
platform = "wecom"
url_env = "TEST_WECOM_URL"
scopes = ["all"]
'''


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A 40-day demo whose Shopify shop has no ad exports, loaded and built once (plain steps)."""
    from flows.demo import generate_demo
    from flows.pipeline import build_warehouse, ingest

    folder = tmp_path_factory.mktemp("audiences")
    generate_demo(folder, END, days=40, daily_days=5)
    for ads in (folder / "inbox" / "shopify_us").glob("Campaign_report_*"):
        ads.unlink()
    settings = load_settings(folder / "shopreport.toml")
    ingest(settings)
    build_warehouse(settings)
    return folder


@pytest.fixture
def project(prepared, tmp_path, smtp_server, chat_server, monkeypatch):
    """A copy of the prepared project, set up with recipients, a webhook and the test SMTP server
    (the flows find nothing new to load or build: the configuration's mail part is not read by the build)."""
    import shutil

    folder = tmp_path / "project"
    shutil.copytree(prepared, folder)
    config = folder / "shopreport.toml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text[:text.index("[mail]")] + _mail_section(smtp_server, chat_server), encoding="utf-8")
    monkeypatch.setenv("TEST_WECOM_URL", chat_server.url(f"/cgi-bin/webhook/send?key={WECOM_KEY}"))
    return load_settings(config)


def _to(message) -> str:
    return str(message["To"])


@pytest.mark.slow
def test_each_person_gets_their_slice_in_their_language(project, smtp_server, chat_server):
    daily_report(config=str(project.config_path), report_date=END)
    by_to = {_to(m): m for m in smtp_server.messages}
    assert set(by_to) == {"boss@example.com", "tmall-ops@example.com", "us-ops@example.com", "ads@example.com"}
    assert by_to["boss@example.com"]["Subject"].startswith("【日报】全部店铺 2026-11-22")
    assert by_to["tmall-ops@example.com"]["Subject"].startswith("【日报】天猫旗舰店 2026-11-22")
    assert by_to["us-ops@example.com"]["Subject"].startswith("[Daily] Shopify US Store 2026-11-22")
    for person in ("boss@example.com", "tmall-ops@example.com", "us-ops@example.com"):
        names = [p.get_filename() for p in by_to[person].iter_attachments()]
        assert any(n.endswith(".pdf") for n in names) and any(n.endswith(".xlsx") for n in names), person
    english = by_to["us-ops@example.com"]
    assert "Ad campaigns" in english.get_body(("html",)).get_content() or "ROAS" in english.get_body(("html",)).get_content()
    ads = by_to["ads@example.com"]
    assert ads["Subject"].startswith("【投放】【日报】天猫旗舰店")
    assert list(ads.iter_attachments()) == []  # the section alone, no PDF
    html = ads.get_body(("html",)).get_content()
    assert 'id="ad-campaigns"' in html and 'id="funnel"' not in html and 'id="headline"' not in html
    assert "直通车" in html

    ledger = SendLedger(project.send_ledger_path).entries(period=END.isoformat())
    by_audience = {(e.scope, e.audience): e for e in ledger}
    skipped = by_audience[("shopify_us", "mail:ads:zh-CN")]
    assert skipped.status == "skipped" and "no ad campaigns" in skipped.error
    assert skipped.recipients == ("ads@example.com",)
    assert by_audience[("tmall_flagship", "mail:ads:zh-CN")].status == "sent"
    assert by_audience[("all", "webhook:ops-group")].status == "sent"
    assert {e.status for e in ledger} == {"sent", "skipped"}

    [post] = chat_server.received  # the group gets the all-shops summary only
    content = post.body["markdown"]["content"]
    assert "全部店铺" in content and "支付金额" in content

    sent_before = len(smtp_server.messages)
    daily_report(config=str(project.config_path), report_date=END)  # the schedule fires again
    assert len(smtp_server.messages) == sent_before and len(chat_server.received) == 1


@pytest.mark.slow
def test_a_failing_webhook_is_retried_then_recorded_like_a_failed_mail(project, smtp_server, chat_server):
    chat_server.reply(Reply(status=500, body="busy"), Reply(status=500, body="busy"), Reply(status=500, body="busy"))
    with pytest.raises(RunIncomplete, match="ops-group"):
        daily_report(config=str(project.config_path), report_date=END, scopes=["all"])
    assert len(chat_server.received) == 3  # the first try and the two retries of mail.retry_delays
    [entry] = [e for e in SendLedger(project.send_ledger_path).entries() if e.audience == "webhook:ops-group"]
    assert entry.status == "failed" and entry.attempts == 3 and WECOM_KEY not in (entry.error or "")
    daily_report(config=str(project.config_path), report_date=END, scopes=["all"])  # the next run retries it
    assert SendLedger(project.send_ledger_path).get(entry.delivery_id).status == "sent"
    assert len([m for m in smtp_server.messages if _to(m) == "boss@example.com"]) == 1  # mail not sent twice


@pytest.mark.slow
def test_weekly_reports_reach_the_same_audiences(project, smtp_server):
    weekly_report(config=str(project.config_path), week_start=dt.date(2026, 11, 16))
    subjects = {_to(m): str(m["Subject"]) for m in smtp_server.messages}
    assert subjects["boss@example.com"].startswith("【周报】全部店铺 2026-W47")
    assert subjects["us-ops@example.com"].startswith("[Weekly] Shopify US Store 2026-W47")
    assert subjects["ads@example.com"].startswith("【投放】【周报】天猫旗舰店 2026-W47")


@pytest.mark.slow
def test_the_run_page_has_the_headline_the_data_quality_and_the_report_link(project):
    from prefect import get_client

    daily_report(config=str(project.config_path), report_date=END, scopes=["tmall_flagship"])

    async def latest():
        async with get_client() as client:
            return await client.read_artifacts()

    artifacts = {a.key: a for a in asyncio.run(latest()) if a.key and "tmall-flagship-2026-11-22" in a.key}
    markdown = artifacts["daily-tmall-flagship-2026-11-22"]
    assert markdown.type == "markdown" and "支付金额" in markdown.data and "【日报】天猫旗舰店" in markdown.data
    table = artifacts["daily-tmall-flagship-2026-11-22-data-quality"]
    assert table.type == "table" and "clean" in str(table.data)  # the demo's exports load without problems
    link = artifacts["daily-tmall-flagship-2026-11-22-report"]
    assert "file://" in str(link.data) and ".pdf" in str(link.data)


def test_a_webhook_url_in_the_file_is_refused(tmp_path):
    config = tmp_path / "shopreport.toml"
    config.write_text('[[shops]]\nid = "a"\ncurrency = "CNY"\n[[webhooks]]\nname = "x"\nplatform = "slack"\n'
                      'url = "https://hooks.slack.com/services/T/B/secret"\nurl_env = "X"\n', encoding="utf-8")
    from flows.settings import ConfigError

    with pytest.raises(ConfigError, match="url_env"):
        load_settings(config)

