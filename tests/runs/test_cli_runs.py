"""The command line around runs: --resend reaches the flow, the ledger command shows deliveries."""

from __future__ import annotations

import datetime as dt

from flows.cli import main
from flows.ledger import SendLedger


def test_run_daily_resend_reaches_the_flow_under_the_run_lock(project, monkeypatch, capsys):
    import flows.daily_report

    seen = {}

    def fake_flow(**kwargs):
        seen.update(kwargs)
        seen["lock held"] = project.run_lock_path.exists() and "run daily" in project.run_lock_path.read_text()
        return ["written to outbox/x.eml"]

    monkeypatch.setattr(flows.daily_report, "daily_report", fake_flow)
    assert main(["run", "daily", "--date", "2026-11-22", "--resend", "--config", str(project.config_path)]) == 0
    assert seen["resend"] is True and seen["report_date"] == dt.date(2026, 11, 22) and seen["lock held"]
    assert "delivered: written to outbox/x.eml" in capsys.readouterr().out
    assert main(["run", "daily", "--config", str(project.config_path)]) == 0
    assert seen["resend"] is False


def test_the_ledger_command_lists_every_delivery(project, capsys):
    ledger = SendLedger(project.send_ledger_path)
    claim = ledger.claim("daily", "2026-11-22", "tmall_flagship", domain="shop.example")
    ledger.start_attempt(claim.delivery_id, recipients=["boss@shop.example"], subject="【日报】天猫旗舰店",
                         content_sha256="0123456789abcdef" * 4, method="smtp")
    ledger.mark_failed(claim.delivery_id, "cannot send the report via SMTP: 550 rejected")
    assert main(["ledger", "--config", str(project.config_path)]) == 0
    out = capsys.readouterr().out
    assert f"#1 daily 2026-11-22 tmall_flagship: failed after 1 attempt(s) {claim.message_id}" in out
    assert "550 rejected" in out and "to boss@shop.example via smtp" in out and "0123456789abcdef" in out
    assert main(["ledger", "--date", "2026-11-21", "--config", str(project.config_path)]) == 0
    assert "nothing in the send ledger" in capsys.readouterr().out
