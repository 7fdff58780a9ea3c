"""Build the transforms: every ``transforms/<layer>/<model>.sql`` becomes a table, layer by layer.

A model is a bare ``select``; the runner wraps it in ``create or replace table``. Its ``.yml``
beside it holds the description, the grain, the column definitions and the checks::

    checks:
      fail:                       # a failing check stops the build; nothing is replaced
        - unique: [business_date, shop_id]
        - not_null: [business_date, shop_id]
        - accepted_values: {status: [created, paid, shipped, completed, closed]}
      warn:                       # reported in the data-quality box
        - expression: refund_amount <= gmv

The whole build runs in one transaction: a failed check or a crash leaves every table as it was
before the build started. Models in one layer may read each other; they are ordered by reference.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import duckdb
import yaml

from flows.settings import ProductRules, Settings, size_bytes
from flows.warehouse.refresh import (
    SEEDS,
    SOURCES_BY_FILE,
    IncrementalRefresh,
    Refresh,
    RefreshError,
    business_date_columns,
    parse_refresh,
)
from flows.yamlfile import load_yaml

LAYERS = ("staging", "intermediate", "marts", "reports")
TRANSFORMS_DIR = Path(__file__).resolve().parents[2] / "transforms"
CHECK_KINDS = ("unique", "not_null", "accepted_values", "expression")


class ModelError(ValueError):
    """A model file or its .yml is malformed."""


class BuildFailed(RuntimeError):
    """A ``fail`` check did not pass, or a model's SQL failed; the warehouse is unchanged."""

    def __init__(self, message: str, results: list["CheckResult"] | None = None):
        super().__init__(message)
        self.results = results or []


@dataclass(frozen=True)
class Model:
    name: str
    layer: str
    sql: str
    doc: dict
    path: Path
    refresh: Refresh | None = None  # how an incremental build refreshes it; None: rebuilt whole
    business_dates: tuple[tuple[str, str], ...] = ()  # the dates a row counts on (first, last)
    inputs: tuple[str, ...] = ()  # the models, raw tables and seeds its SQL reads

    @property
    def description(self) -> str:
        return str(self.doc.get("description", ""))

    @property
    def table_sql(self) -> str:
        """The query a full build writes the table from: in ``cluster_by`` order when declared."""
        order = self.refresh.order_by if self.refresh is not None else ""
        return f"select * from (\n{self.sql}\n){order}" if order else self.sql

    @property
    def unique_keys(self) -> tuple[tuple[str, ...], ...]:
        """The column sets of its ``fail`` ``unique`` checks: no two rows of a built table share
        one (a build whose rows would fails and rolls back)."""
        checks = (self.doc.get("checks") or {}).get("fail") or []
        return tuple(tuple(check["unique"]) for check in checks
                     if isinstance(check, dict) and isinstance(check.get("unique"), list))


@dataclass(frozen=True)
class CheckResult:
    model: str
    level: str  # fail | warn
    check: str
    failing_rows: int

    @property
    def passed(self) -> bool:
        return self.failing_rows == 0

    def line(self) -> str:
        state = "ok" if self.passed else f"{self.failing_rows} row(s) fail"
        return f"{self.model}: {self.level} {self.check}: {state}"


@dataclass
class BuildResult:
    models: list[str] = field(default_factory=list)
    checks: list[CheckResult] = field(default_factory=list)
    seconds: float = 0.0
    skipped: bool = False  # nothing changed since the last build (see build_is_current)
    mode: str = "full"  # full | incremental
    refreshed: dict[str, str] = field(default_factory=dict)  # model -> how it was brought up to date
    notes: list[str] = field(default_factory=list)  # what the build log should say besides the models
    memory_limit: str | None = None  # an incremental build's own limit (see sized_memory_limit)

    @property
    def warnings(self) -> list[CheckResult]:
        return [c for c in self.checks if c.level == "warn" and not c.passed]


