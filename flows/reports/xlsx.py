"""The report as an Excel workbook: a summary sheet laid out like the team's old pivot report,
then one tidy sheet per ``rpt_*`` table the report read.

:func:`daily_workbook` and :func:`weekly_workbook` take the report context and the tables the
context builder read (:class:`RecordedTable`: the table, the query, its parameters and the rows
as Arrow), and return the ``.xlsx`` bytes. Plain functions; openpyxl and pyarrow are imported by
the functions that use them, and nothing reads configuration.

What the workbook holds:

- **Summary** (``汇总`` / ``Summary``): the report's title and subtitle, then one block per
  scope (the report's own scope first; further scopes when the recorded headline rows carry a
  ``scope_id``) with one row per headline metric and, per comparison, the base value and the
  change: relative (``+8.3%``) for amounts and counts, a difference for ratios, in percentage
  points for percentages (3.21 % against 2.81 % → ``0.40``, shown ``+0.40pp``) and plain for
  multiples such as ROAS. The numbers come from the recorded ``rpt_daily_headline`` /
  ``rpt_weekly_headline`` rows (the ``change_*`` / ``diff_*`` columns the report itself shows);
  without them, from the context's tiles (value only).
- **One sheet per recorded table**, named by the table's label (a top-level ``label`` in its
  ``.yml``, else the report section that shows it, else the table name). Several queries of one
  table with the same columns share a sheet (a query repeated with the same parameters is taken
  once); different columns get a sheet each (``… (2)``). Queries of anything but an ``rpt_``
  table (e.g. ``duckdb_tables()`` probes) are left out.
- Cells are typed: numbers as numbers (decimals as floats, as Excel stores them; integers of 16
  digits or more, such as long ids, as text, since Excel keeps 15), dates as dates
  (``yyyy-mm-dd``), timestamps as datetimes, booleans as booleans, NULL and NaN as empty cells.
  Excel has no time zones: a ``timestamptz`` is written as the naive local time in ``timezone``
  (UTC unless given) and its header names the zone. Lists and structs are written as JSON text.
  Number formats come from the column: money ``#,##0.00``, counts ``#,##0``, rates ``0.00%``
  (as the report writes them), multiples such as ROAS ``0.00``; the ``.yml`` files give no
  units, so the column's Arrow type and name decide (:func:`_name_unit`), and in the headline
  table the row's metric.
- Every text is a string cell, never a formula: a text starting with ``=``, ``+``, ``-``,
  ``@``, a tab or a CR (formula injection from export texts) also gets the ``quotePrefix``
  style, so Excel keeps it text when the cell is edited. Control characters that XML cannot
  hold are dropped, and a CR becomes a line feed (XML readers would turn it into one anyway).
- The output is reproducible: the document dates and every zip entry's time are the report
  date, so the same input gives the same bytes.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import unicodedata
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from flows.reports.context import COMPARISONS, METRIC_UNITS
from flows.reports.glossary import DEFAULT_TRANSFORMS_DIR
from flows.reports.i18n import DEFAULT_LANGUAGE, Locale, get_locale
from flows.reports.recording import RecordedTable

if TYPE_CHECKING:
    import pyarrow
    from openpyxl.workbook import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    from flows.reports.context import DailyReportContext
    from flows.reports.weekly import WeeklyReportContext

log = logging.getLogger(__name__)

# the few texts the workbook needs that the report does not (i18n.py holds the rest)
XLSX_LABELS: Mapping[str, Mapping[str, str]] = {
    "zh-CN": {"summary": "汇总", "value": "数值", "base": "基期", "change": "变化"},
    "en": {"summary": "Summary", "value": "Value", "base": "Base", "change": "Change"},
}
# the report section that shows a table, for its sheet name (keys of the i18n labels)
TABLE_SECTIONS: Mapping[str, str] = {
    "rpt_daily_headline": "section.headline",
    "rpt_daily_trend": "section.trend",
    "rpt_daily_funnel": "section.funnel",
    "rpt_daily_traffic_sources": "section.traffic_sources",
    "rpt_daily_ad_campaigns": "section.ad_campaigns",
    "rpt_daily_refunds": "section.refunds",
    "rpt_daily_refund_products": "section.refund_products",
    "rpt_daily_top_products": "section.top_products",
    "rpt_daily_bridge": "section.bridge",
    "rpt_daily_buyers": "section.buyers",
    "rpt_daily_target_pacing": "section.targets",
    "rpt_daily_abnormal_products": "section.abnormal_products",
    "rpt_weekly_headline": "section.headline",
    "rpt_weekly_trend": "weekly.section.trend",
    "rpt_weekly_bridge": "section.bridge",
    "rpt_weekly_ad_campaigns": "weekly.section.ad_campaigns",
    "rpt_weekly_buyers": "weekly.section.buyers",
    "rpt_weekly_product_stages": "weekly.section.product_stages",
    "rpt_weekly_target_pacing": "weekly.section.targets",
    "rpt_buyer_cohorts": "weekly.section.cohorts",
}

MAX_SHEET_NAME = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
MAX_COLUMN_WIDTH = 50
MIN_COLUMN_WIDTH = 6
MAX_CELL_TEXT = 32_767  # Excel's limit for one cell
MAX_EXACT_INTEGER = 10**15  # Excel keeps 15 significant digits: longer integers are written as text
INJECTION_STARTS = ("=", "+", "-", "@", "\t", "\r")
ILLEGAL_XML_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
TIME_FORMAT = "hh:mm:ss"
MONEY_FORMAT = "#,##0.00"
COUNT_FORMAT = "#,##0"
PERCENT_FORMAT = "0.00%"  # as the report writes rates (3.21%)
MULTIPLE_FORMAT = "0.00"
RELATIVE_CHANGE_FORMAT = "+0.0%;-0.0%;0.0%"
SIGNED_MULTIPLE_FORMAT = "+0.00;-0.00;0.00"
UNIT_FORMATS: Mapping[str, str] = {"money": MONEY_FORMAT, "count": COUNT_FORMAT,
                                   "percent": PERCENT_FORMAT, "multiple": MULTIPLE_FORMAT}

# column-name words that say what a number is, when the table's type does not
RATIO_WORDS = ("conversion", "rate", "share", "ctr", "pct", "attainment", "pacing", "trend")
MULTIPLE_WORDS = ("roas",)
COUNT_WORDS = ("visitors", "buyers", "users", "clicks", "impressions", "lines", "quantity",
               "orders", "rows", "views", "products", "days")
MONEY_WORDS = ("gmv", "amount", "cost", "revenue", "aov", "cpc", "sales", "target", "mtd",
               "projected", "effect", "price", "fee", "spend")
NAME_UNITS = (("multiple", MULTIPLE_WORDS), ("percent", RATIO_WORDS), ("money", MONEY_WORDS),
              ("count", COUNT_WORDS))
NAME_QUALIFIERS = ("base", "7d", "30d", "90d")


# ----------------------------------------------------------------------------------------------
# the two entry points
# ----------------------------------------------------------------------------------------------

def daily_workbook(ctx: "DailyReportContext", tables: Sequence[RecordedTable], *,
                   timezone: str | None = None,
                   transforms_dir: Path = DEFAULT_TRANSFORMS_DIR) -> bytes:
    """The daily report as ``.xlsx`` bytes: the summary (the day against the day before, the
    same weekday last week and last year), then one sheet per recorded ``rpt_`` table.

    ``timezone`` (e.g. the configured report time zone) is where ``timestamptz`` values are
    written as local times; default UTC. ``transforms_dir`` holds the model ``.yml`` files
    (column labels).
    """
    loc = get_locale(ctx.language)
    comparisons = [(key, loc.t(f"compare.{key}"), (ctx.business_date - timedelta(days=days)).isoformat())
                   for key, days in COMPARISONS]
    return _workbook(ctx, loc, tables, "rpt_daily_headline", comparisons, ctx.business_date,
                     ctx.business_date.isoformat(),
                     timezone=timezone, transforms_dir=transforms_dir)


def weekly_workbook(ctx: "WeeklyReportContext", tables: Sequence[RecordedTable], *,
                    timezone: str | None = None,
                    transforms_dir: Path = DEFAULT_TRANSFORMS_DIR) -> bytes:
    """The weekly report as ``.xlsx`` bytes: the summary (the ISO week against the week before
    and the same ISO week last year), then one sheet per recorded ``rpt_`` table.
    Arguments as for :func:`daily_workbook`."""
    from flows.reports.weekly import WEEKLY_COMPARISONS, WEEKLY_LABEL_KEYS, iso_week_label

    loc = get_locale(ctx.language)
    comparisons = [(key, loc.t(f"compare.{WEEKLY_LABEL_KEYS.get(key, key)}"),
                    iso_week_label(ctx.week_start - timedelta(days=days)))
                   for key, days in WEEKLY_COMPARISONS]
    return _workbook(ctx, loc, tables, "rpt_weekly_headline", comparisons, ctx.week_end, ctx.iso_week,
                     timezone=timezone, transforms_dir=transforms_dir)


# ----------------------------------------------------------------------------------------------
# the workbook
# ----------------------------------------------------------------------------------------------

@dataclass
class _Sheet:
    """The queries of one table that share a sheet (same columns)."""

    table: str
    columns: tuple[str, ...]
    parts: list["pyarrow.Table"] = field(default_factory=list)
    queries: set[str] = field(default_factory=set)


def _workbook(ctx: Any, loc: Locale, tables: Sequence[RecordedTable], headline_table: str,
              comparisons: Sequence[tuple[str, str, str]], report_day: date, period: str, *,
              timezone: str | None, transforms_dir: Path) -> bytes:
    from openpyxl import Workbook

    words = {**XLSX_LABELS["en"], **XLSX_LABELS.get(ctx.language, {})}
    tz = ZoneInfo(timezone or "UTC")
    sheets = _group_sheets(tables)
    labels = _Labels(loc, transforms_dir, getattr(ctx, "glossary", ()))

    wb = Workbook()
    summary = wb.active
    summary.title = words["summary"]
    headline_rows = [row for sheet in sheets
                     if sheet.table == headline_table and {"metric", "value"} <= set(sheet.columns)
                     for part in sheet.parts for row in part.to_pylist()]
    _write_summary(summary, ctx, loc, words, period, comparisons, headline_rows)

    taken = {summary.title.casefold()}
    counts: dict[str, int] = {}
    for sheet in sheets:
        counts[sheet.table] = counts.get(sheet.table, 0) + 1
        name = _sheet_name(labels.table(sheet.table), counts[sheet.table], taken)
        taken.add(name.casefold())
        _write_table(wb.create_sheet(name), sheet, labels, tz)

    stamp = datetime.combine(report_day, time())
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "shopreport"
    wb.properties.title = ctx.title
    return _save(wb, stamp)


def _group_sheets(tables: Sequence[RecordedTable]) -> list[_Sheet]:
    """Recorded queries grouped into sheets, in the order the report read them."""
    sheets: list[_Sheet] = []
    for rec in tables:
        if not rec.table.startswith("rpt_"):
            continue
        columns = tuple(rec.data.column_names)
        query = repr((rec.sql, tuple(rec.params)))
        sheet = next((s for s in sheets if s.table == rec.table and s.columns == columns), None)
        if sheet is None:
            sheet = _Sheet(rec.table, columns)
            sheets.append(sheet)
        if query not in sheet.queries:
            sheet.queries.add(query)
            sheet.parts.append(rec.data)
    return sheets


def _sheet_name(label: str, nth: int, taken: set[str]) -> str:
    """A valid, unique sheet name: ≤ 31 characters, none of ``[]:*?/\\``, not ``'``-quoted."""
    base = SHEET_NAME_FORBIDDEN.sub("_", label).strip().strip("'") or "sheet"
    n = nth
    while True:
        suffix = "" if n == 1 else f" ({n})"
        name = base[:MAX_SHEET_NAME - len(suffix)].rstrip().rstrip("'") + suffix
        if name.casefold() not in taken:
            return name
        n += 1


