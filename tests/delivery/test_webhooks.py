"""Chat-bot webhooks against a real HTTP server on 127.0.0.1 that records every request and
answers as it is told: payload shapes, signatures (recomputed here), limits, escaping, and
which failures are worth retrying; no secret ever reaches an error or a log line."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import socket
import time
import urllib.parse
from dataclasses import replace
from datetime import date

import duckdb
import pytest
from chat_server import Reply

from flows.delivery.mail import DeliveryError, report_subject
from flows.delivery.webhooks import (
    ChatSummary, Webhook, build_payload, check_webhook, daily_summary, describe_url, relative_change,
    send_webhook, weekly_summary,
)
from flows.reports.context import build_daily_context

REPORT_DATE = date(2026, 11, 22)  # the fixture's report day (tests/conftest.py)
REPORT_URL = "https://reports.shop.example/daily/2026-11-22/tmall_flagship.html"

WECOM_KEY = "693a91f6-7a0c-4bc4-97a0-0ec2f1fa5aaa"
DINGTALK_TOKEN = "9f8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a0"
DINGTALK_SECRET = "SEC0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e"
FEISHU_HOOK = "b7a1c0de-1234-4f00-9abc-0123456789ab"
FEISHU_SECRET = "fEiShUsIgNiNgSeCrEt42"
SLACK_PATH = "/services/T0TESTTEAM/B0TESTHOOK/sLaCkSeCrEtToKeN1234567890"
SECRETS = (WECOM_KEY, DINGTALK_TOKEN, DINGTALK_SECRET, FEISHU_HOOK, FEISHU_SECRET, "sLaCkSeCrEtToKeN1234567890",
           "T0TESTTEAM", "B0TESTHOOK")


@pytest.fixture
def hooks(chat_server):
    return {
        "wecom": Webhook("ops-wecom", "wecom", chat_server.url(f"/cgi-bin/webhook/send?key={WECOM_KEY}")),
        "dingtalk": Webhook("ops-ding", "dingtalk", chat_server.url(f"/robot/send?access_token={DINGTALK_TOKEN}"),
                            secret=DINGTALK_SECRET),
        "feishu": Webhook("ops-feishu", "feishu", chat_server.url(f"/open-apis/bot/v2/hook/{FEISHU_HOOK}"),
                          secret=FEISHU_SECRET),
        "slack": Webhook("ops-slack", "slack", chat_server.url(SLACK_PATH)),
    }


# --------------------------------------------------------------------------------------------
# report contexts from the fixture warehouse
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def contexts(rpt_warehouse, report_settings, glossary_dir):
    with duckdb.connect(str(rpt_warehouse), read_only=True) as con:
        return {key: build_daily_context(con, report_settings, REPORT_DATE, key[0], key[1],
                                         transforms_dir=glossary_dir)
                for key in (("tmall_flagship", "zh-CN"), ("us_store", "en"))}


@pytest.fixture(scope="module")
def shop_ctx(contexts):
    return contexts[("tmall_flagship", "zh-CN")]


@pytest.fixture(scope="module")
def summary(shop_ctx):
    return daily_summary(shop_ctx, REPORT_URL)


WEEK = date(2026, 11, 16)


@pytest.fixture
def weekly_ctx(tmp_path, report_settings, glossary_dir):
    """GMV ¥700,000 against ¥560,000 the week before (+25 %); conversion 3.0 % against 2.5 %."""
    from flows.reports.weekly import build_weekly_context

    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create table rpt_weekly_headline (week_start date, iso_week varchar, scope_id varchar, "
                    "scope_name varchar, currency varchar, metric varchar, metric_order integer, "
                    "is_ratio boolean, higher_is_better boolean, value double, value_prev_week double, "
                    "value_last_year double, change_prev_week double, change_last_year double, "
                    "diff_prev_week double, diff_last_year double)")
        con.executemany("insert into rpt_weekly_headline values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (WEEK, "2026-W47", "tmall_flagship", "天猫旗舰店", "CNY", "gmv", 1, False, True, 700_000,
             560_000, 800_000, 0.25, -0.125, 140_000, -100_000),
            (WEEK, "2026-W47", "tmall_flagship", "天猫旗舰店", "CNY", "conversion", 3, True, True, 0.03,
             0.025, None, 0.2, None, 0.005, None),
        ])
        con.execute("create table rpt_weekly_trend (week_start date, iso_week varchar, scope_id varchar, "
                    "currency varchar, days_with_data integer, gmv double, net_sales double, "
                    "refund_amount double, ad_cost double, visitors double, paying_buyers double)")
        return build_weekly_context(con, report_settings, WEEK, "tmall_flagship", transforms_dir=glossary_dir)


def assert_no_secrets(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


def hmac_b64(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


# --------------------------------------------------------------------------------------------
# the summaries
# --------------------------------------------------------------------------------------------

def test_daily_summary_has_the_subject_the_headline_numbers_and_the_bridge(shop_ctx, summary):
    assert summary.title == report_subject(shop_ctx) == "【日报】天猫旗舰店 2026-11-22 支付金额 ¥12.3万 周同比 +8%"
    assert summary.lines[0] == "支付金额 ¥12.3万（周同比 +8.0%）"
    assert "支付转化率 3.21%（周同比 0.0个百分点）" in summary.lines
    assert "投入产出比 2.10（周同比 +0.10）" in summary.lines
    assert len(summary.lines) == len(shop_ctx.tiles) == 9
    assert summary.movement == shop_ctx.bridge.headline and "影响最大的是转化率" in summary.movement
    assert (summary.link, summary.link_text, summary.language) == (REPORT_URL, "查看完整报告", "zh-CN")


def test_a_partial_report_says_so_first(shop_ctx):
    ctx = replace(shop_ctx, partial_text="数据不全：US Store 的流量数据缺失")
    s = daily_summary(ctx, REPORT_URL)
    assert s.title.startswith("【数据不全】")
    assert s.lines[0] == "数据不全：US Store 的流量数据缺失" and s.lines[1].startswith("支付金额 ")


def test_without_a_bridge_the_biggest_relative_move_is_named(contexts):
    ctx = contexts[("us_store", "en")]
    assert ctx.bridge.headline == ""
    s = daily_summary(ctx, "file:///srv/shopreport/archive/daily_report_us_store.pdf")
    # refunds $80 → $120 is +50 %; conversion −0.1pp on 2.77 % is only −3.6 %
    assert s.movement == "Biggest move: Refunds +50.0% vs same weekday last week"
    assert relative_change(ctx.tile("conversion"), "last_week") == pytest.approx(-0.001 / 0.0277, rel=0.01)
    assert relative_change(ctx.tile("roas"), "last_week") == pytest.approx(-0.20 / 4.70)
    assert s.lines[0] == "GMV $2.3K (WoW -6.2%)"
    assert s.link_text == "Full report"  # a file, not a web page


def test_weekly_summary_compares_with_the_week_before(weekly_ctx):
    s = weekly_summary(weekly_ctx, REPORT_URL)
    assert s.title == "【周报】天猫旗舰店 2026-W47 支付金额 ¥70.0万 环比 +25%"
    assert s.lines == ("支付金额 ¥70.0万（环比 +25.0%）", "支付转化率 3.00%（环比 +0.5个百分点）")
    # no bridge table: GMV +25 % beats conversion +0.5pp on 2.5 % (+20 %)
    assert s.movement == "变化最大：支付金额较上一周 +25.0%"


# --------------------------------------------------------------------------------------------
# each platform, posted to the recording server
# --------------------------------------------------------------------------------------------

def test_wecom_markdown(chat_server, hooks, summary):
    delivery = send_webhook(hooks["wecom"], summary)
    assert (delivery.name, delivery.platform, delivery.status) == ("ops-wecom", "wecom", 200)
    [request] = chat_server.received
    assert request.path == "/cgi-bin/webhook/send" and request.query == {"key": [WECOM_KEY]}
    assert request.headers["Content-Type"].startswith("application/json")
    assert request.body["msgtype"] == "markdown" and set(request.body) == {"msgtype", "markdown"}
    content = request.body["markdown"]["content"]
    assert content.startswith(f"**{summary.title}**\n> {summary.movement}\n")
    assert "\n支付金额 ¥12.3万（周同比 +8.0%）\n" in content
    assert content.endswith(f"\n[查看完整报告]({REPORT_URL})")
    assert len(content.encode("utf-8")) <= 4096


def test_dingtalk_markdown_signed_in_the_query(chat_server, hooks, summary):
    before = int(time.time() * 1000)
    send_webhook(hooks["dingtalk"], summary)
    after = int(time.time() * 1000)
    [request] = chat_server.received
    assert request.path == "/robot/send"
    assert request.query["access_token"] == [DINGTALK_TOKEN]
    [timestamp], [sign] = request.query["timestamp"], request.query["sign"]  # parse_qs URL-decodes
    assert before <= int(timestamp) <= after  # milliseconds
    assert sign == hmac_b64(DINGTALK_SECRET, f"{timestamp}\n{DINGTALK_SECRET}")
    assert request.body["msgtype"] == "markdown"
    assert request.body["markdown"]["title"] == summary.title
    text = request.body["markdown"]["text"]
    assert "- 访客数 8,000（周同比 +6.7%）" in text and f"[查看完整报告]({REPORT_URL})" in text


def test_dingtalk_signature_is_url_encoded(hooks, summary):
    # a signature with + / = must survive the query string: find a timestamp that makes one
    for now_ms in range(1_764_000_000_000, 1_764_000_000_050):
        url, _ = build_payload(hooks["dingtalk"], summary, now_ms=now_ms)
        raw_sign = re.search(r"[?&]sign=([^&]*)", url).group(1)
        expected = hmac_b64(DINGTALK_SECRET, f"{now_ms}\n{DINGTALK_SECRET}")
        if "+" in expected or "/" in expected:
            assert "+" not in raw_sign and "/" not in raw_sign and "%" in raw_sign
            assert urllib.parse.unquote_plus(raw_sign) == expected
            return
    pytest.fail("no signature with + or / in 50 tries")


def test_dingtalk_without_a_secret_is_not_signed(chat_server, hooks, summary):
    send_webhook(replace(hooks["dingtalk"], secret=None), summary)
    [request] = chat_server.received
    assert set(request.query) == {"access_token"}


def test_feishu_card_signed_in_the_body(chat_server, hooks, summary):
    before = int(time.time())
    send_webhook(hooks["feishu"], summary)
    [request] = chat_server.received
    assert request.path == f"/open-apis/bot/v2/hook/{FEISHU_HOOK}" and request.query == {}
    body = request.body
    assert before <= int(body["timestamp"]) <= int(time.time())  # seconds
    # Feishu: "timestamp\nsecret" is the HMAC key, the message is empty
    expected = base64.b64encode(hmac.new(f"{body['timestamp']}\n{FEISHU_SECRET}".encode(), b"",
                                         hashlib.sha256).digest()).decode()
    assert body["sign"] == expected
    assert body["msg_type"] == "interactive"
    card = body["card"]
    assert card["header"]["title"] == {"tag": "plain_text", "content": summary.title}
    [div] = card["elements"]
    assert div["tag"] == "div" and div["text"]["tag"] == "lark_md"
    assert "支付金额 ¥12.3万（周同比 +8.0%）" in div["text"]["content"]
    assert div["text"]["content"].endswith(f"[查看完整报告]({REPORT_URL})")


def test_feishu_legacy_status_code_answer_is_success(chat_server, hooks, summary):
    chat_server.reply(Reply(body={"Extra": None, "StatusCode": 0, "StatusMessage": "success"}))
    assert send_webhook(hooks["feishu"], summary).status == 200


def test_slack_blocks_in_mrkdwn(chat_server, hooks, summary):
    delivery = send_webhook(hooks["slack"], summary)
    assert delivery.response == "ok"
    [request] = chat_server.received
    assert request.path == SLACK_PATH
    assert request.body["text"] == summary.title
    [block] = request.body["blocks"]
    assert block["type"] == "section" and block["text"]["type"] == "mrkdwn"
    section = block["text"]["text"]
    assert section.startswith(f"*{summary.title}*\n>")
    assert "• 支付金额 ¥12.3万（周同比 +8.0%）" in section
    assert section.endswith(f"<{REPORT_URL}|查看完整报告>")


def test_a_file_link_is_shown_as_a_path(chat_server, hooks, contexts):
    s = daily_summary(contexts[("us_store", "en")], "file:///srv/shop_report/archive/daily%20report.pdf")
    url, body = build_payload(hooks["wecom"], s)
    assert body["markdown"]["content"].endswith("\nFull report: `/srv/shop_report/archive/daily report.pdf`")
    _, body = build_payload(hooks["slack"], s)
    assert body["blocks"][0]["text"]["text"].endswith("\nFull report: `/srv/shop_report/archive/daily report.pdf`")


# --------------------------------------------------------------------------------------------
# limits and escaping
# --------------------------------------------------------------------------------------------

def oversized() -> ChatSummary:
    """Far past every limit, in multi-byte characters (CJK, emoji) and with report-like markup."""
    return ChatSummary(
        title="【日报】" + "超长店铺名😀" * 400,
        lines=tuple(f"指标{i:03d} ¥{i},234.5万 *粗* &amp; <b>（周同比 +{i}.0%）" for i in range(600)),
        movement="访客数变化😀" * 2000,
        link=REPORT_URL + "?" + "x=1&" * 30,
        link_text="查看完整报告",
        language="zh-CN",
    )


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu", "slack"])
def test_an_oversized_summary_fits_the_platform_limit(chat_server, hooks, platform):
    s = oversized()
    send_webhook(hooks[platform], s)
    [request] = chat_server.received
    link_url = s.link.replace("&", "&amp;") if platform == "slack" else s.link
    if platform == "wecom":
        text = request.body["markdown"]["content"]
        assert len(text.encode("utf-8")) <= 4096
    elif platform == "dingtalk":
        text = request.body["markdown"]["text"]
        assert len(text.encode("utf-8")) <= 4096
        assert len(request.body["markdown"]["title"]) <= 65
    elif platform == "feishu":
        text = request.body["card"]["elements"][0]["text"]["content"]
        assert len(request.raw) <= 20 * 1000  # the whole body, signature included
    else:
        text = request.body["blocks"][0]["text"]["text"]
        assert len(text.encode("utf-16-le")) // 2 <= 3000
        assert len(request.body["text"]) <= 3000 + 1
        # every & is the start of an entity: none was cut in half
        assert re.fullmatch(r"(?:[^&]|&amp;|&lt;|&gt;)*", text, flags=re.DOTALL)
    # the link survives whole, as the last line; the cut is announced
    last = text.rsplit("\n", 1)[-1]
    assert last in (f"[查看完整报告]({link_url})", f"<{link_url}|查看完整报告>")
    assert re.search(r"另有 \d+ 项指标见完整报告", text)
    # lines are kept whole, in order, from the first
    assert "指标000 ¥0,234.5万" in text
    kept = re.findall(r"指标(\d{3}) ", text)
    assert kept == [f"{i:03d}" for i in range(len(kept))]


def test_a_huge_title_is_shortened_not_dropped(hooks):
    s = replace(oversized(), lines=(), movement=None, title="漢😀" * 5000)
    _, body = build_payload(hooks["wecom"], s)
    content = body["markdown"]["content"]
    assert len(content.encode("utf-8")) <= 4096
    first = content.split("\n")[0]
    assert first.startswith("**漢😀漢") and first.endswith("…**")  # bold closed, whole characters


ODD_NAME = "*Sale* <b>Thermos & Co</b> _x_ `y` ~z~ [a](https://evil.example) &lt;"


def test_report_text_cannot_break_slack_mrkdwn(shop_ctx, hooks):
    s = daily_summary(replace(shop_ctx, scope_name=ODD_NAME), REPORT_URL)
    _, body = build_payload(hooks["slack"], s)
    section = body["blocks"][0]["text"]["text"]
    title_line = section.split("\n")[0]
    assert title_line.count("*") == 2 and title_line.startswith("*") and title_line.endswith("*")
    assert "&lt;b&gt;Thermos &amp; Co&lt;/b&gt;" in title_line
    assert "&amp;lt;" in title_line  # an entity in the name is shown, not decoded
    assert not re.search(r"[_`~]", section.rsplit("\n", 1)[0])  # the link line holds the URL
    # the only angle-bracket markup left is the report link
    assert re.findall(r"<[^>]*>", section) == [f"<{REPORT_URL}|查看完整报告>"]
    assert "<b>" not in body["text"] and "&amp;" in body["text"]


@pytest.mark.parametrize("platform", ["wecom", "dingtalk", "feishu"])
def test_report_text_cannot_break_markdown(shop_ctx, hooks, platform):
    s = daily_summary(replace(shop_ctx, scope_name=ODD_NAME), REPORT_URL)
    _, body = build_payload(hooks[platform], s)
    text = {"wecom": lambda b: b["markdown"]["content"], "dingtalk": lambda b: b["markdown"]["text"],
            "feishu": lambda b: b["card"]["elements"][0]["text"]["content"]}[platform](body)
    if platform == "feishu":  # the title is plain text in the card header: shown as it is
        assert ODD_NAME in body["card"]["header"]["title"]["content"]
    else:
        assert "＊Sale＊ ＜b＞Thermos & Co＜/b＞ ＿x＿ ｀y｀ ～z～ [a］(https://evil.example) ＆lt;" in text
    assert "<b>" not in text and "](https://evil.example)" not in text
    assert re.findall(r"\]\(([^)]*)\)", text) == [REPORT_URL]  # one link: the report's


# --------------------------------------------------------------------------------------------
# failures: temporary or permanent, and never a secret in the message or the log
# --------------------------------------------------------------------------------------------

FAILURES = [
    ("wecom", Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}), True, "45009"),
    ("wecom", Reply(body={"errcode": 93000, "errmsg": "invalid webhook url"}), False, "93000"),
    ("dingtalk", Reply(body={"errcode": 130101, "errmsg": "send too fast, exceed 20 times per minute"}), True,
     "130101"),
    ("dingtalk", Reply(body={"errcode": 310000, "errmsg": "sign not match"}), False, "310000"),
    ("dingtalk", Reply(body={"errcode": 300001, "errmsg": f"token is not exist {DINGTALK_TOKEN}"}), False,
     "300001"),
    ("feishu", Reply(body={"code": 11232, "msg": "frequency limited psm[lark.oapi.app_platform_runtime]"}), True,
     "11232"),
    ("feishu", Reply(status=400, body={"code": 9499, "msg": "too many request", "data": {}}), True, "9499"),
    ("feishu", Reply(status=400, body={"code": 9499, "msg": "Bad Request", "data": {}}), False, "9499"),
    ("feishu", Reply(body={"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}), False,
     "19021"),
    ("slack", Reply(status=404, body="no_service"), False, "no_service"),
    ("slack", Reply(status=403, body="invalid_token"), False, "invalid_token"),
    ("slack", Reply(status=400, body="invalid_payload"), False, "invalid_payload"),
    ("slack", Reply(status=429, body="rate_limited", headers={"Retry-After": "30"}), True, "429"),
    ("slack", Reply(status=500, body="rollup_error"), True, "500"),
    ("wecom", Reply(status=502, body="<html>bad gateway</html>"), True, "502"),
    ("wecom", Reply(body="<html>captive portal</html>"), False, "not the platform's JSON"),
    ("dingtalk", Reply(status=302, body="", headers={"Location": "http://127.0.0.1:9/elsewhere"}), False,
     "redirects"),
    ("feishu", Reply(close=True), True, "RemoteDisconnected"),
]


@pytest.mark.parametrize(("platform", "reply", "temporary", "detail"), FAILURES,
                         ids=[f"{p}-{d}" for p, _, _, d in FAILURES])
def test_failures_are_classified(chat_server, hooks, summary, caplog, platform, reply, temporary, detail):
    caplog.set_level(logging.DEBUG)
    chat_server.reply(reply)
    with pytest.raises(DeliveryError) as raised:
        send_webhook(hooks[platform], summary)
    message = str(raised.value)
    assert raised.value.temporary is temporary
    assert detail in message
    assert hooks[platform].name in message and f"({platform})" in message
    assert ("temporary failure" if temporary else "permanent failure") in message
    assert f"127.0.0.1:{chat_server.port}/" in message  # where, without the key
    assert_no_secrets(message)
    assert_no_secrets(caplog.text)
    assert len(chat_server.received) == 1


def test_a_timeout_is_temporary(chat_server, hooks, summary, caplog):
    caplog.set_level(logging.DEBUG)
    chat_server.reply(Reply(delay=1.5))
    hook = replace(hooks["dingtalk"], timeout_seconds=0.3)
    with pytest.raises(DeliveryError) as raised:
        send_webhook(hook, summary)
    assert raised.value.temporary is True
    assert "timed out" in str(raised.value)
    assert_no_secrets(str(raised.value) + caplog.text)


def test_connection_refused_is_temporary(hooks, summary, caplog):
    caplog.set_level(logging.DEBUG)
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    hook = replace(hooks["wecom"], url=f"http://127.0.0.1:{port}/cgi-bin/webhook/send?key={WECOM_KEY}")
    with pytest.raises(DeliveryError) as raised:
        send_webhook(hook, summary)
    assert raised.value.temporary is True and "refused" in str(raised.value).lower()
    assert_no_secrets(str(raised.value) + caplog.text)


def test_a_temporary_failure_then_success_posts_the_same_message(chat_server, hooks, summary):
    """What the flow's retry does: the same summary again after a rate limit."""
    chat_server.reply(Reply(body={"errcode": 45009, "errmsg": "api freq out of limit"}))
    with pytest.raises(DeliveryError) as raised:
        send_webhook(hooks["wecom"], summary)
    assert raised.value.temporary
    delivery = send_webhook(hooks["wecom"], summary)
    assert delivery.status == 200 and '"errcode": 0' in delivery.response
    first, second = chat_server.received
    assert first.body == second.body


