"""The Parquet lake between parallel extracts and the one warehouse writer (docs/scale-out.md).

DuckDB is single-writer, so when shops are extracted in parallel (one Prefect child run per
shop, on any worker) the extracts write Parquet files, and one process loads them into the
warehouse:

- :func:`extract_to_lake` reads a shop's inbox with the ingest machinery as it is (profiles,
  decoding, parsing, rejects, lineage): each file goes through an :class:`~flows.ingest.load.Ingestor`
  whose "warehouse" is a scratch in-memory DuckDB, and the rows it would have inserted are
  written to the lake instead. The warehouse file is never opened.
- :func:`load_lake` is the single writer: every export in the lake that the warehouse does not
  hold yet goes in, one transaction per export, in the order a direct ingest of the inbox would
  have loaded them (shops in configuration order, files by name), so the warehouse ends up with
  the same ``raw_<entity>``, ``source_files`` and ``rejects`` rows, ``source_file_id`` included.

Layout (hive style; ``<sha12>`` is the start of the export's SHA-256)::

    <lake>/<entity>/shop_id=<id>/business_date=<d>/<sha12>.parquet   raw rows of that day
    <lake>/_lineage/source_files/shop_id=<id>/<sha12>.parquet         the source_files row
    <lake>/_lineage/rejects/shop_id=<id>/<sha12>.parquet              rejected cells (if any)
    <lake>/_lineage/ingest_events/shop_id=<id>/<sha12>.parquet        what the ingest said
    <lake>/_lineage/exports/shop_id=<id>/<sha12>.parquet              the export's manifest

A row's ``business_date`` is its own day (the order's creation day in the shop's time zone;
the traffic or ad day), or the last day the export covers when the row has none. Every file is
written to a temporary name and renamed; the manifest is written last and lists the export's
files, so an export is in the lake whole (manifest present) or not at all. An export whose
manifest exists is not extracted again: a second extract of the same bytes writes nothing.
Raw files keep every column of ``raw_<entity>`` except ``source_file_id``, which only the
warehouse assigns.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from flows.ingest.load import FileOutcome, Ingestor, _ignored, new_run_id
from flows.ingest.profiles import CANONICAL, ENTITY_EVENT_COLUMN, load_profiles
from flows.settings import Settings, ShopConfig
from flows.warehouse.db import ensure_schema, install_salt, open_warehouse

LINEAGE = "_lineage"
LINEAGE_TABLES = ("source_files", "rejects", "ingest_events")
MANIFESTS = f"{LINEAGE}/exports"
MISSING_DATE = "__HIVE_DEFAULT_PARTITION__"  # hive's name for a null partition value

LAKE_LOADS_SQL = """create table if not exists lake_loads (
    sha256 varchar not null,
    shop_id varchar not null,
    file_name varchar not null,
    status varchar not null,          -- the ingest's status: loaded | refused | unrecognised; or duplicate
    source_file_id bigint,            -- null when the export made no source_files row
    extract_run_id varchar,           -- the Ingestor run inside the extract
    flow_run_id varchar,              -- the Prefect run that extracted it (the child run)
    worker varchar,                   -- the Prefect worker that ran it, when there was one
    pid bigint,                       -- the extracting process
    extracted_at timestamptz not null,
    load_run_id varchar not null,
    loaded_at timestamptz not null,
    primary key (shop_id, sha256)
)"""


@dataclass(frozen=True)
class Extractor:
    """Who extracts: kept in each export's manifest (and in ``lake_loads`` after the load)."""

    flow_run_id: str = ""
    worker: str = ""
    pid: int = field(default_factory=os.getpid)

    @classmethod
    def current(cls) -> Extractor:
        """This process, in the Prefect run it is in (a process worker sets ``PREFECT__WORKER_NAME``)."""
        from prefect.runtime import flow_run

        return cls(flow_run_id=str(flow_run.id or ""), worker=os.environ.get("PREFECT__WORKER_NAME", ""))


