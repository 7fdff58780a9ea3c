"""The report languages: the translation files (flows/reports/locales/*.toml), their number,
money, percentage and date rules in both built-in languages, English fallback, user folders, and a
third language added by a file alone."""

import dataclasses
import logging
from datetime import date
from pathlib import Path

import duckdb
import pytest
from bs4 import BeautifulSoup

from flows.reports import build_daily_context, render_email
from flows.reports.i18n import (
    LOCALES_DIR, LocaleError, UnknownLanguageError, available_locales, currency_symbol, get_locale,
    locale_problems, read_locale_file, report_locale,
)
from flows.reports.render import render_pdf_html

ZH, EN = get_locale("zh-CN"), get_locale("en")
REPORT_DATE = date(2026, 11, 22)  # a Sunday: the fixture's report day


# ----- the built-in files ---------------------------------------------------------------------

def test_locales_complete():
    """zh-CN and en have the same keys and the same {placeholders} in every text (a missing
    translation fails here, not in a morning report)."""
    en = read_locale_file(LOCALES_DIR / "en.toml")
    for language in available_locales():
        assert locale_problems(read_locale_file(LOCALES_DIR / f"{language}.toml"), en) == [], language


def test_the_built_in_languages():
    assert available_locales() == ("en", "zh-CN")
    for language in available_locales():
        assert get_locale(language).language == language


def test_loading_a_built_in_language_warns_about_nothing(caplog):
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        get_locale("zh-CN")
        get_locale("en")
    assert caplog.records == []


def test_the_default_language_is_zh_cn():
    assert get_locale().language == get_locale(None).language == "zh-CN"


def test_unknown_language():
    with pytest.raises(UnknownLanguageError, match="'fr'.*known: en, zh-CN"):
        get_locale("fr")


# ----- the format rules, in both languages ----------------------------------------------------

@pytest.mark.parametrize(("value", "currency", "expected"), [
    (123_456.78, "CNY", "¥12.3万"),
    (10_000, "CNY", "¥1.0万"),
    (9_999.5, "CNY", "¥9,999.50"),
    (1_234.56, "CNY", "¥1,234.56"),
    (123_456_789, "CNY", "¥1.23亿"),
    (-5_000, "CNY", "-¥5,000.00"),
    (-123_456, "CNY", "-¥12.3万"),
    (1_234.5, "USD", "$1,234.50"),
    (12.3, "EUR", "EUR 12.30"),
])
def test_zh_money(value, currency, expected):
    assert ZH.money(value, currency) == expected


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (123_456, "CNY", "¥123,456"),
    (123_456.78, "CNY", "¥123,457"),
    (1_234.4, "USD", "$1,234"),
    (999.99, "USD", "$999.99"),
    (45.67, "USD", "$45.67"),
    (1_240_345, "CNY", "¥1,240,345"),
    (-2_500, "USD", "-$2,500"),
])
def test_en_money(value, currency, expected):
    assert EN.money(value, currency) == expected


@pytest.mark.parametrize(("loc", "value", "currency", "expected"), [
    (EN, 12_345, "USD", "$12.3K"),
    (EN, 2_345.67, "USD", "$2.3K"),
    (EN, 1_240_345, "CNY", "¥1.2M"),
    (EN, 3_400_000_000, "CNY", "¥3.4B"),
    (EN, 456.7, "USD", "$456.70"),
    (ZH, 1_240_345, "CNY", "¥124.0万"),
    (ZH, 123_456_789, "CNY", "¥1.23亿"),
    (ZH, 9_000, "CNY", "¥9,000.00"),
])
def test_compact_money_for_subjects(loc, value, currency, expected):
    assert loc.money(value, currency, compact=True) == expected


def test_money_decimals_override_below_the_units():
    """Chart axes ask for whole amounts below the units."""
    assert EN.money(900, "USD", compact=True, decimals=0) == "$900"
    assert ZH.money(9_000, "CNY", compact=True, decimals=0) == "¥9,000"


