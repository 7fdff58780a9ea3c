"""How each model is refreshed in an incremental build, and which rows changed.

A model's ``.yml`` says how it can be refreshed (see docs/architecture.md, "Incremental builds")::

    materialized: incremental
    incremental:
      partition_by: business_date     # one date column: one partition per day
      grain: day                      # day | week (partition values are Mondays) | day_and_week
      lookback_days: [0, 1, 7, 364]   # row D reads input dates D - k; ranges as "0..29"

    materialized: incremental
    incremental:
      partition_by: [shop_id, order_id, line_id]   # a list: key partitions; a key's rows read only
      narrow_inputs: [int_order_line_snapshots]     # input rows of the same key
      unaffected_by: [stg_source_files]              # inputs whose changes reach it another way
      cluster_by: created_at          # a full build writes the table in this order (see below)
      recent_keys: true               # a touched key's input rows are recent ones (see below)
      sequence: snapshot_seq          # new files' rows come after a key's others (see below)
      latest: is_latest               # the flag of a key's last row

    materialized: incremental
    incremental:
      partition_by: [shop_id, order_id, line_id]
      narrow_inputs: [int_order_line_snapshots]
      touched_when:                   # rows a sequence input appended touch a key only when one
        int_order_line_snapshots: is_change   # of them meets the condition (see below)

    materialized: incremental
    incremental:
      partition_by: source_file_id
      append: true                    # rows of new source files only; old files never change

    business_dates: [created_date, paid_date]        # the dates a row counts on (for downstream)

Models without ``materialized: incremental`` (``materialized: table``, the default) are rebuilt
whole when any of their inputs changed, and left alone when none did.

What changed is tracked as rows: when a model is refreshed, the runner keeps the rows that
differ between before and after (both versions) in a temporary table, and of the touched
partitions rewrites only those whose rows differ (a morning re-lists many order lines as they
were). A model that only key models read keeps both versions of every touched key instead. A
date-partitioned model downstream refreshes the dates ``d + k`` for every business date ``d`` of
a changed input row and every ``k`` of its ``lookback_days``; a key-partitioned model refreshes
the keys of the changed input rows. An input change the model cannot place (no business dates,
or not its key columns) makes it rebuild whole, which is always correct.

A refresh finds the rows of the touched partitions by their row ids (a scan of the partition
columns) and fetches only those. DuckDB prunes that fetch to the range of row ids found, so it
is cheap when the touched rows sit together. ``cluster_by`` keeps them together: a full build
writes the table in that order (order lines by creation time: a morning touches the recent
ones), and a refresh inserts its rows at the end in that order. It changes only where rows
are stored, never what the table holds.

``recent_keys`` says that the rows of a touched key lie near the end of a clustered input (an
order line's snapshots are days or weeks apart). The refresh then finds the smallest
``cluster_by`` value among them first and reads the input from there on. For keys whose rows
span all of history (a buyer's orders, a shop), that search would cost a scan and bound nothing,
so it is not made. Models whose partitions come from the same SQL over the same changes share
them, and the bound found for them in an input (two models reading the keys appended to the
same input, under the same ``touched_when`` or none): a table is written only by its own
refresh, which comes before its readers, and forgets the bounds found in it.

``sequence`` says that a key's rows are numbered in load order and that each row depends only
on the rows before it, but for the ``latest`` flag, true on the key's last row. The touched keys
are recomputed as usual; when in every one of them the rows of the files new to this build come
after the others, only those rows are inserted and ``latest`` is cleared on each key's previous
last row: the rows before stay as they are. Otherwise (an export of an earlier day loaded after a
later one renumbers the key) the keys' rows are deleted and inserted again, as they are when a
model that is not keyed reads the model (it would need the changed rows, not only their keys).

``touched_when`` narrows what such an append touches in a key model that reads it: only the keys
of the appended rows that meet the condition (an SQL expression over the input's columns). It
declares that an appended row which does not meet it leaves the model's rows of its key as they
were: ``fct_order_lines`` reads a line's latest snapshot, and a snapshot that changes nothing of
the line (``is_change``) leaves it as it was; ``int_refund_events`` makes an event of a snapshot
whose refunded amount moved. A morning re-lists many order lines as they were, and their keys
are then not recomputed at all. When the input's rows were rewritten rather than appended, every
key of its changed rows is touched, as without it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

if TYPE_CHECKING:
    from flows.warehouse.build import Model

SOURCES_BY_FILE = ("raw_orders", "raw_traffic", "raw_ad_spend", "raw_order_items", "source_files",
                   "rejects", "ingest_events")
SEEDS = ("seed_shops", "seed_reporting", "seed_fx_rates", "seed_targets", "seed_thresholds")
GRAINS = ("day", "week", "day_and_week")


class RefreshError(ValueError):
    """A model's ``materialized`` / ``incremental`` declaration is malformed."""


