"""How an incremental refresh reads and compares rows, on small hand-made tables.

- A key model's input written in ``cluster_by`` order is read from the smallest value of that
  column among the touched keys' rows on: every row of those keys, none skipped, and the scan
  skips the row groups before it. Only when the model declares ``recent_keys``.
- A date model's inputs are read on the days its partitions need, and the scan skips the row
  groups whose dates lie outside them.
- The changed rows of a model are the rows that differ as a multiset (a row that lost or gained
  a copy is changed), whether the model's rows are unique or not, paired by its unique key or
  not; a refresh rewrites only the partitions whose rows changed.

The whole-warehouse equality of incremental and full builds is in test_incremental.py.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from flows.warehouse.build import LAYERS, TRANSFORMS_DIR, Model, ModelError, load_models, run_checks
from flows.warehouse.refresh import IncrementalRefresh, Refresh, RefreshError, parse_refresh

ROWS = 300_000  # three of DuckDB's row groups (122,880 rows each)


def model(name: str, sql: str, refresh: Refresh | None = None, inputs: tuple[str, ...] = (),
          doc: dict | None = None) -> Model:
    return Model(name, "marts", sql, doc or {}, Path(f"{name}.sql"), refresh, (), inputs)


@pytest.fixture
def con(tmp_path) -> duckdb.DuckDBPyConnection:
    """``lines``: one row per key ``k`` in creation order, a second, older-looking snapshot
    for key 200,000 (created at the very start), written in ``created_at`` order like a
    clustered table."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(f"create table lines as select * from ("
                f"select i as k, i as v, timestamp '2026-01-01' + to_seconds(i) as created_at from range({ROWS}) t(i) "
                f"union all select 200000, -1, timestamp '2025-12-31') order by created_at")
    yield con
    con.close()


def refresher(con: duckdb.DuckDBPyConnection, recent_keys: bool) -> IncrementalRefresh:
    lines = model("lines", "select 1", Refresh(partition_by=("k",), by_key=True, cluster_by=("created_at",)))
    latest = model("latest", "select k, max(v) as v from lines group by k",
                   Refresh(partition_by=("k",), by_key=True, narrow_inputs=("lines",), recent_keys=recent_keys),
                   inputs=("lines",))
    return IncrementalRefresh(con, [lines, latest], 0, 0)


def narrowed_rows(con: duckdb.DuckDBPyConnection, keys: list[int],
                  recent_keys: bool = True) -> tuple[list[tuple], str, str]:
    """The rows the narrowed view of ``lines`` gives for ``keys`` when ``latest`` refreshes
    them, its SQL, and how many of the table's row groups its scan read ("1 / 3")."""
    con.execute("create or replace temp table parts as select unnest(?) as k", [keys])
    runner = refresher(con, recent_keys)
    recent = runner.models["latest"].refresh.recent_keys
    sql = runner._key_narrowed("lines", "parts", "t.k = parts.k", recent).format(table="lines")
    rows = sorted(con.execute(sql).fetchall())
    plan = json.loads(con.execute(f"explain (analyze, format json) {sql}").fetchall()[0][1])
    scans = [f"{node['row_groups_scanned']} / {node['total_row_groups_to_scan']}" for node in operators(plan["operator"])
             if str(node["extra_info"].get("Table", "")).endswith(".lines")]
    assert len(scans) <= 1, scans  # none: the plan skipped the scan (no touched key has rows)
    return rows, sql, scans[0] if scans else "not scanned"


def operators(nodes: list[dict]) -> Iterator[dict]:
    for node in nodes:
        yield node
        yield from operators(node.get("children", []))


def every_row_of(con: duckdb.DuckDBPyConnection, keys: list[int]) -> list[tuple]:
    return sorted(con.execute("select * from lines where list_contains(?, k)", [keys]).fetchall())


def test_recent_keys_are_read_from_the_row_groups_that_hold_them(con):
    keys = [ROWS - 5, ROWS - 1]
    rows, sql, scanned = narrowed_rows(con, keys)
    assert rows == every_row_of(con, keys) and len(rows) == 2
    assert "created_at >=" in sql
    assert scanned == "1 / 3"