@pytest.mark.parametrize(("loc", "expected"), [(ZH, "12,345"), (EN, "12,345")])
def test_counts(loc, expected):
    assert loc.integer(12_345.4) == expected
    assert loc.integer(-3) == "-3"


@pytest.mark.parametrize("loc", [ZH, EN])
def test_percentages_ratios_and_changes(loc):
    assert loc.percent(0.0321) == "3.21%"
    assert loc.percent(0.0834, 1) == "8.3%"
    assert loc.signed_percent(0.0834) == "+8.3%"
    assert loc.signed_percent(-0.031) == "-3.1%"
    assert loc.signed_percent(-0.0004) == "0.0%"  # never "-0.0%"
    assert loc.number(2.345) == "2.35"  # ROAS
    assert loc.number(1234.5, 1) == "1,234.5"
    assert loc.signed_number(-0.3) == "-0.30"
    assert loc.signed_number(0.3) == "+0.30"


def test_signed_money():
    assert ZH.signed_money(17_000, "CNY") == "+¥1.7万"
    assert ZH.signed_money(-250, "CNY") == "-¥250.00"
    assert EN.signed_money(-17_000, "CNY") == "-¥17,000"
    assert EN.signed_money(0, "USD") == "+$0.00"


def test_percentage_points():
    assert ZH.signed_pp(0.004) == "+0.4个百分点"
    assert ZH.signed_pp(-0.012) == "-1.2个百分点"
    assert EN.signed_pp(0.004) == "+0.4pp"
    assert EN.signed_pp(0.0) == "0.0pp"


def test_missing_values():
    assert ZH.money(None, "CNY") == "–"
    assert ZH.signed_percent(float("nan")) == "–"
    assert ZH.date_long(None) == "–"
    assert EN.percent(None) == "n/a"
    assert EN.signed_pp(None) == "n/a"
    assert EN.integer(float("nan")) == "n/a"
    assert ZH.missing == "–" and EN.missing == "n/a"


def test_dates():
    day = date(2026, 11, 22)
    assert ZH.date_long(day) == "2026年11月22日 周日"
    assert EN.date_long(day) == "Sun 22 Nov 2026"
    assert ZH.date_short(day) == "11月22日"
    assert EN.date_short(day) == "22 Nov"
    assert ZH.date_axis(day) == "11/22"
    assert EN.date_axis(day) == "22 Nov"
    assert ZH.month_year(day) == "2026年11月"
    assert EN.month_year(day) == "Nov 2026"


@pytest.mark.parametrize("loc", [ZH, EN])
def test_iso_weeks(loc):
    assert loc.iso_week(date(2026, 11, 22)) == "2026-W47"
    assert loc.iso_week(date(2027, 1, 1)) == "2026-W53"  # the ISO year, not the calendar year
    assert loc.iso_week(date(2026, 1, 5)) == "2026-W02"
    assert loc.week_axis(date(2026, 11, 16)) == "W47"


def test_separators_and_labels_between_items():
    assert ZH.t("list_sep").join(["a", "b"]) == "a；b"
    assert EN.t("list_sep").join(["a", "b"]) == "a; b"
    assert ZH.t("term_sep") == "：" and EN.t("term_sep") == ": "


def test_labels_and_lookups():
    assert ZH.t("report_heading", scope="天猫旗舰店") == "天猫旗舰店 日报"
    assert EN.t("report_heading", scope="All shops") == "Daily report: All shops"
    assert ZH.lookup("channel", "ztc") == "直通车"
    assert EN.lookup("source", "search") == "Search"
    assert EN.lookup("channel", "tiktok_ads") == "tiktok_ads"  # unknown codes as they are
    november = date(2026, 11, 1)
    assert ZH.t("targets.month", month=ZH.month_year(november), day=22, days=30) == "2026年11月 · 第22/30天"
    assert EN.t("targets.month", month=EN.month_year(november), day=22, days=30) == "Nov 2026 · day 22 of 30"