def load_models(root: Path = TRANSFORMS_DIR) -> list[Model]:
    """All models in build order: layer by layer, and by reference inside a layer."""
    ordered: list[Model] = []
    for layer in LAYERS:
        layer_models = []
        for sql_path in sorted((root / layer).glob("*.sql")):
            yml_path = sql_path.with_suffix(".yml")
            if not yml_path.exists():
                raise ModelError(f"{sql_path}: every model needs a .yml beside it ({yml_path.name})")
            try:
                doc = load_yaml(yml_path.read_text(encoding="utf-8")) or {}
            except yaml.YAMLError as exc:
                raise ModelError(f"{yml_path}: not valid YAML: {exc}") from exc
            if not doc.get("description"):
                raise ModelError(f"{yml_path}: description is required")
            sql = sql_path.read_text(encoding="utf-8").strip().rstrip(";")
            try:
                refresh = parse_refresh(sql_path.stem, doc)
            except RefreshError as exc:
                raise ModelError(f"{yml_path}: {exc}") from exc
            layer_models.append(Model(sql_path.stem, layer, sql, doc, sql_path, refresh,
                                      business_date_columns(sql_path.stem, doc)))
        ordered.extend(_order_within_layer(layer_models))
    names = [m.name for m in ordered] + list(SOURCES_BY_FILE) + list(SEEDS)
    words = {m.name: set(re.findall(r"\w+", m.sql)) for m in ordered}
    by_name = {m.name: m for m in ordered}
    for model in ordered:
        for name, _ in model.refresh.touched_when if model.refresh else ():
            source = by_name.get(name)
            if source is None or source.refresh is None or source.refresh.sequence is None:
                raise ModelError(f"{model.path.with_suffix('.yml')}: touched_when narrows the rows a "
                                 f"sequence model appends; {name} declares no sequence")
    return [replace(m, inputs=tuple(n for n in names if n != m.name and n in words[m.name])) for m in ordered]


def _order_within_layer(models: list[Model]) -> list[Model]:
    names = {m.name for m in models}
    deps = {m.name: (set(re.findall(r"\w+", m.sql)) & names) - {m.name} for m in models}
    done: list[Model] = []
    pending = {m.name: m for m in models}
    while pending:
        ready = sorted(n for n in pending if deps[n] <= {d.name for d in done})
        if not ready:
            raise ModelError(f"circular references between models: {', '.join(sorted(pending))}")
        for n in ready:
            done.append(pending.pop(n))
    return done