def _save(wb: "Workbook", stamp: datetime) -> bytes:
    """The workbook's bytes, with every zip entry dated ``stamp`` (openpyxl's own ``save``
    would date the document and the zip entries with the current time)."""
    from openpyxl.writer.excel import ExcelWriter

    date_time = (max(stamp.year, 1980), stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)

    class FixedTimeZip(zipfile.ZipFile):
        def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
            if not isinstance(zinfo_or_arcname, zipfile.ZipInfo):
                zinfo = zipfile.ZipInfo(zinfo_or_arcname, date_time=date_time)
                zinfo.compress_type = zipfile.ZIP_DEFLATED
                zinfo.external_attr = 0o600 << 16
                zinfo_or_arcname = zinfo
            super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

        def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
            # openpyxl writes each worksheet through a temporary file: keep its bytes, not its mtime
            self.writestr(arcname or Path(filename).name, Path(filename).read_bytes())

    buffer = io.BytesIO()
    with FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).write_data()
    return buffer.getvalue()


# ----------------------------------------------------------------------------------------------
# labels from the model .yml files
# ----------------------------------------------------------------------------------------------

class _Labels:
    """Sheet and column labels in the report's language.

    A column's label: its ``label`` in the table's own ``.yml``, else the report's column header
    (``col.<column>`` in i18n), else the one glossary term the report gives that column name
    (``ctx.glossary``, from the labelled columns of every model), else the column name. A
    ``.yml`` that cannot be read only costs its labels.
    """

    def __init__(self, loc: Locale, transforms_dir: Path, glossary: Sequence[Any] = ()) -> None:
        self.loc = loc
        self.transforms_dir = Path(transforms_dir)
        self._docs: dict[str, Mapping[str, Any]] = {}
        self._glossary: dict[str, set[str]] = {}
        for item in glossary:  # GlossaryItem: source is "model.column"
            column = str(item.source).rpartition(".")[2]
            self._glossary.setdefault(column, set()).add(item.term)

    def _doc(self, table: str) -> Mapping[str, Any]:
        if table not in self._docs:
            import yaml

            from flows.yamlfile import load_yaml

            path = self.transforms_dir / "reports" / f"{table}.yml"
            doc: Any = {}
            try:
                if path.exists():
                    doc = load_yaml(path.read_text(encoding="utf-8")) or {}
            except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
                log.warning("xlsx: labels of %s left out: %s", path, exc)
            self._docs[table] = doc if isinstance(doc, Mapping) else {}
        return self._docs[table]

    def _in_language(self, value: Any) -> str:
        if isinstance(value, str):
            return value.strip()
        if isinstance(value, Mapping):
            for key in (self.loc.language, DEFAULT_LANGUAGE):
                if isinstance(value.get(key), str) and value[key].strip():
                    return value[key].strip()
        return ""

    def table(self, table: str) -> str:
        label = self._in_language(self._doc(table).get("label"))
        if not label and table in TABLE_SECTIONS:
            label = self.loc.labels.get(TABLE_SECTIONS[table], "")
        return label or table

    def column(self, table: str, column: str) -> str:
        columns = self._doc(table).get("columns")
        spec = columns.get(column) if isinstance(columns, Mapping) else None
        if isinstance(spec, Mapping):
            label = self._in_language(spec.get("label"))
            if label:
                return label
        if f"col.{column}" in self.loc.labels:
            return self.loc.labels[f"col.{column}"]
        terms = self._glossary.get(column, set())
        return next(iter(terms)) if len(terms) == 1 else column