def test_a_label_filled_with_the_wrong_values_names_the_key():
    with pytest.raises(LocaleError, match="report_heading.*scope"):
        ZH.t("report_heading", shop="x")


def test_currency_symbols():
    assert currency_symbol("CNY") == "¥"
    assert currency_symbol("USD") == "$"
    assert currency_symbol("JPY").strip() == "JPY"


# ----- user folders: overrides, fallback, new languages -----------------------------------------

def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_a_user_file_overrides_a_built_in_language_key_by_key(tmp_path, caplog):
    mine = write(tmp_path / "locales", "zh-CN.toml", '[metric]\ngmv = "成交金额"\n')
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        loc = get_locale("zh-CN", [mine])
    assert loc.t("metric.gmv") == "成交金额"
    assert loc.t("metric.visitors") == "访客数"  # the built-in text
    assert loc.money(123_456, "CNY") == "¥12.3万"
    assert caplog.records == []


def test_a_missing_key_falls_back_to_english_with_one_warning_each(tmp_path, caplog):
    text = (LOCALES_DIR / "zh-CN.toml").read_text(encoding="utf-8")
    text = text.replace('see_pdf = "完整报告见附件 PDF。"\n', "").replace('no_data = "当日无数据"\n', "")
    mine = write(tmp_path, "zh-Hans-SG.toml", text)
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        loc = get_locale("zh-Hans-SG", [mine])
    assert loc.t("see_pdf") == "The full report is in the attached PDF."
    assert loc.t("no_data") == "No data for this day"
    assert loc.t("metric.gmv") == "支付金额"
    warnings = sorted(r.getMessage() for r in caplog.records)
    assert len(warnings) == 2
    assert "no_data" in warnings[0] and "see_pdf" in warnings[1]


def test_a_label_with_unknown_placeholders_falls_back_to_english(tmp_path, caplog):
    mine = write(tmp_path, "zh-CN.toml", 'report_heading = "{shop} 日报"\n')
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        loc = get_locale("zh-CN", [mine])
    assert loc.t("report_heading", scope="天猫旗舰店") == "Daily report: 天猫旗舰店"
    assert "{shop}" in caplog.text


def test_a_partial_new_language_uses_english_for_the_rest(tmp_path, caplog):
    mine = write(tmp_path, "ja.toml", '[metric]\ngmv = "流通総額"\n')
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        loc = get_locale("ja", [mine])
    assert loc.t("metric.gmv") == "流通総額"
    assert loc.t("metric.visitors") == "Visitors"
    assert loc.money(123_456, "CNY") == "¥123,456"
    assert len(caplog.records) == len(read_locale_file(LOCALES_DIR / "en.toml")) - 1
    assert available_locales([tmp_path]) == ("en", "ja", "zh-CN")


def test_format_rules_are_data(tmp_path):
    """A European-style file: decimal comma, dot groups, symbol after, percent with a space."""
    rules = ('[format]\ndecimal_separator = ","\ngroup_separator = "."\ncurrency_position = "after"\n'
             'percent = "{number} %"\nmissing = "—"\n')
    loc = get_locale("de", [write(tmp_path, "de.toml", rules)])
    assert loc.money(1_234_567.891, "EUR") == "1.234.568 EUR"
    assert loc.money(12.5, "CNY") == "12,50 ¥"
    assert loc.money(-12.5, "USD") == "-12,50 $"
    assert loc.percent(0.0321) == "3,21 %"
    assert loc.signed_percent(0.0834) == "+8,3 %"
    assert loc.integer(12_345) == "12.345"
    assert loc.money(None, "EUR") == "—"


def test_a_broken_rule_is_named(tmp_path):
    folder = write(tmp_path, "xx.toml", '[format]\nlarge_number_style = "wan"\n')
    with pytest.raises(LocaleError, match="large_number_units.*2 texts"):
        get_locale("xx", [folder])
    write(tmp_path, "yy.toml", "[metric]\ngmv = 12\n")
    with pytest.raises(LocaleError, match="metric.gmv must be a text"):
        get_locale("yy", [tmp_path])
    write(tmp_path, "zz.toml", "report_title = \n")
    with pytest.raises(LocaleError, match="zz.toml"):
        get_locale("zz", [tmp_path])


