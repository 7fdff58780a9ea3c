"""Value parsers: the number, id and time formats platforms export."""

import pandas as pd
import pytest

from flows.ingest.values import (parse_date, parse_decimal, parse_id, parse_integer, parse_percent,
                                 parse_timestamp)


def s(*values):
    return pd.Series(list(values), dtype="string")


@pytest.mark.parametrize("raw, expected", [
    ("¥1,234.00", 1234.00), ("1,234.00元", 1234.00), ("$123.45", 123.45), ("1.2万", 12000.0),
    ("(12.50)", -12.50), ("0.1", 0.1), ("  7 ", 7.0), ("￥88", 88.0), ("2.5亿", 250000000.0),
])
def test_money_formats(raw, expected):
    values, bad = parse_decimal(s(raw))
    assert not bad.any()
    assert values.iloc[0] == pytest.approx(expected)


@pytest.mark.parametrize("raw", ["abc", "12,3x", "1.2.3", "nan", "inf", "1e400", "99999999999999999"])
def test_bad_money_is_flagged_not_coerced(raw):
    values, bad = parse_decimal(s(raw))
    assert bad.iloc[0]
    assert pd.isna(values.iloc[0])


def test_missing_is_not_bad():
    values, bad = parse_decimal(s(None))
    assert not bad.any() and pd.isna(values.iloc[0])


def test_percent_and_integer():
    pct, bad = parse_percent(s("6.20%", "0.5", "45.10%"))
    assert list(pct.round(4)) == [0.062, 0.5, 0.451] and not bad.any()
    ints, bad = parse_integer(s('1,204', "87", "1.5", "1.2万"))
    assert list(bad) == [False, False, True, False]
    assert ints.iloc[0] == 1204 and ints.iloc[3] == 12000


def test_ids_lose_excel_guards_but_never_digits():
    ids, bad = parse_id(s('="3856201234567890123"', "\t6917926768823643751", "'123", "3.8562E+18", "#1001"))
    assert list(ids[:3]) == ["3856201234567890123", "6917926768823643751", "123"]
    assert bad.iloc[3], "an id Excel already turned into a float has lost digits: reject it"
    assert ids.iloc[4] == "#1001"


def test_naive_times_are_shop_local_and_offsets_are_respected():
    ts, bad = parse_timestamp(s("2026-11-22 00:00:10", "2026-11-22 21:30:00 -0500", "2026/11/22 10:15",
                                "2026-11-22T10:15:01+08:00"), "Asia/Shanghai")
    assert not bad.any()
    utc = [t.strftime("%Y-%m-%d %H:%M:%S") for t in ts]
    assert utc == ["2026-11-21 16:00:10", "2026-11-23 02:30:00", "2026-11-22 02:15:00", "2026-11-22 02:15:01"]


def test_excel_serial_dates_and_out_of_range_years():
    days, bad = parse_date(s("46348", "Nov 22, 2026", "1900-01-01", "2101-01-01", "not a date"))
    assert str(days.iloc[0].date()) == "2026-11-22"
    assert str(days.iloc[1].date()) == "2026-11-22"
    assert list(bad) == [False, False, True, True, True]


@pytest.mark.parametrize("cells", [("000000.1",), ("000000.1", "2026-11-22 10:15:01"), ("Nov 22, 2026 10:15:01.5",)])
def test_an_odd_time_alone_is_a_reject_or_a_time_not_a_crash(cells):
    # a cell only the slow parse reads: pandas gave the first parse seconds and the second
    # microseconds, and putting one into the other raised a TypeError
    ts, bad = parse_timestamp(s(*cells), "Asia/Shanghai")
    assert list(bad) == [cell == "000000.1" for cell in cells]
    assert [t.strftime("%Y-%m-%d %H:%M:%S.%f") for t in ts.dropna()] == \
        ["2026-11-22 02:15:01.000000"] * (len(cells) == 2) + ["2026-11-22 02:15:01.500000"] * (cells[0].startswith("Nov"))
