"""SMTP trouble, caused for real: a closed port, a server that never answers, a wrong password, and
a server replying 451 (try later) or 550 (rejected). Temporary failures are retried with growing
delays; permanent ones are not, and end in a clear error in the Prefect run and the send ledger,
with a short failure notice to the admin list when mail works at all."""

from __future__ import annotations

import datetime as dt
import logging
import socket
from dataclasses import replace

import pytest
from runs_support import ADMIN, DEMO_END, SMTP_PASSWORD, SMTP_USER, smtp_config

from flows.daily_report import daily_report
from flows.delivery.mail import DeliveryError, build_notice_message, deliver
from flows.ledger import SendLedger
from flows.settings import MailSettings, load_settings

PASSWORD_ENV = "SHOPREPORT_TEST_SMTP_PASSWORD"


def _mail(port: int, **changes) -> MailSettings:
    base = MailSettings(sender="reports@shop.example", recipients=("boss@shop.example",),
                        smtp_host="127.0.0.1", smtp_port=port, security="plain", user=SMTP_USER,
                        password_env=PASSWORD_ENV, timeout_seconds=2)
    return replace(base, **changes)


def _send(mail: MailSettings, tmp_path):
    message = build_notice_message(mail, "test", "hello", mail.recipients)
    with pytest.raises(DeliveryError) as info:
        deliver(message, mail, tmp_path)
    return info.value