def test_locale_problems_name_missing_and_unknown_keys_and_placeholders():
    en = {"a": "x {n}", "file_stem": "r_{scope_id}_{date}", "format.missing": "n/a"}
    mine = {"a": "y {m}", "b": "z", "file_stem": "报告_{scope_name}_{date}"}
    assert locale_problems(mine, en) == [
        "format.missing: missing", "b: not a key of en.toml", "a: uses {m}, which English does not; lacks {n}"]


def test_report_locale_reads_the_settings(report_settings, tmp_path):
    folder = write(tmp_path, "en.toml", '[metric]\ngmv = "Sales"\n')
    settings = dataclasses.replace(report_settings, language="en", locale_dirs=(folder,))
    assert report_locale(settings).t("metric.gmv") == "Sales"
    assert report_locale(settings, "zh-CN").t("metric.gmv") == "支付金额"


# ----- a third language by a file alone -------------------------------------------------------

ZH_TW_CHANGES = {
    'large_number_units = ["万", "亿"]': 'large_number_units = ["萬", "億"]',
    '"周一", "周二", "周三", "周四", "周五", "周六", "周日"': '"週一", "週二", "週三", "週四", "週五", "週六", "週日"',
    'report_heading = "{scope} 日报"': 'report_heading = "{scope} 日報"',
    'all_shops = "全部店铺"': 'all_shops = "全部店鋪"',
    'gmv = "支付金额"': 'gmv = "支付金額"',
    'alt = "近30天支付金额、净销售额与推广花费趋势图"': 'alt = "近30天支付金額、淨銷售額與推廣花費趨勢圖"',
    'funnel = "转化漏斗"': 'funnel = "轉化漏斗"',
}


@pytest.fixture
def zh_tw_dir(tmp_path) -> Path:
    """zh-TW.toml, made from zh-CN.toml with a few texts in Traditional characters and 萬/億."""
    text = (LOCALES_DIR / "zh-CN.toml").read_text(encoding="utf-8")
    for old, new in ZH_TW_CHANGES.items():
        assert old in text, old
        text = text.replace(old, new)
    return write(tmp_path / "locales", "zh-TW.toml", text)


def test_a_third_language_by_a_file_alone(zh_tw_dir, rpt_warehouse, report_settings, glossary_dir, caplog):
    settings = dataclasses.replace(report_settings, language="zh-TW", locale_dirs=(zh_tw_dir,))
    assert "zh-TW" in available_locales(settings.locale_dirs)
    with caplog.at_level(logging.WARNING, logger="flows.reports.i18n"):
        with duckdb.connect(str(rpt_warehouse), read_only=True) as con:
            ctx = build_daily_context(con, settings, REPORT_DATE, "all", transforms_dir=glossary_dir)
        email = render_email(ctx)
        pdf_html = render_pdf_html(ctx)
    assert caplog.records == []  # a complete file: nothing falls back to English

    assert ctx.language == "zh-TW"
    assert ctx.title == "全部店鋪 日報"
    assert ctx.date_label == "2026年11月22日 週日"
    gmv = ctx.tiles[0]
    assert gmv.label == "支付金額" and gmv.value.endswith("萬")
    soup = BeautifulSoup(email.html, "html.parser")
    assert soup.html["lang"] == "zh-TW"
    assert soup.select_one('.kpi-tile[data-metric="gmv"] .kpi-value').get_text(strip=True).endswith("萬")
    assert "全部店鋪 日報" in soup.get_text()
    assert soup.find("img", alt="近30天支付金額、淨銷售額與推廣花費趨勢圖") is not None
    assert "萬" in email.text and "万" not in email.text
    pdf = BeautifulSoup(pdf_html, "html.parser")
    assert "轉化漏斗" in pdf.get_text() and "全部店鋪 日報" in pdf.get_text()
