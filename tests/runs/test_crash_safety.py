"""Crash safety and one run at a time, with real processes: ``python -m flows run daily`` is killed
(SIGKILL) while it ingests, while it builds, while it renders and while it sends (the
``crash_run`` fixture), then run once more. After every kill the warehouse, the files, the archive
and the send ledger are consistent; after the last run every export is loaded exactly once and
every report has gone out exactly once."""

from __future__ import annotations

import subprocess
import sys

import pytest
from runs_support import DEMO_END, cli, copy_project, sha256

from flows.runlock import RunInProgress, run_lock
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

SCOPES = ("tmall_flagship", "shopify_us")  # the crash run reports on these two
MODEL_TABLES = ("stg_orders", "fct_shop_daily", "rpt_daily_headline")


def assert_files_consistent(snap, originals):
    """Every export is in the inbox, or in landing and loaded once, with all its rows once."""
    loaded = [row for row in snap.source_files if row[1] == "loaded"]
    shas = [row[0] for row in loaded]
    assert len(shas) == len(set(shas)), "a file was loaded twice"
    for sha, _, entity, rows_loaded, raw_rows in loaded:
        assert raw_rows == rows_loaded, f"{originals[sha]}: {raw_rows} raw rows for {rows_loaded} loaded"
        assert sha in snap.landing, f"{originals[sha]} is loaded but its original bytes are not in landing"
        assert sha not in snap.inbox, f"{originals[sha]} is loaded but still in the inbox"
    assert set(shas) | set(snap.inbox) == set(originals), "an export was lost"
    assert snap.partial_files == [], "a half-written file was left behind"


@pytest.mark.slow
def test_killed_during_ingest_the_loaded_file_is_whole_and_the_others_wait_in_the_inbox(crash_run):
    snap = crash_run.after["ingest"]
    assert_files_consistent(snap, crash_run.originals)
    assert len(snap.source_files) == 1 and len(snap.inbox) == len(crash_run.originals) - 1
    assert not set(MODEL_TABLES) & snap.tables
    assert snap.ledger == [] and snap.mails == 0


@pytest.mark.slow
def test_killed_during_the_build_the_warehouse_is_as_it_was_before_the_build(crash_run):
    snap = crash_run.after["build"]
    assert_files_consistent(snap, crash_run.originals)
    assert snap.inbox == {}, "the ingest of that run had finished"
    assert not set(MODEL_TABLES) & snap.tables, "the half-done build was rolled back"
    assert snap.ledger == [] and snap.mails == 0


@pytest.mark.slow
def test_killed_while_rendering_nothing_is_archived_or_sent(crash_run):
    snap = crash_run.after["render"]
    assert_files_consistent(snap, crash_run.originals)
    assert set(MODEL_TABLES) <= snap.tables, "that run's build had committed"
    # every report's deliveries are claimed before the first render; none was attempted
    assert [(e.scope, e.status, e.attempts) for e in snap.ledger] == [
        ("tmall_flagship", "pending", 0), ("shopify_us", "pending", 0)]
    assert not [p for p in snap.archive if p.endswith(".pdf")] and snap.mails == 0


@pytest.mark.slow
def test_killed_while_sending_the_ledger_knows_what_went_out_and_what_is_in_doubt(crash_run):
    snap = crash_run.after["send:2"]
    sent, in_doubt = snap.ledger
    assert (sent.scope, sent.status, sent.attempts) == ("tmall_flagship", "sent", 1)
    assert (in_doubt.scope, in_doubt.status, in_doubt.attempts) == ("shopify_us", "sending", 1)
    assert snap.mails == 1 and crash_run.smtp.messages[0]["Message-ID"] == sent.message_id