def test_a_key_with_an_old_snapshot_brings_every_row_of_it(con):
    keys = [ROWS - 1, 200_000]  # 200,000's other snapshot is the table's first row
    rows, _, scanned = narrowed_rows(con, keys)
    assert rows == every_row_of(con, keys) and len(rows) == 3
    assert (200_000, -1) in [row[:2] for row in rows]
    assert scanned == "3 / 3"


def test_a_null_in_the_cluster_column_reads_every_row_group(con):
    con.execute("update lines set created_at = null where k = 299990")
    keys = [ROWS - 1, 299_990]
    rows, sql, _ = narrowed_rows(con, keys)
    assert rows == every_row_of(con, keys) and len(rows) == 2
    assert "created_at >=" not in sql


def test_keys_without_rows_give_no_rows(con):
    rows, sql, _ = narrowed_rows(con, [ROWS + 10])
    assert rows == [] and "created_at >=" not in sql


def test_a_model_without_recent_keys_reads_its_keys_rows_without_a_bound(con, monkeypatch):
    """A buyer's or a shop's rows span history: no search for a bound, every row of the keys."""
    keys = [ROWS - 5, ROWS - 1]
    statements = []
    runner = refresher(con, recent_keys=False)
    execute = runner.con.execute
    monkeypatch.setattr(runner, "con", type("Logged", (), {
        "execute": lambda _, sql, *args: statements.append(sql) or execute(sql, *args)})())
    con.execute("create or replace temp table parts as select unnest(?) as k", [keys])
    sql = runner._key_narrowed("lines", "parts", "t.k = parts.k", runner.models["latest"].refresh.recent_keys)
    assert statements == []  # not even the search
    rows, sql, _ = narrowed_rows(con, keys, recent_keys=False)
    assert rows == every_row_of(con, keys) and len(rows) == 2 and "created_at >=" not in sql


def test_two_models_reading_the_same_keys_of_an_input_search_it_once(con, monkeypatch):
    """``latest`` and ``first`` both read the changed keys of ``lines``: the keys are gathered
    once and the bound searched once, and each model still gets every row of those keys."""
    lines = model("lines", "select 1", Refresh(partition_by=("k",), by_key=True, cluster_by=("created_at",)))
    keyed = Refresh(partition_by=("k",), by_key=True, narrow_inputs=("lines",), recent_keys=True)
    readers = {"latest": "select k, max(v) as v from lines group by k",
               "first": "select k, min(v) as v from lines group by k"}
    models = [lines] + [model(name, sql, keyed, inputs=("lines",)) for name, sql in readers.items()]
    for name, sql in readers.items():
        con.execute(f"create table {name} as {sql}")
    con.execute("create temp table new_lines as select k, v + 1000 as v, created_at + interval 1 day as created_at "
                "from lines where k in (299995, 299999, 200000)")  # 200,000: a key with an old snapshot
    con.execute("insert into lines select * from new_lines")
    runner = IncrementalRefresh(con, models, 0, 0)
    runner.changes["lines"] = "new_lines"
    statements = []
    execute = con.execute
    monkeypatch.setattr(runner, "con", type("Logged", (), {
        "execute": lambda _, sql, *args: statements.append(sql) or execute(sql, *args)})())
    for name in readers:
        assert runner.refresh(runner.models[name]) == "3 partition(s)"
    assert len([sql for sql in statements if "min(t.created_at)" in sql]) == 1
    assert len([sql for sql in statements if sql.startswith("create or replace temp table _parts__")]) == 1
    for name, sql in readers.items():
        assert sorted(con.execute(f"select * from {name}").fetchall()) == sorted(con.execute(sql).fetchall())
    # key 200,000's first snapshot is the table's first row: the bound the two share reaches it
    assert con.execute("select v from first where k = 200000").fetchall() == [(-1,)]


def test_recent_keys_is_declared_beside_narrow_inputs():
    key = {"materialized": "incremental",
           "incremental": {"partition_by": ["shop_id", "order_id"], "narrow_inputs": ["stg_orders"]}}
    assert parse_refresh("m", key).recent_keys is False
    key["incremental"]["recent_keys"] = True
    assert parse_refresh("m", key).recent_keys is True
    del key["incremental"]["narrow_inputs"]
    with pytest.raises(RefreshError, match="m: recent_keys bounds the reads of narrow_inputs"):
        parse_refresh("m", key)