def write_seeds(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """Tables the transforms need from the configuration: shops, reporting settings, fx rates,
    the product rules (``seed_thresholds``, one row) and the monthly targets (``seed_targets``)."""
    import pandas as pd  # not imported by a process that only renders

    shops = pd.DataFrame([{
        "shop_id": s.id, "shop_name": s.name, "platform": s.platform, "currency": s.currency,
        "timezone": s.timezone, "gross_margin": s.gross_margin} for s in settings.shops])
    con.register("seed_shops_frame", shops)
    con.execute("create or replace table seed_shops as select * from seed_shops_frame")
    con.unregister("seed_shops_frame")
    con.execute("create or replace table seed_reporting as select ?::varchar as reporting_currency",
                [settings.reporting_currency])
    con.execute("create or replace table seed_fx_rates (rate_date date, currency varchar, "
                "rate_to_reporting double)")
    if settings.fx_rates_path is not None:
        load_fx_rates(con, settings.fx_rates_path)
    write_product_rules(con, settings.products)
    con.execute("create or replace table seed_targets (shop_id varchar, month_start date, "
                "gmv_target decimal(18, 2), ad_cost_target decimal(18, 2))")
    if settings.targets_path is not None:
        load_targets(con, settings.targets_path, [s.id for s in settings.shops])


def write_product_rules(con: duckdb.DuckDBPyConnection, rules: ProductRules) -> None:
    """``seed_thresholds``: the [products] rules as one row, one typed column per rule."""
    columns = [(f.name, "integer" if f.type in (int, "int") else "double", getattr(rules, f.name))
               for f in fields(rules)]
    con.execute("create or replace table seed_thresholds ("
                + ", ".join(f"{name} {kind}" for name, kind, _ in columns) + ")")
    con.execute(f"insert into seed_thresholds values ({', '.join('?' for _ in columns)})",
                [value for _, _, value in columns])


def load_fx_rates(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    import pandas as pd  # not imported by a process that only renders

    if not path.is_file():
        raise ModelError(f"{path}: fx rates file not found (paths.fx_rates in the configuration)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    expected = ["rate_date", "currency", "rate_to_reporting"]
    missing = [c for c in expected if c not in frame.columns]
    if missing:
        raise ModelError(f"{path}: missing column(s) {', '.join(missing)} (expected header "
                         f"{','.join(expected)})")
    dates = pd.to_datetime(frame["rate_date"], errors="coerce", format="%Y-%m-%d")
    rates = pd.to_numeric(frame["rate_to_reporting"], errors="coerce")
    bad = dates.isna() | rates.isna() | (rates <= 0) | ~frame["currency"].str.fullmatch("[A-Z]{3}")
    if bad.any():
        row = int(bad.idxmax()) + 2
        col = "rate_date" if dates.isna().iloc[row - 2] else (
            "currency" if not frame["currency"].str.fullmatch("[A-Z]{3}").iloc[row - 2] else "rate_to_reporting")
        raise ModelError(f"{path}: row {row}, column {col}: bad value "
                         f"{frame.iloc[row - 2][col]!r}")
    clean = pd.DataFrame({"rate_date": dates.dt.date, "currency": frame["currency"], "rate_to_reporting": rates})
    con.register("fx_frame", clean)
    con.execute("insert into seed_fx_rates select rate_date, currency, rate_to_reporting from fx_frame")
    con.unregister("fx_frame")


TARGETS_HEADER = ("shop_id", "month", "gmv_target", "ad_cost_target")


def load_targets(con: duckdb.DuckDBPyConnection, path: Path, shop_ids: list[str]) -> None:
    """Monthly targets per shop from ``paths.targets``: ``shop_id,month,gmv_target,ad_cost_target``.

    ``month`` is ``YYYY-MM``; targets are amounts in the shop's currency, 0 or more; an empty
    ``ad_cost_target`` means none. Errors name the file, the row (the header is row 1) and the
    column.
    """
    import pandas as pd  # not imported by a process that only renders

    if not path.is_file():
        raise ModelError(f"{path}: targets file not found (paths.targets in the configuration)")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in TARGETS_HEADER if c not in frame.columns]
    if missing:
        raise ModelError(f"{path}: missing column(s) {', '.join(missing)} (expected header "
                         f"{','.join(TARGETS_HEADER)})")
    rows, seen = [], {}
    for i, record in enumerate(frame[list(TARGETS_HEADER)].itertuples(index=False), start=2):
        shop_id, month, gmv, ad_cost = (str(v).strip() for v in record)

        def bad(column: str, value: str, why: str) -> ModelError:
            return ModelError(f"{path}: row {i}, column {column}: {why}; got {value!r}")

        if shop_id not in shop_ids:
            raise bad("shop_id", shop_id, f"not a configured shop ({', '.join(shop_ids)})")
        try:
            first_day = dt.datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            raise bad("month", month, "expected a month like 2026-11") from None
        if (shop_id, first_day) in seen:
            raise bad("month", month, f"{shop_id} already has a target for this month in row "
                                      f"{seen[shop_id, first_day]}")
        seen[shop_id, first_day] = i
        amounts = []
        for column, text in (("gmv_target", gmv), ("ad_cost_target", ad_cost)):
            if text == "" and column == "ad_cost_target":
                amounts.append(None)
                continue
            try:
                amount = Decimal(text.replace(",", ""))
            except InvalidOperation:
                raise bad(column, text, "expected an amount such as 1200000 or 1200000.00") from None
            if not amount.is_finite() or amount < 0:
                raise bad(column, text, "expected an amount of 0 or more")
            amounts.append(amount)
        rows.append((shop_id, first_day, *amounts))
    if rows:  # one statement: executemany runs one insert per row (0.1 s for 20 shops' year)
        shops, months, gmv_targets, ad_cost_targets = (list(column) for column in zip(*rows))
        con.execute("insert into seed_targets select unnest(?::varchar[]), unnest(?::date[]), "
                    "unnest(?::decimal(18, 2)[]), unnest(?::decimal(18, 2)[])",
                    [shops, months, gmv_targets, ad_cost_targets])


def _check_sql(model: str, check: dict) -> tuple[str, str]:
    if not isinstance(check, dict) or len(check) != 1:
        raise ModelError(f"{model}: a check is one of {', '.join(CHECK_KINDS)} with its argument; got {check!r}")
    kind, arg = next(iter(check.items()))
    if kind == "unique":
        cols = ", ".join(arg)
        return (f"unique({cols})",
                f"select coalesce(sum(n - 1), 0) from (select count(*) as n from {model} group by {cols}) where n > 1")
    if kind == "not_null":
        cond = " or ".join(f"{c} is null" for c in arg)
        return f"not_null({', '.join(arg)})", f"select count(*) from {model} where {cond}"
    if kind == "accepted_values":
        (col, values), = arg.items()
        listed = ", ".join("'" + str(v).replace("'", "''") + "'" for v in values)
        return (f"accepted_values({col})",
                f"select count(*) from {model} where {col} is not null and {col} not in ({listed})")
    if kind == "expression":
        return f"expression({arg})", f"select count(*) from {model} where not coalesce(({arg}), false)"
    raise ModelError(f"{model}: unknown check {kind!r} (one of {', '.join(CHECK_KINDS)})")


def _unique_among_sql(model: str, cols: list[str], new_rows: str, nulls: bool = True) -> str:
    """unique(cols) over the whole table, counted only for the keys the new rows hold. A null
    is a value here, as in ``group by``; when no new key holds one (``nulls`` false), the keys
    are matched with ``=``, which DuckDB joins by hash and pushes into the table's scan as a
    filter: 5-10x faster on the key columns of 10M order lines than ``is not distinct from``."""
    match = "is not distinct from" if nulls else "="
    on = " and ".join(f"t.{c} {match} k.{c}" for c in cols)
    listed = ", ".join(f"t.{c}" for c in cols)
    return (f"select coalesce(sum(n - 1), 0) from (select count(*) as n from {model} as t "
            f"semi join (select distinct {', '.join(cols)} from {new_rows}) as k on {on} "
            f"group by {listed}) where n > 1")


def run_checks(con: duckdb.DuckDBPyConnection, model: Model, new_rows: str | None = None, *,
               whole_partitions: bool = True) -> list[CheckResult]:
    """Run the model's checks on its table. ``new_rows`` (an incremental refresh's inserted rows,
    in a temp table): the checks that can be decided on those rows alone run there instead: row
    checks (not_null, accepted_values, expression), and unique over columns that hold the
    partition columns (the partitions left alone were checked when they were built), unless
    the new rows were appended to partitions that hold older rows (``whole_partitions`` false:
    a ``sequence`` model's keys). A failing
    ``unique`` over other columns is counted on the keys the new rows hold: the rest of the table
    passed it in the builds before (a failed check rolls its build back), so a duplicate now
    has a new row in it. Warnings are counted on the whole table."""
    results = []
    checks = model.doc.get("checks") or {}
    partition = set(model.refresh.partition_by) if model.refresh is not None and whole_partitions else set()
    for level in ("fail", "warn"):
        for check in checks.get(level) or []:
            table = model.name
            scoped = None
            if new_rows is not None and isinstance(check, dict) and len(check) == 1:
                kind, arg = next(iter(check.items()))
                if kind != "unique" or (partition and partition <= set(arg)):
                    table = new_rows
                elif level == "fail":
                    nulls = con.execute(f"select count(*) from {new_rows} where "
                                        + " or ".join(f"{c} is null" for c in arg)).fetchone()[0]
                    scoped = _unique_among_sql(model.name, list(arg), new_rows, nulls=bool(nulls))
            label, sql = _check_sql(table, check)
            sql = scoped or sql
            failing = con.execute(sql).fetchone()[0]
            results.append(CheckResult(model.name, level, label, int(failing or 0)))
    return results


BUILD_MODES = ("auto", "full", "incremental")


def build(con: duckdb.DuckDBPyConnection, settings: Settings, *, root: Path = TRANSFORMS_DIR,
          progress: Callable[[str], None] | None = None, mode: str = "auto") -> BuildResult:
    """Write the seeds and build every model with its checks, in one transaction.

    ``mode="full"`` rebuilds every model from all history. ``"incremental"`` refreshes only what
    the files loaded since the last build touch (see :mod:`flows.warehouse.refresh`); it falls
    back to a full build when the last build's state is missing or the models or the
    configuration changed since. ``"auto"`` (the default) is incremental whenever it can be.
    Both give identical tables (tests/transforms/test_incremental.py).
    """
    if mode not in BUILD_MODES:
        raise ValueError(f"build mode is one of {', '.join(BUILD_MODES)}; got {mode!r}")
    started = time.perf_counter()
    state = read_build_state(con)  # what the last build saw, and the files loaded since
    files = loaded_files_state(con, state.last_source_file_id if state else 0)
    limit = settings.incremental_build_limit if mode != "full" else None
    if not limit:
        return _build(con, settings, root, progress, mode, started, state, files)
    configured = settings.memory_limit or con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    restore = f"set memory_limit = '{settings.memory_limit}'" if settings.memory_limit else "reset memory_limit"
    ceiling, limit = limit, sized_memory_limit(limit, files.rows_loaded - files.seen_rows_loaded)
    try:
        return _build(con, settings, root, progress, mode, started, state, files, memory_limit=limit)
    except (BuildFailed, duckdb.Error) as exc:
        if not _out_of_memory(exc):
            raise
        # the build rolled back (the state and files are as they were); the whole of it again,
        # under the warehouse's own limit
        con.execute(restore)
        result = _build(con, settings, root, progress, mode, started, state, files)
        result.notes.append(f"the incremental build needed more than its {limit} (sized by the rows loaded since "
                            f"the last build; warehouse.incremental_memory_limit {ceiling}); built again under "
                            f"the warehouse's memory limit ({configured})")
        return result
    finally:
        con.execute(restore)


def _out_of_memory(exc: BaseException | None) -> bool:
    """Whether DuckDB ran out of memory somewhere in ``exc``'s chain."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, duckdb.OutOfMemoryException):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


def _build(con: duckdb.DuckDBPyConnection, settings: Settings, root: Path,
           progress: Callable[[str], None] | None, mode: str, started: float,
           state: BuildState | None, files: LoadedFiles, memory_limit: str | None = None) -> BuildResult:
    models = load_models(root)
    config_hash = transforms_config_hash(settings, root)
    incremental = (mode != "full" and state is not None and state.transforms_sha256 == config_hash
                   and files.seen_unchanged(state))
    result = BuildResult(mode="incremental" if incremental else "full")
    if incremental and memory_limit:  # a morning's refresh: small, spilling to disk if ever more
        result.memory_limit = memory_limit
        con.execute(f"set memory_limit = '{memory_limit}'")
    con.execute("begin transaction")
    try:
        write_seeds(con, settings)
        refresher = IncrementalRefresh(con, models, state.last_source_file_id,
                                       files.new_files) if incremental else None
        for model in models:
            try:
                if refresher:
                    how = refresher.refresh(model)
                else:
                    con.execute(f"create or replace table {model.name} as\n{model.table_sql}")
                    how = "full"
            except duckdb.Error as exc:
                raise BuildFailed(f"{model.path}: {exc}") from exc
            result.refreshed[model.name] = how
            checks = (run_checks(con, model, refresher.new_rows.get(model.name) if refresher else None,
                                 whole_partitions=not refresher or model.name not in refresher.appended)
                      if how != "unchanged" else [])
            result.models.append(model.name)
            result.checks.extend(checks)
            failed = [c for c in checks if c.level == "fail" and not c.passed]
            if failed:
                raise BuildFailed("; ".join(c.line() for c in failed), result.checks)
            if progress:
                progress(model.name)
        if refresher:
            refresher.drop_temp_tables()
        con.execute("create or replace table build_state as select ?::varchar as inputs_sha256, "
                    "?::varchar as transforms_sha256, ?::bigint as last_source_file_id, "
                    "?::bigint as seen_files, ?::bigint as seen_rows_loaded, ?::varchar as mode, "
                    "now() as built_at",
                    [build_inputs_hash(con, settings, root, config_hash=config_hash), config_hash, files.last_source_file_id,
                     files.files, files.rows_loaded, result.mode])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    result.seconds = time.perf_counter() - started
    return result


# What a morning's refresh needs follows the rows it touches, not the history: measured, a
# one-shop morning (22,000 new rows at 10M order lines a year) builds as fast in 128 MiB as in
# 256 MB, a 20-shop one at 1M a year (57,800) builds in 128 MiB too, and a 20-shop morning at
# 10M a year (574,000: 216 MiB here) builds as fast in 208-224 MB as in 256 MB and runs out in
# 192 MB. Beyond what a build needs, DuckDB only keeps more of the table blocks it read, and the
# process's peak grows with it: 468-476 MB against 499 MB for that morning (docs/performance.md).
INCREMENTAL_BASE_BYTES = 128 * 1024**2
INCREMENTAL_BYTES_PER_ROW = 160


def sized_memory_limit(ceiling: str, new_rows: int) -> str:
    """An incremental build's memory limit: 128 MiB and 160 bytes for every row loaded since the
    last build, at most ``ceiling`` (``warehouse.incremental_memory_limit``)."""
    wanted = INCREMENTAL_BASE_BYTES + INCREMENTAL_BYTES_PER_ROW * max(new_rows, 0)
    if wanted >= size_bytes(ceiling):
        return ceiling
    return f"{-(-wanted // 1024**2)}MiB"


@dataclass(frozen=True)
class BuildState:
    """What the last build saw (the ``build_state`` table)."""

    transforms_sha256: str
    last_source_file_id: int
    seen_files: int
    seen_rows_loaded: int


@dataclass(frozen=True)
class LoadedFiles:
    """The loaded files now: all of them, and those the last build had already seen."""

    last_source_file_id: int
    files: int
    rows_loaded: int
    seen_files: int  # files with an id up to the last build's last_source_file_id
    seen_rows_loaded: int
    new_files: int

    def seen_unchanged(self, state: BuildState) -> bool:
        """The files the last build saw are all still there, unchanged (only new ones came)."""
        return (self.seen_files, self.seen_rows_loaded) == (state.seen_files, state.seen_rows_loaded)


def read_build_state(con: duckdb.DuckDBPyConnection) -> BuildState | None:
    """The last build's state, or None when there is none an incremental build can start from."""
    columns = {row[0] for row in con.execute(
        "select column_name from duckdb_columns() where schema_name = 'main' "
        "and table_name = 'build_state'").fetchall()}
    if not {"transforms_sha256", "last_source_file_id", "seen_files", "seen_rows_loaded"} <= columns:
        return None
    rows = con.execute("select transforms_sha256, last_source_file_id, seen_files, seen_rows_loaded "
                       "from build_state").fetchall()
    if len(rows) != 1 or None in rows[0]:
        return None
    return BuildState(rows[0][0], *(int(v) for v in rows[0][1:]))


def loaded_files_state(con: duckdb.DuckDBPyConnection, seen_up_to: int) -> LoadedFiles:
    row = con.execute(
        "select coalesce(max(source_file_id), 0), count(*), coalesce(sum(rows_loaded), 0), "
        "count(*) filter (where source_file_id <= $1), "
        "coalesce(sum(rows_loaded) filter (where source_file_id <= $1), 0), "
        "count(*) filter (where source_file_id > $1) from source_files", [seen_up_to]).fetchall()[0]
    return LoadedFiles(*(int(v) for v in row))


def transforms_config_hash(settings: Settings, root: Path = TRANSFORMS_DIR) -> str:
    """A hash of the models, the settings the seeds are written from (the shops, the reporting
    currency, the product rules) and the files named there (fx rates, targets): when it changes,
    the next build is a full one. Mail, recipients and the like are not read by a build and do
    not count."""
    from flows.archive import tree_hash

    digest = hashlib.sha256(tree_hash(root, (".sql", ".yml")).encode())
    digest.update(repr((settings.shops, settings.reporting_currency, settings.products)).encode())
    for path in (settings.fx_rates_path, settings.targets_path):
        digest.update(b"\0" + (path.read_bytes() if path is not None and path.is_file() else b"-"))
    return digest.hexdigest()


def build_inputs_hash(con: duckdb.DuckDBPyConnection, settings: Settings, root: Path = TRANSFORMS_DIR, *,
                      config_hash: str | None = None) -> str:
    """A hash of everything a build reads: the models and configuration
    (:func:`transforms_config_hash`, or ``config_hash`` when the caller has it) and the files
    loaded so far (their ids and row counts)."""
    digest = hashlib.sha256((config_hash or transforms_config_hash(settings, root)).encode())
    loaded = con.execute("select count(*), coalesce(max(source_file_id), 0), coalesce(sum(rows_loaded), 0) "
                         "from source_files").fetchall()[0]
    digest.update(repr(tuple(int(v) for v in loaded)).encode())
    return digest.hexdigest()


def build_is_current(con: duckdb.DuckDBPyConnection, settings: Settings, root: Path = TRANSFORMS_DIR) -> bool:
    """True when the last build saw the same models, configuration and loaded files as now."""
    found = con.execute("select count(*) from duckdb_tables() where schema_name = 'main' "
                        "and table_name = 'build_state'").fetchall()[0][0]
    if not found:
        return False
    stamp = con.execute("select inputs_sha256 from build_state").fetchall()
    return bool(stamp) and stamp[0][0] == build_inputs_hash(con, settings, root)