def extract_to_lake(settings: Settings, shop_id: str, lake_dir: Path, *,
                    extractor: Extractor | None = None) -> list[Path]:
    """Extract every export in ``inbox/<shop_id>/`` to the lake; return the files written.

    Each file is recognised, parsed and checked exactly as ``shopreport ingest`` would, and its
    original bytes are kept in the landing folder. After its manifest is written, a file leaves
    the inbox (loaded), or moves to ``inbox/<shop>/_rejected/`` with its reason (refused,
    unrecognised); a file already in the lake just leaves the inbox.
    """
    shop = settings.shop(shop_id)
    folder = settings.inbox_dir / shop.id
    if not folder.is_dir():
        return []
    extractor = extractor or Extractor()
    salt = install_salt(settings.warehouse_path)  # the file beside the warehouse, or SHOPREPORT_SALT
    written: list[Path] = []
    with duckdb.connect(config={"autoinstall_known_extensions": False,
                                "autoload_known_extensions": False}) as scratch:
        scratch.execute("set TimeZone = 'UTC'")
        ensure_schema(scratch)
        # one ingest run per extract, as `shopreport ingest` is one run; its "warehouse" is scratch
        ingestor = Ingestor(scratch, settings, salt, profiles=load_profiles(settings.profiles_dir))
        try:
            for path in sorted(p for p in folder.iterdir() if p.is_file() and not _ignored(p)):
                written += _extract_file(scratch, ingestor, shop, path, Path(lake_dir), extractor)
        finally:
            ingestor.close()
    return written


def _extract_file(scratch: duckdb.DuckDBPyConnection, ingestor: Ingestor, shop: ShopConfig, path: Path,
                  lake_dir: Path, extractor: Extractor) -> list[Path]:
    """One inbox file to the lake (see :func:`extract_to_lake`); return the files written."""
    try:
        sha = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        sha = None  # the Ingestor says why it cannot read the file
    if sha and _manifest_path(lake_dir, shop.id, sha).exists():
        _check_manifest(lake_dir, shop.id, sha)
        path.unlink()
        return []
    for table in ("source_files", "rejects", "ingest_events", *(f"raw_{e}" for e in CANONICAL)):
        scratch.execute(f"delete from {table}")  # the previous file's rows are in the lake
    outcome = ingestor.ingest_file(path, shop, from_inbox=False)  # the inbox is settled below
    if sha is None:  # unreadable: nothing to keep, the file stays where it is
        return []
    written = _write_export(scratch, lake_dir, shop, sha, outcome, ingestor.run_id, extractor)
    _settle_inbox_file(ingestor, path, shop, outcome)
    return written


def _write_export(scratch: duckdb.DuckDBPyConnection, lake_dir: Path, shop: ShopConfig, sha: str,
                  outcome: FileOutcome, run_id: str, extractor: Extractor) -> list[Path]:
    written: list[Path] = []
    name = f"{sha[:12]}.parquet"
    if outcome.source_file_id is not None and outcome.rows_loaded:
        column = ENTITY_EVENT_COLUMN.get(outcome.entity)
        coverage_end = scratch.execute("select coverage_end from source_files").fetchone()[0]
        day = _row_day_sql(outcome.entity, column, shop.timezone)
        scratch.execute(f"create or replace temp table lake_rows as select *, coalesce({day}, ?::date) as lake_day "
                        f"from raw_{outcome.entity}", [coverage_end])
        days = [d for (d,) in scratch.execute("select distinct lake_day from lake_rows order by 1 nulls last")
                .fetchall()]
        for d in days:
            part = d.isoformat() if d is not None else MISSING_DATE
            target = lake_dir / outcome.entity / f"shop_id={shop.id}" / f"business_date={part}" / name
            where = "lake_day is null" if d is None else f"lake_day = date '{d.isoformat()}'"
            _copy_atomic(scratch, f"select * exclude (source_file_id, lake_day) from lake_rows "
                                  f"where {where} order by source_row", target)
            written.append(target)
    for table in LINEAGE_TABLES:
        if not scratch.execute(f"select count(*) from {table}").fetchone()[0]:
            continue
        columns = "* exclude (source_file_id)" if table != "ingest_events" else "*"
        target = lake_dir / LINEAGE / table / f"shop_id={shop.id}" / name
        _copy_atomic(scratch, f"select {columns} from {table}", target)
        written.append(target)
    manifest = _manifest_path(lake_dir, shop.id, sha)
    scratch.execute(
        "create or replace temp table lake_manifest as select ?::varchar as sha256, ?::varchar as shop_id, "
        "?::varchar as file_name, ?::varchar as status, ?::varchar as entity, ?::varchar as message, "
        "?::varchar[] as files, ?::varchar as extract_run_id, ?::varchar as flow_run_id, "
        "?::varchar as worker, ?::bigint as pid, now() as extracted_at",
        [sha, shop.id, outcome.path.name, outcome.status, outcome.entity, outcome.message,
         [p.relative_to(lake_dir).as_posix() for p in written], run_id, extractor.flow_run_id,
         extractor.worker, extractor.pid])
    _copy_atomic(scratch, "select * from lake_manifest", manifest)  # last: the export is in the lake
    return [*written, manifest]


