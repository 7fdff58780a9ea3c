"""The report workbook (flows/reports/xlsx.py), opened with openpyxl and checked against the
``rpt_*`` fixture tables it was built from.

The recorded tables are what a context builder really reads: :class:`Recorder` stands in for the
DuckDB connection, passes every query through and keeps the rows of each ``rpt_`` query as Arrow
(read on a second cursor, so the builder's own results are untouched).
"""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import duckdb
import openpyxl
import pyarrow as pa
import pytest

from flows.reports.context import build_daily_context
from flows.reports.recording import RecordingConnection
from flows.reports.weekly import build_weekly_context
from flows.reports.xlsx import RecordedTable, _sheet_name, daily_workbook, weekly_workbook

REPORT_DATE = date(2026, 11, 22)  # the fixture's report day (tests/conftest.py)
WEEK = date(2026, 11, 16)  # Monday of 2026-W47
INJECTIONS = ['=HYPERLINK("http://x","点我")', "+1", "-cmd", "@SUM(A1)", "\t=1+1", "\r=1+1"]


def daily(con, settings, scope="tmall_flagship", language="zh-CN"):
    recorder = RecordingConnection(con)  # what the pipeline records when it renders a report
    ctx = build_daily_context(recorder, settings, REPORT_DATE, scope, language)
    return ctx, [t for t in recorder.tables if t.is_report_table]


@pytest.fixture(scope="module")
def shop_report(rpt_warehouse, report_settings):
    """The Tmall shop's daily context (zh-CN) and the tables it read; built once (read only)."""
    with duckdb.connect(str(rpt_warehouse), read_only=True) as con:
        return daily(con, report_settings)


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def expected_sheets(tables):
    """(table, columns, rows) per sheet: same table and columns share one; repeats count once."""
    sheets: dict[tuple, list] = {}
    seen = set()
    for t in tables:
        key = (t.table, tuple(t.data.column_names))
        if (t.sql, t.params) not in seen:
            seen.add((t.sql, t.params))
            sheets.setdefault(key, []).extend(t.data.to_pylist())
    return [(table, columns, rows) for (table, columns), rows in sheets.items()]


def assert_cell_holds(cell, value, tz=ZoneInfo("UTC")):
    if value is None or (isinstance(value, float) and value != value):
        assert cell.value is None, cell.coordinate
    elif isinstance(value, bool):
        assert cell.data_type == "b" and cell.value is value, cell.coordinate
    elif isinstance(value, datetime):
        expected = value.astimezone(tz).replace(tzinfo=None) if value.tzinfo else value
        assert cell.is_date and cell.value == expected, cell.coordinate
    elif isinstance(value, date):
        assert cell.is_date and cell.number_format == "yyyy-mm-dd", cell.coordinate
        assert cell.value.date() == value, cell.coordinate
    elif isinstance(value, (int, float, Decimal)):
        assert cell.data_type == "n", cell.coordinate
        assert cell.value == pytest.approx(float(value), rel=1e-15, abs=0), cell.coordinate
    else:
        assert cell.data_type == "s" and cell.value == str(value), cell.coordinate


# ----------------------------------------------------------------------------------------------
# the daily workbook
# ----------------------------------------------------------------------------------------------

def test_one_sheet_per_recorded_table_after_the_summary(shop_report):
    ctx, tables = shop_report
    wb = load(daily_workbook(ctx, tables))
    sheets = expected_sheets(tables)
    assert wb.sheetnames[0] == "汇总"
    assert len(wb.sheetnames) == 1 + len(sheets)
    assert len(set(name.casefold() for name in wb.sheetnames)) == len(wb.sheetnames)
    # labels in the report's language: the section title, else the table name
    assert "流量来源" in wb.sheetnames and "热销商品" in wb.sheetnames
    assert "rpt_files_loaded" in wb.sheetnames and "rpt_files_loaded (2)" in wb.sheetnames
    for ws, (table, columns, rows) in zip(wb.worksheets[1:], sheets):
        assert ws.freeze_panes == "A2", ws.title
        assert ws.max_column == len(columns), ws.title
        assert all(ws.cell(row=1, column=c).font.b for c in range(1, len(columns) + 1)), ws.title
        assert ws.auto_filter.ref == f"A1:{ws.cell(row=1, column=len(columns)).column_letter}{len(rows) + 1}"
        assert all(6 <= dim.width <= 50 for dim in ws.column_dimensions.values()), ws.title
    top = wb["热销商品"]
    assert [c.value for c in top[1]] == ["scope_id", "product_rank", "product_name",  # no label: the name
                                         "支付金额", "件数", "支付买家数"]
    assert top["D2"].number_format == "#,##0.00" and top["E2"].number_format == "#,##0"
    assert wb["流量来源"]["F2"].number_format == "0.00%"  # conversion