def date_narrowed(con: duckdb.DuckDBPyConnection, days: list[str], lookback: tuple[int, ...] = (0,),
                  paid_late: int = -1) -> tuple[list[tuple], str]:
    """The rows of ``lines`` (business dates: the day created, and the day paid, a day later,
    but for key ``paid_late``, paid on 30 March) that a day-partitioned model refreshing
    ``days`` reads, and how many row groups the scan read."""
    con.execute("create or replace table lines as select *, created_at::date as created_date, "
                "case when k = ? then date '2026-03-30' else created_at::date + 1 end as paid_date "
                "from lines order by created_at", [paid_late])
    lines = model("lines", "select 1")
    lines = Model(lines.name, lines.layer, lines.sql, lines.doc, lines.path, None,
                  (("created_date", "created_date"), ("paid_date", "paid_date")))
    daily = model("daily", "select 1", Refresh(partition_by=("business_date",), lookback_days=lookback),
                  inputs=("lines",))
    runner = IncrementalRefresh(con, [lines, daily], 0, 0)
    con.execute("create or replace temp table parts as select unnest(?)::date as business_date", [days])
    (name, view), = runner._date_narrowed_inputs(daily, "parts")
    sql = view.format(table="lines")
    plan = json.loads(con.execute(f"explain (analyze, format json) {sql}").fetchall()[0][1])
    scans = [f"{node['row_groups_scanned']} / {node['total_row_groups_to_scan']}" for node in operators(plan["operator"])
             if str(node["extra_info"].get("Table", "")).endswith(".lines")]
    return sorted(con.execute(sql).fetchall()), scans[0]


def test_a_date_model_reads_its_days_from_the_row_groups_that_hold_them(con):
    # 2026-01-05 and the day before: created on 4 January (k from 259,200: the last row group)
    # or paid then (created on the 3rd, from k 172,800: the second row group on); the first
    # group's rows were created by 2 January and paid by the 3rd
    rows, scanned = date_narrowed(con, ["2026-01-05"], lookback=(0, 1))
    expected = sorted(con.execute("select * from lines where created_date in ('2026-01-04', '2026-01-05') "
                                  "or paid_date in ('2026-01-04', '2026-01-05')").fetchall())
    assert rows == expected and len(rows) > 86_400
    assert scanned == "2 / 3"


def test_a_row_paid_long_after_it_was_created_is_read_on_its_paid_day(con):
    rows, scanned = date_narrowed(con, ["2026-03-30"], paid_late=1000)
    assert [row[0] for row in rows] == [1000]  # created on the first day, in the first row group
    assert scanned == "1 / 3"


@pytest.mark.parametrize("unique", [True, False])
def test_the_changed_rows_are_the_multiset_difference(con, unique):
    doc = {"checks": {"fail": [{"unique": ["k", "v"]}]}} if unique else {}
    runner = IncrementalRefresh(con, [model("m", "select 1", doc=doc)], 0, 0)
    con.execute("create table old as select * from (values (1, 'a', 1.0::double), (2, 'b', 2.0), (3, 'c', 3.0)) t(k, v, x)")
    con.execute("create table new as select * from (values (1, 'a', 1.0::double), (2, 'B', 2.0), (3, 'c', 3.0000000000001)) t(k, v, x)")
    changed = runner._diff("m", "old", "new")
    assert sorted(con.execute(f"select k, v from {changed}").fetchall()) == [(2, "B"), (2, "b")]
    if not unique:  # a row that lost one of its two copies changed
        con.execute("insert into old values (1, 'a', 1.0)")
        changed = runner._diff("m", "old", "new")
        assert sorted(con.execute(f"select k, v from {changed}").fetchall()) == [(1, "a"), (2, "B"), (2, "b")]


