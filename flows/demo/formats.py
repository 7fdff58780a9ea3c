"""Number formatting and CSV writing shared by the demo's export writers."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from itertools import repeat
from datetime import date
from pathlib import Path

import numpy as np

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December")


@dataclass(frozen=True)
class CsvDialect:
    """How one export kind is written: text encoding and line ending."""

    encoding: str  # "gbk", "utf-8-sig" (UTF-8 with BOM) or "utf-8"
    line_ending: str  # "\r\n" or "\n"


GBK_CRLF = CsvDialect("gbk", "\r\n")
UTF8_BOM_CRLF = CsvDialect("utf-8-sig", "\r\n")
UTF8_LF = CsvDialect("utf-8", "\n")


def write_csv(path: Path, rows: Iterable[Sequence[object]], dialect: CsvDialect,
              lines: Sequence[str] = ()) -> Path:
    """Write ``rows`` with the csv module (minimal quoting), then ``lines``: rows already joined
    into CSV text by a :class:`RowLayout`. The text is built in memory and encoded once."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, lineterminator=dialect.line_ending).writerows(rows)
    if lines:
        buffer.write(dialect.line_ending.join(lines))
        buffer.write(dialect.line_ending)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(dialect.encoding))
    return path


def csv_escape(values: np.ndarray | str) -> np.ndarray | str:
    """Quote the cells that need it exactly as the csv module does (``csv.QUOTE_MINIMAL``): a cell
    holding a comma, a double quote or a line break is wrapped in quotes, quotes doubled."""
    if isinstance(values, str):
        return _quote(values) if _needs_quotes(values) else values
    if not _needs_quotes("\0".join(values.tolist())):  # the common case: one scan per column
        return values
    return np.array([_quote(v) if _needs_quotes(v) else v for v in values.tolist()], dtype=object)


def _needs_quotes(text: str) -> bool:
    return "," in text or '"' in text or "\n" in text or "\r" in text


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


@dataclass(frozen=True)
class RowLayout:
    """CSV lines for rows whose cells mostly never change (one order seen by many exports).

    The runs of fixed cells are escaped and joined once per row when the layout is built; each
    export then only joins those runs with its few changing cells (status, times, refund). The
    result is the same text the csv module writes, several times faster for the big exports.
    """

    parts: tuple[np.ndarray | str, ...]  # joined fixed runs: per-row text or one constant
    changing: tuple[str | None, ...]  # per part: the changing column's name, None for fixed runs

    @classmethod
    def build(cls, header: Sequence[str], fixed: dict[str, np.ndarray | str]) -> "RowLayout":
        """``fixed`` maps column names to per-row text or a constant; the other columns of
        ``header`` change from export to export and are given to :meth:`lines`."""
        parts: list[np.ndarray | str] = []
        changing: list[str | None] = []
        run: list[np.ndarray | str] = []
        for name in header:
            if name in fixed:
                run.append(csv_escape(fixed[name]))
                continue
            if run:
                parts.append(_join(run))
                changing.append(None)
                run = []
            parts.append("")
            changing.append(name)
        if run:
            parts.append(_join(run))
            changing.append(None)
        return cls(tuple(parts), tuple(changing))

    def lines(self, rows: np.ndarray, cells: dict[str, np.ndarray]) -> list[str]:
        """CSV lines (without line endings) of the layout's ``rows``; ``cells`` holds the changing
        columns' text, aligned with ``rows``."""
        columns = []
        for part, name in zip(self.parts, self.changing):
            if name is not None:
                columns.append(csv_escape(np.asarray(cells[name], dtype=object)))
            else:
                columns.append(part[rows] if isinstance(part, np.ndarray) else part)
        joined = _join(columns)
        return [joined] * len(rows) if isinstance(joined, str) else joined.tolist()


def _join(cells: list[np.ndarray | str]) -> np.ndarray | str:
    """Join columns (per-row text or constants) with commas, row by row."""
    merged: list[np.ndarray | str] = []
    for cell in cells:  # neighbouring constants become one constant
        if isinstance(cell, str) and merged and isinstance(merged[-1], str):
            merged[-1] = merged[-1] + "," + cell
        else:
            merged.append(cell)
    if len(merged) == 1:
        return merged[0]
    length = next(len(c) for c in merged if not isinstance(c, str))
    columns = [c.tolist() if isinstance(c, np.ndarray) else repeat(c, length) for c in merged]
    return np.array([",".join(row) for row in zip(*columns)], dtype=object)


def money(cents: np.ndarray | Sequence[int]) -> np.ndarray:
    """``12345`` → ``123.45`` (object array of text)."""
    # exact: a whole number of cents divided by 100 rounds back to itself at two decimals
    return _format_each(cents, lambda c: f"{c / 100:.2f}")


def money_grouped(cents: np.ndarray | Sequence[int], prefix: str = "") -> np.ndarray:
    """``1234567`` → ``12,345.67`` (with an optional currency ``prefix`` such as ``$``)."""
    return _format_each(cents, lambda c: f"{prefix}{c / 100:,.2f}")


def count_grouped(values: np.ndarray | Sequence[int]) -> np.ndarray:
    """``1234`` → ``1,234``."""
    return _format_each(values, lambda v: f"{v:,}")


def _format_each(values: np.ndarray | Sequence[int], fmt: Callable[[int], str]) -> np.ndarray:
    """Format integers, each distinct value once (amounts repeat a lot: prices × quantities)."""
    distinct, inverse = np.unique(np.asarray(values, dtype=np.int64), return_inverse=True)
    return np.array([fmt(v) for v in distinct.tolist()], dtype=object)[inverse.reshape(-1)]


def percent(numerator: np.ndarray, denominator: np.ndarray) -> list[str]:
    """A ratio as ``3.21%`` (``0.00%`` when the denominator is 0)."""
    num = np.asarray(numerator, dtype=float)
    den = np.asarray(denominator, dtype=float)
    ratio = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return [f"{r * 100:.2f}%" for r in ratio.tolist()]


def long_date(day: date) -> str:
    """``November 1, 2026`` (English month names whatever the locale)."""
    return f"{MONTHS[day.month - 1]} {day.day}, {day.year}"