@dataclass(frozen=True)
class Refresh:
    """How one model is refreshed incrementally (``None`` on a model: rebuilt whole)."""

    partition_by: tuple[str, ...]
    append: bool = False
    grain: str = "day"
    lookback_days: tuple[int, ...] = (0,)
    narrow_inputs: tuple[str, ...] = ()
    unaffected_by: tuple[str, ...] = ()
    whole_inputs: tuple[str, ...] = ()
    lookback_ranges: tuple[tuple[str, str], ...] = ()  # ranges sized by the configuration ("0..7 * baseline_weeks")
    cluster_by: tuple[str, ...] = ()  # the order a full build writes the table in
    by_key: bool = False  # partition_by is a list of key columns (else one date column)
    by_shop: bool = False  # a date model whose rows of a shop and day read that shop's rows only
    recent_keys: bool = False  # a key model whose touched keys' input rows are recent (bound the reads)
    sequence: str | None = None  # a key model's column numbering a key's rows in load order (see below)
    latest: str | None = None  # with sequence: a flag true on each key's last row only
    touched_when: tuple[tuple[str, str], ...] = ()  # (sequence input, condition its appended rows touch a key on)

    @property
    def order_by(self) -> str:
        """`` order by <cluster_by>`` for the statements that write the table; empty without it."""
        return f" order by {', '.join(self.cluster_by)}" if self.cluster_by else ""

    @property
    def kind(self) -> str:
        """append (new source files), date (business-date partitions) or key (entity keys)."""
        if self.append:
            return "append"
        return "key" if self.by_key else "date"


def parse_refresh(name: str, doc: dict) -> Refresh | None:
    materialized = doc.get("materialized", "table")
    if materialized == "table":
        if "incremental" in doc:
            raise RefreshError(f"{name}: 'incremental' needs 'materialized: incremental'")
        return None
    if materialized != "incremental":
        raise RefreshError(f"{name}: materialized is 'table' or 'incremental'; got {materialized!r}")
    spec = doc.get("incremental") or {}
    unknown = set(spec) - {"partition_by", "append", "grain", "lookback_days", "narrow_inputs",
                           "unaffected_by", "whole_inputs", "cluster_by", "by_shop", "recent_keys",
                           "sequence", "latest", "touched_when"}
    if unknown:
        raise RefreshError(f"{name}: unknown incremental setting(s) {', '.join(sorted(unknown))}")
    partition_by = spec.get("partition_by")
    if not partition_by:
        raise RefreshError(f"{name}: incremental models need partition_by")
    by_key = isinstance(partition_by, list)
    partition_by = tuple([partition_by] if isinstance(partition_by, str) else partition_by)
    grain = spec.get("grain", "day")
    if grain not in GRAINS:
        raise RefreshError(f"{name}: grain is one of {', '.join(GRAINS)}; got {grain!r}")
    refresh = Refresh(partition_by=partition_by, append=bool(spec.get("append", False)), grain=grain,
                      lookback_days=parse_days(name, spec.get("lookback_days", [0])),
                      lookback_ranges=parse_configured_days(name, spec.get("lookback_days", [0])),
                      narrow_inputs=tuple(spec.get("narrow_inputs") or ()),
                      unaffected_by=tuple(spec.get("unaffected_by") or ()),
                      whole_inputs=tuple(spec.get("whole_inputs") or ()),
                      cluster_by=_columns_of(spec.get("cluster_by")), by_key=by_key,
                      by_shop=bool(spec.get("by_shop", False)),
                      recent_keys=bool(spec.get("recent_keys", False)),
                      sequence=spec.get("sequence") or None, latest=spec.get("latest") or None,
                      touched_when=_touched_when(name, spec.get("touched_when")))
    if refresh.append and partition_by != ("source_file_id",):
        raise RefreshError(f"{name}: append models are partitioned by source_file_id")
    if refresh.narrow_inputs and refresh.kind != "key":
        raise RefreshError(f"{name}: narrow_inputs is for key-partitioned models")
    if refresh.whole_inputs and refresh.kind != "date":
        raise RefreshError(f"{name}: whole_inputs is for date-partitioned models")
    if refresh.by_shop and refresh.kind != "date":
        raise RefreshError(f"{name}: by_shop is for date-partitioned models (a key model lists shop_id in its key)")
    if refresh.recent_keys and not refresh.narrow_inputs:
        raise RefreshError(f"{name}: recent_keys bounds the reads of narrow_inputs; it has none")
    if refresh.sequence is not None:
        if refresh.kind != "key" or not isinstance(refresh.sequence, str):
            raise RefreshError(f"{name}: sequence names one column of a key-partitioned model")
        if "source_file_id" not in (doc.get("grain") or ()):
            raise RefreshError(f"{name}: sequence appends the rows of new files: source_file_id must be in its grain")
    if refresh.latest is not None and (refresh.sequence is None or not isinstance(refresh.latest, str)):
        raise RefreshError(f"{name}: latest names the flag of a sequence model's last row per key; it needs sequence")
    unnarrowed = sorted({input_name for input_name, _ in refresh.touched_when} - set(refresh.narrow_inputs))
    if unnarrowed:
        raise RefreshError(f"{name}: touched_when names inputs of narrow_inputs; {', '.join(unnarrowed)} is not one")
    return refresh