def test_changed_rows_paired_by_a_unique_key_are_those_of_the_multiset_difference(con):
    """A model with a unique key pairs old and new rows by it; on random rows that must give
    exactly the rows of a set difference both ways (computed here in Python), doubles to 12
    digits. A null in the key cannot be paired: its rows count as changed, never as unchanged."""
    import random

    rng = random.Random(8)
    old = {(shop, n): (rng.choice("abc"), rng.random() * 1000) for shop in ("s1", "s2") for n in range(400)}
    new = dict(old)
    for key in rng.sample(sorted(old), 60):
        del new[key]  # gone
    for key in rng.sample(sorted(new), 60):
        label, x = new[key]
        new[key] = (label, x * (1 + 1e-15)) if key[1] % 2 else (label.upper(), x)  # noise, or a change
    for n in range(400, 430):
        new[("s1", n)] = ("z", float(n))  # came
    for name, rows in (("old", old), ("new", new)):
        con.execute(f"create table {name} (shop varchar, n integer, label varchar, x double)")
        con.executemany(f"insert into {name} values (?, ?, ?, ?)", [(*k, *v) for k, v in rows.items()])
    doc = {"checks": {"fail": [{"unique": ["shop", "n"]}]}}
    runner = IncrementalRefresh(con, [model("m", "select 1", doc=doc)], 0, 0)
    changed = runner._diff("m", "old", "new")

    def rounded(rows: dict) -> set[tuple]:
        return {(*k, label, float(f"{x:.12g}")) for k, (label, x) in rows.items()}

    expected = (rounded(old) - rounded(new)) | (rounded(new) - rounded(old))
    got = [(shop, n, label, float(f"{x:.12g}")) for shop, n, label, x in con.execute(f"select * from {changed}").fetchall()]
    assert len(got) == len(set(got)) and set(got) == expected and len(expected) > 60 + 30

    con.execute("insert into old values (null, 1, 'a', 1.0)")
    con.execute("insert into new values (null, 1, 'a', 1.0)")
    changed = runner._diff("m", "old", "new")
    assert con.execute(f"select count(*) from {changed} where shop is null").fetchall()[0][0] == 2


def reader_and_totals(con: duckdb.DuckDBPyConnection) -> tuple[IncrementalRefresh, Model]:
    """``totals`` over ``items`` (keys 1-10), read by a model that is not keyed: a refresh of it
    must say which rows changed, so it compares them before it writes."""
    con.execute("create table items as select i as k, i as v, i / 7 as x from range(1, 11) t(i)")
    totals = model("totals", "select k, sum(v) as v, max(x) as x from items group by k",
                   Refresh(partition_by=("k",), by_key=True, narrow_inputs=("items",)), inputs=("items",),
                   doc={"checks": {"fail": [{"unique": ["k"]}]}})
    reader = model("reader", "select sum(v) from totals", inputs=("totals",))
    con.execute(f"create table totals as {totals.sql}")
    return IncrementalRefresh(con, [totals, reader], 0, 0), totals


def test_a_refresh_rewrites_only_the_keys_whose_rows_changed(con):
    runner, totals = reader_and_totals(con)
    before = {row[0]: row[1:] for row in con.execute("select k, rowid, x from totals").fetchall()}
    # key 7 re-listed as it was, key 8 changed, key 9 differs in a double's last digits
    con.execute("update items set v = v + 1 where k = 8")
    con.execute("update items set x = x * (1 + 1e-15) where k = 9")
    con.execute("create temp table touched as select * from items where k in (7, 8, 9)")
    runner.changes["items"] = "touched"
    assert runner.refresh(totals) == "3 partition(s)"
    after = {row[0]: row[1:] for row in con.execute("select k, rowid, x from totals").fetchall()}
    assert after[7] == before[7] and after[9] == before[9]  # left where they were, as they were
    assert after[8][0] != before[8][0]  # rewritten
    assert con.execute("select x from items where k = 9").fetchall()[0][0] != before[9][1]
    rounded = "select k, v, round(x, 12) from {}"
    assert sorted(con.execute(rounded.format("totals")).fetchall()) == \
        sorted(con.execute(rounded.format(f"({totals.sql})")).fetchall())
    assert sorted(con.execute(f"select k, v from {runner.changes['totals']}").fetchall()) == [(8, 8), (8, 9)]


