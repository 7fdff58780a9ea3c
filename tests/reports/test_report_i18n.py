"""Number, money, percentage and date formats of the report languages."""

from datetime import date

import pytest

from flows.reports.i18n import LANGUAGES, UnknownLanguageError, currency_symbol, get_locale

ZH, EN = get_locale("zh-CN"), get_locale("en")


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (123_456.78, "CNY", "¥12.3万"),
    (10_000, "CNY", "¥1.0万"),
    (9_999.5, "CNY", "¥9,999.50"),
    (1_234.56, "CNY", "¥1,234.56"),
    (123_456_789, "CNY", "¥1.23亿"),
    (-5_000, "CNY", "-¥5,000.00"),
    (1_234.5, "USD", "$1,234.50"),
    (12.3, "EUR", "EUR 12.30"),
])
def test_zh_money(value, currency, expected):
    assert ZH.money(value, currency) == expected


@pytest.mark.parametrize(("value", "currency", "expected"), [
    (123_456, "CNY", "¥123,456"),
    (1_234.4, "USD", "$1,234"),
    (45.67, "USD", "$45.67"),
    (1_240_345, "CNY", "¥1,240,345"),
])
def test_en_money(value, currency, expected):
    assert EN.money(value, currency) == expected


def test_compact_money_for_subjects():
    assert EN.money(1_240_345, "CNY", compact=True) == "¥1.2M"
    assert EN.money(2_345.67, "USD", compact=True) == "$2.3K"
    assert ZH.money(1_240_345, "CNY", compact=True) == "¥124.0万"


def test_percentages_and_points():
    assert ZH.percent(0.0321) == "3.21%"
    assert ZH.signed_percent(0.0834) == "+8.3%"
    assert ZH.signed_percent(-0.031) == "-3.1%"
    assert ZH.signed_percent(-0.0004) == "0.0%"  # never "-0.0%"
    assert ZH.signed_pp(0.004) == "+0.4个百分点"
    assert EN.signed_pp(0.004) == "+0.4pp"
    assert EN.signed_number(-0.3) == "-0.30"


def test_missing_values():
    assert ZH.money(None, "CNY") == "–"
    assert EN.percent(None) == "n/a"
    assert ZH.signed_percent(float("nan")) == "–"


def test_dates():
    assert ZH.date_long(date(2026, 11, 22)) == "2026年11月22日 周日"
    assert EN.date_long(date(2026, 11, 22)) == "Sun 22 Nov 2026"


def test_currency_symbols():
    assert currency_symbol("CNY") == "¥"
    assert currency_symbol("USD") == "$"
    assert currency_symbol("JPY").strip() == "JPY"


def test_every_language_has_every_label():
    for language in LANGUAGES:
        assert get_locale(language).language == language


def test_unknown_language():
    with pytest.raises(UnknownLanguageError, match="fr"):
        get_locale("fr")
