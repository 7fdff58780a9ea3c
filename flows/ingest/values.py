"""Vectorised parsers for the value formats found in platform exports.

Each parser takes a pandas Series of raw strings (already stripped of surrounding whitespace,
nulls already replaced by ``None``) and returns ``(values, bad)``: the parsed Series and a boolean
mask of cells that were present but could not be parsed. The loader turns ``bad`` cells into
``rejects`` rows; nothing is coerced silently.

Formats handled: ``¥1,234.00``, ``1,234.00元``, ``$1,234``, ``1.2万``, ``(12.50)`` negatives,
``12.3%``, Excel-guarded ids (``="123"``, a leading tab or apostrophe), Excel serial dates,
``2026-11-22 10:15:01``, ``2026/11/22 10:15``, ISO ``T`` times and times with UTC offsets
(``2026-11-22 10:15:01 -0500``), Google Ads dates (``Nov 22, 2026``) and ``Total:`` summary rows
(handled by the profile, not here).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

ParseResult = tuple[pd.Series, pd.Series]

_MONEY_STRIP = re.compile(r"[¥￥$€£,\s元円₩]|RMB|CNY|USD|HK\$|US\$", re.IGNORECASE)
_WAN = "万"
_YI = "亿"
_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z|UTC|GMT)$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_MAX_MONEY = 1e13  # decimal(18, 2) holds 16 integer digits; above 10 trillion is a parse error


def _present(raw: pd.Series) -> pd.Series:
    return raw.notna()


def _numeric(raw: pd.Series) -> ParseResult:
    """Plain numbers after removing currency symbols, thousands separators and 万/亿 multipliers."""
    s = raw.astype("string")
    negative_paren = s.str.match(r"^\(.*\)$", na=False)
    s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
    s = s.str.replace(_MONEY_STRIP, "", regex=True)
    factor = pd.Series(1.0, index=raw.index)
    wan = s.str.endswith(_WAN, na=False)
    yi = s.str.endswith(_YI, na=False)
    factor[wan] = 1e4
    factor[yi] = 1e8
    s = s.str.rstrip(_WAN + _YI)
    ok_shape = s.str.fullmatch(_NUMERIC.pattern, na=False)
    values = pd.to_numeric(s.where(ok_shape), errors="coerce").astype("float64") * factor
    values[negative_paren] = -values[negative_paren]
    bad = _present(raw) & (values.isna() | ~np.isfinite(values.fillna(0)))
    return values.where(~bad), bad


def parse_decimal(raw: pd.Series) -> ParseResult:
    """Money: rounded to the cent. Returns float values that are exact to two decimals."""
    values, bad = _numeric(raw)
    too_big = values.abs() >= _MAX_MONEY
    bad = bad | too_big.fillna(False)
    return values.where(~bad).round(2), bad


def parse_number(raw: pd.Series) -> ParseResult:
    return _numeric(raw)


def parse_integer(raw: pd.Series) -> ParseResult:
    values, bad = _numeric(raw)
    not_whole = values.notna() & (values != values.round())
    huge = values.abs() >= 2**62
    bad = bad | not_whole | huge.fillna(False)
    return values.where(~bad).round().astype("Int64"), bad


def parse_percent(raw: pd.Series) -> ParseResult:
    """``12.3%`` -> 0.123; a bare number is taken as a fraction already (0.123)."""
    s = raw.astype("string")
    has_pct = s.str.endswith("%", na=False)
    values, bad = _numeric(s.str.rstrip("%"))
    values = values.where(~has_pct, values / 100)
    return values, bad


def parse_id(raw: pd.Series) -> ParseResult:
    """Ids exactly as text, without Excel guards (``="123"``, leading tab or apostrophe).

    An id that Excel already turned into a float (``3.856E+18``) has lost digits for good; that is
    a reject, not a value.
    """
    s = raw.astype("string")
    s = s.str.replace(r'^="(.*)"$', r"\1", regex=True)
    s = s.str.replace(r"^=(.*)$", r"\1", regex=True)
    s = s.str.lstrip("\t'").str.strip()
    s = s.str.replace(r"\.0$", "", regex=True)
    sci = s.str.fullmatch(r"[0-9.]+[eE]\+?\d+", na=False)
    empty = s.fillna("").eq("")
    bad = _present(raw) & (sci | empty)
    return s.where(~bad), bad


def parse_text(raw: pd.Series) -> ParseResult:
    s = raw.astype("string").str.strip()
    return s, pd.Series(False, index=raw.index)


def parse_date(raw: pd.Series) -> ParseResult:
    """Dates; a timestamp is cut to its date as written (no time-zone shift)."""
    ts, bad = _timestamps_naive(raw)
    return ts.dt.normalize(), bad


def _timestamps_naive(raw: pd.Series) -> ParseResult:
    s = raw.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us]")
    serial = s.str.fullmatch(_EXCEL_SERIAL.pattern, na=False)
    if serial.any():
        days = pd.to_numeric(s[serial], errors="coerce")
        result[serial] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).astype("datetime64[us]")
    rest = s.notna() & ~serial
    if rest.any():
        cleaned = s[rest].str.replace("/", "-", regex=False).str.replace("年", "-").str.replace(
            "月", "-").str.replace("日", "", regex=False).str.replace(".", "-", regex=False)
        # "2026-11-22 10:15:01.123" uses '.' for fractions; restore it after the time part
        cleaned = cleaned.str.replace(r"(\d{2}:\d{2}:\d{2})-(\d+)$", r"\1.\2", regex=True)
        parsed = pd.to_datetime(cleaned, errors="coerce", format="mixed")
        result[rest] = parsed.astype("datetime64[us]")
    bad = _present(raw) & result.isna()
    out_of_range = result.notna() & ((result.dt.year < 1990) | (result.dt.year > 2100))
    bad = bad | out_of_range
    return result.where(~bad), bad


def parse_timestamp(raw: pd.Series, timezone: str) -> ParseResult:
    """Timestamps as UTC instants. Times without an offset are the shop's local time."""
    s = raw.astype("string").str.strip()
    has_offset = s.str.contains(_OFFSET.pattern, na=False, regex=True)
    result = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
    bad = pd.Series(False, index=raw.index)
    if has_offset.any():
        with_tz = pd.to_datetime(s[has_offset], errors="coerce", utc=True, format="mixed")
        result[has_offset] = with_tz.astype("datetime64[us, UTC]")
        bad[has_offset] = with_tz.isna()
    naive_mask = s.notna() & ~has_offset
    if naive_mask.any():
        naive, naive_bad = _timestamps_naive(s[naive_mask])
        local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
        result[naive_mask] = local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        bad[naive_mask] = naive_bad | (naive.notna() & local.isna())
    if has_offset.any():
        years = result.dt.year
        bad = bad | (result.notna() & ((years < 1990) | (years > 2100)))
        result = result.where(~bad)
    return result, bad & _present(raw)


PARSERS: dict[str, Callable[..., ParseResult]] = {
    "text": parse_text,
    "id": parse_id,
    "decimal": parse_decimal,
    "number": parse_number,
    "integer": parse_integer,
    "percent": parse_percent,
    "date": parse_date,
    "timestamp": parse_timestamp,
}

REASONS = {
    "id": "not an id (empty after removing Excel guards, or already turned into a number like 3.8E+18)",
    "decimal": "not an amount of money",
    "number": "not a number",
    "integer": "not a whole number",
    "percent": "not a percentage",
    "date": "not a date (or outside 1990–2100)",
    "timestamp": "not a date and time (or outside 1990–2100)",
}