def test_a_refresh_that_changes_nothing_writes_nothing(con):
    runner, totals = reader_and_totals(con)
    con.execute("create temp table touched as select * from items where k in (7, 8)")
    runner.changes["items"] = "touched"
    con.execute("create temp table before as select rowid as r, * from totals")
    assert runner.refresh(totals) == "2 partition(s)"
    assert runner.changes["totals"] == "nothing"
    for a, b in (("(select rowid as r, * from totals)", "before"), ("before", "(select rowid as r, * from totals)")):
        assert con.execute(f"select count(*) from (select * from {a} except all select * from {b})").fetchall()[0][0] == 0


@pytest.mark.parametrize("partition", ["buyer", "order_id"])
def test_a_copy_of_a_row_fails_the_unique_check(con, partition):
    """Paired by key, a copy would pair with the one stored row and look unchanged. Keyed by
    buyer, the check of order_id counts the table: the copy must be written there, as a full
    rebuild would have it. Keyed by order_id, the check counts the touched orders' new rows."""
    con.execute("create table orders_in as select i as order_id, i % 3 as buyer, i * 10 as v from range(9) t(i)")
    doc = {"checks": {"fail": [{"unique": ["order_id"]}]}}
    orders = model("orders", "select order_id, buyer, v from orders_in",
                   Refresh(partition_by=(partition,), by_key=True, narrow_inputs=("orders_in",)), inputs=("orders_in",),
                   doc=doc)
    con.execute(f"create table orders as {orders.sql}")
    runner = IncrementalRefresh(con, [orders, model("reader", "select sum(v) from orders", inputs=("orders",))], 0, 0)
    con.execute("insert into orders_in values (4, 1, 40)")  # order 4 of buyer 1, again
    con.execute("create temp table touched as select * from orders_in where order_id = 4")
    runner.changes["orders_in"] = "touched"
    runner.refresh(orders)
    if partition == "buyer":
        assert runner.changes["orders"] != "nothing"
        assert con.execute("select count(*) from orders where order_id = 4").fetchall()[0][0] == 2
    failing = {c.check: c.failing_rows for c in run_checks(con, orders, runner.new_rows["orders"])}
    assert failing["unique(order_id)"] == 1


SNAPSHOTS_SQL = ("select source_file_id, source_row, k, day, v, row_number() over w as seq, "
                 "lead(v) over w is null as is_latest, lag(v, 1, 0) over w as previous_v from exports "
                 "window w as (partition by k order by day, source_file_id, source_row)")


def snapshots_model(con: duckdb.DuckDBPyConnection) -> Model:
    """``snapshots``: a ``sequence`` model over ``exports`` (its files' rows, three files so far),
    built in full; the last file seen is 3."""
    con.execute("create table exports as select * from (values "
                "(1, 1, 10, date '2026-11-01', 5), (1, 2, 11, date '2026-11-01', 6), "
                "(2, 1, 10, date '2026-11-02', 7), (3, 1, 12, date '2026-11-03', 8)) "
                "t(source_file_id, source_row, k, day, v)")
    doc = {"grain": ["source_file_id", "source_row"],
           "checks": {"fail": [{"unique": ["k", "seq"]}, {"unique": ["source_file_id", "source_row"]}]}}
    refresh = parse_refresh("snapshots", {"materialized": "incremental", "incremental": {
        "partition_by": ["k"], "narrow_inputs": ["exports"], "sequence": "seq",
        "latest": "is_latest"}, **doc})
    snapshots = model("snapshots", SNAPSHOTS_SQL, refresh, inputs=("exports",), doc=doc)
    con.execute(f"create table snapshots as {SNAPSHOTS_SQL}")
    return snapshots


def refresh_with_new_file(con: duckdb.DuckDBPyConnection, snapshots: Model, rows: list[tuple]) -> str:
    con.executemany("insert into exports values (?, ?, ?, ?, ?)", rows)
    con.execute("create or replace temp table new_exports as select * from exports where source_file_id > 3")
    runner = IncrementalRefresh(con, [snapshots], 3, 1)
    runner.changes["exports"] = "new_exports"
    how = runner.refresh(snapshots)
    failing = [c for c in run_checks(con, snapshots, runner.new_rows["snapshots"],
                                     whole_partitions="snapshots" not in runner.appended) if not c.passed]
    assert failing == []
    return how