def test_data_sheets_hold_the_rows_exactly_as_read(shop_report):
    ctx, tables = shop_report
    shanghai = ZoneInfo("Asia/Shanghai")
    wb = load(daily_workbook(ctx, tables, timezone="Asia/Shanghai"))
    checked_types = set()
    for ws, (table, columns, rows) in zip(wb.worksheets[1:], expected_sheets(tables)):
        assert ws.max_row == max(1, len(rows) + 1) or not rows, ws.title
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(columns, start=1):
                assert_cell_holds(ws.cell(row=r, column=c), row[column], shanghai)
                checked_types.add(type(row[column]).__name__)
    # the fixture covers every kind of value the report tables hold
    assert {"date", "datetime", "Decimal", "float", "int", "bool", "str", "NoneType"} <= checked_types
    # a timestamptz: the local time in the given zone, the zone in the header
    loads = wb["rpt_files_loaded"]
    assert loads["B1"].value.endswith("(Asia/Shanghai)")
    assert loads["B2"].value == datetime(2026, 11, 23, 6, 1)  # 22:01 UTC


def test_summary_numbers_equal_the_headline_table(shop_report, rpt_con):
    ctx, tables = shop_report
    ws = load(daily_workbook(ctx, tables))["汇总"]
    assert ws["A1"].value == "天猫旗舰店 日报"
    assert "2026年11月22日" in ws["A2"].value
    rows = {ws.cell(row=r, column=1).value: r for r in range(1, ws.max_row + 1)}
    headers = [ws.cell(row=rows["指标"], column=c).value for c in range(1, 9)]
    assert headers == ["指标", "数值 2026-11-22", "环比 2026-11-21", None, "上周同期 2026-11-15", None,
                       "同比 2025-11-23", None]
    assert [ws.cell(row=rows["指标"] + 1, column=c).value for c in range(3, 9)] == ["基期", "变化"] * 3
    assert ws.freeze_panes == f"B{rows['指标'] + 2}"

    headline = rpt_con.execute(
        "select metric, is_ratio, value, value_prev_day, value_last_week, value_last_year "
        "from rpt_daily_headline where scope_id = 'tmall_flagship' and business_date = ?",
        [REPORT_DATE]).fetchall()
    labels = {"gmv": "支付金额", "visitors": "访客数", "conversion": "支付转化率", "aov": "客单价",
              "paying_buyers": "支付买家数", "refund_amount": "成功退款金额", "net_sales": "净销售额",
              "ad_cost": "推广花费", "roas": "投入产出比"}
    assert len(headline) == len(labels)
    for metric, is_ratio, value, *bases in headline:
        r = rows[labels[metric]]
        assert ws.cell(row=r, column=2).value == pytest.approx(value, rel=1e-15)
        assert ws.cell(row=r, column=2).value == pytest.approx(ctx.tile(metric).number, rel=1e-15)
        for i, base in enumerate(bases):
            base_cell, change_cell = ws.cell(row=r, column=3 + 2 * i), ws.cell(row=r, column=4 + 2 * i)
            if base is None:
                assert base_cell.value is None and change_cell.value is None, (metric, i)
                continue
            assert base_cell.value == pytest.approx(base, rel=1e-15)
            if not is_ratio:
                expected = None if base == 0 else (value - base) / base
                assert change_cell.number_format.startswith("+0.0%")
            elif metric == "conversion":  # percentage points
                expected = (value - base) * 100
                assert '"个百分点"' in change_cell.number_format
            else:  # ROAS: a plain difference
                expected = value - base
            assert change_cell.value == pytest.approx(expected, rel=1e-9, abs=1e-12), (metric, i)
    gmv = rows["支付金额"]
    assert ws.cell(row=gmv, column=2).number_format == "#,##0.00"
    assert ws.cell(row=rows["访客数"], column=2).number_format == "#,##0"
    assert ws.cell(row=rows["支付转化率"], column=2).number_format == "0.00%"


def test_english_all_shops_summary(rpt_con, report_settings):
    ctx, tables = daily(rpt_con, report_settings, scope="all", language="en")
    wb = load(daily_workbook(ctx, tables))
    assert wb.sheetnames[0] == "Summary"
    assert "Traffic sources" in wb.sheetnames
    ws = wb["Summary"]
    assert ws["A1"].value == "Daily report: All shops"
    column_a = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    assert "All shops · CNY" in column_a
    gmv = column_a.index("GMV") + 1
    assert ws.cell(row=gmv, column=2).value == pytest.approx(1_240_345.00)
    assert ws.cell(row=gmv, column=4).value == pytest.approx(1_240_345.00 / 1_150_000.00 - 1)
    assert '"pp"' in ws.cell(row=column_a.index("Conversion") + 1, column=4).number_format


