"""The Parquet lake without Prefect: extract is idempotent and leaves the warehouse alone; the
single writer loads each export once, the same rows a direct ingest gives."""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb

from flows import pipeline
from flows.lake import extract_to_lake, lake_partitions, load_lake
from flows.settings import load_settings

TMALL = ["ExportOrderList_2026-11-22.csv", "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv",
         "计划报表_20261123_073000.csv"]


def test_extract_writes_hive_partitions_and_never_opens_the_warehouse(project, drop, tmp_path):
    drop(project, "tmall_flagship", *TMALL)
    lake = tmp_path / "lake"
    written = extract_to_lake(project, "tmall_flagship", lake)
    assert not project.warehouse_path.exists()
    assert list((project.inbox_dir / "tmall_flagship").iterdir()) == []  # in the lake and in landing
    assert len(list(project.landing_dir.rglob("*.csv"))) == 3
    assert all(p.exists() and p.suffix == ".parquet" for p in written)
    assert not list(lake.rglob("*.partial"))
    for entity in ("orders", "traffic", "ad_spend"):
        parts = lake_partitions(lake, entity)
        assert parts and {shop for shop, _ in parts} == {"tmall_flagship"}, entity
    assert ("tmall_flagship", dt.date(2026, 11, 22)) in lake_partitions(lake, "traffic")
    days = duckdb.sql(f"select distinct business_date from read_parquet('{lake}/traffic/**/*.parquet', "
                      f"hive_partitioning = true) order by 1").fetchall()
    assert days == [(dt.date(2026, 11, 21),), (dt.date(2026, 11, 22),)]


def test_a_second_extract_of_the_same_bytes_writes_nothing(project, drop, tmp_path):
    lake = tmp_path / "lake"
    drop(project, "tmall_flagship", TMALL[0])
    first = extract_to_lake(project, "tmall_flagship", lake)
    before = sorted(p for p in lake.rglob("*") if p.is_file())
    drop(project, "tmall_flagship", TMALL[0])
    assert extract_to_lake(project, "tmall_flagship", lake) == []
    assert sorted(p for p in lake.rglob("*") if p.is_file()) == before and first
    assert list((project.inbox_dir / "tmall_flagship").iterdir()) == []


def test_load_lake_equals_a_direct_ingest_and_loads_each_export_once(project, drop, tmp_path,
                                                                    tmp_path_factory, monkeypatch):
    direct_root = tmp_path_factory.mktemp("direct")  # the same project, ingested directly
    shutil.copytree(project.base_dir, direct_root, dirs_exist_ok=True)
    direct = load_settings(direct_root / "shopreport.toml")
    for settings in (project, direct):
        drop(settings, "tmall_flagship", *TMALL, "unknown_export.csv")
        drop(settings, "shopify_us", "orders_export_2026-11-22.csv", "sessions_over_time_2026-11-22.csv")
    monkeypatch.setenv("SHOPREPORT_SALT", "same-salt-for-both")  # buyer keys hash alike in both
    lake = tmp_path / "lake"
    for shop in ("shopify_us", "tmall_flagship"):  # the order of the extracts does not matter
        extract_to_lake(project, shop, lake)
    first = load_lake(project, lake)
    again = load_lake(project, lake)
    pipeline.ingest(direct)
    assert [e.status for e in first.exports].count("loaded") == 5
    assert [e.status for e in first.exports].count("unrecognised") == 1
    assert again.exports == [] and again.already_loaded == 6
    assert (project.inbox_dir / "tmall_flagship" / "_rejected" / "unknown_export.csv").exists()
    with duckdb.connect(str(project.warehouse_path), read_only=True) as con:
        con.execute(f"attach '{direct.warehouse_path}' as direct (read_only)")
        for table, columns in (("raw_orders", "*"), ("raw_traffic", "*"), ("raw_ad_spend", "*"),
                               ("rejects", "*"),
                               ("source_files", "* exclude (run_id, landing_path, loaded_at)")):
            ours = con.execute(f"select {columns} from {table} order by all").fetchall()
            theirs = con.execute(f"select {columns} from direct.{table} order by all").fetchall()
            assert ours == theirs, table
        assert con.execute("select count(*) from raw_orders").fetchone()[0] > 0
        events = con.execute("select count(*) from ingest_events where level = 'error'").fetchone()[0]
        assert events == 1  # the unrecognised file, as the direct ingest says too


def test_a_file_a_direct_ingest_loaded_is_not_loaded_again_from_the_lake(project, drop, tmp_path, monkeypatch):
    monkeypatch.setenv("SHOPREPORT_SALT", "s")
    lake = tmp_path / "lake"
    drop(project, "tmall_flagship", TMALL[0])
    extract_to_lake(project, "tmall_flagship", lake)
    drop(project, "tmall_flagship", TMALL[0])
    pipeline.ingest(project)
    report = load_lake(project, lake)
    assert [e.status for e in report.exports] == ["duplicate"]
    with duckdb.connect(str(project.warehouse_path), read_only=True) as con:
        assert con.execute("select count(*) from source_files").fetchone()[0] == 1