@pytest.mark.slow
def test_a_killed_run_leaves_no_worker_process_behind(crash_run):
    """A worker process outlives a SIGKILLed run unless it watches for it (flows/workerpool.py);
    left behind, it would hold its memory for ever."""
    before, left = crash_run.processes["ingest"]
    assert len(before) >= 2, "the ingest was reading ahead in worker processes when it was killed"
    for point, (before, left) in crash_run.processes.items():
        assert left == [], f"killed at {point}: processes {left} of {before} still running"


@pytest.mark.slow
def test_the_next_run_finishes_the_job_with_no_double_send(crash_run, built_demo):
    snap = crash_run.final
    assert_files_consistent(snap, crash_run.originals)
    assert snap.inbox == {} and len(snap.source_files) == len(crash_run.originals)
    assert "Traceback" not in crash_run.logs["final"]
    # the ledger: each report once, sent; the in-doubt one was sent again under its Message-ID
    entries = {e.scope: e for e in snap.ledger}
    assert len(snap.ledger) == 2 and set(entries) == set(SCOPES)
    assert all(e.kind == "daily" and e.status == "sent" and not e.partial for e in snap.ledger)
    assert entries["shopify_us"].attempts == 2 and entries["tmall_flagship"].attempts == 1
    # the SMTP server: exactly one mail per report, no admin notice (killed runs send none)
    mails = crash_run.smtp.messages
    assert snap.mails == len(mails) == 2
    assert sorted(m["Message-ID"] for m in mails) == sorted(e.message_id for e in snap.ledger)
    assert crash_run.smtp.refused == []
    # the archive holds exactly what was sent
    for scope, entry in entries.items():
        pdfs = [p for p in snap.archive if p.startswith(f"daily/{scope}/{DEMO_END}/") and p.endswith(".pdf")]
        assert len(pdfs) == 1, pdfs
        assert sha256(crash_run.settings.archive_dir / pdfs[0]) == entry.content_sha256
    # and the numbers are those of a clean run over the same exports
    query = ("select shop_id, business_date, gmv, visitors, paying_buyers, refund_amount, ad_cost "
             "from fct_shop_daily order by all")
    with open_warehouse(crash_run.settings.warehouse_path, read_only=True) as con:
        recovered = con.execute(query).fetchall()
    with open_warehouse(built_demo / "warehouse" / "shopreport.duckdb", read_only=True) as con:
        clean = con.execute(query).fetchall()
    assert recovered == clean


@pytest.mark.slow
def test_a_second_run_while_one_is_going_stops_at_once_with_a_clear_message(crash_run):
    assert set(crash_run.second_runs) == {"run", "build"}
    for name, result in crash_run.second_runs.items():
        assert result.returncode == 75, (name, result.stderr)
        assert "another shopreport run is using this warehouse" in result.stderr
        assert f"process {crash_run.paused_pid}" in result.stderr and "not interrupted" in result.stderr
        assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.slow
def test_a_program_holding_the_warehouse_file_is_reported_cleanly(crash_run, tmp_path):
    config = copy_project(crash_run.settings.base_dir, tmp_path / "project")  # others read crash_run's files
    holder = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
                               "print('ready', flush=True); time.sleep(120)",
                               str(load_settings(config).warehouse_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        result = subprocess.run(cli(config, "build"), env=crash_run.env, capture_output=True,
                                text=True, timeout=120)
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 75, result.stderr
    assert f"the warehouse is in use by another process (process {holder.pid})" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_run_lock_is_reentrant_within_a_process_and_released_after(tmp_path):
    lock = tmp_path / "wh.duckdb.run-lock"
    with run_lock(lock, "outer"):
        with run_lock(lock, "inner"):  # the CLI holds it, then the flow takes it again
            assert "outer" in lock.read_text()
        probe = subprocess.run([sys.executable, "-c", "import sys; from flows.runlock import run_lock\n"
                                "with run_lock(sys.argv[1]): pass", str(lock)], capture_output=True, text=True)
        assert probe.returncode != 0 and RunInProgress.__name__ in probe.stderr
        assert "`outer`" in probe.stderr
    with run_lock(lock):  # released: free again
        pass