def test_without_recorded_tables_the_summary_shows_the_tiles(shop_report):
    ctx, _ = shop_report
    wb = load(daily_workbook(ctx, []))
    assert wb.sheetnames == ["汇总"]
    ws = wb["汇总"]
    values = {ws.cell(row=r, column=1).value: ws.cell(row=r, column=2).value for r in range(1, ws.max_row + 1)}
    assert values["支付金额"] == pytest.approx(123_456.78)
    assert values["访客数"] == 8_000


def test_the_same_report_gives_the_same_bytes(shop_report, monkeypatch):
    ctx, tables = shop_report
    first = daily_workbook(ctx, tables)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 3 * 86_400)  # zip entries take the clock
    assert daily_workbook(ctx, tables) == first
    props = load(first).properties
    assert props.created == props.modified == datetime(2026, 11, 22)
    assert {info.date_time for info in zipfile.ZipFile(io.BytesIO(first)).infolist()} == {(2026, 11, 22, 0, 0, 0)}


# ----------------------------------------------------------------------------------------------
# export texts and labels
# ----------------------------------------------------------------------------------------------

def test_formula_injection_is_stored_as_text(shop_report):
    ctx, tables = shop_report
    names = [*INJECTIONS, "#N/A", "普通商品", "bell\x07 inside"]
    products = RecordedTable(
        table="rpt_daily_top_products", sql="select product_name, gmv, quantity from …", params=(),
        data=pa.table({"product_name": names,
                       "gmv": pa.array([Decimal("-3.50")] * len(names), pa.decimal128(18, 2)),
                       "quantity": pa.array([-2] * len(names), pa.int64())}))
    data = daily_workbook(ctx, [*tables, products])
    wb = load(data)
    ws = wb[wb.sheetnames[-1]]
    assert [c.value for c in ws[1]] == ["product_name", "支付金额", "件数"]
    for r, name in enumerate(names, start=2):
        cell = ws.cell(row=r, column=1)
        assert cell.data_type == "s"
        assert cell.value == name.replace("\x07", "").replace("\r", "\n")  # XML keeps no bare CR
        assert cell.quotePrefix == (name in INJECTIONS), name
        # negative numbers stay numbers
        assert (ws.cell(row=r, column=2).data_type, ws.cell(row=r, column=2).value) == ("n", -3.5)
        assert (ws.cell(row=r, column=3).data_type, ws.cell(row=r, column=3).value) == ("n", -2)
    assert all(cell.data_type != "f" for sheet in wb.worksheets for row in sheet.iter_rows() for cell in row)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = [archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert not any("<f>" in text or "<f " in text for text in xml)


def test_sheet_and_column_labels_from_the_model_docs(shop_report, tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "rpt_daily_top_products.yml").write_text(
        'description: top products\n'
        'label: {zh-CN: "商品/明细: [前十]*?\\\\ 一个很长很长很长很长很长很长的名字", en: Top}\n'
        'columns:\n  product_name:\n    label: {zh-CN: "商品名称", en: "Product"}\n', encoding="utf-8")
    ctx, tables = shop_report
    wb = load(daily_workbook(ctx, tables, transforms_dir=tmp_path))
    name = next(n for n in wb.sheetnames if n.startswith("商品"))
    assert len(name) <= 31 and not set("[]:*?/\\") & set(name)
    assert wb[name]["C1"].value == "商品名称"


def test_sheet_names_are_cut_and_made_unique():
    taken = {"汇总"}
    assert _sheet_name("汇总", 1, taken) == "汇总 (2)"
    long = "x" * 40
    first = _sheet_name(long, 1, taken)
    taken.add(first.casefold())
    assert first == "x" * 31
    assert _sheet_name(long, 1, taken) == "x" * 27 + " (2)"
    assert _sheet_name("'a:b'", 1, set()) == "a_b"


# ----------------------------------------------------------------------------------------------
# the weekly workbook
# ----------------------------------------------------------------------------------------------

@pytest.fixture
def weekly_con(tmp_path):
    """GMV ¥700,000 against ¥560,000 the week before and ¥800,000 in 2025-W47; conversion 3.0 %
    against 2.5 % and no value last year; the trend; one product with a formula-like title."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("""
        create table rpt_weekly_headline (
            week_start date, iso_week varchar, scope_id varchar, scope_name varchar,
            currency varchar, metric varchar, metric_order integer, is_ratio boolean,
            higher_is_better boolean, value double, value_prev_week double, value_last_year double,
            change_prev_week double, change_last_year double, diff_prev_week double,
            diff_last_year double)""")
    con.executemany("insert into rpt_weekly_headline values (?, '2026-W47', 'tmall_flagship', '天猫旗舰店', "
                    "'CNY', ?, ?, ?, true, ?, ?, ?, ?, ?, ?, ?)", [
                        (WEEK, "gmv", 1, False, 700_000, 560_000, 800_000, 0.25, -0.125, 140_000, -100_000),
                        (WEEK, "visitors", 2, False, 20_000, 18_000, 25_000, 20_000 / 18_000 - 1, -0.2,
                         2_000, -5_000),
                        (WEEK, "conversion", 3, True, 0.03, 0.025, None, 0.2, None, 0.005, None),
                    ])
    con.execute("create table rpt_weekly_trend (week_start date, iso_week varchar, scope_id varchar, "
                "currency varchar, days_with_data integer, gmv double, net_sales double, "
                "refund_amount double, ad_cost double, visitors double, paying_buyers double)")
    con.execute("insert into rpt_weekly_trend values (?, '2026-W47', 'tmall_flagship', 'CNY', 7, "
                "700000, 650000, 50000, 80000, 20000, 600)", [WEEK])
    con.execute("create table rpt_weekly_products (week_start date, scope_id varchar, product_name varchar, "
                "sales_rank integer, refund_rank integer, gmv decimal(18,2), quantity bigint, "
                "paying_buyers bigint, refund_amount decimal(18,2), refund_lines bigint, refund_rate double)")
    con.execute("insert into rpt_weekly_products values (?, 'tmall_flagship', ?, 1, 1, 12345.60, 30, 28, "
                "100.00, 1, 0.0081)", [WEEK, INJECTIONS[0]])
    yield con
    con.close()


@pytest.mark.parametrize("language, summary", [("zh-CN", "汇总"), ("en", "Summary")])
def test_weekly_workbook(weekly_con, report_settings, language, summary):
    recorder = RecordingConnection(weekly_con)
    ctx = build_weekly_context(recorder, report_settings, WEEK, "tmall_flagship", language)
    tables = [t for t in recorder.tables if t.is_report_table]
    wb = load(weekly_workbook(ctx, tables))
    sheets = expected_sheets(tables)
    assert wb.sheetnames[0] == summary
    assert len(wb.sheetnames) == 1 + len(sheets)
    for ws, (table, columns, rows) in zip(wb.worksheets[1:], sheets):
        assert ws.freeze_panes == "A2"
        for r, row in enumerate(rows, start=2):
            for c, column in enumerate(columns, start=1):
                assert_cell_holds(ws.cell(row=r, column=c), row[column])
    # top products and refund products read the same table with other columns: two sheets
    assert sum(table == "rpt_weekly_products" for table, _, _ in sheets) == 2

    ws = wb[summary]
    column_a = [ws.cell(row=r, column=1).value for r in range(1, ws.max_row + 1)]
    header = column_a.index("指标" if language == "zh-CN" else "Metric") + 1
    assert ws.cell(row=header, column=2).value.endswith("2026-W47")
    assert ws.cell(row=header, column=3).value.endswith("2026-W46")
    assert ws.cell(row=header, column=5).value.endswith("2025-W47")
    assert ws.max_column == 6  # metric, value, two comparisons × (base, change)
    gmv = column_a.index("支付金额" if language == "zh-CN" else "GMV") + 1
    assert [ws.cell(row=gmv, column=c).value for c in range(2, 7)] == pytest.approx(
        [700_000, 560_000, 700_000 / 560_000 - 1, 800_000, 700_000 / 800_000 - 1])
    conversion = column_a.index("支付转化率" if language == "zh-CN" else "Conversion") + 1
    assert ws.cell(row=conversion, column=4).value == pytest.approx((0.03 - 0.025) * 100)
    assert ws.cell(row=conversion, column=5).value is None


def test_tz_aware_timestamps_default_to_utc(shop_report):
    ctx, _ = shop_report
    stamp = datetime(2026, 11, 22, 22, 1, tzinfo=timezone.utc)
    table = RecordedTable("rpt_files_loaded", "select loaded_at from rpt_files_loaded", (),
                          pa.table({"loaded_at": pa.array([stamp], pa.timestamp("us", tz="UTC"))}))
    ws = load(daily_workbook(ctx, [table])).worksheets[1]
    assert ws["A1"].value.endswith("(UTC)")
    assert ws["A2"].value == datetime(2026, 11, 22, 22, 1)