# ----------------------------------------------------------------------------------------------
# cells
# ----------------------------------------------------------------------------------------------

def _set_text(cell: Any, text: str) -> None:
    """A string cell, never a formula or an error value; injection-looking text is quoted.

    XML keeps no bare CR in a cell's text (a reader sees a line feed), so a CR is written as the
    line feed every reader gets; characters XML cannot hold at all are dropped.
    """
    quote = text.startswith(INJECTION_STARTS)
    text = ILLEGAL_XML_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))[:MAX_CELL_TEXT]
    cell.value = text
    cell.data_type = "s"
    if quote:
        cell.quotePrefix = True


def _plain(value: Any, tz: ZoneInfo) -> Any:
    """A table value as a value openpyxl writes as a typed cell (None for an empty cell)."""
    if value is None or isinstance(value, (bool, int, str, date, time, timedelta)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(tz).replace(tzinfo=None)
        if isinstance(value, time) and value.tzinfo is not None:  # a timetz: its own clock time
            return value.replace(tzinfo=None)
        return value
    if isinstance(value, float):
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, Decimal):
        return None if not value.is_finite() else float(value)
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _write_value(cell: Any, value: Any, number_format: str | None) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= MAX_EXACT_INTEGER:
        value = str(value)  # a long id: Excel keeps 15 digits of a number
    if isinstance(value, str):
        _set_text(cell, value)
        return
    cell.value = value
    if value is None:
        return
    if isinstance(value, datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell.number_format = DATE_FORMAT
    elif isinstance(value, time):
        cell.number_format = TIME_FORMAT
    elif number_format and not isinstance(value, bool):
        cell.number_format = number_format


def _text_width(text: str) -> int:
    """Display width: East Asian wide and full-width characters count 2."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _shown_width(value: Any, number_format: str | None) -> int:
    if value is None:
        return 0
    if isinstance(value, str):
        return _text_width(value)
    if isinstance(value, bool):
        return 5
    if isinstance(value, datetime):
        return 19
    if isinstance(value, (date, time)):
        return 10 if isinstance(value, date) else 8
    if isinstance(value, (int, float)):
        if number_format in (PERCENT_FORMAT, RELATIVE_CHANGE_FORMAT):
            return len(f"{value * 100:+,.2f}%")
        if number_format == COUNT_FORMAT:
            return len(f"{value:,.0f}")
        return len(f"{value:,.2f}")
    return len(str(value))


def _column_width(widths: Sequence[int]) -> float:
    return float(min(MAX_COLUMN_WIDTH, max(MIN_COLUMN_WIDTH, max(widths, default=0) + 2)))


# ----------------------------------------------------------------------------------------------
# a table's sheet
# ----------------------------------------------------------------------------------------------

def _name_unit(column: str) -> str | None:
    """What a number column holds, by its name: the last word decides (``conversion_effect`` is
    money, ``gmv_attainment`` a rate), qualifiers like ``_base`` or ``_30d`` aside; else any
    word; None when no word says."""
    words = column.lower().split("_")
    if words[0] == "change":  # the headline's change_prev_day …: relative
        return "percent"
    while len(words) > 1 and words[-1] in NAME_QUALIFIERS:
        words.pop()
    if words[-1] == "change":  # gmv_change is money, visitors_change relative
        return "money" if any(w in MONEY_WORDS for w in words) else "percent"
    for candidates in ([words[-1]], words):
        for unit, vocabulary in NAME_UNITS:
            if any(w in vocabulary for w in candidates):
                return unit
    return None


def _column_format(column: str, arrow_type: Any, values: Sequence[Any]) -> str | None:
    """The number format of a column, from its Arrow type and its name."""
    import pyarrow.types as pat

    if pat.is_boolean(arrow_type) or not (pat.is_integer(arrow_type) or pat.is_floating(arrow_type)
                                          or pat.is_decimal(arrow_type)):
        return None
    if column.lower().endswith("_id"):
        return "0"
    unit = _name_unit(column)
    if unit in ("multiple", "percent"):
        return UNIT_FORMATS[unit]
    if pat.is_integer(arrow_type):
        return COUNT_FORMAT
    if unit == "count" and all(v is None or float(v).is_integer() for v in values):
        return COUNT_FORMAT
    return MONEY_FORMAT


def _column_values(column: Any) -> list[Any]:
    """A column's values as Python objects; a ``timestamptz`` as aware UTC datetimes (read as
    naive UTC first: pyarrow would import pandas to attach its time zone)."""
    import pyarrow as pa
    import pyarrow.types as pat

    if pat.is_timestamp(column.type) and column.type.tz is not None:
        naive = column.cast(pa.timestamp(column.type.unit)).to_pylist()
        return [None if v is None else v.replace(tzinfo=UTC) for v in naive]
    return column.to_pylist()


def _metric_unit(metric: Any, is_ratio: Any) -> str:
    return METRIC_UNITS.get(str(metric), "percent" if is_ratio else "count")


def _write_table(ws: "Worksheet", sheet: _Sheet, labels: _Labels, tz: ZoneInfo) -> None:
    """One tidy sheet: a bold, frozen, filterable header row, then the rows as typed cells."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    import pyarrow.types as pat

    columns = sheet.columns
    arrow_types = []
    for i in range(len(columns)):
        types = [part.schema.field(i).type for part in sheet.parts]
        arrow_types.append(next((t for t in types if not pat.is_null(t)), types[0]))
    values = [[_plain(v, tz) for part in sheet.parts for v in _column_values(part.column(i))]
              for i in range(len(columns))]
    formats = [_column_format(c, t, v) for c, t, v in zip(columns, arrow_types, values)]
    # the headline's value columns are money, counts, rates or multiples depending on the metric
    per_metric = "metric" in columns and "is_ratio" in columns
    metric_col, ratio_col = (columns.index("metric"), columns.index("is_ratio")) if per_metric else (0, 0)

    headers = []
    for column, arrow_type in zip(columns, arrow_types):
        header = labels.column(sheet.table, column)
        if pat.is_timestamp(arrow_type) and arrow_type.tz is not None:
            header = f"{header} ({tz.key})"
        headers.append(header)
    seen: dict[str, int] = {}
    for i, header in enumerate(headers):  # two columns with one label: name them apart
        seen[header] = seen.get(header, 0) + 1
    headers = [f"{h} ({c})" if seen[h] > 1 and h != c else h for h, c in zip(headers, columns)]

    bold = Font(bold=True)
    widths = [[_text_width(h)] for h in headers]
    for col, header in enumerate(headers, start=1):
        cell = ws.cell(row=1, column=col)
        _set_text(cell, header)
        cell.font = bold
    n_rows = len(values[0]) if values else 0
    for r in range(n_rows):
        unit = _metric_unit(values[metric_col][r], values[ratio_col][r]) if per_metric else None
        for c in range(len(columns)):
            value = values[c][r]
            number_format = formats[c]
            if unit is not None and (columns[c] == "value" or columns[c].startswith(("value_", "diff_"))):
                number_format = UNIT_FORMATS[unit]
            _write_value(ws.cell(row=r + 2, column=c + 1), value, number_format)
            widths[c].append(_shown_width(value, number_format))

    for c, column_widths in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(c)].width = _column_width(column_widths)
    ws.freeze_panes = "A2"
    if columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{n_rows + 1}"


