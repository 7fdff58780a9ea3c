"""Read an export file into rows of strings, whatever its encoding and container.

The container is told by the bytes, not the file name (a CSV renamed to .xlsx, an .xlsx renamed
to .csv and an HTML page saved as .xls are all common): zip → .xlsx workbook (or a zip holding one
export, as 直通车 downloads come), OLE → .xls workbook (both read with python-calamine), an HTML
table or an Excel 2003 XML spreadsheet (what many consoles serve as ".xls") → read with the
standard library, anything else → delimited text.

Text files are decoded in Python (DuckDB has no GBK/GB18030 decoder offline, see STACK.md):
a BOM decides first, then UTF-16 without a BOM (NUL bytes every other byte), then strict UTF-8,
then GB18030 (a superset of GBK and GB2312). Every cell comes back as a string; typing is the
profile's job, so a value is never guessed twice.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import html.parser
import io
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
EXPORT_SUFFIXES = TEXT_SUFFIXES | EXCEL_SUFFIXES
MAX_UNCOMPRESSED_XLSX = 512 * 1024 * 1024  # refuse zip bombs before opening them
MAX_ZIP_RATIO = 250  # sheet XML deflates 5–50 times; ~1000 times is degenerate data (zeros)
csv.field_size_limit(64 * 1024 * 1024)

# what a file is when it is not an export at all (first bytes → name)
_NOT_EXPORTS = (
    (b"%PDF", "a PDF document"), (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"), (b"\x1f\x8b", "a gzip archive"), (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"Rar!", "a RAR archive"), (b"MZ", "a Windows program"), (b"\x7fELF", "a program"),
)
_SPREADSHEET_XML = b"urn:schemas-microsoft-com:office:spreadsheet"


class UnreadableFile(ValueError):
    """The file cannot be read as a table at all (encoding, container, corruption)."""


@dataclass
class RawTable:
    """The file as rows of strings. ``row_numbers[i]`` is the row number a spreadsheet shows."""

    rows: list[list[str]]
    row_numbers: list[int]
    encoding: str
    delimiter: str | None
    sheet: str | None = None
    other_sheets: list[RawTable] = field(default_factory=list)  # further sheets of a workbook


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: ASCII characters (digits, commas, line ends) leave NUL bytes on one
    side of each pair only; random binary data has them on both sides."""
    head = data[:4096]
    head = head[: len(head) // 2 * 2]
    if len(head) < 8:
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.2 * len(zeros) and other.count(0) <= 0.05 * len(other):
            try:
                data[: len(data) // 2 * 2].decode(name)
            except UnicodeDecodeError:
                continue
            return name
    return None


def detect_encoding(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
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


def _decode(data: bytes) -> tuple[str, str]:
    encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise UnreadableFile(f"looks like {encoding} text but byte {exc.start} is not ({exc.reason})") from exc
    return text.lstrip("\ufeff"), encoding


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
    if b"\x00" in data[:4096] and not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) \
            and not _utf16_without_bom(data):
        raise UnreadableFile("binary data, not a text export (NUL bytes in the first 4 KB)")
    text, encoding = _decode(data)
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise UnreadableFile(f"line {line}: a NUL byte inside the text; the file is damaged or not a text export")
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
        raise UnreadableFile(f"row {record + 1}: broken CSV quoting ({exc}); the file may be cut off "
                             f"or not a CSV export") from exc
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


def _check_zip(zf: zipfile.ZipFile, members: list[zipfile.ZipInfo] | None = None) -> None:
    infos = members if members is not None else zf.infolist()
    size = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos) or 1
    if size > MAX_UNCOMPRESSED_XLSX:
        raise UnreadableFile(
            f"refused: the file expands to {size / 2**20:.0f} MB (limit "
            f"{MAX_UNCOMPRESSED_XLSX / 2**20:.0f} MB); it looks like a zip bomb")
    if size > 16 * 2**20 and size / packed > MAX_ZIP_RATIO:
        raise UnreadableFile(
            f"refused: the file expands {size / packed:.0f} times ({size / 2**20:.0f} MB from "
            f"{packed / 2**10:.0f} KB); it looks like a zip bomb")


def read_excel_table(path: Path, data: bytes | None = None) -> RawTable:
    """Every non-empty sheet of a workbook (.xlsx, .xlsm, .xls); the first one is the table."""
    from python_calamine import CalamineWorkbook

    data = path.read_bytes() if data is None else data
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                _check_zip(zf)
        except zipfile.BadZipFile as exc:
            raise UnreadableFile("not a valid .xlsx file (the zip container is broken)") from exc
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheets = []
        for index, name in enumerate(workbook.sheet_names):
            cells = workbook.get_sheet_by_index(index).to_python(skip_empty_area=False)
            rows = [[_cell_text(c) for c in row] for row in cells]
            if any(any(c.strip() for c in row) for row in rows):
                sheets.append(RawTable(rows=rows, row_numbers=list(range(1, len(rows) + 1)),
                                       encoding="xlsx" if data[:2] == b"PK" else "xls", delimiter=None,
                                       sheet=name))
    except UnreadableFile:
        raise
    except Exception as exc:  # calamine raises its own error types for every kind of corruption
        raise UnreadableFile(f"cannot read the spreadsheet: {exc}") from exc
    if not sheets:
        raise UnreadableFile("the workbook has no cells with data")
    first, *rest = sheets
    first.other_sheets = rest
    return first


class _HtmlTable(html.parser.HTMLParser):
    """The rows of every ``<tr>`` of an HTML page, in document order (colspan keeps columns aligned)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._span = 1
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "tr":
            self._close_row()
            self._row = []
        elif tag in ("td", "th"):
            if self._row is None:
                self._row = []
            self._close_cell()
            self._cell = []
            span = dict(attrs).get("colspan") or "1"
            self._span = int(span) if span.isdigit() and 0 < int(span) < 1000 else 1
        elif tag == "br" and self._cell is not None:
            self._cell.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)
        elif tag in ("td", "th"):
            self._close_cell()
        elif tag in ("tr", "table"):
            self._close_row()

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._skip:
            self._cell.append(data)

    def _close_cell(self) -> None:
        if self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._row.extend([""] * (self._span - 1))
        self._cell = None
        self._span = 1

    def _close_row(self) -> None:
        self._close_cell()
        if self._row is not None:
            self.rows.append(self._row)
        self._row = None

    def close(self) -> None:
        super().close()
        self._close_row()


_CHARSET = re.compile(rb"""charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def _markup_text(data: bytes) -> tuple[str, str]:
    declared = _CHARSET.search(data[:4096])
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = "gb18030" if name in ("gbk", "gb2312", "gb18030", "cp936") else name
        try:
            return data.decode(name).lstrip("\ufeff"), name
        except (LookupError, UnicodeDecodeError):
            pass
    return _decode(data)


def read_html_table(data: bytes) -> RawTable:
    text, encoding = _markup_text(data)
    parser = _HtmlTable()
    parser.feed(text)
    parser.close()
    width = max((len(r) for r in parser.rows), default=0)
    rows = [r + [""] * (width - len(r)) for r in parser.rows]  # a spreadsheet's rows are all as wide
    if not rows:
        raise UnreadableFile("an HTML page without a table, not an export")
    return RawTable(rows=rows, row_numbers=list(range(1, len(rows) + 1)), encoding=f"html/{encoding}",
                    delimiter=None)


def read_spreadsheet_xml(data: bytes) -> RawTable:
    """Excel 2003 XML ("XML Spreadsheet"): the first worksheet's rows."""
    if re.search(rb"<!(DOCTYPE|ENTITY)", data[:65536], re.IGNORECASE):
        raise UnreadableFile("refused: the XML spreadsheet declares a DTD or entities")
    ns = "{urn:schemas-microsoft-com:office:spreadsheet}"
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError as exc:
        raise UnreadableFile(f"a broken XML spreadsheet ({exc})") from exc
    sheet = root.find(f"{ns}Worksheet")
    table = sheet.find(f"{ns}Table") if sheet is not None else None
    if table is None:
        raise UnreadableFile("an XML spreadsheet without a worksheet table")
    rows: list[list[str]] = []
    numbers: list[int] = []
    number = 0
    for row in table.iter(f"{ns}Row"):
        number = int(row.get(f"{ns}Index", number + 1))
        cells: list[str] = []
        for cell in row.iter(f"{ns}Cell"):
            at = int(cell.get(f"{ns}Index", len(cells) + 1))
            cells.extend([""] * (at - 1 - len(cells)))
            value = cell.find(f"{ns}Data")
            cells.append("".join(value.itertext()).strip() if value is not None else "")
        rows.append(cells)
        numbers.append(number)
    width = max((len(r) for r in rows), default=0)
    return RawTable(rows=[r + [""] * (width - len(r)) for r in rows], row_numbers=numbers,
                    encoding="xml", delimiter=None)


def _read_zip(path: Path, data: bytes) -> RawTable:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise UnreadableFile("a broken zip container (not a valid .xlsx or .zip)") from exc
    with zf:
        names = zf.namelist()
        if "[Content_Types].xml" in names or any(n.startswith("xl/") for n in names):
            return read_excel_table(path, data)
        exports = [i for i in zf.infolist() if not i.is_dir() and Path(i.filename).suffix.lower() in EXPORT_SUFFIXES
                   and not Path(i.filename).name.startswith((".", "~$")) and "__MACOSX" not in i.filename]
        if not exports:
            raise UnreadableFile(f"a zip archive without an export inside (it holds: "
                                 f"{', '.join(names[:10]) or 'nothing'})")
        if len(exports) > 1:
            raise UnreadableFile(f"a zip archive holding {len(exports)} exports "
                                 f"({', '.join(i.filename for i in exports[:10])}); unzip it into the inbox")
        _check_zip(zf, exports)
        inner = exports[0]
        table = read_table(Path(inner.filename), zf.read(inner))
        table.encoding = f"zip/{table.encoding}"
        return table


def read_table(path: Path, data: bytes | None = None) -> RawTable:
    """Read ``path`` (its bytes may be passed in when already read)."""
    if data is None:
        data = path.read_bytes()
    if not data.strip():
        raise UnreadableFile("the file is empty")
    for magic, what in _NOT_EXPORTS:
        if data.startswith(magic):
            raise UnreadableFile(f"this is {what}, not an export (.csv, .xlsx or .xls)")
    if data[:4] == b"PK\x03\x04" or data[:4] == b"PK\x05\x06":
        return _read_zip(path, data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return read_excel_table(path, data)
    head = data[:65536].lstrip(codecs.BOM_UTF8).lstrip()
    if head[:1] == b"<":
        lowered = head.lower()
        if _SPREADSHEET_XML in head:
            return read_spreadsheet_xml(data)
        if b"<table" in lowered or b"<html" in lowered:
            return read_html_table(data)
    return read_text_table(data)
