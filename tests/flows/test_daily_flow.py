"""The daily flow end to end, as Prefect runs it: demo exports → warehouse → PDF/HTML → mail."""

from __future__ import annotations

import datetime as dt
import email
import re
import shutil
import subprocess
from email import policy

import pytest

from flows.daily_report import daily_report
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

pytestmark = pytest.mark.slow  # every test here stands on a real end-to-end run

DEMO_END = dt.date(2026, 11, 22)  # the demo_dir fixture's last day


@pytest.fixture(scope="module")
def demo_run(daily_demo, demo_dir):
    """One real flow run over the demo inbox (the ``daily_demo`` fixture's), seen in this module's
    copy of the demo; returns (settings, deliveries)."""
    return load_settings(demo_dir / "shopreport.toml"), daily_demo.deliveries


def test_the_flow_reports_every_shop_and_all_shops(demo_run):
    settings, deliveries = demo_run
    assert len(deliveries) == 3
    emls = sorted(settings.outbox_dir.glob("*.eml"))
    assert len(emls) == 3
    for scope in ("tmall_flagship", "shopify_us", "all"):
        pdfs = list((settings.archive_dir / "daily" / scope / DEMO_END.isoformat()).glob("*.pdf"))
        assert len(pdfs) == 1, scope


def test_every_inbox_file_was_loaded_and_nothing_rejected(demo_run):
    settings, _ = demo_run
    leftover = [p for p in settings.inbox_dir.rglob("*") if p.is_file()]
    assert leftover == [], "every export was recognised, loaded and moved to landing"
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        read, loaded, rejected = con.execute(
            "select sum(rows_read), sum(rows_loaded), sum(rows_rejected) from source_files").fetchone()
        assert rejected == 0 and read == loaded > 0
        assert con.execute("select count(*) from ingest_events where level <> 'info'").fetchone()[0] == 0


def _mail(settings, scope_name: str):
    for path in settings.outbox_dir.glob("*.eml"):
        msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if scope_name in msg["Subject"]:
            return msg
    raise AssertionError(f"no mail for {scope_name}")


def test_the_mail_is_html_with_text_alternative_inline_chart_and_pdf(demo_run):
    settings, _ = demo_run
    msg = _mail(settings, "天猫旗舰店")
    assert msg["Subject"].startswith("【日报】天猫旗舰店 2026-11-22 支付金额")
    assert msg.get_content_type() == "multipart/mixed"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    assert "支付金额" in html and "支付金额" in text
    cids = re.findall(r'src="cid:([^"]+)"', html)
    inline = {p["Content-ID"].strip("<>") for p in msg.walk() if p.get_content_type() == "image/png"}
    assert cids and set(cids) <= inline
    (pdf,) = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_filename().startswith("日报_天猫旗舰店_2026-11-22") and pdf.get_filename().endswith(".pdf")


def _pdf_text(path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_the_pdf_embeds_a_cjk_font_and_shows_the_headline_gmv(demo_run):
    settings, _ = demo_run
    assert shutil.which("pdffonts"), "poppler-utils is installed by the set-up step"
    (pdf,) = (settings.archive_dir / "daily" / "tmall_flagship" / DEMO_END.isoformat()).glob("*.pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    cjk = [line for line in fonts.splitlines() if "WenQuanYi" in line or "CJK" in line]
    assert cjk and all(" yes " in line for line in cjk), fonts  # embedded (emb column)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        gmv = con.execute("select gmv from fct_shop_daily where shop_id = 'tmall_flagship' "
                          "and business_date = ?", [DEMO_END]).fetchone()[0]
    text = _pdf_text(pdf)
    assert "支付金额" in text
    # the tile shows GMV in 万 above ¥10,000 (e.g. ¥12.3万); the trend table shows it in full
    wan = f"¥{float(gmv) / 10000:.1f}万"
    assert wan in text, (wan, text[:2000])


def test_the_flow_sends_by_smtp_with_login(demo_dir, demo_run, smtp_server, monkeypatch):
    settings, _ = demo_run
    config = (demo_dir / "shopreport.toml").read_text(encoding="utf-8")
    assert "\n[mail]\n" in config
    smtp_config = config.replace("\n[mail]\n", "\n[mail]\n"
                                 f'smtp_host = "{smtp_server.host}"\nsmtp_port = {smtp_server.port}\n'
                                 f'smtp_security = "plain"\nsmtp_user = "{smtp_server.user}"\n')
    (demo_dir / "smtp.toml").write_text(smtp_config, encoding="utf-8")
    monkeypatch.setenv("SHOPREPORT_SMTP_PASSWORD", smtp_server.password)
    # the send ledger knows this report went out (to the outbox) in demo_run: send it again on purpose
    (where,) = daily_report(config=str(demo_dir / "smtp.toml"), report_date=DEMO_END,
                            scopes=["shopify_us"], ingest=False, resend=True)
    assert f"{smtp_server.host}:{smtp_server.port}" in where
    assert smtp_server.logins == [smtp_server.user]
    (msg,) = smtp_server.messages
    assert msg["Subject"].startswith("【日报】")
    (pdf,) = [p for p in msg.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert pdf.get_content().startswith(b"%PDF")
    assert set(smtp_server.envelopes[0][1]) == set(settings.mail.recipients)
