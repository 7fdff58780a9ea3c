"""The send ledger's rules, on a real SQLite file: once per report, --resend, retries of failed and
in-doubt deliveries, partial → complete, and the mail settings that go with it."""

from __future__ import annotations

import email
import sqlite3
from email import policy

import pytest

from flows.delivery.mail import build_notice_message, find_in_outbox
from flows.ledger import SendLedger
from flows.settings import ConfigError, MailSettings, load_settings

DAY = "2026-11-22"


@pytest.fixture
def ledger(tmp_path):
    return SendLedger(tmp_path / "warehouse" / "send_ledger.sqlite")


def _attempt(ledger, claim, method="smtp", partial=False):
    ledger.start_attempt(claim.delivery_id, recipients=["boss@shop.example"], subject="日报",
                         content_sha256="ab" * 32, method=method, partial=partial)


def test_a_report_is_sent_once_then_skipped(ledger):
    first = ledger.claim("daily", DAY, "tmall_flagship")
    assert first.should_send and first.reason == "new"
    _attempt(ledger, first)
    ledger.mark_sent(first.delivery_id, "127.0.0.1:25 (plain)")
    again = ledger.claim("daily", DAY, "tmall_flagship")
    assert not again.should_send and again.delivery_id == first.delivery_id
    assert "already sent as delivery #1" in again.reason
    # other kinds, days and scopes are separate deliveries
    assert ledger.claim("daily", DAY, "all").should_send
    assert ledger.claim("daily", "2026-11-23", "tmall_flagship").should_send
    assert ledger.claim("daily_late", DAY, "tmall_flagship").should_send
    (entry,) = ledger.entries(kind="daily", scope="tmall_flagship", period=DAY)
    assert (entry.status, entry.attempts, entry.recipients, entry.content_sha256) == \
        ("sent", 1, ("boss@shop.example",), "ab" * 32)
    assert entry.created_at <= entry.updated_at and entry.sent_at


def test_resend_makes_a_new_delivery_with_a_new_message_id(ledger):
    first = ledger.claim("daily", DAY, "all")
    _attempt(ledger, first)
    ledger.mark_sent(first.delivery_id, "outbox")
    forced = ledger.claim("daily", DAY, "all", resend=True)
    assert forced.should_send and forced.delivery_id != first.delivery_id
    assert forced.message_id != first.message_id and forced.reason == "resend asked for"
    assert [e.forced for e in ledger.entries()] == [False, True]


def test_a_failed_delivery_is_retried_as_the_same_row_and_message_id(ledger):
    first = ledger.claim("daily", DAY, "shopify_us")
    _attempt(ledger, first)
    ledger.mark_failed(first.delivery_id, "550 rejected")
    retry = ledger.claim("daily", DAY, "shopify_us")
    assert retry.should_send and retry.delivery_id == first.delivery_id
    assert retry.message_id == first.message_id and "failed before: 550 rejected" in retry.reason
    _attempt(ledger, retry)
    ledger.mark_sent(retry.delivery_id, "server")
    entry = ledger.get(first.delivery_id)
    assert (entry.status, entry.attempts, entry.error) == ("sent", 2, None)


def test_a_partial_report_goes_out_again_once_complete_but_not_twice_partial(ledger):
    partial = ledger.claim("daily", DAY, "all", partial=True)
    _attempt(ledger, partial, partial=True)
    ledger.mark_sent(partial.delivery_id, "server")
    assert not ledger.claim("daily", DAY, "all", partial=True).should_send
    complete = ledger.claim("daily", DAY, "all", partial=False)
    assert complete.should_send and complete.delivery_id != partial.delivery_id
    assert "complete now" in complete.reason
    _attempt(ledger, complete)
    ledger.mark_sent(complete.delivery_id, "server")
    assert not ledger.claim("daily", DAY, "all", partial=False).should_send
    assert not ledger.claim("daily", DAY, "all", partial=True).should_send


def test_an_in_doubt_smtp_delivery_is_sent_again_with_the_same_message_id(ledger):
    first = ledger.claim("daily", DAY, "all")
    _attempt(ledger, first, method="smtp")  # the process died here: no mark_sent / mark_failed
    retry = ledger.claim("daily", DAY, "all")
    assert retry.should_send and retry.message_id == first.message_id and "in doubt" in retry.reason


def test_an_in_doubt_outbox_delivery_is_settled_by_the_outbox(ledger, tmp_path):
    outbox = tmp_path / "outbox"
    mail = MailSettings(sender="reports@shop.example", recipients=("boss@shop.example",))
    first = ledger.claim("daily", DAY, "all", outbox_dir=outbox)
    _attempt(ledger, first, method="outbox")
    assert ledger.claim("daily", DAY, "all", outbox_dir=outbox).should_send  # not written: send it
    outbox.mkdir()
    message = build_notice_message(mail, "日报", "text", mail.recipients, message_id=first.message_id)
    (outbox / "x.eml").write_bytes(message.as_bytes())  # written just before the process died
    assert find_in_outbox(outbox, first.message_id) == outbox / "x.eml"
    settled = ledger.claim("daily", DAY, "all", outbox_dir=outbox)
    assert not settled.should_send and ledger.get(first.delivery_id).status == "sent"
    assert ledger.get(first.delivery_id).delivered_to == str(outbox / "x.eml")