def test_a_sequence_model_appends_the_snapshots_of_new_files_and_leaves_the_rest(con):
    snapshots = snapshots_model(con)
    before = con.execute("select rowid, * exclude (is_latest) from snapshots order by rowid").fetchall()
    how = refresh_with_new_file(con, snapshots, [(4, 1, 10, "2026-11-04", 9), (4, 2, 13, "2026-11-04", 1)])
    assert how == "appended 2 row(s) to 2 key(s)"
    # the rows before stay where they were, with their values; key 10's last one lost is_latest
    assert con.execute("select rowid, * exclude (is_latest) from snapshots where source_file_id <= 3 "
                       "order by rowid").fetchall() == before
    assert sorted(con.execute("select * from snapshots").fetchall()) == sorted(con.execute(SNAPSHOTS_SQL).fetchall())
    assert con.execute("select source_file_id, seq, is_latest, previous_v from snapshots where k = 10 "
                       "order by seq").fetchall() == [(1, 1, False, 0), (2, 2, False, 5), (4, 3, True, 7)]


def test_an_export_of_an_earlier_day_loaded_late_numbers_its_keys_anew(con):
    """File 4 covers 1 November, before key 10's snapshot of file 2: key 10's rows are renumbered."""
    snapshots = snapshots_model(con)
    how = refresh_with_new_file(con, snapshots, [(4, 1, 10, "2026-10-31", 9), (4, 2, 13, "2026-11-04", 1)])
    assert how == "2 partition(s)"
    assert sorted(con.execute("select * from snapshots").fetchall()) == sorted(con.execute(SNAPSHOTS_SQL).fetchall())
    assert con.execute("select source_file_id, seq, is_latest, previous_v from snapshots where k = 10 "
                       "order by seq").fetchall() == [(4, 1, False, 0), (1, 2, False, 9), (2, 3, True, 5)]


def test_appended_rows_are_checked_unique_against_their_keys_older_rows(con):
    """Appended rows do not hold their keys whole: unique(k, seq) must look at the table too."""
    snapshots = snapshots_model(con)
    con.execute("create temp table appended as select 5 as source_file_id, 1 as source_row, 10 as k, "
                "date '2026-11-05' as day, 1 as v, 2 as seq, true as is_latest, 0 as previous_v")
    con.execute("insert into snapshots select * from appended")
    failing = {c.check: c.failing_rows for c in run_checks(con, snapshots, "appended", whole_partitions=False)}
    assert failing["unique(k, seq)"] == 1
    whole = {c.check: c.failing_rows for c in run_checks(con, snapshots, "appended")}
    assert whole["unique(k, seq)"] == 0  # what a refresh of whole partitions would rightly count


def test_a_sequence_is_one_column_of_a_key_model_whose_grain_names_its_file():
    doc = {"grain": ["source_file_id", "source_row"], "materialized": "incremental",
           "incremental": {"partition_by": ["k"], "narrow_inputs": ["exports"], "sequence": "seq"}}
    assert parse_refresh("m", doc).sequence == "seq"
    with pytest.raises(RefreshError, match="m: sequence appends the rows of new files"):
        parse_refresh("m", {**doc, "grain": ["k", "seq"]})
    with pytest.raises(RefreshError, match="m: sequence names one column of a key-partitioned model"):
        parse_refresh("m", {**doc, "incremental": {"partition_by": "day", "sequence": "seq"}})
    with pytest.raises(RefreshError, match="m: latest names the flag of a sequence model's last row per key"):
        parse_refresh("m", {**doc, "incremental": {"partition_by": ["k"], "latest": "is_latest"}})