# ----------------------------------------------------------------------------------------------
# the summary sheet
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _SummaryRow:
    metric: str
    label: str
    unit: str
    is_ratio: bool
    value: float | None
    bases: tuple[float | None, ...]  # per comparison
    changes: tuple[float | None, ...]  # relative, points (percent ratios) or plain differences


def _number(value: Any) -> float | None:
    value = _plain(value, ZoneInfo("UTC"))
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _change(row: Mapping[str, Any], key: str, unit: str, is_ratio: bool, value: float | None,
            base: float | None) -> float | None:
    """The change shown for one comparison: the table's own column when recorded, else computed."""
    if not is_ratio:
        if f"change_{key}" in row:
            return _number(row[f"change_{key}"])
        return None if value is None or not base else value / base - 1
    diff = _number(row[f"diff_{key}"]) if f"diff_{key}" in row else (
        None if value is None or base is None else value - base)
    if diff is None:
        return None
    return diff * 100 if unit == "percent" else diff


def _summary_blocks(ctx: Any, loc: Locale, keys: Sequence[str],
                    headline_rows: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, list[_SummaryRow]]]:
    """(scope name, currency, rows) per scope: the report's scope first, then the others."""
    if not headline_rows:  # nothing recorded: the tiles' values, without bases
        rows = [_SummaryRow(t.metric, t.label, t.unit, t.is_ratio, t.number,
                            (None,) * len(keys), (None,) * len(keys)) for t in ctx.tiles]
        return [(ctx.scope_name, ctx.currency, rows)] if rows else []
    by_scope: dict[str, list[Mapping[str, Any]]] = {}
    for row in headline_rows:
        scope = str(row.get("scope_id") or ctx.scope_id)
        if not any(r["metric"] == row["metric"] for r in by_scope.get(scope, [])):
            by_scope.setdefault(scope, []).append(row)
    order = sorted(by_scope, key=lambda s: s != ctx.scope_id)  # stable: the others as read
    blocks = []
    for scope in order:
        rows = sorted(by_scope[scope], key=lambda r: (r.get("metric_order") is None,
                                                       r.get("metric_order") or 0))
        summary_rows = []
        for row in rows:
            metric, is_ratio = str(row["metric"]), bool(row.get("is_ratio"))
            unit = _metric_unit(metric, is_ratio)
            value = _number(row.get("value"))
            bases = tuple(_number(row.get(f"value_{key}")) for key in keys)
            changes = tuple(_change(row, key, unit, is_ratio, value, base) for key, base in zip(keys, bases))
            summary_rows.append(_SummaryRow(metric, loc.labels.get(f"metric.{metric}", metric), unit,
                                            is_ratio, value, bases, changes))
        first = rows[0]
        name = ctx.scope_name if scope == ctx.scope_id else str(first.get("scope_name") or scope)
        blocks.append((name, str(first.get("currency") or ctx.currency), summary_rows))
    return blocks


