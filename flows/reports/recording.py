"""The rows a report showed: record every query a report context runs, and replay them.

A report context (:func:`flows.reports.context.build_daily_context`,
:func:`flows.reports.weekly.build_weekly_context`) reads the warehouse only through
``con.execute(sql, params)`` on ``rpt_*`` tables and reads results with ``description``,
``fetchall`` and ``fetchone``. :class:`RecordingConnection` stands in for the connection: it runs
each query, keeps the result as an Arrow table (a :class:`RecordedTable`) and hands the context
rows made from that Arrow table. :class:`ReplayConnection` answers the same queries from recorded
tables alone, so a report rebuilt from its archived data (``data/*.parquet``) sees exactly the
values the original saw, down to the Python types.

The recorded tables are also what the report's Excel workbook lays out, one sheet per table.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    import duckdb
    import pyarrow

QUERIES_FILE = "queries.json"
_TABLE = re.compile(r"\bfrom\s+([a-z_][a-z0-9_]*)", re.IGNORECASE)


@dataclass(frozen=True)
class RecordedTable:
    """One query a report ran and the rows it got back."""

    table: str  # the rpt_ table read, e.g. "rpt_daily_headline" ("duckdb_tables" for a table check)
    sql: str
    params: tuple
    data: "pyarrow.Table | None"  # None when the query failed
    error: str | None = None  # the DuckDB error the report saw (a missing table, say)

    @property
    def is_report_table(self) -> bool:
        return self.table.startswith("rpt_") and self.data is not None


def table_of(sql: str) -> str:
    """The first table a query reads from (``from rpt_daily_headline``)."""
    match = _TABLE.search(sql)
    return match.group(1) if match else "query"


class ArrowCursor:
    """The part of a DuckDB cursor the report code uses, over an Arrow table."""

    def __init__(self, data: "pyarrow.Table"):
        self.description = [(name, str(data.schema.field(i).type), None, None, None, None, None)
                            for i, name in enumerate(data.column_names)]
        columns = [_python_values(column) for column in data.columns]
        self._rows = list(zip(*columns)) if columns else []
        self._next = 0

    def fetchall(self) -> list[tuple]:
        rows, self._next = self._rows[self._next:], len(self._rows)
        return rows

    def fetchone(self) -> tuple | None:
        if self._next >= len(self._rows):
            return None
        self._next += 1
        return self._rows[self._next - 1]


def _python_values(column: "pyarrow.ChunkedArray") -> list[Any]:
    """A column's values as DuckDB's ``fetchall`` gives them. A ``timestamptz`` is read as naive
    UTC and given its zone here: pyarrow would import pandas to do it (0.3 s and 44 MiB in a
    process that only renders)."""
    import pyarrow as pa

    if pa.types.is_timestamp(column.type) and column.type.tz is not None and column.type.unit != "ns":
        try:
            zone = ZoneInfo(column.type.tz)
        except (ZoneInfoNotFoundError, ValueError):
            return column.to_pylist()
        naive = column.cast(pa.timestamp(column.type.unit)).to_pylist()
        return [None if v is None else v.replace(tzinfo=dt.UTC).astimezone(zone) for v in naive]
    return column.to_pylist()


def _plain_integers(data: "pyarrow.Table") -> "pyarrow.Table":
    """DuckDB hands 128-bit integers (``sum`` of integers, ``hugeint``) to Arrow as
    ``decimal(38, 0)``; make them 64-bit integers when they fit, as ``fetchall`` gives ints."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, field in enumerate(data.schema):
        if pa.types.is_decimal(field.type) and field.type.scale == 0:
            try:
                data = data.set_column(i, field.name, pc.cast(data.column(i), pa.int64()))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # too large for 64 bits: keep the decimal
    return data