def test_a_null_in_an_appended_key_is_a_value_to_the_unique_check(con):
    """As in the whole table's check (``group by``), two rows whose keys hold the same null are
    a repeat: the check among the appended keys must not match them with ``=`` then."""
    snapshots = snapshots_model(con)
    con.execute("insert into snapshots values (3, 2, null, date '2026-11-03', 1, 1, true, 0)")  # an older row
    con.execute("create temp table appended as select 5 as source_file_id, 1 as source_row, null::integer as k, "
                "date '2026-11-05' as day, 1 as v, 1 as seq, true as is_latest, 0 as previous_v")
    con.execute("insert into snapshots select * from appended")
    failing = {c.check: c.failing_rows for c in run_checks(con, snapshots, "appended", whole_partitions=False)}
    whole = {c.check: c.failing_rows for c in run_checks(con, snapshots)}
    assert failing["unique(k, seq)"] == whole["unique(k, seq)"] == 1


CURRENT_SQL = "select k, v from snapshots where is_latest"


def current_model(touched_when: dict | None) -> Model:
    """``current``: each key's latest snapshot, a key model reading ``snapshots``."""
    spec = {"partition_by": ["k"], "narrow_inputs": ["snapshots"]}
    if touched_when is not None:
        spec["touched_when"] = touched_when
    refresh = parse_refresh("current", {"materialized": "incremental", "incremental": spec})
    return model("current", CURRENT_SQL, refresh, inputs=("snapshots",))


def refresh_current(con: duckdb.DuckDBPyConnection, touched_when: dict | None, rows: list[tuple]) -> tuple[str, str]:
    """A new file's rows through ``snapshots`` and then ``current``; how each was refreshed."""
    snapshots = snapshots_model(con)
    current = current_model(touched_when)
    con.execute(f"create table current as {CURRENT_SQL}")
    con.executemany("insert into exports values (?, ?, ?, ?, ?)", rows)
    con.execute("create or replace temp table new_exports as select * from exports where source_file_id > 3")
    runner = IncrementalRefresh(con, [snapshots, current], 3, 1)
    runner.changes["exports"] = "new_exports"
    return runner.refresh(snapshots), runner.refresh(current)


# file 4 re-lists key 10 as it was (7), changes key 11 (6 -> 8) and brings key 13
RELISTED = [(4, 1, 10, "2026-11-04", 7), (4, 2, 11, "2026-11-04", 8), (4, 3, 13, "2026-11-04", 1)]


@pytest.mark.parametrize("touched_when, touched", [(None, 3), ({"snapshots": "v <> previous_v"}, 2)])
def test_appended_rows_touch_only_the_keys_they_change_when_a_reader_says_so(con, touched_when, touched):
    """``current`` reads a key's latest snapshot: with ``touched_when``, the key re-listed as it
    was is not recomputed, and the table is what the model's SQL gives all the same."""
    how_snapshots, how_current = refresh_current(con, touched_when, RELISTED)
    assert how_snapshots == "appended 3 row(s) to 3 key(s)"
    assert how_current == f"{touched} partition(s)"
    assert sorted(con.execute("select * from current").fetchall()) == sorted(con.execute(CURRENT_SQL).fetchall())
    assert sorted(con.execute("select * from current").fetchall()) == [(10, 7), (11, 8), (12, 8), (13, 1)]


def test_a_condition_that_leaves_out_a_change_is_not_what_the_table_holds(con):
    """What ``touched_when`` declares is the model's to get right: a condition that misses a
    change leaves the key's row as it was (which the comparison with a full build finds)."""
    refresh_current(con, {"snapshots": "v <> previous_v and k <> 11"}, RELISTED)
    assert con.execute("select v from current where k = 11").fetchall() == [(6,)]
    assert con.execute("select v from (" + CURRENT_SQL + ") where k = 11").fetchall() == [(8,)]


def test_rows_renumbered_rather_than_appended_touch_every_key_they_hold(con):
    """File 4 covers a day before key 10's other snapshots: ``snapshots`` rewrites its keys, and
    the condition on appended rows does not apply: key 10, which it leaves out, is recomputed."""
    rows = [(4, 1, 10, "2026-10-31", 7), (4, 2, 11, "2026-11-04", 6)]
    how_snapshots, how_current = refresh_current(con, {"snapshots": "k <> 10"}, rows)
    assert how_snapshots == "2 partition(s)"
    assert how_current == "2 partition(s)"
    assert sorted(con.execute("select * from current").fetchall()) == sorted(con.execute(CURRENT_SQL).fetchall())


