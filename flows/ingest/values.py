"""Vectorised parsers for the value formats found in platform exports.

Each parser takes a pandas Series of raw strings (already stripped of surrounding whitespace,
nulls already replaced by ``None``) and returns ``(values, bad)``: the parsed Series and a boolean
mask of cells that were present but could not be parsed. The loader turns ``bad`` cells into
``rejects`` rows; nothing is coerced silently.

Formats handled: ``¥1,234.00``, ``1,234.00元``, ``$1,234``, ``1.2万``, ``(12.50)`` negatives,
decimal commas of localised exports (``42,50``, ``1.234,56 €``),
``12.3%``, Excel-guarded ids (``="123"``, a leading tab or apostrophe), Excel serial dates,
``2026-11-22 10:15:01``, ``2026/11/22 10:15``, ISO ``T`` times and times with UTC offsets
(``2026-11-22 10:15:01 -0500``), Google Ads dates (``Nov 22, 2026``) and ``Total:`` summary rows
(handled by the profile, not here).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import numpy as np
import pandas as pd

ParseResult = tuple[pd.Series, pd.Series]
STR = "string[pyarrow]"  # Arrow-backed strings: the .str methods run vectorised in C++

_MONEY_STRIP = r"(?i)[¥￥$€£,\s元円₩]|RMB|CNY|USD|HK\$|US\$"  # a plain pattern: Arrow runs it
_DECIMAL_COMMA = r"^[^,.]*?\d{1,3}(?:\.\d{3})*,\d{1,2}(?:[^\d,.]*)$"
_WAN = "万"
_YI = "亿"
_NUMERIC = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_OFFSET = re.compile(r"(?:[+-]\d{2}:?\d{2}|Z|UTC|GMT)$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(\.\d+)?$")
_EXCEL_EPOCH = pd.Timestamp("1899-12-30")
_MAX_MONEY = 1e13  # decimal(18, 2) holds 16 integer digits; above 10 trillion is a parse error
# business dates outside these years are typos or placeholders (1900-01-01, 2100-12-31), not events
MIN_YEAR, MAX_YEAR = 1990, 2099


def _present(raw: pd.Series) -> np.ndarray:
    return raw.notna().to_numpy(dtype=bool)


def _mask(flags: pd.Series) -> np.ndarray:
    """A plain numpy boolean mask (Arrow booleans with nulls are not valid pandas masks)."""
    return flags.to_numpy(dtype=bool, na_value=False)


def _numeric(raw: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Plain numbers after removing currency symbols, thousands separators and 万/亿 multipliers.

    Works on whole columns at once (Arrow string kernels, numpy arithmetic): the cost is per file,
    not per cell.
    """
    s = raw.astype(STR).str.strip()
    if not s.str.contains(r"[^0-9.\-]", regex=True).fillna(False).any():  # the common, plain case
        values = pd.to_numeric(s, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    else:
        negative = _mask(s.str.match(r"^\(.*\)$"))
        s = s.str.replace(r"^\((.*)\)$", r"\1", regex=True)
        # a decimal comma (localised exports: 42,50 or 1.234,56): a comma followed by one or two
        # digits cannot be a thousands separator, so it is the decimal point
        decimal_comma = _mask(s.str.contains(_DECIMAL_COMMA, regex=True))
        if decimal_comma.any():
            s = s.where(~decimal_comma, s.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
        s = s.str.replace(_MONEY_STRIP, "", regex=True)
        factor = np.where(_mask(s.str.endswith(_WAN)), 1e4, np.where(_mask(s.str.endswith(_YI)), 1e8, 1.0))
        s = s.str.rstrip(_WAN + _YI)
        ok_shape = _mask(s.str.fullmatch(_NUMERIC.pattern))
        values = pd.to_numeric(s.where(ok_shape), errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        values = values * factor
        values[negative] = -values[negative]
    bad = _present(raw) & ~np.isfinite(values)
    values[bad] = np.nan
    return values, bad


def _result(raw: pd.Series, values: np.ndarray, bad: np.ndarray, dtype: str = "float64") -> ParseResult:
    return pd.Series(values, index=raw.index, dtype=dtype), pd.Series(bad, index=raw.index)


def parse_decimal(raw: pd.Series) -> ParseResult:
    """Money: rounded to the cent. Returns float values that are exact to two decimals."""
    values, bad = _numeric(raw)
    with np.errstate(invalid="ignore"):
        bad = bad | (np.abs(values) >= _MAX_MONEY)
    values[bad] = np.nan
    return _result(raw, np.round(values, 2), bad)


def parse_number(raw: pd.Series) -> ParseResult:
    values, bad = _numeric(raw)
    return _result(raw, values, bad)


def parse_integer(raw: pd.Series) -> ParseResult:
    values, bad = _numeric(raw)
    with np.errstate(invalid="ignore"):
        bad = bad | (np.isfinite(values) & ((values != np.round(values)) | (np.abs(values) >= 2**62)))
    values[bad] = np.nan
    series = pd.Series(np.round(values), index=raw.index).astype("Int64")
    return series, pd.Series(bad, index=raw.index)


def parse_percent(raw: pd.Series) -> ParseResult:
    """``12.3%`` -> 0.123; a bare number is taken as a fraction already (0.123)."""
    s = raw.astype(STR).str.strip()
    has_pct = _mask(s.str.endswith("%"))
    values, bad = _numeric(s.str.rstrip("%"))
    values = np.where(has_pct, values / 100, values)
    return _result(raw, values, bad)


def parse_id(raw: pd.Series) -> ParseResult:
    """Ids exactly as text, without Excel guards (``="123"``, leading tab or apostrophe).

    An id that Excel already turned into a float (``3.856E+18``) has lost digits for good; that is
    a reject, not a value.
    """
    s = raw.astype(STR)
    s = s.str.replace(r'^="(.*)"$', r"\1", regex=True)
    s = s.str.replace(r"^=(.*)$", r"\1", regex=True)
    s = s.str.lstrip("\t'").str.strip()
    s = s.str.replace(r"\.0$", "", regex=True)
    sci = _mask(s.str.fullmatch(r"[0-9.]+[eE]\+?\d+"))
    empty = _mask(s.fillna("").eq(""))
    bad = _present(raw) & (sci | empty)
    return s.where(~bad), pd.Series(bad, index=raw.index)


def parse_text(raw: pd.Series) -> ParseResult:
    s = raw.astype(STR).str.strip()
    return s, pd.Series(False, index=raw.index)


def parse_date(raw: pd.Series) -> ParseResult:
    """Dates; a timestamp is cut to its date as written (no time-zone shift)."""
    ts, bad = _timestamps_naive(raw)
    return ts.dt.normalize(), bad


def _timestamps_naive(raw: pd.Series) -> ParseResult:
    s = raw.astype(STR).str.strip()
    values = np.full(len(s), np.datetime64("NaT"), dtype="datetime64[us]")
    serial = _mask(s.str.fullmatch(_EXCEL_SERIAL.pattern))
    if serial.any():
        days = pd.to_numeric(s[serial], errors="coerce")
        values[serial] = (_EXCEL_EPOCH + pd.to_timedelta(days, unit="D")).to_numpy(dtype="datetime64[us]")
    rest = _present(raw) & ~serial
    if rest.any():
        cleaned = s[rest].str.replace("/", "-", regex=False).str.replace("年", "-", regex=False).str.replace(
            "月", "-", regex=False).str.replace("日", "", regex=False)
        cleaned = cleaned.str.replace(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})", r"\1-\2-\3", regex=True)
        # ISO layouts (2026-11-22, 2026-11-22 10:15:01, …T10:15) parse in C; the rest one by one
        # in microseconds: pandas picks the unit from the cells (seconds when none has a fraction),
        # and a second parse's values of a finer unit could not be put into the first's
        parsed = pd.to_datetime(cleaned, errors="coerce", format="ISO8601").astype("datetime64[us]")
        unparsed = parsed.isna().to_numpy()
        if unparsed.any():
            parsed[unparsed] = pd.to_datetime(cleaned[unparsed], errors="coerce",
                                              format="mixed").astype("datetime64[us]")
        values[rest] = parsed.to_numpy(dtype="datetime64[us]")
    result = pd.Series(values, index=raw.index)
    years = result.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    bad = _present(raw) & (result.isna().to_numpy() | (years < MIN_YEAR) | (years > MAX_YEAR))
    return result.where(~bad), pd.Series(bad, index=raw.index)


def parse_timestamp(raw: pd.Series, timezone: str) -> ParseResult:
    """Timestamps as UTC instants. Times without an offset are the shop's local time."""
    s = raw.astype(STR).str.strip()
    present = _present(raw)
    has_offset = _mask(s.str.contains(_OFFSET.pattern, regex=True))
    values = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[us, UTC]")
    bad = np.zeros(len(s), dtype=bool)
    if has_offset.any():
        offset_values = s[has_offset]
        with_tz = pd.to_datetime(offset_values, errors="coerce", utc=True, format="%Y-%m-%d %H:%M:%S %z")
        missing = with_tz.isna().to_numpy()
        if missing.any():
            with_tz[missing] = pd.to_datetime(offset_values[missing], errors="coerce", utc=True, format="mixed")
        values[has_offset] = with_tz.astype("datetime64[us, UTC]")
        bad[has_offset] = with_tz.isna().to_numpy()
    naive_mask = present & ~has_offset
    if naive_mask.any():
        naive, naive_bad = _timestamps_naive(s[naive_mask])
        local = naive.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
        values[naive_mask] = local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
        bad[naive_mask] = naive_bad.to_numpy() | (naive.notna() & local.isna()).to_numpy()
    years = values.dt.year.to_numpy(dtype="float64", na_value=np.nan)
    bad = present & (bad | (years < MIN_YEAR) | (years > MAX_YEAR))
    return values.where(~bad), pd.Series(bad, index=raw.index)


def buyer_hash(values: pd.Series, salt: str) -> pd.Series:
    """Salted SHA-256 of buyer ids (the first 32 hex digits of ``salt``, 0x1F, the id in UTF-8);
    the raw id is never stored. Hashed once per distinct id."""
    present = values.dropna()
    table = {v: hashlib.sha256(f"{salt}\x1f{v}".encode("utf-8")).hexdigest()[:32]
             for v in pd.unique(present)}
    return values.map(table).astype(STR)


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
    "date": "not a date (or outside 1990–2099, or a range of days rather than one day)",
    "timestamp": "not a date and time (or outside 1990–2099)",
}
