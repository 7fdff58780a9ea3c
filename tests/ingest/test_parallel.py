"""Reading ahead in worker processes, and reading early while a command waits for Prefect's
temporary server (flows/ingest/parallel.py), loads what a serial run loads.

Copies of one inbox (good exports of five platforms, a duplicate, files that are refused or
unrecognised, cells that are rejected) are ingested through ``pipeline.ingest``: one with
``[ingest] workers = 1``, the others with 2 worker processes or after ``read_early``. Every table
the ingest writes, every outcome and what was left in the inbox must be the same, and the workers
(or the early reading) must have read the files.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import itertools
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from flows import pipeline
from flows.faults import EXIT_ENV
from flows.ingest.parallel import MIN_FILES, read_early
from flows.ingest.profiles import CANONICAL
from flows.warehouse.db import open_warehouse
from tests.ingest.conftest import BAD_INPUTS, EXPORTS, write_project

INBOX = {  # shop → files (from tests/fixtures/exports unless under bad_inputs/)
    "tmall_flagship": ["ExportOrderList_2026-11-22.csv", "ExportOrderList_2026-11-23.csv",
                       "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv", "计划报表_20261123_073000.csv",
                       "【生意参谋平台】商品_全部_2026-11-22_2026-11-22.xls",
                       "bad_inputs/unknown_status_ExportOrderList_2026-11-22.csv",
                       "bad_inputs/amounts_negative_nan_huge_ExportOrderList_2026-11-22.csv",
                       "bad_inputs/binary_garbage.csv", "unknown_export.csv",
                       "orders_export_2026-11-22.csv"],  # a Shopify export in a Tmall shop's folder
    "shopify_us": ["orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
                   "sessions_over_time_2026-11-22.csv", "Meta-Ads-Campaigns-2026-11-22.csv",
                   "bad_inputs/shopify_missing_paid_at.csv"],
    "jd_pop": ["jd_orders_2026-11-22.csv", "京准通_SKU_2026-11-22.csv"],
    "pdd_shop": ["pdd_orders_2026-11-22.csv"],
    "douyin_shop": ["douyin_orders_2026-11-22.csv", "千川_计划_2026-11-22.csv"],
}
TABLES = {  # table → its order (the ingest's own columns that differ between runs are left out)
    "source_files": "source_file_id",
    **{f"raw_{entity}": "source_file_id, source_row" for entity in CANONICAL},
    "rejects": "source_file_id, source_row, column_name",
}
VARYING = {"run_id", "loaded_at", "landing_path", "event_at"}


def fill_inbox(settings) -> int:
    count = 0
    for shop, names in INBOX.items():
        for name in names:
            source = BAD_INPUTS / name.split("/", 1)[1] if name.startswith("bad_inputs/") else EXPORTS / name
            shutil.copyfile(source, settings.inbox_dir / shop / source.name)
            count += 1
    # the same bytes again under another name: loaded once, the copy is a duplicate
    shutil.copyfile(EXPORTS / "jd_orders_2026-11-22.csv", settings.inbox_dir / "jd_pop" / "jd_orders (1).csv")
    return count + 1


def without_load_time(message: str) -> str:
    """A duplicate's message names when the first copy loaded (to the minute): the two runs
    compared here load at different times."""
    return re.sub(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}\)", "<loaded at>)", message)


def snapshot(settings, report) -> dict:
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        tables = {}
        for table, order in TABLES.items():
            frame = con.execute(f"select * from {table} order by {order}").df()
            tables[table] = frame.drop(columns=[c for c in frame.columns if c in VARYING])
        events = con.execute("select shop_id, file_name, level, message from ingest_events "
                             "order by shop_id, file_name, message").df()
    events["message"] = events["message"].map(without_load_time)
    outcomes = [(o.path.name, o.shop_id, o.status, without_load_time(o.message), o.profile, o.source_file_id,
                 o.rows_read, o.rows_loaded, o.rows_rejected) for o in report.outcomes]
    left = sorted(str(p.relative_to(settings.inbox_dir)) for p in settings.inbox_dir.rglob("*") if p.is_file())
    reasons = {str(p.relative_to(settings.inbox_dir)): p.read_text(encoding="utf-8")
               for p in settings.inbox_dir.rglob("*.reason.txt")}
    return {"tables": tables, "events": events, "outcomes": outcomes, "left": left, "reasons": reasons}


SALT = "one salt for both warehouses"  # buyer keys comparable


def ingest(root: Path, workers: int, early: int = 0, early_salt: str = SALT):
    """``early``: how many files ``read_early`` reads before the ingest (with ``early_salt``)."""
    settings = dataclasses.replace(write_project(root), ingest_workers=workers)
    files = fill_inbox(settings)
    assert files >= MIN_FILES, "enough files for the workers to start"
    with pytest.MonkeyPatch.context() as patch:
        if early:
            patch.setenv("SHOPREPORT_SALT", early_salt)
            steps = read_early(settings)
            assert len(list(itertools.islice(steps, early))) == early
            steps.close()
        patch.setenv("SHOPREPORT_SALT", SALT)
        report = pipeline.ingest(settings)
    return settings, report, files


def assert_same(serial: dict, parallel: dict) -> None:
    for table, frame in serial["tables"].items():
        pd.testing.assert_frame_equal(parallel["tables"][table], frame, obj=table)
    pd.testing.assert_frame_equal(parallel["events"], serial["events"], obj="ingest_events")
    assert parallel["outcomes"] == serial["outcomes"]
    assert parallel["left"] == serial["left"]
    assert parallel["reasons"] == serial["reasons"]


@pytest.fixture(scope="module")
def serial(tmp_path_factory):
    settings, report, files = ingest(tmp_path_factory.mktemp("serial"), workers=1)
    assert report.read_ahead == 0
    return snapshot(settings, report), report, files


def test_workers_load_what_a_serial_run_loads(serial, tmp_path):
    expected, serial_report, files = serial
    statuses = {status: serial_report.count(status) for status in ("loaded", "duplicate", "refused", "unrecognised")}
    assert statuses["loaded"] >= 12 and statuses["duplicate"] == 1 and statuses["unrecognised"] >= 2
    assert statuses["refused"] >= 1 and sum(statuses.values()) == files
    assert len(expected["tables"]["rejects"]) > 0, "the fixture set has rejected cells"

    settings, report, _ = ingest(tmp_path, workers=2)
    assert_same(expected, snapshot(settings, report))
    # every file but the one the writer skips before reading (none here: all are small) was read ahead;
    # a duplicate is read by a worker too, but its result is not used
    read_here = files - report.count("duplicate")
    assert report.read_ahead == read_here, f"{report.read_ahead} of {read_here} files read by the workers"


def test_a_worker_that_dies_leaves_its_files_to_the_writer(serial, tmp_path, monkeypatch):
    expected, _, _ = serial
    monkeypatch.setenv(EXIT_ENV, "read_ahead")  # every worker ends at its first file
    settings, report, _ = ingest(tmp_path, workers=2)
    assert report.read_ahead == 0
    assert_same(expected, snapshot(settings, report))


def test_files_read_early_load_what_a_serial_run_loads(serial, tmp_path):
    expected, _, files = serial
    settings, report, _ = ingest(tmp_path, workers=1, early=files)
    assert_same(expected, snapshot(settings, report))
    # every file was read early; the duplicate's reading is not used (its bytes are known)
    assert (report.read_early, report.read_ahead) == (files - report.count("duplicate"), 0)


def test_the_files_not_read_early_are_read_by_the_workers(serial, tmp_path):
    expected, _, files = serial
    settings, report, _ = ingest(tmp_path, workers=2, early=4)  # the server answered after 4 files
    assert_same(expected, snapshot(settings, report))
    assert report.read_early == 4
    assert report.read_ahead == files - 4 - report.count("duplicate")


def test_files_read_early_with_another_salt_are_read_again(serial, tmp_path):
    expected, _, files = serial
    settings, report, _ = ingest(tmp_path, workers=1, early=files, early_salt="another salt")
    assert_same(expected, snapshot(settings, report))
    assert report.read_early == 0


def test_a_file_replaced_after_it_was_read_early_is_read_again(tmp_path, monkeypatch):
    """The reading of an inbox file that changed since (a download finished, a file saved again
    under the same name) is dropped: the ingest loads the bytes that are there now."""
    settings = write_project(tmp_path)
    inbox = settings.inbox_dir / "tmall_flagship"
    orders = inbox / "ExportOrderList_2026-11-22.csv"
    shutil.copyfile(EXPORTS / "ExportOrderList_2026-11-22.csv", orders)
    shutil.copyfile(EXPORTS / "计划报表_20261123_073000.csv", inbox / "计划报表_20261123_073000.csv")
    monkeypatch.setenv("SHOPREPORT_SALT", SALT)
    assert [p.name for p in read_early(settings)] == ["ExportOrderList_2026-11-22.csv", "计划报表_20261123_073000.csv"]
    replacement = (EXPORTS / "ExportOrderList_2026-11-23.csv").read_bytes()
    orders.write_bytes(replacement)

    report = pipeline.ingest(settings)
    assert report.read_early == 1  # the ad report's reading only
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        sha, rows_read, rows_loaded = con.execute(
            "select sha256, rows_read, rows_loaded from source_files "
            "where file_name = 'ExportOrderList_2026-11-22.csv'").fetchone()
        orders = {order for (order,) in con.execute("select distinct order_id from raw_orders").fetchall()}
    assert sha == hashlib.sha256(replacement).hexdigest()
    rows = [row for row in csv.reader(replacement.decode("gb18030").splitlines()[1:]) if any(row)]
    assert rows_read == len(rows) and rows_loaded == len(orders) == len(rows) - 1  # one amount is rejected
    assert orders <= {row[0].strip('="') for row in rows}


def test_reading_early_waits_for_the_first_ingest(tmp_path, monkeypatch):
    """Before the first ingest there is no salt for buyer ids; reading early makes none."""
    settings = write_project(tmp_path)
    shutil.copyfile(EXPORTS / "ExportOrderList_2026-11-22.csv", settings.inbox_dir / "tmall_flagship" / "a.csv")
    monkeypatch.delenv("SHOPREPORT_SALT", raising=False)
    assert list(read_early(settings)) == []
    assert not (settings.warehouse_path.parent / ".buyer_salt").exists()