def test_success_is_logged_without_secrets(chat_server, hooks, summary, caplog):
    caplog.set_level(logging.DEBUG)
    for hook in hooks.values():
        delivery = send_webhook(hook, summary)
        assert_no_secrets(str(delivery) + repr(delivery))
    assert "ops-feishu (feishu)" in caplog.text
    assert_no_secrets(caplog.text)
    assert_no_secrets(repr(list(hooks.values())))


# --------------------------------------------------------------------------------------------
# checking a configuration without sending (doctor)
# --------------------------------------------------------------------------------------------

def test_check_webhook_accepts_the_platforms_url_shapes():
    assert check_webhook(Webhook("a", "wecom", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}")) is None
    assert check_webhook(Webhook("b", "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}",
                                 secret=DINGTALK_SECRET)) is None
    assert check_webhook(Webhook("c", "feishu", f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}",
                                 secret=FEISHU_SECRET, language="en")) is None
    assert check_webhook(Webhook("d", "feishu", f"https://open.larksuite.com/open-apis/bot/v2/hook/{FEISHU_HOOK}")) is None
    assert check_webhook(Webhook("e", "slack", f"https://hooks.slack.com{SLACK_PATH}")) is None


@pytest.mark.parametrize(("hook", "problem"), [
    (Webhook("x", "teams", "https://example.com/hook"), "unknown platform"),
    (Webhook("x", "wecom", ""), "URL is empty"),
    (Webhook("x", "wecom", f"http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}"), "https://"),
    (Webhook("x", "wecom", "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"), "key is missing"),
    (Webhook("x", "dingtalk", "https://oapi.dingtalk.com/robot/send"), "access_token is missing"),
    (Webhook("x", "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}",
             secret=FEISHU_SECRET), "starts with SEC"),
    (Webhook("x", "dingtalk", f"https://oapi.dingtalk.com/robot/send?access_token={DINGTALK_TOKEN}", secret=""),
     "secret is empty"),
    (Webhook("x", "feishu", "https://open.feishu.cn/open-apis/bot/v2/hook/"), "token is missing"),
    (Webhook("x", "slack", "https://hooks.slack.com/services/T0TESTTEAM"), "/services/"),
    (Webhook("x", "slack", f"https://hooks.slack.com{SLACK_PATH}", secret="s3cret"), "not signed"),
    (Webhook("x", "wecom", f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}", timeout_seconds=0),
     "timeout"),
], ids=lambda v: v if isinstance(v, str) else v.platform)
def test_check_webhook_names_the_problem(hook, problem):
    found = check_webhook(hook)
    assert found is not None and problem in found
    assert_no_secrets(found)


def test_send_refuses_a_misconfigured_webhook_without_posting(chat_server, summary):
    hook = Webhook("ops", "dingtalk", chat_server.url(f"/robot/send?access_token={DINGTALK_TOKEN}"), secret="nope")
    with pytest.raises(DeliveryError) as raised:
        send_webhook(hook, summary)
    assert raised.value.temporary is False and "starts with SEC" in str(raised.value)
    assert chat_server.received == []


def test_describe_url_keeps_keys_and_tokens_out():
    assert describe_url(f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}") == \
        "qyapi.weixin.qq.com/cgi-bin/…"
    assert describe_url(f"https://hooks.slack.com{SLACK_PATH}") == "hooks.slack.com/services/…"
    assert describe_url(f"https://open.feishu.cn/open-apis/bot/v2/hook/{FEISHU_HOOK}") == "open.feishu.cn/open-apis/…"
    assert describe_url(f"https://relay.example/{FEISHU_HOOK}") == "relay.example/…"