def test_touched_when_names_a_narrow_input_and_a_condition():
    doc = {"materialized": "incremental", "incremental": {"partition_by": ["k"], "narrow_inputs": ["snapshots"]}}

    def parse(touched_when: object) -> Refresh:
        return parse_refresh("m", {**doc, "incremental": {**doc["incremental"], "touched_when": touched_when}})

    assert parse({"snapshots": " is_change "}).touched_when == (("snapshots", "is_change"),)
    with pytest.raises(RefreshError, match="m: touched_when names inputs of narrow_inputs; exports is not one"):
        parse({"exports": "is_change"})
    with pytest.raises(RefreshError, match="m: touched_when maps an input to a condition"):
        parse(["is_change"])
    with pytest.raises(RefreshError, match="m: touched_when maps an input to a condition"):
        parse({"snapshots": ""})


def test_touched_when_reads_a_sequence_model(tmp_path):
    """The condition narrows what a sequence model appends; on any other input it would never
    apply, so naming one is an error of the model's declaration, found as the models load."""
    for layer in LAYERS:
        (tmp_path / layer).mkdir()

    def write(layer: str, name: str, sql: str, doc: dict) -> None:
        (tmp_path / layer / f"{name}.sql").write_text(sql)
        (tmp_path / layer / f"{name}.yml").write_text(yaml.safe_dump({"description": name, **doc}))

    write(LAYERS[0], "lines", "select 1 as k, 1 as v", {})
    write(LAYERS[-1], "current", "select k, v from lines", {"materialized": "incremental", "incremental": {
        "partition_by": ["k"], "narrow_inputs": ["lines"], "touched_when": {"lines": "v > 0"}}})
    with pytest.raises(ModelError, match=r"current\.yml: touched_when narrows the rows a sequence model "
                                         r"appends; lines declares no sequence"):
        load_models(tmp_path)
    assert [m.name for m in load_models(TRANSFORMS_DIR) if m.refresh and m.refresh.touched_when] == [
        "int_refund_events", "fct_order_lines"]


def test_a_snapshot_is_a_change_when_any_column_of_the_line_differs():
    """``int_order_line_snapshots.is_change``, over hand-made exports of one line: a re-listing
    as it was (another file, another row) is no change; one that differs in any single column
    of the export is, whichever column it is (a column added to the model and left out of
    is_change fails here), and so is the first snapshot."""
    snapshots = next(m for m in load_models(TRANSFORMS_DIR) if m.name == "int_order_line_snapshots")
    cte = re.search(r"order_lines as \(\s*select(.*?)from stg_orders", snapshots.sql, re.S)[1]
    columns = [c.strip() for c in cte.split(",")]
    lineage = {"source_file_id", "source_row", "shop_id", "order_id", "line_id"}
    assert lineage < set(columns)
    con = duckdb.connect()
    con.execute(f"create table stg_orders ({', '.join(f'{c} varchar' for c in columns)})")
    con.execute("create table stg_source_files (source_file_id varchar, coverage_end date, is_loaded boolean)")
    first = {c: "x" for c in columns} | {"source_file_id": "1", "source_row": "1"}
    exports = [first, first | {"source_file_id": "2", "source_row": "7"}]  # re-listed as it was
    changed = [c for c in columns if c not in lineage]
    for n, column in enumerate(changed, start=3):  # file n changes one column, the next restores it
        exports += [first | {"source_file_id": str(2 * n), column: "y"}, first | {"source_file_id": str(2 * n + 1)}]
    for row in exports:
        con.execute(f"insert into stg_orders ({', '.join(columns)}) values ({', '.join('?' for _ in columns)})",
                    [row[c] for c in columns])
    con.execute("insert into stg_source_files select distinct source_file_id, "
                "date '2026-01-01' + source_file_id::integer, true from stg_orders")
    is_change = dict(con.execute(f"select source_file_id::integer, is_change from ({snapshots.sql})").fetchall())
    assert is_change.pop(1) and not is_change.pop(2)
    assert is_change == {f: True for n in range(3, 3 + len(changed)) for f in (2 * n, 2 * n + 1)}
