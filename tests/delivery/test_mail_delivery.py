"""The report mail: MIME structure, a real SMTP server (aiosmtpd), the outbox, clear errors."""

import email
import socket
from dataclasses import replace
from datetime import date
from email import policy

import duckdb
import pytest

from flows.delivery.mail import DeliveryError, build_report_message, deliver, report_subject
from flows.reports import build_daily_context, render_email, report_file_stem
from flows.reports.render import RenderedEmail

REPORT_DATE = date(2026, 11, 22)  # the fixture's report day (tests/conftest.py)
PASSWORD_ENV = "SHOPREPORT_TEST_SMTP_PASSWORD"
FAKE_PDF = b"%PDF-1.7\n% test\n"


@pytest.fixture(scope="module")
def contexts(rpt_warehouse, report_settings, glossary_dir):
    with duckdb.connect(str(rpt_warehouse), read_only=True) as con:
        return {scope_lang: build_daily_context(con, report_settings, REPORT_DATE, scope_lang[0],
                                                scope_lang[1], transforms_dir=glossary_dir)
                for scope_lang in (("tmall_flagship", "zh-CN"), ("all", "en"))}


@pytest.fixture(scope="module")
def shop_ctx(contexts):
    return contexts[("tmall_flagship", "zh-CN")]


@pytest.fixture(scope="module")
def rendered(shop_ctx):
    return render_email(shop_ctx)


@pytest.fixture
def message(report_settings, shop_ctx, rendered):
    return build_report_message(report_settings.mail, report_subject(shop_ctx), rendered,
                                f"{report_file_stem(shop_ctx)}.pdf", FAKE_PDF)


def test_subjects(contexts):
    assert report_subject(contexts[("tmall_flagship", "zh-CN")]) == \
        "【日报】天猫旗舰店 2026-11-22 支付金额 ¥12.3万 周同比 +8%"
    assert report_subject(contexts[("all", "en")]) == "[Daily] All shops 2026-11-22 GMV ¥1.2M WoW +8%"


def assert_report_structure(msg, rendered, pdf_name):
    assert msg.get_content_type() == "multipart/mixed"
    alternative, attachment = msg.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    plain, related = alternative.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert related.get_content_type() == "multipart/related"
    html, *images = related.get_payload()
    assert html.get_content_type() == "text/html"
    assert [i.get_content_type() for i in images] == ["image/png"]
    [cid] = rendered.images
    assert images[0]["Content-ID"] == f"<{cid}>"
    assert f'src="cid:{cid}"' in html.get_content()
    assert images[0].get_content() == rendered.images[cid]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content_disposition() == "attachment"
    assert attachment.get_filename() == pdf_name
    assert attachment.get_content() == FAKE_PDF
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@shop.example>")
    assert msg["Date"]


def test_message_structure(message, rendered):
    assert_report_structure(message, rendered, "日报_天猫旗舰店_2026-11-22.pdf")
    assert message["To"] == "boss@shop.example"
    # the Chinese file name travels RFC 2231-encoded
    assert "filename*" in message.as_string()


