"""The rendered report: email HTML (parsed with BeautifulSoup), plain text, and the PDF
(checked with poppler's pdffonts and pdftotext)."""

import re
import shutil
import subprocess
from datetime import date

import duckdb
import pytest
from bs4 import BeautifulSoup

from flows.reports import build_daily_context, render_email, render_pdf, report_file_stem
from flows.reports.render import render_pdf_html

REPORT_DATE = date(2026, 11, 22)  # the fixture's report day (tests/conftest.py)
needs_poppler = pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")


@pytest.fixture(scope="module")
def contexts(rpt_warehouse, report_settings, glossary_dir):
    with duckdb.connect(str(rpt_warehouse), read_only=True) as con:
        return {
            "shop": build_daily_context(con, report_settings, REPORT_DATE, "tmall_flagship",
                                        transforms_dir=glossary_dir),
            "all_en": build_daily_context(con, report_settings, REPORT_DATE, "all", "en",
                                          transforms_dir=glossary_dir),
        }


@pytest.fixture(scope="module")
def email(contexts):
    return render_email(contexts["shop"])


@pytest.fixture(scope="module")
def soup(email):
    return BeautifulSoup(email.html, "html.parser")


@pytest.fixture(scope="module")
def pdf(contexts):
    return render_pdf(contexts["shop"])


def tile(soup, metric):
    return soup.select_one(f'.kpi-tile[data-metric="{metric}"]')


def test_headline_tiles(soup):
    assert len(soup.select(".kpi-tile")) == 9
    gmv = tile(soup, "gmv")
    assert gmv.select_one(".kpi-label").get_text(strip=True) == "支付金额"
    assert gmv.select_one(".kpi-value").get_text(strip=True) == "¥12.3万"
    assert tile(soup, "conversion").select_one(".kpi-value").get_text(strip=True) == "3.21%"


def test_tile_comparisons_and_colours(soup):
    rows = tile(soup, "gmv").select(".kpi-cmp")
    assert [r.td.get_text(strip=True) for r in rows] == ["环比", "上周同期", "同比"]
    deltas = [r.select_one(".kpi-delta") for r in rows]
    assert [d.get_text(" ", strip=True) for d in deltas] == ["▲ +4.6%", "▲ +8.0%", "–"]
    assert "color:#15803d" in deltas[0]["style"]  # good: green
    refund_prev = tile(soup, "refund_amount").select_one('.kpi-cmp[data-key="prev_day"]')
    assert refund_prev["data-tone"] == "bad"
    assert "color:#c62828" in refund_prev.select_one(".kpi-delta")["style"]
    conv_prev = tile(soup, "conversion").select_one('.kpi-cmp[data-key="prev_day"] .kpi-delta')
    assert conv_prev.get_text(" ", strip=True) == "▲ +0.4个百分点"


def test_below_breakeven_campaign_is_flagged(soup):
    rows = soup.select("#ad-campaigns tbody tr")
    by_campaign = {r.find_all("td")[1].get_text(strip=True): r for r in rows}
    flagged = by_campaign["清仓计划"]
    assert flagged.find_all("td")[-1].get_text(strip=True) == "低于保本"
    assert "background:#fdecea" in flagged.td["style"]
    ok = by_campaign["双11爆款拉新"]
    assert ok.find_all("td")[-1].get_text(strip=True) == ""
    assert "background" not in ok.td["style"]


def test_export_text_is_escaped(email, soup):
    assert "<script>" not in email.html
    assert "&lt;script&gt;" in email.html
    assert soup.find("script") is None
    names = [td.get_text() for td in soup.select("#top-products td")]
    assert '<script>alert("xss")</script>保温杯 500ml' in names


def test_email_is_mail_safe(email, soup):
    assert soup.find("svg") is None
    assert soup.find("style") is None and soup.find("link") is None  # inline CSS only
    widths = [int(w) for w in re.findall(r"width:(\d+)px", email.html)]
    assert max(widths) <= 640
    column = soup.select_one("table.report")  # fluid on a phone, 640 px at most
    assert "width:100%" in column["style"] and "max-width:640px" in column["style"]
    assert '<!--[if mso]><table role="presentation" width="640"' in email.html  # Outlook: fixed


def test_chart_is_a_cid_png(email, soup):
    [cid] = email.images
    assert email.images[cid].startswith(b"\x89PNG\r\n\x1a\n")
    img = soup.select_one("#trend img")
    assert img["src"] == f"cid:{cid}"
    assert img["alt"]


def test_sections_in_order(soup):
    ids = [el["id"] for el in soup.select("div[id]")]
    assert ids == ["headline", "targets", "bridge", "trend", "funnel", "buyers", "traffic-sources",
                   "ad-campaigns", "refunds", "top-products", "abnormal-products", "data-quality", "glossary"]


def test_data_quality_box(soup):
    box = soup.select_one("#data-quality")
    text = box.get_text(" ", strip=True)
    assert "run-20261123T060000" in text and "拒绝 2 行" in text
    assert "订单报表_20261122.csv" in text


def test_plain_text_version(email):
    text = email.text
    assert text.startswith("天猫旗舰店 日报\n")
    assert "支付金额：¥12.3万  (环比 +4.6%, 上周同期 +8.0%, 同比 –)" in text
    assert "** 低于保本 **" in text
    assert "\n\n\n" not in text


def test_all_shops_email_in_english(contexts):
    rendered = render_email(contexts["all_en"])
    soup = BeautifulSoup(rendered.html, "html.parser")
    assert tile(soup, "gmv").select_one(".kpi-value").get_text(strip=True) == "¥1,240,345"
    shops = [h.get_text(strip=True) for h in soup.select("#ad-campaigns h3")]
    assert shops == ["天猫旗舰店", "US Store"]
    assert "Below breakeven" in soup.select_one("#ad-campaigns").get_text()


def test_pdf_html_inlines_the_svg_chart(contexts):
    html = render_pdf_html(contexts["shop"])
    soup = BeautifulSoup(html, "html.parser")
    svg = soup.select_one("#trend svg")
    assert svg is not None and "<?xml" not in html
    assert "支付金额" in svg.get_text()  # CJK legend text kept as text (svg.fonttype none)
    assert "&lt;script&gt;" in html and "<script>" not in html


@needs_poppler
def test_pdf_embeds_the_cjk_font(pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    lines = fonts.splitlines()[2:]
    assert any("WenQuanYi" in line for line in lines), fonts
    assert all(" yes " in line for line in lines), fonts  # every font embedded


@needs_poppler
def test_pdf_text_holds_the_headline(pdf, tmp_path):
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "¥12.3万" in text
    assert "支付金额" in text and "低于保本" in text
    assert '<script>alert("xss")</script>保温杯' in text  # shown as text, not run
    assert re.search(r"第\s*1\s*/\s*\d+\s*页", text)  # page footer


def test_report_file_stem(contexts):
    assert report_file_stem(contexts["shop"]) == "日报_天猫旗舰店_2026-11-22"
    assert report_file_stem(contexts["all_en"]) == "daily_report_all_2026-11-22"
