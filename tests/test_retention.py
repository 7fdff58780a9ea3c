"""Retention: raw landing files (and, when asked, archived reports) removed after the configured
days, listed first by a dry run, each removal recorded in the warehouse; nothing by default."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from flows.pipeline import ingest
from flows.retention import apply_retention, plan_retention
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

TODAY = dt.date.today()


def with_retention(settings, text: str):
    config = settings.config_path
    config.write_text(config.read_text(encoding="utf-8") + f"\n[retention]\n{text}\n", encoding="utf-8")
    return load_settings(config)


@pytest.fixture
def loaded(project, drop):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv", "ExportOrderList_2026-11-23.csv")
    ingest(project)
    return project


def landing_files(settings):
    return sorted(p for p in settings.landing_dir.rglob("*") if p.is_file())


def test_nothing_is_removed_without_configuration(loaded):
    assert len(landing_files(loaded)) == 2
    assert plan_retention(loaded, TODAY + dt.timedelta(days=10_000)) == []


def test_landing_files_go_after_the_configured_days_and_each_removal_is_recorded(loaded):
    settings = with_retention(loaded, "landing_days = 30")
    assert plan_retention(settings, TODAY + dt.timedelta(days=30)) == []  # loaded today: 30 days left
    files = landing_files(settings)
    removals = plan_retention(settings, TODAY + dt.timedelta(days=31))
    assert sorted(r.path for r in removals) == files and all(r.kind == "landing" for r in removals)
    assert sum(r.bytes for r in removals) == sum(p.stat().st_size for p in files)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        rows_before = con.execute("select count(*) from raw_orders").fetchone()[0]
        shas = {r[0] for r in con.execute("select sha256 from source_files").fetchall()}
    apply_retention(settings, removals)
    assert landing_files(settings) == []
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        assert con.execute("select count(*) from raw_orders").fetchone()[0] == rows_before  # the rows stay
        log = con.execute("select kind, path, bytes, sha256, reason from retention_log order by path").fetchall()
    assert [(k, p) for k, p, *_ in log] == [("landing", str(p)) for p in files]
    assert {s for *_, s, _ in log} == shas and all("before" in reason for *_, reason in log)


def test_reports_are_kept_forever_unless_archive_days_is_set(loaded, tmp_path):
    settings = with_retention(loaded, "landing_days = 365")
    old = settings.archive_dir / "daily" / "all" / "2020-01-01"
    old.mkdir(parents=True)
    (old / "manifest.json").write_text('{"files": {}}', encoding="utf-8")
    assert [r for r in plan_retention(settings) if r.kind == "report"] == []
    settings.config_path.write_text(settings.config_path.read_text(encoding="utf-8") + "archive_days = 1000\n",
                                    encoding="utf-8")
    settings = load_settings(settings.config_path)
    [removal] = [r for r in plan_retention(settings) if r.kind == "report"]
    assert removal.path == old
    apply_retention(settings, [removal])
    assert not old.exists() and (settings.archive_dir / "index.html").exists()


def test_the_command_lists_in_a_dry_run_and_removes_nothing(loaded):
    with_retention(loaded, "landing_days = 1")
    old = dt.datetime.now().timestamp() - 5 * 86400
    for path in landing_files(loaded):
        os.utime(path, (old, old))
    env = {**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    command = [sys.executable, "-m", "flows", "retention", "--config", str(loaded.config_path)]
    dry = subprocess.run([*command, "--dry-run", "--today", str(TODAY + dt.timedelta(days=5))],
                         capture_output=True, text=True, env=env, check=True)
    assert dry.stdout.count("would remove landing") == 2 and "nothing was removed" in dry.stdout
    assert len(landing_files(loaded)) == 2
    done = subprocess.run([*command, "--today", str(TODAY + dt.timedelta(days=5))],
                          capture_output=True, text=True, env=env, check=True)
    assert "removed 2 item(s)" in done.stdout and landing_files(loaded) == []


def test_retention_days_must_be_whole_days(project):
    from flows.settings import ConfigError

    with pytest.raises(ConfigError, match="retention.landing_days"):
        with_retention(project, "landing_days = 0")