def _row_day_sql(entity: str, column: str | None, timezone: str) -> str:
    """SQL for a row's business date: its event column, in the shop's time zone for instants."""
    if column is None:
        return "null::date"
    if CANONICAL[entity][column] == "timestamptz":
        zone = timezone.replace("'", "''")
        return f"({column} at time zone '{zone}')::date"
    return f"{column}::date"


def _settle_inbox_file(ingestor: Ingestor, path: Path, shop: ShopConfig, outcome: FileOutcome) -> None:
    """The inbox file's fate once the lake holds its export, as a direct ingest decides it."""
    if outcome.status in ("loaded", "duplicate"):
        path.unlink()
    elif outcome.status in ("refused", "unrecognised") and path.exists():
        ingestor.move_to_rejected(path, shop, outcome.message)


def _copy_atomic(con: duckdb.DuckDBPyConnection, query: str, target: Path) -> None:
    """``COPY (query) TO target`` as Parquet, through a temporary name in the same folder."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.partial")
    con.execute(f"copy ({query}) to '{_sql_path(tmp)}' (format parquet)")
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, target)


def _sql_path(path: Path) -> str:
    return str(path).replace("'", "''")


def _manifest_path(lake_dir: Path, shop_id: str, sha: str) -> Path:
    return Path(lake_dir) / MANIFESTS / f"shop_id={shop_id}" / f"{sha[:12]}.parquet"


def _check_manifest(lake_dir: Path, shop_id: str, sha: str) -> None:
    path = _manifest_path(lake_dir, shop_id, sha)
    with duckdb.connect() as con:
        found = con.execute("select sha256 from read_parquet(?)", [str(path)]).fetchall()[0][0]
    if found != sha:
        raise RuntimeError(f"{path}: holds export {found}, not {sha} (two exports share the first 12 "
                           f"hex digits of their SHA-256)")


# ----------------------------------------------------------------------------------------------
# the single writer
# ----------------------------------------------------------------------------------------------

@dataclass
class LoadedExport:
    shop_id: str
    file_name: str
    status: str  # the ingest's status (loaded | refused | unrecognised), or duplicate
    source_file_id: int | None = None
    rows: int = 0
    worker: str = ""
    pid: int | None = None


@dataclass
class LoadReport:
    run_id: str
    exports: list[LoadedExport] = field(default_factory=list)
    already_loaded: int = 0  # exports in the lake that an earlier load took
    skipped_shops: list[str] = field(default_factory=list)  # in the lake, not in the configuration

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.exports)

    def summary(self) -> str:
        new = [e for e in self.exports if e.status != "duplicate"]
        text = (f"{len(new)} export(s) loaded from the lake ({self.rows} rows), "
                f"{len(self.exports) - len(new)} already in the warehouse by a direct ingest, "
                f"{self.already_loaded} loaded before")
        if self.skipped_shops:
            text += f"; shops not configured, left in the lake: {', '.join(self.skipped_shops)}"
        return text


def load_lake(settings: Settings, lake_dir: Path) -> LoadReport:
    """Load every export in the lake that is not in the warehouse yet (the only writer).

    One transaction per export: its ``source_files`` row (with the next ``source_file_id``), its
    ``raw_<entity>`` rows, rejects and ingest events, and a ``lake_loads`` row that marks it
    loaded. Exports go in shop by shop (configuration order), by file name within a shop, as
    ``ingest_inbox`` would have loaded them. An export whose bytes a direct ingest loaded already
    is recorded as ``duplicate`` and adds nothing.
    """
    lake_dir = Path(lake_dir)
    report = LoadReport(run_id=new_run_id())
    manifests = _read_manifests(lake_dir)
    order = {s.id: i for i, s in enumerate(settings.shops)}
    report.skipped_shops = sorted({m["shop_id"] for m in manifests} - set(order))
    manifests = sorted((m for m in manifests if m["shop_id"] in order),
                       key=lambda m: (order[m["shop_id"]], m["file_name"], m["sha256"]))
    with open_warehouse(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        con.execute(LAKE_LOADS_SQL)
        done = set(con.execute("select shop_id, sha256 from lake_loads").fetchall())
        for manifest in manifests:
            if (manifest["shop_id"], manifest["sha256"]) in done:
                report.already_loaded += 1
                continue
            report.exports.append(_load_export(con, lake_dir, manifest, report.run_id))
    return report


def _read_manifests(lake_dir: Path) -> list[dict]:
    paths = sorted((lake_dir / MANIFESTS).glob("shop_id=*/*.parquet"))
    if not paths:
        return []
    with duckdb.connect() as con:
        rel = con.execute("select * from read_parquet(?, hive_partitioning = false)", [[str(p) for p in paths]])
        columns = [d[0] for d in rel.description]
        return [dict(zip(columns, row)) for row in rel.fetchall()]


def _load_export(con: duckdb.DuckDBPyConnection, lake_dir: Path, manifest: dict, run_id: str) -> LoadedExport:
    files = {_lake_table(f): [] for f in manifest["files"]}
    for f in manifest["files"]:
        files[_lake_table(f)].append(str(lake_dir / f))
    shop_id, sha = manifest["shop_id"], manifest["sha256"]
    loaded = LoadedExport(shop_id, manifest["file_name"], manifest["status"], worker=manifest["worker"],
                          pid=manifest["pid"])
    con.execute("begin transaction")
    try:
        seen = con.execute("select source_file_id from source_files where sha256 = ? and shop_id = ? "
                           "and status = 'loaded'", [sha, shop_id]).fetchone()
        if seen:  # a direct ingest took the same bytes
            loaded.status, loaded.source_file_id = "duplicate", seen[0]
        else:
            if "source_files" in files:
                loaded.source_file_id = con.execute("select nextval('source_file_id_seq')").fetchone()[0]
                con.execute("insert into source_files by name select ? as source_file_id, * replace "
                            "(now() as loaded_at) from read_parquet(?, hive_partitioning = false)",
                            [loaded.source_file_id, files.pop("source_files")])
            for table in ("rejects", "ingest_events"):
                if table in files:
                    extra = "? as source_file_id, " if table == "rejects" else ""
                    params = [loaded.source_file_id] if table == "rejects" else []
                    con.execute(f"insert into {table} by name select {extra}* from "
                                f"read_parquet(?, hive_partitioning = false)", [*params, files.pop(table)])
            for table, paths in files.items():  # raw_<entity>: one file per business date
                con.execute(f"insert into raw_{table} by name select ? as source_file_id, * from "
                            f"read_parquet(?, hive_partitioning = false)", [loaded.source_file_id, paths])
                loaded.rows += con.execute("select count(*) from read_parquet(?, hive_partitioning = false)",
                                           [paths]).fetchone()[0]
        con.execute("insert into lake_loads values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                    [sha, shop_id, manifest["file_name"], loaded.status, loaded.source_file_id,
                     manifest["extract_run_id"], manifest["flow_run_id"], manifest["worker"], manifest["pid"],
                     manifest["extracted_at"], run_id])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return loaded


def _lake_table(relative: str) -> str:
    """``orders/shop_id=…/…`` → ``orders``; ``_lineage/rejects/…`` → ``rejects``."""
    parts = relative.split("/")
    return parts[1] if parts[0] == LINEAGE else parts[0]


def lake_partitions(lake_dir: Path, entity: str) -> list[tuple[str, dt.date | None]]:
    """The (shop_id, business_date) partitions the lake holds for ``entity``."""
    found = set()
    for path in Path(lake_dir, entity).glob("shop_id=*/business_date=*/*.parquet"):
        shop = path.parent.parent.name.removeprefix("shop_id=")
        day = path.parent.name.removeprefix("business_date=")
        found.add((shop, None if day == MISSING_DATE else dt.date.fromisoformat(day)))
    return sorted(found, key=lambda t: (t[0], t[1] or dt.date.min))


__all__ = ["Extractor", "LoadReport", "LoadedExport", "extract_to_lake", "lake_partitions", "load_lake"]
