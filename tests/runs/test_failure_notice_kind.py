"""The failure notice names the run that failed and the command that re-runs it."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import pytest

from flows import pipeline
from flows.settings import load_settings


@pytest.fixture
def admin_project(tmp_path):
    (tmp_path / "shopreport.toml").write_text(
        '[[shops]]\nid = "tmall_flagship"\nplatform = "tmall"\ncurrency = "CNY"\n\n'
        '[mail]\nto = ["ops@example.com"]\nadmin_to = ["it@example.com"]\n', encoding="utf-8")
    return load_settings(tmp_path / "shopreport.toml")


@pytest.mark.parametrize("kind, day, subject, rerun", [
    ("daily", dt.date(2026, 11, 22), "【运行失败】shopreport 日报 2026-11-22", "shopreport run daily --date 2026-11-22"),
    ("weekly", dt.date(2026, 11, 16), "【运行失败】shopreport 周报 2026-W47", "shopreport run weekly --week 2026-W47"),
])
def test_failure_notice_names_the_report_and_the_rerun_command(admin_project, kind, day, subject, rerun):
    delivery = pipeline.notify_failure(admin_project, day, RuntimeError("disk full"), kind=kind)
    assert delivery is not None
    (eml,) = admin_project.outbox_dir.glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=policy.default)
    assert msg["Subject"] == subject and msg["To"] == "it@example.com"
    body = msg.get_body(("plain",)).get_content()
    assert rerun in body and "RuntimeError: disk full" in body
