"""Reading the ``rpt_*`` tables of the newer report sections (buyers, target pacing, ad payback,
abnormal products).

A section's table may be missing from a warehouse built before the section existed; the section
then says so (``missing_table``) and the report puts a note in its data-quality box instead of
failing. A table that exists but lacks a column is a real error (``ReportDataError``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb


def has_table(con: "duckdb.DuckDBPyConnection", table: str) -> bool:
    """True when ``table`` exists in the warehouse's main schema."""
    found = con.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                        "and table_name = ?", [table]).fetchone()[0]
    return bool(found)


def fetch_rows(con: "duckdb.DuckDBPyConnection", table: str, columns: Sequence[str], where: str,
               params: Sequence[Any], order_by: str = "") -> list[dict[str, Any]]:
    """Rows of ``table`` (the named columns only) as dicts; errors name the table."""
    import duckdb

    from flows.reports.context import ReportDataError

    sql = f"select {', '.join(columns)} from {table} where {where}"
    if order_by:
        sql += f" order by {order_by}"
    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]
    except duckdb.Error as exc:
        raise ReportDataError(f"{table}: cannot read the report table ({exc}); "
                              f"build the warehouse first") from exc


def number(value: Any) -> float | None:
    """A table value as a float (None for null or NaN)."""
    if value is None:
        return None
    number = float(value)
    return None if number != number else number
