"""The fast reader for big delimited exports: DuckDB parses the CSV, SQL parses the common values.

The Python reader (``readers.read_text_table`` + ``load.parse_rows``) is the reference. This
reader gives the same rows, rejects and row numbers for the files it takes, and hands every file
it is not sure about back to the reference (:class:`NotFast`), so a file is never read two ways:

1. **Decode.** UTF-8 files are read in place (a BOM is skipped with the header line). GB18030/GBK
   and UTF-16 are decoded in Python in 8 MB chunks (incremental decoder) into a UTF-8 temp file:
   DuckDB has no GBK decoder offline (STACK.md). Encoding detection follows the reference order.
2. **Recognise.** The first rows are read with the reference CSV reader to find the header and
   the profile (title rows, Google Ads' preamble, …).
3. **Parse.** ``read_csv(all columns varchar, strict)`` reads the data rows: the columns the
   profile uses, and every column only when some row might be blank or the header again (see
   :func:`read_rows`). Anything the strict
   reader refuses (a row with the wrong number of fields, broken quoting, a field over 2 MB), an
   empty line in the middle, bare CR line ends or NUL bytes sends the file to the reference,
   which rejects or refuses exactly as before. Row numbers are the header's record number plus
   the record's position (quoted line breaks stay one record, as in the reference).
4. **Values.** :data:`SQL_PARSERS` parse the common cell shapes (``1234.50``, ``="385…"``,
   ``2026-11-22 10:15:01``, ``… -0500``, ``12.3%``) with vectorised DuckDB expressions; every
   other present cell goes through the reference parser of ``values.py``. The shapes are chosen
   so that both give the same value (tests/ingest/test_fast.py checks this with hypothesis).

Everything after that (nulls, fill-down, maps, conditions, required values, rejects) is the
shared ``load.parse_frame``.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from flows.ingest.profiles import Match, Profile, header_key, match_profile
from flows.ingest.readers import _NOT_EXPORTS, RawTable, _sniff_delimiter, _utf16_without_bom
from flows.ingest.values import MAX_YEAR, MIN_YEAR, PARSERS, ParseResult, buyer_hash

CHUNK = 8 * 2**20
HEAD_CHARS = 256 * 1024
MAX_LINE_BYTES = 2 * 2**20
# Python's str.strip() whitespace (every character whose isspace() is true; written out, since
# finding them among all 1.1M code points cost 60 ms of every command's imports; the tests check
# the list against the interpreter's), as an RE2 character class (the reference strips with it)
WHITESPACE = (0x9, 0xA, 0xB, 0xC, 0xD, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B),
              0x2028, 0x2029, 0x202F, 0x205F, 0x3000)
_WS = "[" + "".join(f"\\x{{{c:x}}}" for c in WHITESPACE) + "]"


class NotFast(Exception):
    """This file goes to the reference reader (the reason is for logs and tests)."""


@dataclass
class FastFile:
    """A recognised delimited export, ready to be parsed by DuckDB."""

    table: RawTable  # the first rows only (header detection, title rows)
    match: Match
    csv_path: Path  # UTF-8 text DuckDB reads (the original file or a decoded temp copy)
    skip_lines: int  # physical lines up to and including the header
    temp: bool

    def close(self) -> None:
        if self.temp:
            self.csv_path.unlink(missing_ok=True)


def _encoding(data: bytes) -> str:
    """The reference's order (readers.detect_encoding), without decoding big files twice."""
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    try:
        codecs.utf_8_decode(data, "strict", True)
        return "utf-8"
    except UnicodeDecodeError:
        return "gb18030"


