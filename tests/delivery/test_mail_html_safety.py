"""The report mail's HTML follows the e-mail rules (docs/architecture.md, "The report mail"),
checked on the demo-sized daily and weekly mails in both languages, parsed with BeautifulSoup.

Outlook for Windows lays out with Word's engine and Gmail drops <style> blocks in some clients,
so: layout by tables, every style inline, nothing that needs flex/grid/position/float, no SVG,
no script, nothing loaded from outside the message, images by cid: with alt/width/height, and a
plain-text alternative that carries the headline numbers. Size budget: the HTML body with its
inline images (what the reader downloads to see the mail, and what Gmail clips at 102 KB of HTML)
stays under 1 MB; the PDF attachment comes on top and is measured too.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest
from bs4 import BeautifulSoup, Comment

from tests.delivery.conftest import MAIL_IDS

ONE_MB = 1_000_000
GMAIL_CLIPS_HTML_AT = 102 * 1024
ALLOWED_URL = re.compile(r"^(cid:|mailto:|https:)")
LAYOUT_CSS_OUTLOOK_IGNORES = re.compile(
    r"(^|;)\s*(display\s*:\s*(inline-)?(flex|grid)|position\s*:|float\s*:|flex[a-z-]*\s*:|grid[a-z-]*\s*:)",
    re.I)
FORBIDDEN_TAGS = ["svg", "script", "style", "link", "iframe", "object", "embed", "form", "base",
                  "video", "audio", "canvas", "math"]


@pytest.fixture(scope="module", params=MAIL_IDS)
def mail(request, demo_mails):
    return demo_mails[request.param]


@pytest.fixture(scope="module")
def soup(mail):
    return BeautifulSoup(mail.rendered.html, "html.parser")


def test_layout_is_presentation_tables(soup):
    tables = soup.find_all("table")
    assert tables
    assert [t for t in tables if t.get("role") != "presentation"] == []
    for table in tables:  # attributes Outlook reads instead of CSS
        assert table.get("cellpadding") == "0" and table.get("cellspacing") == "0", table.attrs


def test_no_svg_script_style_or_embedded_content(soup):
    assert {tag: len(soup.find_all(tag)) for tag in FORBIDDEN_TAGS} == dict.fromkeys(FORBIDDEN_TAGS, 0)


def test_every_style_is_inline_and_none_needs_css_outlook_ignores(soup):
    # no <style> block at all (above), so nothing may rely on a class for its look
    styled = soup.find_all(style=True)
    assert len(styled) > 50
    bad = [(el.name, el["style"]) for el in styled if LAYOUT_CSS_OUTLOOK_IGNORES.search(el["style"])]
    assert bad == []
    assert [el["style"] for el in styled if "url(" in el["style"]] == []  # no background images


def test_nothing_is_loaded_from_outside_the_message(soup, mail):
    urls = [(el.name, attr, el[attr]) for attr in ("src", "href", "background", "srcset")
            for el in soup.find_all(attrs={attr: True})]
    assert [u for u in urls if not ALLOWED_URL.match(u[2])] == []
    cids = {el["src"][4:] for el in soup.find_all("img")}
    assert cids == set(mail.rendered.images)  # every image is in the message, every part is used


def test_images_have_alt_width_and_height(soup):
    images = soup.find_all("img")
    assert images
    for img in images:
        assert img.get("alt", "").strip(), img
        assert img.get("width", "").isdigit() and img.get("height", "").isdigit(), img
        assert "height:auto" in img["style"]  # scales down on a phone


def test_outlook_only_markup_stays_in_conditional_comments(soup):
    conditional = [c for c in soup.find_all(string=lambda s: isinstance(s, Comment)) if "[if mso]" in c]
    assert conditional, "the 640 px column and the tile grid have an Outlook-for-Windows fallback"
    for comment in conditional:
        assert comment.strip().endswith("<![endif]"), comment


def test_the_html_and_its_images_stay_under_1_mb_and_gmail_does_not_clip_it(mail):
    html_bytes = len(mail.rendered.html.encode("utf-8"))
    assert html_bytes < GMAIL_CLIPS_HTML_AT, f"{html_bytes} bytes of HTML: Gmail clips past 102 KB"
    body = html_bytes + sum(len(png) for png in mail.rendered.images.values())
    assert body < ONE_MB


@pytest.mark.slow
def test_the_whole_message_with_the_real_pdf(mail, demo_settings):
    """The MIME message as sent (base64 and all): the mail body under 1 MB, and with the PDF."""
    from flows.delivery.mail import build_report_message
    from flows.reports.render import render_pdf, render_weekly_pdf_html

    html = render_weekly_pdf_html(mail.ctx) if mail.kind == "weekly" else None
    pdf = render_pdf(mail.ctx, html=html)
    message = build_report_message(demo_settings.mail, mail.subject, mail.rendered, mail.pdf_name, pdf)
    raw = message.as_bytes()
    parsed = message_from_bytes(raw, policy=policy.default)
    alternative = next(p for p in parsed.walk() if p.get_content_type() == "multipart/alternative")
    body_bytes = len(alternative.as_bytes())  # text + HTML + inline PNG, encoded
    print(f"{mail.kind} {mail.language}: mail body {body_bytes:,} B, PDF {len(pdf):,} B, "
          f"whole message {len(raw):,} B")
    assert body_bytes < ONE_MB
    assert len(raw) < ONE_MB  # the demo's PDF fits too; a big PDF would count here, not in the body


def test_the_plain_text_alternative_carries_the_headline(mail):
    text = mail.rendered.text
    assert mail.ctx.title in text
    assert mail.ctx.tiles
    for tile in mail.ctx.tiles:
        assert f"{tile.label}" in text and tile.value in text, tile.metric
        for comparison in tile.comparisons:
            assert comparison.delta in text
    assert not re.search(r"</?(p|td|tr|table|div|span|b|h[1-6])\b", text)  # text, not HTML