def test_send_over_plain_smtp_with_login(smtp_server, report_settings, message, rendered,
                                         monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-Pa55!")
    mail = replace(report_settings.mail, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                   security="plain", user="reporter", password_env=PASSWORD_ENV)
    delivery = deliver(message, mail, report_settings.outbox_dir)
    assert delivery.method == "smtp" and delivery.refused == ()
    assert smtp_server.logins == ["reporter"]
    assert smtp_server.envelopes == [("reports@shop.example", ["boss@shop.example"])]
    [received] = smtp_server.messages
    received = email.message_from_bytes(received.as_bytes(), policy=policy.default)
    assert received["Subject"] == "【日报】天猫旗舰店 2026-11-22 支付金额 ¥12.3万 周同比 +8%"
    assert_report_structure(received, rendered, "日报_天猫旗舰店_2026-11-22.pdf")
    body = received.get_body(("html",)).get_content()
    assert "¥12.3万" in body and "&lt;script&gt;" in body


def test_send_without_login(smtp_server, report_settings, message):
    mail = replace(report_settings.mail, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                   security="plain")
    deliver(message, mail, report_settings.outbox_dir)
    assert len(smtp_server.messages) == 1 and smtp_server.logins == []


def test_wrong_password_is_a_clear_error_without_the_password(smtp_server, report_settings,
                                                              message, monkeypatch):
    monkeypatch.setenv(PASSWORD_ENV, "wrong-Pa55word")
    mail = replace(report_settings.mail, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                   security="plain", user="reporter", password_env=PASSWORD_ENV)
    with pytest.raises(DeliveryError) as info:
        deliver(message, mail, report_settings.outbox_dir)
    text = str(info.value)
    assert f"{smtp_server.host}:{smtp_server.port}" in text and "login" in text
    assert PASSWORD_ENV in text
    assert "wrong-Pa55word" not in text and info.value.__cause__ is None
    assert smtp_server.messages == []


def test_user_without_password(report_settings, message, monkeypatch):
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    mail = replace(report_settings.mail, smtp_host="127.0.0.1", smtp_port=2525, security="plain",
                   user="reporter", password_env=PASSWORD_ENV)
    with pytest.raises(DeliveryError, match=PASSWORD_ENV):
        deliver(message, mail, report_settings.outbox_dir)


def test_connection_refused_names_host_and_port(report_settings, message, monkeypatch):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv(PASSWORD_ENV, "s3cret-Pa55!")
    for security in ("ssl", "starttls", "plain"):
        mail = replace(report_settings.mail, smtp_host="127.0.0.1", smtp_port=port,
                       security=security, user="reporter", password_env=PASSWORD_ENV,
                       timeout_seconds=5)
        with pytest.raises(DeliveryError) as info:
            deliver(message, mail, report_settings.outbox_dir)
        assert f"127.0.0.1:{port} ({security})" in str(info.value)
        assert "connect failed" in str(info.value)
        assert "s3cret" not in str(info.value)


def test_starttls_refused_by_a_server_without_tls(smtp_server, report_settings, message):
    mail = replace(report_settings.mail, smtp_host=smtp_server.host, smtp_port=smtp_server.port,
                   security="starttls")
    with pytest.raises(DeliveryError, match="STARTTLS failed"):
        deliver(message, mail, report_settings.outbox_dir)


def test_outbox_writes_a_parseable_eml(tmp_path, report_settings, message, rendered):
    outbox = tmp_path / "outbox"
    delivery = deliver(message, report_settings.mail, outbox)  # no smtp_host: the outbox
    assert delivery.method == "outbox"
    path = delivery.path
    assert path.parent == outbox and path.suffix == ".eml"
    assert path.name.endswith("_【日报】天猫旗舰店_2026-11-22_支付金额_¥12.3万_周同比_+8%.eml")
    assert [p.name for p in outbox.iterdir()] == [path.name]  # no temp file left behind
    parsed = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert_report_structure(parsed, rendered, "日报_天猫旗舰店_2026-11-22.pdf")
    again = deliver(message, report_settings.mail, outbox)  # same second: a second file
    assert again.path != path and again.path.exists()


def test_subject_with_path_characters_is_sanitised(tmp_path, report_settings):
    rendered = RenderedEmail(html="<p>x</p>", text="x", images={})
    msg = build_report_message(report_settings.mail, "a/b\\c:d*e?\"f<g>h|i", rendered, "r.pdf", FAKE_PDF)
    path = deliver(msg, report_settings.mail, tmp_path).path
    assert path.parent == tmp_path and path.name.endswith("_a_b_c_d_e_f_g_h_i.eml")


def test_no_recipients(report_settings, message):
    mail = replace(report_settings.mail, smtp_host="127.0.0.1", recipients=())
    with pytest.raises(DeliveryError, match="no recipients"):
        deliver(message, mail, report_settings.outbox_dir)