class RecordingConnection:
    """Wraps a DuckDB connection; every query's result is kept in :attr:`tables`."""

    def __init__(self, con: "duckdb.DuckDBPyConnection"):
        self._con = con
        self.tables: list[RecordedTable] = []

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> ArrowCursor:
        import duckdb

        params = tuple(params or ())
        try:
            data = _plain_integers(self._con.sql(sql, params=list(params)).to_arrow_table())
        except duckdb.Error as exc:
            self.tables.append(RecordedTable(table_of(sql), sql, params, None, error=str(exc)))
            raise
        self.tables.append(RecordedTable(table_of(sql), sql, params, data))
        return ArrowCursor(data)


class ReplayMissing(LookupError):
    """A report asked the replay connection for a query that was not recorded."""


class ReplayConnection:
    """Answers a report's queries from recorded tables only (no warehouse)."""

    def __init__(self, tables: Sequence[RecordedTable]):
        self._answers: dict[str, list[RecordedTable]] = {}
        for recorded in tables:
            self._answers.setdefault(_key(recorded.sql, recorded.params), []).append(recorded)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> ArrowCursor:
        import duckdb

        answers = self._answers.get(_key(sql, tuple(params or ())))
        if not answers:
            raise ReplayMissing(f"the archived data has no answer for: {sql} {list(params or [])}")
        recorded = answers[0] if len(answers) == 1 else answers.pop(0)
        if recorded.data is None:
            raise duckdb.Error(recorded.error or "query failed when the report was made")
        return ArrowCursor(recorded.data)


# ----------------------------------------------------------------------------------------------
# on disk: data/NN_<table>.parquet and data/queries.json
# ----------------------------------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return {"datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "datetime" in value:
            return dt.datetime.fromisoformat(value["datetime"])
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
        if "decimal" in value:
            return Decimal(value["decimal"])
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def _key(sql: str, params: tuple) -> str:
    return json.dumps([" ".join(sql.split()), _encode(list(params))], ensure_ascii=False)


def write_recorded(tables: Sequence[RecordedTable]) -> dict[str, bytes]:
    """The files that keep ``tables``: ``NN_<table>.parquet`` per query and ``queries.json``.

    Returns {file name: bytes} for the caller to write (the archive writes atomically)."""
    import io

    import pyarrow.parquet as pq

    files: dict[str, bytes] = {}
    index = []
    for number, recorded in enumerate(tables, start=1):
        entry: dict[str, Any] = {"table": recorded.table, "sql": recorded.sql,
                                 "params": _encode(list(recorded.params))}
        if recorded.data is None:
            entry["error"] = recorded.error
        elif not recorded.table.startswith("rpt_"):  # a table check or the like: a value or two, inline
            entry["columns"] = recorded.data.column_names
            entry["rows"] = _encode([list(row.values()) for row in recorded.data.to_pylist()])
        else:
            name = f"{number:02d}_{recorded.table}.parquet"
            buffer = io.BytesIO()
            pq.write_table(recorded.data, buffer, compression="zstd")
            files[name] = buffer.getvalue()
            entry["file"] = name
            entry["row_count"] = recorded.data.num_rows
        index.append(entry)
    files[QUERIES_FILE] = (json.dumps({"queries": index}, ensure_ascii=False, indent=1) + "\n").encode("utf-8")
    return files


def read_recorded(folder: Path) -> list[RecordedTable]:
    """The tables kept by :func:`write_recorded` in ``folder``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    index = json.loads((folder / QUERIES_FILE).read_text(encoding="utf-8"))["queries"]
    tables = []
    for entry in index:
        params = tuple(_decode(entry["params"]))
        data = None
        if "file" in entry:
            data = pq.read_table(folder / entry["file"])
        elif "rows" in entry:
            rows = _decode(entry["rows"])
            data = pa.table({name: [row[i] for row in rows] for i, name in enumerate(entry["columns"])})
        tables.append(RecordedTable(entry["table"], entry["sql"], params, data, error=entry.get("error")))
    return tables