def _change_format(row: _SummaryRow, loc: Locale) -> str:
    if not row.is_ratio:
        return RELATIVE_CHANGE_FORMAT
    if row.unit == "percent":
        pp = loc.fmt["percentage_points"].replace("{number}", "")  # "个百分点" / "pp"
        return f'+0.00"{pp}";-0.00"{pp}";0.00"{pp}"'
    return SIGNED_MULTIPLE_FORMAT


def _write_summary(ws: "Worksheet", ctx: Any, loc: Locale, words: Mapping[str, str], period: str,
                   comparisons: Sequence[tuple[str, str, str]],
                   headline_rows: Sequence[Mapping[str, Any]]) -> None:
    """The old pivot report: title, then per scope a block of metric × (value, base, change)."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    bold, title_font = Font(bold=True), Font(bold=True, size=14)
    header_fill = PatternFill("solid", fgColor="F2F2F2")
    center = Alignment(horizontal="center", vertical="center")

    _set_text(ws.cell(row=1, column=1), ctx.title)
    ws.cell(row=1, column=1).font = title_font
    _set_text(ws.cell(row=2, column=1), ctx.subtitle)
    row = 3
    if ctx.partial_text:
        _set_text(ws.cell(row=3, column=1), ctx.partial_text)
        ws.cell(row=3, column=1).font = Font(bold=True, color="C00000")
        row = 4

    keys = [key for key, _, _ in comparisons]
    n_columns = 2 + 2 * len(comparisons)
    label_width = _text_width(loc.labels["targets.col.metric"])
    first_header = None
    blocks = _summary_blocks(ctx, loc, keys, headline_rows)
    if not blocks:
        _set_text(ws.cell(row=row + 1, column=1), loc.labels["no_data"])
    for scope_name, currency, rows in blocks:
        row += 1
        _set_text(ws.cell(row=row, column=1), f"{scope_name} · {currency}")
        ws.cell(row=row, column=1).font = bold
        top, sub = row + 1, row + 2
        first_header = first_header or sub
        for text, column in ((loc.labels["targets.col.metric"], 1), (f"{words['value']} {period}", 2)):
            _set_text(ws.cell(row=top, column=column), text)
            ws.merge_cells(start_row=top, start_column=column, end_row=sub, end_column=column)
        for i, (_, label, base_label) in enumerate(comparisons):
            column = 3 + 2 * i
            _set_text(ws.cell(row=top, column=column), f"{label} {base_label}")
            ws.merge_cells(start_row=top, start_column=column, end_row=top, end_column=column + 1)
            _set_text(ws.cell(row=sub, column=column), words["base"])
            _set_text(ws.cell(row=sub, column=column + 1), words["change"])
        for r in (top, sub):
            for c in range(1, n_columns + 1):
                cell = ws.cell(row=r, column=c)
                cell.font, cell.fill, cell.alignment = bold, header_fill, center
        row = sub
        for item in rows:
            row += 1
            _set_text(ws.cell(row=row, column=1), item.label)
            label_width = max(label_width, _text_width(item.label))
            value_format = UNIT_FORMATS[item.unit]
            _write_value(ws.cell(row=row, column=2), item.value, value_format)
            for i, (base, change) in enumerate(zip(item.bases, item.changes)):
                _write_value(ws.cell(row=row, column=3 + 2 * i), base, value_format)
                _write_value(ws.cell(row=row, column=4 + 2 * i), change, _change_format(item, loc))
        row += 1  # a blank row between blocks

    ws.column_dimensions["A"].width = _column_width([label_width])
    for c in range(2, n_columns + 1):
        ws.column_dimensions[get_column_letter(c)].width = 16
    if first_header:
        ws.freeze_panes = f"B{first_header + 1}"