def _touched_when(name: str, value: object) -> tuple[tuple[str, str], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
        raise RefreshError(f"{name}: touched_when maps an input to a condition on its rows "
                           f"(int_order_line_snapshots: is_change); got {value!r}")
    return tuple((str(k), v.strip()) for k, v in value.items())


def _columns_of(value: object) -> tuple[str, ...]:
    return tuple([value] if isinstance(value, str) else value or ())


CONFIGURED_RANGE = re.compile(r"\s*([\w\s*+-]+?)\s*\.\.\s*([\w\s*+()-]+?)\s*")


def parse_configured_days(name: str, value: object) -> tuple[tuple[str, str], ...]:
    """The ranges of ``lookback_days`` sized by the configuration: ``"0..7 * baseline_weeks"``,
    whose bounds are expressions over the columns of ``seed_thresholds`` (evaluated at build time;
    a change of configuration makes a full build anyway)."""
    items = value if isinstance(value, list) else [value]
    ranges = []
    for item in items:
        if isinstance(item, str) and re.search(r"[A-Za-z_]", item):
            match = CONFIGURED_RANGE.fullmatch(item)
            if not match:
                raise RefreshError(f"{name}: a configured lookback is \"0..7 * baseline_weeks\"; got {item!r}")
            ranges.append((match[1], match[2]))
    return tuple(ranges)


def parse_days(name: str, value: object) -> tuple[int, ...]:
    """``[0, 1, 7, 364]`` or ``["0..29"]`` (inclusive ranges) → the sorted offsets in days
    (ranges sized by the configuration are left to :func:`parse_configured_days`)."""
    items = value if isinstance(value, list) else [value]
    days: set[int] = set()
    for item in items:
        if isinstance(item, int):
            days.add(item)
            continue
        if re.search(r"[A-Za-z_]", str(item)):
            continue
        match = re.fullmatch(r"\s*(\d+)\s*\.\.\s*(\d+)\s*", str(item))
        if not match or int(match[1]) > int(match[2]):
            raise RefreshError(f"{name}: lookback_days items are days (7) or ranges (\"0..29\"); "
                               f"got {item!r}")
        days.update(range(int(match[1]), int(match[2]) + 1))
    return tuple(sorted(days))


def business_date_columns(name: str, doc: dict) -> tuple[tuple[str, str], ...]:
    """``business_dates`` as (first, last) column pairs: ``paid_date`` → (paid_date, paid_date),
    ``coverage_start..coverage_end`` → every date of that range."""
    pairs = []
    for item in doc.get("business_dates") or ():
        first, _, last = str(item).partition("..")
        pairs.append((first.strip(), (last or first).strip()))
    return tuple(pairs)


# ----------------------------------------------------------------------------------------------
# the incremental build
# ----------------------------------------------------------------------------------------------

SHOP = "shop_id"  # the column a by-shop date model and its inputs name their shop by
NOTHING = "nothing"  # a table's change: nothing changed
EVERYTHING = "everything"  # a table's change: unknown, treat every row as changed
DOUBLES = ("DOUBLE", "FLOAT")


class IncrementalRefresh:
    """Refreshes the models of one incremental build, in build order, inside its transaction.

    For every table it knows what changed in this build: nothing, everything (the raw tables
    when new files came, a model nobody reads), or the changed rows in a temp table.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection, models: list[Model], last_source_file_id: int,
                 new_files: int) -> None:
        self.con = con
        self.last_source_file_id = int(last_source_file_id)
        self.models = {m.name: m for m in models}
        self.read_by = {name for m in models for name in m.inputs}
        self.catalog = con.execute("select current_database()").fetchall()[0][0].replace('"', '""')
        self.changes: dict[str, str] = {name: (EVERYTHING if new_files else NOTHING)
                                        for name in SOURCES_BY_FILE}
        self.temp_tables: list[str] = []
        self.new_rows: dict[str, str] = {}  # model -> the temp table of the rows its refresh inserted
        self.appended: set[str] = set()  # key models whose new rows are appended to their keys' rows
        # partitions found once for every model that asks the same (two key models reading one
        # input's changed keys): their SQL -> the temp table holding them, and the bounds found
        # for them in an input ((input, partitions table) -> the bound's view condition)
        self.partitions: dict[str, str] = {}
        self.bounds: dict[tuple[str, str], str] = {}

    def refresh(self, model: Model) -> str:
        """Bring one model up to date; say how (for the build log).

        Unchanged inputs: nothing to do. A change the declared partitioning can place: the
        touched partitions are recomputed from the model's SQL, and those whose rows changed are
        deleted and inserted again (see :meth:`_refresh_partitions`). Anything else: the whole
        table is rebuilt.
        """
        refresh = model.refresh
        # this model's table is about to change: a bound found in it before is no longer known
        self.bounds = {key: bound for key, bound in self.bounds.items() if key[0] != model.name}
        ignored = set(refresh.unaffected_by) if refresh else set()
        inputs = [name for name in model.inputs if name not in ignored]
        if all(self.changes.get(name, NOTHING) == NOTHING for name in inputs):
            self.changes[model.name] = NOTHING
            return "unchanged"
        if refresh is not None and refresh.kind == "append":
            return self._append_new_files(model)
        partitions = None
        if refresh is not None and refresh.kind == "key":
            partitions = self._changed_keys_sql(refresh, inputs)
        if refresh is not None and refresh.kind == "date":
            shop_dates = self._changed_dates_sql(inputs, by_shop=True) if refresh.by_shop else None
            if shop_dates is not None:
                return self._refresh_partitions(
                    model, partitions_sql(refresh, shop_dates, self._lookbacks(refresh), by_shop=True), by_shop=True)
            dates = self._changed_dates_sql(inputs)
            partitions = None if dates is None else partitions_sql(refresh, dates, self._lookbacks(refresh))
        if partitions is None:
            return self._rebuild_whole(model)
        return self._refresh_partitions(model, partitions)

    def drop_temp_tables(self) -> None:
        views = {row[0] for row in self.con.execute(
            "select view_name from duckdb_views() where database_name = 'temp'").fetchall()}
        for table in reversed(self.temp_tables):
            kind = "view" if table in views else "table"
            self.con.execute(f"drop {kind} if exists temp.main.{table}")
        self.temp_tables.clear()

    # -- the three ways of refreshing ------------------------------------------------------------

    def _append_new_files(self, model: Model) -> str:
        new = self._temp(f"_new__{model.name}")
        since = self.last_source_file_id
        with self._narrowed([(name, "select * from {table} where source_file_id > " + str(since))
                             for name in model.inputs if name in SOURCES_BY_FILE]):
            self.con.execute(f"create or replace temp table {new} as\n{model.sql}")
        self.con.execute(f"delete from {model.name} where source_file_id > {since}")
        self.con.execute(f"insert into {model.name} select * from {new}{model.refresh.order_by}")
        self.new_rows[model.name] = new
        count = self._count(new)
        self.changes[model.name] = new if count else NOTHING
        return f"appended {count} row(s)"

    def _refresh_partitions(self, model: Model, partitions: str, by_shop: bool = False) -> str:
        columns = (SHOP, *model.refresh.partition_by) if by_shop else model.refresh.partition_by
        parts = self.partitions.get(partitions)
        if parts is None:  # the same SQL over the same changes (kept to the build's end) gives the same rows
            parts = self.partitions[partitions] = self._temp(f"_parts__{model.name}")
            self.con.execute(f"create or replace temp table {parts} as {partitions}")
        old, new = self._temp(f"_old__{model.name}"), self._temp(f"_new__{model.name}")
        match = _on(columns, parts)
        if model.refresh.kind == "date":
            narrowed = self._date_narrowed_inputs(model, parts, by_shop)
        else:
            narrowed = [(name, self._key_narrowed(name, parts, match, model.refresh.recent_keys))
                        for name in model.refresh.narrow_inputs]
        with self._narrowed(narrowed):
            self.con.execute(f"create or replace temp table {new} as select * from (\n{model.sql}\n) as t "
                             f"semi join {parts} on " + match)
        key_readers_only = self._read_only_by_key_models(model.name)
        if model.refresh.sequence and key_readers_only and self._new_files_follow(model, new):
            return self._append_in_sequence(model, parts, new)
        keep = model.name in self.read_by
        diffed = keep and not (model.refresh.kind == "key" and key_readers_only)
        # The table's rows in the touched partitions, by row id: a semi join that reads only the
        # partition columns, then a fetch of those rows. A semi join selecting every column reads
        # every column of every row of history (2-3x slower at 2.5M order lines; cluster_by keeps
        # the fetched rows together). Only for the model's own table, which this build has not
        # written yet: DuckDB 2.0 fetches rows by id wrongly from a table deleted from and
        # inserted into in the same transaction (garbage values, or a crash; the fetch path
        # and transaction-local rows: duckdb/duckdb#21540), which the inputs may be.
        rows = self._temp(f"_rows__{model.name}")
        listed = ", ".join(f"t.{c}" for c in columns) if diffed else ""
        self.con.execute(f"create or replace temp table {rows} as select t.rowid as row_id{', ' if listed else ''}"
                         f"{listed} from {model.name} as t semi join {parts} on " + match)
        if keep:
            self.con.execute(f"create or replace temp table {old} as select * from {model.name} "
                             f"where rowid in (select row_id from {rows})")
        written: str | None = new
        if diffed:
            # rewrite only the partitions whose rows changed: a morning re-lists many order
            # lines as they were, and their rows stay where they are
            changed = self.changes[model.name] = self._diff(model.name, old, new)
            written = None if changed == NOTHING else self._changed_partitions(model.name, columns, changed, rows, new)
        if written is not None:
            self.con.execute(f"delete from {model.name} where rowid in (select row_id from {rows})")
            self.con.execute(f"insert into {model.name} select * from {written}{model.refresh.order_by}")
        self.new_rows[model.name] = new  # every row of the touched partitions (the checks read them)
        if not keep:
            self.changes[model.name] = EVERYTHING  # nobody reads it
        elif not diffed:
            # both versions of every touched key, unchanged rows too: the readers need only the
            # keys, and comparing the versions would cost more than it saves
            changed = self._temp(f"_changed__{model.name}")
            self.con.execute(f"create or replace temp view {changed} as "
                             f"select * from {old} union all select * from {new}")
            self.changes[model.name] = changed
        if by_shop:
            shops = self.con.execute(f"select count(distinct {SHOP}) from {parts}").fetchall()[0][0]
            return f"{self._count(parts)} partition(s) of {shops} shop(s)"
        return f"{self._count(parts)} partition(s)"

    def _changed_partitions(self, name: str, columns: tuple[str, ...], changed: str, rows: str, new: str) -> str:
        """Narrow a refresh to the partitions whose rows changed: keep in ``rows`` (row ids and
        partition columns of the table's touched rows) only those partitions' rows, and return
        a view of their new rows. A partition whose rows differ only in a double's last digits
        (see :meth:`_diff`) keeps its stored rows."""
        parts = self._temp(f"_changed_parts__{name}")
        self.con.execute(f"create or replace temp table {parts} as select distinct {', '.join(columns)} from {changed}")
        match = _on(columns, parts)
        self.con.execute(f"delete from {rows} as t where not exists (select 1 from {parts} where "
                         + match + ")")
        written = self._temp(f"_written__{name}")
        self.con.execute(f"create or replace temp view {written} as select * from {new} as t "
                         f"semi join {parts} on " + match)
        return written

    def _new_files_follow(self, model: Model, new: str) -> bool:
        """Whether, in every touched key, the rows of the files new to this build come after
        (by the model's ``sequence``) every row of the files before them. Not so when an export
        covering an earlier day is loaded after a later one: then the key's rows are numbered
        anew and its partition is refreshed whole."""
        keys = ", ".join(model.refresh.partition_by)
        sequence, since = model.refresh.sequence, self.last_source_file_id
        earlier = self.con.execute(
            f"select count(*) from (select {keys}, "
            f"max({sequence}) filter (where source_file_id <= {since}) as last_before, "
            f"min({sequence}) filter (where source_file_id > {since}) as first_new "
            f"from {new} group by {keys}) where last_before >= first_new").fetchall()[0][0]
        return earlier == 0

    def _append_in_sequence(self, model: Model, parts: str, new: str) -> str:
        """The touched keys' rows from new files come after their old rows, and a row depends
        only on the rows before it (what ``sequence`` declares), but for the ``latest`` flag:
        the old rows are what the table holds already, so only the new files' rows are
        inserted, and the flag of each touched key's previous last row is cleared. A morning
        that re-exports an order line writes its one new snapshot, not all of them again."""
        refresh, since = model.refresh, self.last_source_file_id
        appended = self._temp(f"_appended__{model.name}")
        self.con.execute(f"create or replace temp view {appended} as select * from {new} "
                         f"where source_file_id > {since}")
        if refresh.latest:
            self.con.execute(f"update {model.name} as t set {refresh.latest} = false from {parts} "
                             f"where {_on(refresh.partition_by, parts)} and t.{refresh.latest} "
                             f"and t.source_file_id <= {since}")
        self.con.execute(f"insert into {model.name} select * from {appended}{refresh.order_by}")
        self.new_rows[model.name] = appended
        self.appended.add(model.name)
        count = self._count(appended)
        # the readers are key models: the appended rows name every touched key, the keys of the
        # rows whose flag was cleared among them
        self.changes[model.name] = appended if count else NOTHING
        return f"appended {count} row(s) to {self._count(parts)} key(s)"

    def _date_narrowed_inputs(self, model: Model, parts: str, by_shop: bool = False) -> list[tuple[str, str]]:
        """A date model's partition D reads input dates D - k (k in ``lookback_days``; a week
        partition stands for its seven days): shadow every input that has business dates by its
        rows on those dates, so that the SQL reads days, not history. Inputs in ``whole_inputs``
        and those without business dates (seeds, dimensions) are read whole."""
        refresh = model.refresh
        column = refresh.partition_by[0]
        days = "0" if refresh.grain == "day" else "0, 1, 2, 3, 4, 5, 6"
        offsets = ", ".join(f"({k})" for k in self._lookbacks(refresh))
        needed = self._temp(f"_days__{model.name}")
        shop = f"p.{SHOP} as n_shop, " if by_shop else ""
        self.con.execute(f"create or replace temp table {needed} as "
                         f"select distinct {shop}(p.{column} + w.j - o.k)::date as d from {parts} as p "
                         f"cross join (select unnest([{days}]) as j) as w "
                         f"cross join (values {offsets}) as o (k)")
        # the same days as literal bounds too: DuckDB skips the row groups whose min/max of a
        # date column lie outside them, where an IN over the table above reads every row group
        low, high = self.con.execute(f"select min(d)::varchar, max(d)::varchar from {needed}").fetchall()[0]

        def within(first: str, last: str) -> str:
            return "" if low is None else f"({first}) <= date '{high}' and ({last}) >= date '{low}' and "

        narrowed = []
        for name in model.inputs:
            ranges = self._business_dates(name)
            if name in refresh.whole_inputs or not ranges:
                continue
            # a by-shop partition reads its own shop's rows of an input that has shops
            same_shop = by_shop and SHOP in self._columns(name)
            conditions = []
            for first, last in ranges:
                if first == last and same_shop:
                    conditions.append(f"({within(first, last)}(t.{SHOP}, ({first})) in (select n_shop, d from {needed}))")
                elif first == last:
                    conditions.append(f"({within(first, last)}({first}) in (select d from {needed}))")
                else:  # {needed}'s columns are d and n_shop: the others are the row's
                    shop_match = f"n.n_shop = t.{SHOP} and " if same_shop else ""
                    conditions.append(f"({within(first, last)}exists (select 1 from {needed} as n where {shop_match}"
                                      f"n.d between ({first}) and ({last})))")
            narrowed.append((name, "select t.* from {table} as t where " + " or ".join(conditions)))
        return narrowed

    def _key_narrowed(self, name: str, parts: str, match: str, recent: bool) -> str:
        """A key model's input ``name`` shadowed by its rows of the touched keys. When the input
        is written in ``cluster_by`` order, the view also says from which value of that column
        on the rows lie: the smallest value among those rows, found by a scan of the key columns
        and that one. DuckDB then skips the row groups before it (their min/max), so a morning
        that touches recent orders reads recent rows, not every column of history. With a null
        among those values there is no such bound, and the view reads every row group. Only for
        a model that declares ``recent_keys``: for other keys the scan would find the first days
        of history and bound nothing."""
        narrow = f"select t.* from {{table}} as t semi join {parts} on {match}"
        source = self.models.get(name)
        if not recent or source is None or source.refresh is None or not source.refresh.cluster_by:
            return narrow
        if (name, parts) not in self.bounds:  # a second model reading the same keys of it asks again
            column = source.refresh.cluster_by[0]
            table = f"\"{self.catalog}\".main.{name}"
            low, kind, nulls = self.con.execute(
                f"select min(t.{column})::varchar, typeof(min(t.{column})), count(*) filter (where t.{column} is null) "
                f"from {table} as t semi join {parts} on {match}").fetchall()[0]
            literal = "'" + (low or "").replace("'", "''") + "'"
            self.bounds[(name, parts)] = "" if low is None or nulls else f" where t.{column} >= cast({literal} as {kind})"
        return narrow + self.bounds[(name, parts)]

    def _lookbacks(self, refresh: Refresh) -> tuple[int, ...]:
        """The model's lookback offsets, with the ranges sized by the configuration resolved."""
        days = set(refresh.lookback_days)
        for first, last in refresh.lookback_ranges:
            low, high = self.con.execute(f"select ({first})::integer, ({last})::integer "
                                         f"from seed_thresholds").fetchall()[0]
            days.update(range(int(low), int(high) + 1))
        return tuple(sorted(days))

    def _rebuild_whole(self, model: Model) -> str:
        old = self._temp(f"_old__{model.name}")
        keep = model.name in self.read_by
        if keep:
            self.con.execute(f"create or replace temp table {old} as select * from {model.name}")
        self.con.execute(f"create or replace table {model.name} as\n{model.table_sql}")
        self.changes[model.name] = self._diff(model.name, old, model.name) if keep else EVERYTHING
        return "full"

    def _read_only_by_key_models(self, name: str) -> bool:
        readers = [m for m in self.models.values() if name in m.inputs]
        return all(m.refresh is not None and m.refresh.kind == "key" for m in readers)

    # -- what changed ----------------------------------------------------------------------------

    def _diff(self, name: str, old: str, new: str) -> str:
        """Keep the rows that differ between ``old`` and ``new`` (both versions). Doubles are
        compared to 12 significant digits: a sum of doubles depends on the order it adds them
        in, and a row recomputed with its neighbours' days is not a changed row.

        A model with a ``fail`` ``unique`` check over columns that are not doubles pairs its
        old and new rows by that key (a full outer join) and keeps the pairs that differ: twice
        as fast as set difference both ways on 800k order lines, which hashes every column of
        every row twice over. A key with a null cannot be paired: its rows count as changed. A
        key repeated in ``old`` or ``new`` (a row and its copy) would pair both copies with the
        one row on the other side and hide the copy. When the key holds the partition columns,
        the check counts it among the new rows of the touched partitions and fails the build
        (and the table's rows before passed it). Otherwise the check counts the table, where an
        unwritten copy would not be: a repeat is looked for first (0.18 s on 574,000 order
        lines), and then, as for the other models, the rows are compared by ``except all``."""
        table = self._temp(f"_changed__{name}")
        kinds = dict(self.con.execute(f"select column_name, column_type from (describe {new})").fetchall())

        def ident(text: str) -> str:
            return '"' + text.replace('"', '""') + '"'

        quoted = {column: ident(column) for column in kinds}

        def value(column: str, side: str = "") -> str:
            ref = f"{side}{quoted[column]}"
            if kinds[column] not in DOUBLES:
                return ref
            return (f"case when isfinite({ref}) then round({ref}, 12 - ceil(log10(abs({ref}) + 1e-300))::integer) "
                    f"else {ref} end")

        model = self.models.get(name)
        key = next((key for key in (model.unique_keys if model else ())
                    if all(kinds.get(c, "DOUBLE") not in DOUBLES for c in key)), None)
        if key is not None and model.refresh is not None and not set(model.refresh.partition_by) <= set(key):
            grouped = ", ".join(quoted[c] for c in key)
            repeated = " + ".join(f"(select count(*) from (select 1 from {rows} group by {grouped} "
                                  f"having count(*) > 1))" for rows in (old, new))
            if self.con.execute(f"select {repeated}").fetchall()[0][0]:
                key = None
        if key is None:
            listed = ", ".join(f"{value(c)} as {quoted[c]}" for c in kinds)
            changed = (f"(select {listed} from {old} except all select {listed} from {new}) "
                       f"union all (select {listed} from {new} except all select {listed} from {old})")
        else:
            on = " and ".join(f"o.{quoted[c]} = n.{quoted[c]}" for c in key)
            differs = "".join(f" or {value(c, 'o.')} is distinct from {value(c, 'n.')}" for c in kinds if c not in key)
            sides = ", ".join(f"{s}.{quoted[c]} as {ident(f'{s}.{c}')}" for c in kinds for s in ("o", "n"))
            side = {s: ", ".join(f"{ident(f'{s}.{c}')} as {quoted[c]}" for c in kinds) for s in ("o", "n")}
            changed = (f"with pairs as materialized (select o.\"_in_old\", n.\"_in_new\", {sides} "
                       f"from (select *, true as \"_in_old\" from {old}) as o "
                       f"full outer join (select *, true as \"_in_new\" from {new}) as n on {on} "
                       f"where o.\"_in_old\" is null or n.\"_in_new\" is null{differs}) "
                       f"select {side['o']} from pairs where \"_in_old\" "
                       f"union all select {side['n']} from pairs where \"_in_new\"")
        self.con.execute(f"create or replace temp table {table} as {changed}")
        return table if self._count(table) else NOTHING

    def _changed_keys_sql(self, refresh: Refresh, inputs: list[str]) -> str | None:
        """The keys of every input's changed rows; None when a change has no such key. Of the
        rows a sequence input appended, those that meet the model's ``touched_when`` condition
        for it."""
        keys = ", ".join(refresh.partition_by)
        conditions = dict(refresh.touched_when)
        parts = []
        for name in inputs:
            state = self.changes.get(name, NOTHING)
            if state == NOTHING:
                continue
            if state == EVERYTHING or not set(refresh.partition_by) <= self._columns(state):
                return None
            touching = f" where ({conditions[name]})" if name in self.appended and name in conditions else ""
            parts.append(f"select distinct {keys} from {state}{touching}")
        return " union ".join(parts)

    def _changed_dates_sql(self, inputs: list[str], by_shop: bool = False) -> str | None:
        """The business dates of every input's changed rows (with ``by_shop``, their shops and
        dates); None when a change has none (or, by shop, no shop)."""
        parts = []
        for name in inputs:
            state = self.changes.get(name, NOTHING)
            if state == NOTHING:
                continue
            ranges = self._business_dates(name)
            if state == EVERYTHING or not ranges or (by_shop and SHOP not in self._columns(state)):
                return None
            shop = f"{SHOP}, " if by_shop else ""
            for first, last in ranges:
                parts.append(f"select {shop}unnest(generate_series(({first})::date, ({last})::date, "
                             f"interval 1 day))::date as d from {state} "
                             f"where ({first}) is not null and ({last}) is not null")
        return " union ".join(parts)

    def _business_dates(self, name: str) -> tuple[tuple[str, str], ...]:
        """A model's business dates: the declared ones, and its date partitions (a week
        partition stands for its seven days)."""
        model = self.models.get(name)
        if model is None:
            return ()
        ranges = list(model.business_dates)
        refresh = model.refresh
        if refresh is not None and refresh.kind == "date":
            column = refresh.partition_by[0]
            ranges.append((column, column if refresh.grain == "day" else f"{column} + 6"))
        return tuple(ranges)

    # -- helpers ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _narrowed(self, filters: list[tuple[str, str]]) -> Iterator[None]:
        """Shadow each input table by a temp view of some of its rows (``{table}`` in the query
        is the table itself), so that the model's SQL reads only those."""
        for name, query in filters:
            table = f"\"{self.catalog}\".main.{name}"
            self.con.execute(f"create or replace temp view {name} as " + query.format(table=table))
        yield  # on an error the build rolls back, which drops the views (and a drop would fail)
        for name, _ in filters:
            self.con.execute(f"drop view if exists temp.main.{name}")

    def _temp(self, name: str) -> str:
        self.temp_tables.append(name)
        return name

    def _count(self, table: str) -> int:
        return int(self.con.execute(f"select count(*) from {table}").fetchall()[0][0])

    def _columns(self, table: str) -> set[str]:
        return {row[0] for row in self.con.execute(f"select * from {table} limit 0").description}


def _on(columns: tuple[str, ...], table: str) -> str:
    """The join condition of ``t`` (the table or query being matched) with ``table`` on ``columns``."""
    return " and ".join(f"t.{c} = {table}.{c}" for c in columns)


def partitions_sql(refresh: Refresh, dates_sql: str, lookbacks: tuple[int, ...] | None = None,
                   by_shop: bool = False) -> str:
    """The partition values to refresh: the changed business dates moved forward by every
    lookback offset (input date d is read by the rows of d + k), as days and/or Mondays; with
    ``by_shop``, each with the shop of the changed row (``dates_sql`` gives shop_id and d)."""
    offsets = ", ".join(f"({k})" for k in (refresh.lookback_days if lookbacks is None else lookbacks))
    shop, changed_shop = (f"{SHOP}, ", f"changed.{SHOP}, ") if by_shop else ("", "")
    shifted = (f"select distinct {changed_shop}changed.d + offsets.k as d "
               f"from ({dates_sql}) as changed cross join (values {offsets}) as offsets (k)")
    column = refresh.partition_by[0]
    mondays = f"select distinct {shop}date_trunc('week', d)::date as {column} from ({shifted})"
    if refresh.grain == "day":
        return f"select distinct {shop}d as {column} from ({shifted})"
    if refresh.grain == "week":
        return mondays
    return f"select {shop}d as {column} from ({shifted}) union {mondays}"
