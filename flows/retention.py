"""Retention: how long the raw landing files (and, if asked, archived reports) are kept.

``[retention]`` in ``shopreport.toml``: ``landing_days`` removes the landing copy of an export
once it was loaded that many days ago; ``archive_days`` removes archived reports whose period
ended that many days ago. Both are unset by default: everything is kept forever.

What a landing file holds is in the warehouse already (``raw_*`` rows with their
``source_files`` lineage); removing the copy loses only the original bytes. Every removal is
recorded in the warehouse table ``retention_log`` (path, size, sha256, why, when), so the
lineage says where an original went. ``shopreport retention --dry-run`` lists what would go.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.settings import Settings

RETENTION_LOG = """create table if not exists retention_log (
    kind varchar not null,             -- landing | report
    path varchar not null,
    bytes bigint not null,
    sha256 varchar,
    reason varchar not null,
    removed_at timestamptz not null
)"""


@dataclass(frozen=True)
class Removal:
    kind: str  # landing | report
    path: Path
    bytes: int
    reason: str
    sha256: str | None = None

    def line(self) -> str:
        return f"{self.kind:8} {self.bytes / 1024:10.1f} KB  {self.path}  ({self.reason})"


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def plan_retention(settings: "Settings", today: dt.date | None = None) -> list[Removal]:
    """What the configured retention removes today (nothing when none is configured)."""
    today = today or dt.date.today()
    removals: list[Removal] = []
    if settings.retention.landing_days is not None:
        removals += _landing_removals(settings, today - dt.timedelta(days=settings.retention.landing_days))
    if settings.retention.archive_days is not None:
        removals += _report_removals(settings, today - dt.timedelta(days=settings.retention.archive_days))
    return removals


def _landing_removals(settings: "Settings", cutoff: dt.date) -> list[Removal]:
    """Landing files loaded before ``cutoff`` (by the warehouse's ``loaded_at``; a file the
    warehouse does not know, by its modification time)."""
    if not settings.landing_dir.is_dir():
        return []
    loaded: dict[str, tuple[dt.date, str]] = {}
    if settings.warehouse_path.exists():
        from flows.warehouse.db import open_warehouse

        with open_warehouse(settings.warehouse_path, read_only=True, memory_limit=settings.memory_limit) as con:
            for path, loaded_at, sha in con.execute(
                    "select landing_path, max(loaded_at), any_value(sha256) from source_files "
                    "where landing_path is not null group by landing_path").fetchall():
                loaded[str(Path(path).resolve())] = (loaded_at.date(), sha)
    removals = []
    for path in sorted(p for p in settings.landing_dir.rglob("*") if p.is_file()):
        if path.name.startswith(".") or path.name.endswith(".partial"):
            continue
        known = loaded.get(str(path.resolve()))
        day = known[0] if known else dt.datetime.fromtimestamp(path.stat().st_mtime).date()
        if day < cutoff:
            source = "loaded" if known else "written (not in the warehouse)"
            removals.append(Removal("landing", path, path.stat().st_size,
                                    f"{source} {day}, before {cutoff}", known[1] if known else None))
    return removals


def _report_removals(settings: "Settings", cutoff: dt.date) -> list[Removal]:
    from flows.archive import list_reports

    return [Removal("report", e.folder, _size(e.folder), f"{e.kind} {e.period} ended {e.last_day}, before {cutoff}")
            for e in reversed(list_reports(settings.archive_dir, end=cutoff - dt.timedelta(days=1)))]


def apply_retention(settings: "Settings", removals: list[Removal]) -> int:
    """Remove the planned files and folders and record each in ``retention_log``; returns the
    bytes freed. Call under the run lock (it writes to the warehouse)."""
    if not removals:
        return 0
    from flows.warehouse.db import open_warehouse

    freed = 0
    now = dt.datetime.now(dt.UTC)
    with open_warehouse(settings.warehouse_path, memory_limit=settings.memory_limit) as con:
        con.execute(RETENTION_LOG)
        for removal in removals:
            if removal.path.is_dir():
                shutil.rmtree(removal.path)
            elif removal.path.exists():
                removal.path.unlink()
            else:
                continue
            freed += removal.bytes
            con.execute("insert into retention_log values (?, ?, ?, ?, ?, ?)",
                        [removal.kind, str(removal.path), removal.bytes, removal.sha256, removal.reason, now])
    _remove_empty_folders(settings.landing_dir)
    if any(r.kind == "report" for r in removals):
        from flows.archive import write_index

        write_index(settings.archive_dir)
    return freed


def _remove_empty_folders(root: Path) -> None:
    if not root.is_dir():
        return
    for folder in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()