def _transcode(data: bytes, encoding: str, folder: Path | None) -> Path:
    """Decode ``data`` chunk by chunk into a UTF-8 temp file (BOM dropped)."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    fd, name = tempfile.mkstemp(suffix=".csv", prefix="shopreport-ingest-", dir=folder)
    try:
        with os.fdopen(fd, "wb", buffering=CHUNK) as out:
            view = memoryview(data)
            first = True
            for start in range(0, len(data), CHUNK):
                text = decoder.decode(view[start:start + CHUNK], start + CHUNK >= len(data))
                if first:
                    text, first = text.lstrip("\ufeff"), False
                out.write(text.encode("utf-8"))
    except UnicodeDecodeError as exc:
        os.unlink(name)
        raise NotFast(f"not {encoding} throughout ({exc.reason})") from exc
    return Path(name)


def open_fast(path: Path, data: bytes, profiles: list[Profile], temp_dir: Path | None = None) -> FastFile:
    """Recognise a delimited export for the fast reader, or raise :class:`NotFast`."""
    if not data.strip() or any(data.startswith(m) for m, _ in _NOT_EXPORTS):
        raise NotFast("empty or not a text export")
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06") or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        raise NotFast("a workbook or a zip")
    if data[:65536].lstrip(codecs.BOM_UTF8).lstrip()[:1] == b"<":
        raise NotFast("markup (HTML or XML spreadsheet)")
    encoding = _encoding(data)
    if encoding.startswith("utf-8"):
        if b"\x00" in data:
            raise NotFast("NUL bytes")
        csv_path, temp, body = path, False, data
    else:
        csv_path, temp = _transcode(data, encoding, temp_dir), True
        body = csv_path.read_bytes() if len(data) < 4 * CHUNK else None
    try:
        head_bytes = (body if body is not None else _read_head(csv_path))[: HEAD_CHARS * 4]
        head = head_bytes.decode("utf-8", "ignore").lstrip("\ufeff")
        if "\x00" in head:
            raise NotFast("NUL characters")
        complete = len(head_bytes) == os.path.getsize(csv_path) - (3 if encoding == "utf-8-sig" else 0)
        if not complete:
            head = head[: head.rfind("\n") + 1]
        delimiter = _sniff_delimiter(head)
        reader = csv.reader(io.StringIO(head, newline=""), delimiter=delimiter, quotechar='"', strict=True)
        rows: list[list[str]] = []
        lines: list[int] = []
        try:
            for row in reader:
                rows.append(row)
                lines.append(reader.line_num)
        except csv.Error as exc:
            raise NotFast(f"broken quoting in the first rows ({exc})") from exc
        search = max((p.header_search_rows for p in profiles), default=30)
        if not complete and len(rows) <= search:
            raise NotFast("too few rows in the first 256 KB to find the header")
        match = match_profile(rows, profiles)
        if not isinstance(match, Match):
            raise NotFast("not recognised")
        h = match.header_index
        if lines[h] != h + 1:
            raise NotFast("a line break inside a quoted cell above the data")
        if body is None:
            body = csv_path.read_bytes()
        _check_lines(body)
        table = RawTable(rows=rows[: h + 1], row_numbers=list(range(1, h + 2)), encoding=encoding,
                         delimiter=delimiter)
        return FastFile(table=table, match=match, csv_path=csv_path, skip_lines=h + 1, temp=temp)
    except BaseException:
        if temp:
            csv_path.unlink(missing_ok=True)
        raise


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(HEAD_CHARS * 4)


def _check_lines(body: bytes) -> None:
    """What DuckDB's reader numbers differently from the reference: empty lines inside the data
    (DuckDB drops them, the reference counts them) and bare CR line ends."""
    end = len(body)
    while end and body[end - 1] in b"\r\n \t":  # the file's trailing blank, without a copy
        end -= 1
    data = np.frombuffer(body, dtype=np.uint8)[:end]  # a view: one pass per byte kind, no copies
    breaks = np.flatnonzero(data == 0x0A)
    gaps = np.diff(breaks)
    if (gaps == 1).any() or ((gaps == 2) & (data[breaks[:-1] + 1] == 0x0D)).any():  # \n\n, \n\r\n
        raise NotFast("empty lines between rows")
    returns = np.flatnonzero(data == 0x0D)
    if len(returns) and (data[np.minimum(returns + 1, end - 1)] != 0x0A).any():  # a CR last is itself
        raise NotFast("bare CR line ends")


def read_rows(fast: FastFile, used: list[int], skip_prefixes: dict[int, tuple[str, ...]],
              con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, list[dict], int, int]:
    """The data rows' used columns as Arrow strings indexed by row number, plus the structural
    rejects (the header again), the rows read and the summary rows, as ``load.parse_rows`` does.

    A blank row (every cell empty or whitespace) and the header again can only be told by all
    the row's cells, and reading every column costs twice reading the used ones in a wide
    export (79 columns, 19 used, in Shopify's). So the used columns are read first, with what
    can be told from them: a row whose used cells are not all blank is not blank, and a row
    whose first header cell differs from the header's is not the header again. Only when some
    row might be either is the file read again with every column, as the checks need."""
    headers = fast.match.headers
    probe = next((i for i, h in enumerate(headers) if h), 0)
    probe_text = fast.table.rows[fast.match.header_index][probe].strip()
    summary = " or ".join(
        f"regexp_matches(coalesce(c{i}, ''), '^{_WS}*(?:{'|'.join(_re2_literal(p) for p in prefixes)})')"
        for i, prefixes in skip_prefixes.items() if prefixes) or "false"
    again = (f"regexp_full_match(coalesce(c{probe}, ''), '{_WS}*{_re2_literal(probe_text)}{_WS}*')"
             if probe_text else "false")
    table = _read_csv(fast, con, used, _blank([f"c{i}" for i in used]), summary, f"({again})")
    if _any(table, "is_blank") or _any(table, "again"):  # some row might be blank or the header
        cells = [f"c{i}" for i in range(len(headers))]
        row = ", ".join(f"coalesce({c}, '')" for c in cells)
        table = _read_csv(fast, con, used, _blank(cells), summary, f"case when {again} then [{row}] end")
    numbers = np.arange(len(table), dtype=np.int64) + fast.match.header_index + 2
    is_blank = table.column("is_blank").to_numpy(zero_copy_only=False)
    is_summary = table.column("is_summary").to_numpy(zero_copy_only=False) & ~is_blank
    keep = ~is_blank & ~is_summary
    rejects: list[dict] = []
    again_rows = table.column("again")
    if pa.types.is_list(again_rows.type) and again_rows.null_count < len(again_rows):
        folded = [h.casefold() for h in headers]
        for pos in np.flatnonzero(again_rows.is_valid().to_numpy(zero_copy_only=False) & keep):
            if [header_key(c) for c in again_rows[int(pos)].as_py()] == folded:
                rejects.append({"source_row": int(numbers[pos]), "column_name": None, "raw_value": None,
                                "reason": "the header row again inside the data (two exports pasted into "
                                          "one file?)"})
                keep[pos] = False
    rows_read = int((~is_blank & ~is_summary).sum())
    summary_rows = int(is_summary.sum())
    mask = pa.array(keep)
    raw = pd.DataFrame({i: pd.Series(pd.arrays.ArrowStringArray(
                            pa.compute.cast(table.column(f"c{i}").filter(mask), pa.large_string())))
                        for i in used})
    raw.index = pd.Index(numbers[keep], name="source_row")
    return raw, rejects, rows_read, summary_rows


def _blank(cells: list[str]) -> str:
    """SQL: every one of ``cells`` is empty or whitespace (true without cells)."""
    return f"regexp_full_match(concat_ws('', {', '.join(cells)}), '{_WS}*')" if cells else "true"


def _any(table: pa.Table, column: str) -> bool:
    values = table.column(column)
    return pa.types.is_boolean(values.type) and bool(pa.compute.any(values).as_py())


def _read_csv(fast: FastFile, con: duckdb.DuckDBPyConnection, used: list[int], blank: str, summary: str,
              again: str) -> pa.Table:
    """The used columns of the data rows with the flags given as SQL (``is_blank``,
    ``is_summary``, ``again``), by DuckDB's strict reader (every column read as text)."""
    width = len(fast.match.headers)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    delim = fast.table.delimiter.replace("'", "''")
    sql = f"""
        select {', '.join(f'c{i}' for i in used) or '1 as none'},
            {blank} as is_blank, {summary} as is_summary, {again} as again
        from read_csv('{_sql_path(fast.csv_path)}', columns = {columns}, auto_detect = false,
            header = false, skip = {fast.skip_lines}, delim = '{delim}', quote = '"', escape = '"',
            strict_mode = true, null_padding = false, max_line_size = {MAX_LINE_BYTES},
            encoding = 'utf-8')
    """
    try:
        table = con.sql(sql).arrow()
    except duckdb.Error as exc:
        raise NotFast(f"the strict CSV reader stopped: {str(exc).splitlines()[0]}") from exc
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    return table


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _re2_literal(text: str) -> str:
    r"""``text`` as an RE2 literal inside a single-quoted SQL string (``\Q…\E`` cannot hold ``\E``)."""
    out = "".join(f"\\x{{{ord(c):x}}}" if not c.isalnum() else c for c in text)
    return out.replace("'", "''")


# -- values --------------------------------------------------------------------------------------
_NUM = r"-?[0-9]{1,15}(\.[0-9]{1,6})?"
_FAST_SQL = {
    # kind: (condition on v: the cell takes the fast path, value expression)
    "decimal": (r"regexp_full_match(v, '-?[0-9]{1,13}(\.[0-9]{1,2})?')", "v::double"),
    "number": (f"regexp_full_match(v, '{_NUM}')", "v::double"),
    "integer": (r"regexp_full_match(v, '-?[0-9]{1,15}')", "v::bigint"),
    "percent": (f"regexp_full_match(v, '{_NUM}%?')",
                "case when v like '%\\%' escape '\\' then rtrim(v, '%')::double / 100 else v::double end"),
    "id": (r"""(regexp_full_match(v, '="[0-9]{1,40}"') or regexp_full_match(v, '#?[0-9A-Za-z_-]{1,64}'))
              and not regexp_full_match(v, '[0-9.]+[eE]\+?[0-9]+')""",
           """case when v[1] = '=' then v[3:-2] else v end"""),
    "date": (r"regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2}') and try_strptime(v, '%Y-%m-%d') is not null",
             "strptime(v, '%Y-%m-%d')"),
    "naive": (r"regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}') "
              r"and try_strptime(v, '%Y-%m-%d %H:%M:%S') is not null",
              "strptime(v, '%Y-%m-%d %H:%M:%S')"),
    "offset": (r"regexp_full_match(v, '[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}') "
               r"and try_strptime(v, '%Y-%m-%d %H:%M:%S %z') is not null",
               "strptime(v, '%Y-%m-%d %H:%M:%S %z')"),
}


def _sql_values(con: duckdb.DuckDBPyConnection, raw: pd.Series, kind: str) -> tuple[np.ndarray, pa.Array]:
    """(the cells that take the fast path, their values (null elsewhere))."""
    cond, value = _FAST_SQL[kind]
    cells = pa.table({"v": pa.array(raw.array, type=pa.large_string())})  # noqa: F841 - read by the query below (a DuckDB replacement scan)
    result = con.sql(f"select ok, case when ok then {value} end as x "
                     f"from (select v, coalesce({cond}, false) as ok from cells)").arrow()
    if isinstance(result, pa.RecordBatchReader):
        result = result.read_all()
    return result.column("ok").to_numpy(zero_copy_only=False), result.column("x").combine_chunks()


def _merge(raw: pd.Series, fast: np.ndarray, values: pd.Series, slow: Callable[[pd.Series], ParseResult]
           ) -> tuple[pd.Series, np.ndarray]:
    """Fast values where ``fast``, the reference parser's values (and bad flags) elsewhere."""
    bad = np.zeros(len(raw), dtype=bool)
    rest = raw.notna().to_numpy(dtype=bool) & ~fast
    if rest.any():
        slow_values, slow_bad = slow(raw[rest])
        values = values.copy()
        values[rest] = slow_values.array
        bad[rest] = slow_bad.to_numpy(dtype=bool)
    return values, bad


def _utc(values: pd.Series, bad: pd.Series) -> ParseResult:
    """The reference's timestamps as UTC microseconds (all-NaT results come back naive)."""
    return pd.to_datetime(values, utc=True).astype("datetime64[us, UTC]"), bad


# Below this many cells a column goes to the reference parsers at once: they are vectorised too,
# and a DuckDB query's fixed cost (a few ms) is more than they take on a day's export
SQL_MIN_CELLS = 5000


class SqlParsers(dict):
    """The ``values.PARSERS`` interface, fast shapes in SQL and the rest by the reference."""

    def __init__(self, con: duckdb.DuckDBPyConnection, min_cells: int = SQL_MIN_CELLS):
        super().__init__(PARSERS)
        self.con = con
        self.min_cells = min_cells  # smaller columns: the reference parsers
        for kind in ("decimal", "number", "integer", "percent", "id", "date"):
            self[kind] = self._make(kind)
        self["timestamp"] = self.timestamp
        self["buyer"] = self.buyer

    def buyer(self, raw: pd.Series, salt: str) -> pd.Series:
        """:func:`values.buyer_hash` in SQL: DuckDB's ``sha256`` of the same UTF-8 bytes (6x
        faster on a day's 30,000 order lines than hashing each distinct id in Python)."""
        if len(raw) < self.min_cells:
            return buyer_hash(raw, salt)
        cells = pa.table({"v": pa.array(raw.array, type=pa.large_string())})  # noqa: F841 - read by the query below
        hashed = self.con.sql("select left(sha256($salt || chr(31) || v), 32) as h from cells",
                              params={"salt": salt}).to_arrow_table()
        return pd.Series(pd.arrays.ArrowStringArray(hashed.column("h").combine_chunks().cast(pa.large_string())),
                         index=raw.index)

    def _make(self, kind: str) -> Callable[[pd.Series], ParseResult]:
        def parse(raw: pd.Series) -> ParseResult:
            if len(raw) < self.min_cells:
                return PARSERS[kind](raw)
            fast, x = _sql_values(self.con, raw, kind)
            index = raw.index
            if kind == "id":
                values = pd.Series(pd.arrays.ArrowStringArray(pa.compute.cast(x, pa.large_string())), index=index)
                values, bad = _merge(raw, fast, values, PARSERS["id"])
                return values.where(~bad), pd.Series(bad, index=index)
            if kind == "date":
                days = pd.Series(x.to_numpy(zero_copy_only=False).astype("datetime64[us]"), index=index)
                years = days.dt.year.to_numpy(dtype="float64", na_value=np.nan)
                fast = fast & (years >= MIN_YEAR) & (years <= MAX_YEAR)
                days = days.where(fast)
                values, bad = _merge(raw, fast, days, PARSERS["date"])
                return values.where(~bad), pd.Series(bad, index=index)
            if kind == "integer":
                ints = pd.Series(pd.array(x.to_pandas(), dtype="Int64"), index=index)
                values, bad = _merge(raw, fast, ints, PARSERS["integer"])
                return values, pd.Series(bad, index=index)
            floats = pd.Series(x.to_numpy(zero_copy_only=False).astype("float64"), index=index)
            if kind == "decimal":
                floats = floats.round(2)
            values, bad = _merge(raw, fast, floats, PARSERS[kind])
            return values, pd.Series(bad, index=index)
        return parse

    def _timestamp_shapes(self, raw: pd.Series) -> tuple[np.ndarray, pa.Array, np.ndarray, pa.Array]:
        """The cells that are naive local times and their values, and those with a UTC offset
        and theirs. An export writes one shape: the one of its first cell is tried on every
        cell, the other only on the cells left (as a rule none: one query instead of two)."""
        present = raw.notna().to_numpy(dtype=bool)
        first = str(raw[present].iloc[0]) if present.any() else ""
        kinds = ("offset", "naive") if re.fullmatch(r".*[+-][0-9]{4}", first.strip()) else ("naive", "offset")
        first_ok, first_values = _sql_values(self.con, raw, kinds[0])
        rest = present & ~first_ok
        other_ok = np.zeros(len(raw), dtype=bool)
        if rest.any():
            rest_ok, rest_values = _sql_values(self.con, raw[rest], kinds[1])
            other_ok[rest] = rest_ok
            # back to every cell's position: the rest's values where they are, nulls elsewhere
            other = rest_values.take(pa.array(np.cumsum(rest) - 1, mask=~rest))
        else:
            other = pa.nulls(len(raw), pa.timestamp("us", tz="UTC") if kinds[1] == "offset" else pa.timestamp("us"))
        if kinds[0] == "naive":
            return first_ok, first_values, other_ok, other
        return other_ok, other, first_ok, first_values

    def timestamp(self, raw: pd.Series, timezone: str) -> ParseResult:
        if len(raw) < self.min_cells:
            return PARSERS["timestamp"](raw, timezone)
        index = raw.index
        result = pd.Series(pd.NaT, index=index, dtype="datetime64[us, UTC]")
        bad = np.zeros(len(raw), dtype=bool)
        naive_ok, naive, offset_ok, aware = self._timestamp_shapes(raw)
        naive_values = pd.Series(naive.to_numpy(zero_copy_only=False).astype("datetime64[us]"), index=index)
        years = naive_values.dt.year.to_numpy(dtype="float64", na_value=np.nan)
        naive_ok = naive_ok & (years >= MIN_YEAR) & (years <= MAX_YEAR)  # the reference checks both
        if naive_ok.any():
            local = naive_values[naive_ok]
            local = local.dt.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
            result[naive_ok] = local.dt.tz_convert("UTC").astype("datetime64[us, UTC]")
            bad[naive_ok] = local.isna().to_numpy()
        if offset_ok.any():
            utc = pd.Series(pa.compute.cast(aware, pa.timestamp("us", tz="UTC")).to_pandas().array, index=index)
            result[offset_ok] = utc[offset_ok].astype("datetime64[us, UTC]")
        fast = naive_ok | offset_ok
        result, slow_bad = _merge(raw, fast, result, lambda s: _utc(*PARSERS["timestamp"](s, timezone)))
        bad |= slow_bad
        years = result.dt.year.to_numpy(dtype="float64", na_value=np.nan)
        bad = raw.notna().to_numpy(dtype=bool) & (bad | (years < MIN_YEAR) | (years > MAX_YEAR))
        return result.where(~bad), pd.Series(bad, index=index)