def test_connection_refused_is_temporary(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    error = _send(_mail(port), tmp_path)
    assert error.temporary and "connect failed" in str(error) and "ConnectionRefusedError" in str(error)
    assert "worth retrying" in str(error)


def test_a_server_that_never_answers_times_out_and_is_temporary(tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    with socket.socket() as silent:  # accepts connections (backlog) but never sends a greeting
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        error = _send(_mail(silent.getsockname()[1], timeout_seconds=0.5), tmp_path)
    assert error.temporary and "timed out" in str(error).lower()


def test_a_wrong_password_is_permanent_and_never_shown(scripted_smtp, tmp_path, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong-" + SMTP_PASSWORD)
    error = _send(_mail(scripted_smtp.port), tmp_path)
    assert not error.temporary and "login as reporter failed" in str(error) and "535" in str(error)
    assert SMTP_PASSWORD not in str(error) and error.__cause__ is None
    assert "not retried" in str(error)


@pytest.mark.parametrize("reply, temporary", [
    ("451 4.3.0 Mailbox busy, try again later", True),
    ("421 4.7.0 Too many connections", True),
    ("550 5.7.1 Message rejected by policy", False),
    ("554 5.6.0 Content rejected", False),
])
def test_4xx_replies_are_temporary_and_5xx_permanent(scripted_smtp, tmp_path, monkeypatch, reply, temporary):
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    scripted_smtp.replies.append(reply)
    error = _send(_mail(scripted_smtp.port), tmp_path)
    assert error.temporary is temporary
    assert reply.split()[0] in str(error) and "send failed" in str(error)
    assert scripted_smtp.messages == []


# ----------------------------------------------------------------------------------------------
# in the daily flow (real Prefect retries)
# ----------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_temporary_failures_are_retried_with_backoff_then_sent(built_copy, scripted_smtp, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    config = built_copy(mail=smtp_config(scripted_smtp, password_env=PASSWORD_ENV, delays="[0.3, 0.6]"))
    scripted_smtp.replies += ["451 4.3.0 try later", "421 4.7.0 busy"]
    (where,) = daily_report(config=str(config), report_date=DEMO_END, scopes=["shopify_us"], ingest=False)
    assert f"{scripted_smtp.host}:{scripted_smtp.port}" in where
    assert [r for r, _ in scripted_smtp.refused] == ["451 4.3.0 try later", "421 4.7.0 busy"]
    (mail,) = scripted_smtp.messages
    (entry,) = SendLedger(load_settings(config).send_ledger_path).entries()
    assert (entry.status, entry.attempts, entry.error) == ("sent", 3, None)
    assert entry.message_id == mail["Message-ID"]  # one Message-ID across the attempts
    waited = dt.datetime.fromisoformat(entry.sent_at) - dt.datetime.fromisoformat(entry.created_at)
    assert waited >= dt.timedelta(seconds=0.9), "the retries waited 0.3 s, then 0.6 s"
    assert scripted_smtp.received_by(ADMIN) == []  # a run that ends well notifies nobody


@pytest.mark.slow
def test_a_permanent_failure_fails_the_run_notifies_the_admin_and_the_next_run_retries(
        built_copy, scripted_smtp, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, SMTP_PASSWORD)
    config = built_copy(mail=smtp_config(scripted_smtp, password_env=PASSWORD_ENV))
    scripted_smtp.reject_for["owner@example.com"] = "550 5.7.1 Message rejected by policy"
    state = daily_report(config=str(config), report_date=DEMO_END, scopes=["shopify_us"], ingest=False,
                         return_state=True)
    assert state.is_failed()
    error = str(state.result(raise_on_failure=False))
    assert "1 of 1 report(s) not delivered" in error and "550 5.7.1 Message rejected" in error
    assert len(scripted_smtp.refused) == 1, "a 5xx reply is not retried"
    ledger = SendLedger(load_settings(config).send_ledger_path)
    (report, notice) = ledger.entries()
    assert (report.kind, report.status, report.attempts) == ("daily", "failed", 1)
    assert "550 5.7.1 Message rejected by policy" in report.error and "permanent" in report.error
    assert (notice.kind, notice.scope, notice.status, notice.recipients) == ("run_failed", "admin", "sent", (ADMIN,))
    (admin_mail,) = scripted_smtp.received_by(ADMIN)
    assert admin_mail["Subject"] == "【运行失败】shopreport 日报 2026-11-22"
    assert "550 5.7.1 Message rejected by policy" in admin_mail.get_content()

    del scripted_smtp.reject_for["owner@example.com"]  # the server takes mail again
    (where,) = daily_report(config=str(config), report_date=DEMO_END, scopes=["shopify_us"], ingest=False)
    retried = ledger.get(report.delivery_id)
    assert (retried.status, retried.attempts) == ("sent", 2), "the failed delivery itself is retried"
    (sent,) = scripted_smtp.received_by("owner@example.com")
    assert sent["Message-ID"] == report.message_id


@pytest.mark.slow
def test_a_wrong_password_fails_the_run_without_showing_any_password(built_copy, smtp_server, monkeypatch,
                                                                      caplog, capsys):
    """Authentication fails (permanent: not retried, and the admin notice cannot go out either):
    the error is clear, and the password shows nowhere — not in the Prefect run's logs, the
    printed output, the send ledger or the archive."""
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-" + smtp_server.password
    monkeypatch.setenv(PASSWORD_ENV, wrong)
    config = built_copy(mail=smtp_config(smtp_server, password_env=PASSWORD_ENV))
    state = daily_report(config=str(config), report_date=DEMO_END, scopes=["shopify_us"], ingest=False,
                         return_state=True)
    assert state.is_failed()
    error = str(state.result(raise_on_failure=False))
    assert "login as reporter failed" in error and PASSWORD_ENV in error
    settings = load_settings(config)
    (entry, notice) = SendLedger(settings.send_ledger_path).entries()
    assert (entry.status, entry.attempts) == ("failed", 1) and "535" in entry.error
    assert notice.kind == "run_failed" and notice.status == "failed"
    assert "the failure notice to admin@shop.example could not be sent" in caplog.text
    assert smtp_server.messages == [] and smtp_server.logins == []

    out = capsys.readouterr()
    places = {"log": caplog.text, "stdout": out.out, "stderr": out.err, "error": error,
              "ledger": settings.send_ledger_path.read_bytes().decode("utf-8", "replace")}
    for path in settings.archive_dir.rglob("*"):
        if path.is_file():
            places[str(path)] = path.read_bytes().decode("utf-8", "replace")
    for where, text in places.items():
        assert wrong not in text and smtp_server.password not in text, where
