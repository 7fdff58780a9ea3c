"""Open the warehouse and keep its raw schema.

The warehouse is "a path behind one function": everything that reads or writes it goes through
:func:`connect`, so moving it (another path, another engine later) is a change in one place.
DuckDB is single-writer across processes; a second writer gets a clear message, not a corrupt file.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import duckdb


LINEAGE_COLUMNS = {"source_file_id": "bigint not null", "source_row": "bigint not null",
                   "shop_id": "varchar not null"}

SCHEMA_SQL = [
    "create sequence if not exists source_file_id_seq start 1",
    """create table if not exists source_files (
        source_file_id bigint primary key,
        run_id varchar not null,
        shop_id varchar not null,
        profile varchar,
        entity varchar,
        file_name varchar not null,
        sha256 varchar not null,
        landing_path varchar,
        status varchar not null,          -- loaded | refused
        coverage_start date,
        coverage_end date,
        rows_read bigint not null,
        rows_loaded bigint not null,
        rows_rejected bigint not null,
        summary_rows bigint not null default 0,
        encoding varchar,
        message varchar,
        loaded_at timestamptz not null
    )""",
    """create table if not exists rejects (
        source_file_id bigint not null,
        file_name varchar not null,
        source_row bigint,
        column_name varchar,
        raw_value varchar,
        reason varchar not null
    )""",
    """create table if not exists ingest_events (
        run_id varchar not null,
        logged_at timestamptz not null,
        shop_id varchar,
        file_name varchar,
        level varchar not null,           -- info | warning | error
        message varchar not null
    )""",
]


class WarehouseBusy(RuntimeError):
    """Another process holds the warehouse file."""


def raw_table_sql(entity: str) -> str:
    from flows.ingest.profiles import CANONICAL  # pandas: not imported by a process that only reads

    cols = {**LINEAGE_COLUMNS, **CANONICAL[entity]}
    body = ",\n    ".join(f"{name} {ctype}" for name, ctype in cols.items())
    return f"create table if not exists raw_{entity} (\n    {body}\n)"


def connect(path: Path, *, read_only: bool = False, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (created with its schema when new).

    Extension downloads are switched off: everything shopreport needs is built into DuckDB, and a
    download attempt would only cost seconds before failing offline (STACK.md §3.1).
    """
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            pid = re.search(r"PID (\d+)", str(exc))
            who = f" (process {pid.group(1)})" if pid else ""
            raise WarehouseBusy(
                f"{path}: the warehouse is in use by another process{who}: another shopreport run "
                f"or a program with the DuckDB file open; wait for it to finish and try again") from exc
        raise
    con.execute("set TimeZone = 'UTC'")  # timestamps are instants; business dates use each shop's zone
    if not read_only:
        ensure_schema(con)
    return con


@contextlib.contextmanager
def open_warehouse(path: Path, *, read_only: bool = False,
                   memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """The warehouse for one step; ``memory_limit`` is ``warehouse.memory_limit`` of the settings."""
    con = connect(path, read_only=read_only, memory_limit=memory_limit)
    try:
        yield con
    finally:
        con.close()


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    from flows.ingest.profiles import CANONICAL

    for sql in SCHEMA_SQL:
        con.execute(sql)
    for entity in CANONICAL:
        con.execute(raw_table_sql(entity))


def existing_salt(warehouse_path: Path) -> str | None:
    """The salt :func:`install_salt` gives, when there is one already; creates nothing."""
    env = os.environ.get("SHOPREPORT_SALT")
    if env:
        return env
    salt_path = warehouse_path.parent / ".buyer_salt"
    if salt_path.exists():
        return salt_path.read_text(encoding="ascii").strip()
    return None


def install_salt(warehouse_path: Path) -> str:
    """The per-install salt for buyer ids, kept beside the warehouse (created on first use).

    ``SHOPREPORT_SALT`` overrides it (for installs that keep secrets elsewhere).
    """
    salt = existing_salt(warehouse_path)
    if salt is not None:
        return salt
    salt_path = warehouse_path.parent / ".buyer_salt"
    salt_path.parent.mkdir(parents=True, exist_ok=True)
    salt = secrets.token_hex(16)
    fd = os.open(salt_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(salt)
    return salt
