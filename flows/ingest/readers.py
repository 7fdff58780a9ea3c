"""Read an export file into rows of strings, whatever its encoding and container.

Text files are decoded in Python (DuckDB has no GBK/GB18030 decoder offline, see STACK.md):
a BOM decides first, then strict UTF-8, then GB18030 (a superset of GBK and GB2312). Excel
files (.xlsx, .xls) are read with python-calamine. Every cell comes back as a string; typing is the
profile's job, so a value is never guessed twice.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
MAX_UNCOMPRESSED_XLSX = 512 * 1024 * 1024  # refuse zip bombs before opening them
csv.field_size_limit(64 * 1024 * 1024)


class UnreadableFile(ValueError):
    """The file cannot be read as a table at all (encoding, container, corruption)."""


@dataclass
class RawTable:
    """The file as rows of strings. ``row_numbers[i]`` is the row number a spreadsheet shows."""

    rows: list[list[str]]
    row_numbers: list[int]
    encoding: str
    delimiter: str | None


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise UnreadableFile(
            f"not UTF-8 text (byte {utf8_error.start}: {utf8_error.reason}) and not GBK/GB18030 "
            f"text either (byte {exc.start}); save the export as CSV (UTF-8 or GBK) or XLSX"
        ) from exc


def _sniff_delimiter(text: str) -> str:
    head = text[:20000].splitlines()[:30]
    best, best_score = ",", -1
    for delim in (",", "\t", ";"):
        counts = [line.count(delim) for line in head if line.strip()]
        score = max(counts) if counts else 0
        if score > best_score:
            best, best_score = delim, score
    return best


def read_text_table(data: bytes) -> RawTable:
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise UnreadableFile("binary data, not a text export (NUL bytes in the first 4 KB)")
    encoding = detect_encoding(data)
    text = data.decode(encoding)
    if encoding == "utf-16":
        text = text.lstrip("\ufeff")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', strict=True)
    rows: list[list[str]] = []
    numbers: list[int] = []
    record = 0
    try:
        for row in reader:
            record += 1
            rows.append(row)
            numbers.append(record)
    except csv.Error as exc:
        raise UnreadableFile(f"row {record + 1}: broken CSV quoting ({exc})") from exc
    return RawTable(rows=rows, row_numbers=numbers, encoding=encoding, delimiter=delimiter)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def read_excel_table(path: Path) -> RawTable:
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        try:
            with zipfile.ZipFile(path) as zf:
                size = sum(info.file_size for info in zf.infolist())
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("not a valid .xlsx file (the zip container is broken)") from exc
        if size > MAX_UNCOMPRESSED_XLSX:
            raise UnreadableFile(
                f"refused: the .xlsx expands to {size / 2**20:.0f} MB (limit "
                f"{MAX_UNCOMPRESSED_XLSX / 2**20:.0f} MB); it looks like a zip bomb")
    try:
        workbook = CalamineWorkbook.from_path(str(path))
        sheet = workbook.get_sheet_by_index(0)
        cells = sheet.to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        raise UnreadableFile(f"cannot read the spreadsheet: {exc}") from exc
    rows = [[_cell_text(c) for c in row] for row in cells]
    return RawTable(rows=rows, row_numbers=list(range(1, len(rows) + 1)), encoding="xlsx", delimiter=None)


def read_table(path: Path, data: bytes | None = None) -> RawTable:
    """Read ``path`` (its bytes may be passed in when already read)."""
    suffix = path.suffix.lower()
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    looks_zip = data[:4] == b"PK\x03\x04"
    looks_ole = data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    if suffix in EXCEL_SUFFIXES or looks_zip or looks_ole:
        if not (looks_zip or looks_ole):
            # a CSV renamed to .xlsx/.xls: read what it really is
            return read_text_table(data)
        return read_excel_table(path)
    return read_text_table(data)