def test_the_ledger_is_a_plain_sqlite_table(ledger):
    claim = ledger.claim("daily", DAY, "all")
    with sqlite3.connect(ledger.path) as con:
        columns = [r[1] for r in con.execute("pragma table_info(send_ledger)")]
        assert con.execute("select status, message_id from send_ledger").fetchall() == \
            [("pending", claim.message_id)]
    for column in ("kind", "period", "scope", "recipients", "content_sha256", "message_id", "status",
                   "attempts", "error", "created_at", "updated_at", "sent_at"):
        assert column in columns


def test_the_message_id_is_the_ledgers(tmp_path):
    mail = MailSettings(sender="reports@shop.example", recipients=("boss@shop.example",))
    message = build_notice_message(mail, "s", "t", mail.recipients, message_id="<abc@shop.example>")
    parsed = email.message_from_bytes(message.as_bytes(), policy=policy.default)
    assert parsed["Message-ID"] == "<abc@shop.example>" and parsed["To"] == "boss@shop.example"


MAIL_CONFIG = """
[[shops]]
id = "tmall_flagship"
currency = "CNY"

[mail]
to = ["ops@example.com"]
"""


@pytest.mark.parametrize("line, key", [
    ('admin_to = "ops@example.com"', "mail.admin_to"),
    ('admin_to = ["nobody"]', "mail.admin_to"),
    ("retry_delays = [30, -1]", "mail.retry_delays"),
    ('retry_delays = ["soon"]', "mail.retry_delays"),
    ("timeout_seconds = 0", "mail.timeout_seconds"),
])
def test_bad_mail_keys_name_the_file_and_the_key(tmp_path, line, key):
    path = tmp_path / "shopreport.toml"
    path.write_text(MAIL_CONFIG + line + "\n", encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_mail_defaults_and_the_ledger_beside_the_warehouse(tmp_path):
    path = tmp_path / "shopreport.toml"
    path.write_text(MAIL_CONFIG + 'admin_to = ["admin@example.com"]\nretry_delays = [1, 2.5]\n',
                    encoding="utf-8")
    s = load_settings(path)
    assert s.mail.admin_recipients == ("admin@example.com",) and s.mail.retry_delays == (1.0, 2.5)
    assert s.send_ledger_path == tmp_path / "warehouse" / "send_ledger.sqlite"
    assert s.run_lock_path == tmp_path / "warehouse" / "shopreport.duckdb.run-lock"
    path.write_text(MAIL_CONFIG.replace("[[shops]]", '[paths]\nledger = "state/ledger.sqlite"\n\n[[shops]]'),
                    encoding="utf-8")
    assert load_settings(path).send_ledger_path == tmp_path / "state" / "ledger.sqlite"


V1_SCHEMA = """
create table send_ledger (
    delivery_id integer primary key autoincrement, kind text not null, period text not null,
    scope text not null, partial integer not null default 0, recipients text not null default '',
    subject text, content_sha256 text, archive_path text, message_id text not null unique, method text,
    delivered_to text, status text not null check (status in ('pending', 'sending', 'sent', 'failed')),
    attempts integer not null default 0, error text, forced integer not null default 0, run_id text,
    created_at text not null, updated_at text not null, sent_at text);
insert into send_ledger (kind, period, scope, recipients, message_id, method, status, attempts, created_at,
    updated_at, sent_at)
values ('daily', '2026-11-21', 'all', 'owner@example.com', '<old@example.com>', 'smtp', 'sent', 1,
    '2026-11-22T00:00:00', '2026-11-22T00:00:01', '2026-11-22T00:00:01');
"""


def test_a_ledger_from_before_audiences_is_migrated_and_keeps_its_rows(tmp_path):
    import sqlite3

    path = tmp_path / "send_ledger.sqlite"
    with sqlite3.connect(path) as con:
        con.executescript(V1_SCHEMA)
    ledger = SendLedger(path)
    assert not ledger.claim("daily", "2026-11-21", "all").should_send  # the old row still counts
    [old] = ledger.entries(period="2026-11-21")
    assert old.audience == "" and old.message_id == "<old@example.com>" and old.recipients == ("owner@example.com",)
    group = ledger.claim("daily", "2026-11-21", "all", audience="mail:full:en")
    assert group.should_send  # a new audience gets the report
    ledger.mark_skipped(group.delivery_id, "nothing for this audience")  # the new status is allowed
    assert not ledger.claim("daily", "2026-11-21", "all", audience="mail:full:en").should_send


def test_a_skipped_audience_is_not_tried_again_but_others_are_independent(ledger):
    ads = ledger.claim("daily", DAY, "shopify_us", audience="mail:ads:zh-CN")
    ledger.mark_skipped(ads.delivery_id, "no ad campaigns", ["ads@example.com"])
    again = ledger.claim("daily", DAY, "shopify_us", audience="mail:ads:zh-CN")
    assert not again.should_send and "no ad campaigns" in again.reason
    assert ledger.claim("daily", DAY, "shopify_us").should_send  # mail.to's delivery is its own
    assert ledger.get(ads.delivery_id).status == "skipped"
