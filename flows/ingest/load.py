"""Load export files into the warehouse: one file, one transaction.

For each file: read its bytes once; skip it when the same bytes were loaded before; decode and
recognise it; parse every mapped cell; send unparseable cells to ``rejects``; keep the original
bytes in the landing folder; and insert ``source_files`` + ``raw_<entity>`` + ``rejects`` in one
transaction, so a file is in the warehouse whole or not at all. Files taken from the inbox are
removed from it only after the commit; a file that cannot be loaded is moved aside to
``inbox/<shop>/_rejected/`` with a ``.reason.txt`` beside it, and the run goes on.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from flows.ingest.profiles import (CANONICAL, ENTITY_EVENT_COLUMN, ColumnSpec, Match, NoMatch,
                                   Profile, load_profiles, match_profile)
from flows.ingest.readers import UnreadableFile, read_table
from flows.ingest.values import PARSERS, REASONS, STR
from flows.settings import Settings, ShopConfig

REJECTED_DIR = "_rejected"
SUPPORTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls"}
_DATE_IN_NAME = re.compile(r"(?<!\d)(20\d{2})[-_.]?(0[1-9]|1[0-2])[-_.]?(0[1-9]|[12]\d|3[01])(?!\d)")


class FileRefused(ValueError):
    """The file was recognised but cannot be loaded (e.g. a required column is missing)."""


@dataclass
class FileOutcome:
    path: Path
    shop_id: str
    status: str  # loaded | duplicate | refused | unrecognised
    message: str
    profile: str | None = None
    entity: str | None = None
    source_file_id: int | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0

    def line(self) -> str:
        counts = (f" — {self.rows_read} rows read, {self.rows_loaded} loaded, "
                  f"{self.rows_rejected} rejected" if self.status in ("loaded", "refused") and self.rows_read
                  else "")
        return f"[{self.status}] {self.shop_id}/{self.path.name}: {self.message}{counts}"


@dataclass
class IngestReport:
    run_id: str
    outcomes: list[FileOutcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def loaded(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.status == "loaded"]

    def summary(self) -> str:
        rows = sum(o.rows_loaded for o in self.outcomes)
        rejected = sum(o.rows_rejected for o in self.outcomes)
        return (f"{self.count('loaded')} file(s) loaded ({rows} rows, {rejected} rejected), "
                f"{self.count('duplicate')} already loaded, {self.count('refused')} refused, "
                f"{self.count('unrecognised')} unrecognised")


@dataclass
class ParsedFile:
    frame: pd.DataFrame            # canonical columns + source_row
    rejects: list[dict]
    rows_read: int
    summary_rows: int
    encoding: str


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def buyer_hash(values: pd.Series, salt: str) -> pd.Series:
    """Salted SHA-256 of buyer ids; the raw id is never stored."""
    def one(v: object) -> object:
        if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
            return None
        return hashlib.sha256(f"{salt}\x1f{v}".encode("utf-8")).hexdigest()[:32]
    return values.map(one).astype(STR)


def dates_in_name(name: str) -> list[dt.date]:
    found = []
    for y, m, d in _DATE_IN_NAME.findall(name):
        try:
            found.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return found


def _source_index(headers: list[str], spec: ColumnSpec) -> tuple[int | None, str | None]:
    for source in spec.sources:
        positions = [i for i, h in enumerate(headers) if h == source]
        if len(positions) > 1:
            raise FileRefused(f"column {source!r} appears {len(positions)} times in the header; "
                              f"cannot tell which one is {spec.name}")
        if positions:
            return positions[0], source
    return None, None


def parse_rows(rows: list[list[str]], row_numbers: list[int], match: Match, shop: ShopConfig,
               salt: str, file_name: str, encoding: str) -> ParsedFile:
    """Turn the data rows under the header into canonical columns, collecting rejects."""
    profile = match.profile
    headers = match.headers
    width = len(headers)
    start = match.header_index + 1
    rejects: list[dict] = []

    # resolve every mapped column to a header position; a missing required column refuses the file
    positions: dict[str, tuple[int | None, str | None]] = {}
    for spec in profile.columns:
        if spec.sources:
            idx, source = _source_index(headers, spec)
            if idx is None and spec.value is None and spec.required:
                names = " / ".join(spec.sources)
                raise FileRefused(f"required column {names!r} ({spec.name}) is missing from the header")
            positions[spec.name] = (idx, source)

    skip_idx = {headers.index(col): prefixes for col, prefixes in profile.skip_rows_where_prefix.items()
                if col in headers}
    data_rows: list[list[str]] = []
    data_numbers: list[int] = []
    summary_rows = 0
    rows_read = 0
    for row, number in zip(rows[start:], row_numbers[start:]):
        if not any(cell.strip() for cell in row):
            continue  # blank line: not a row
        if any(row[i].strip().startswith(prefixes) for i, prefixes in skip_idx.items() if i < len(row)):
            summary_rows += 1
            continue
        rows_read += 1
        if len(row) != width:
            # a shifted or truncated row: its cells cannot be trusted to be in their columns
            rejects.append({"source_row": number, "column_name": None, "raw_value": None,
                            "reason": f"expected {width} fields like the header, found {len(row)} "
                                      f"(an unquoted comma, or a broken or truncated line)"})
            continue
        data_rows.append(row)
        data_numbers.append(number)

    raw = pd.DataFrame(data_rows, columns=range(width), dtype=STR) if data_rows else \
        pd.DataFrame({i: pd.Series([], dtype=STR) for i in range(width)})
    raw.index = pd.Index(data_numbers, name="source_row")
    # only the mapped columns are cleaned: the rest (names, phones, addresses…) is never touched
    nulls = list(profile.null_values)
    for idx in {i for i, _ in positions.values() if i is not None} | (
            {headers.index(c) for c in profile.fill_down if c in headers} if profile.fill_down_key else set()):
        stripped = raw[idx].str.strip()
        raw[idx] = stripped.where(~stripped.isin(nulls).to_numpy(dtype=bool, na_value=False))

    if profile.fill_down_key and profile.fill_down_key in headers:
        key = raw[headers.index(profile.fill_down_key)]
        for col in profile.fill_down:
            if col in headers:
                i = headers.index(col)
                raw[i] = raw[i].groupby(key, sort=False).ffill()

    bad_rows: set[int] = set()
    out = pd.DataFrame(index=raw.index)
    for spec in profile.columns:
        idx, source = positions.get(spec.name, (None, None))
        if idx is None:
            if spec.ordinal_within:
                group = raw[headers.index(spec.ordinal_within)] if spec.ordinal_within in headers else \
                    pd.Series("", index=raw.index)
                out[spec.name] = (group.groupby(group, sort=False).cumcount() + 1).astype(STR)
            elif spec.value is not None:
                out[spec.name] = _constant(spec.value, shop)
            else:
                out[spec.name] = None
            continue
        cell = raw[idx]
        column_label = source
        if spec.map is not None:
            mapped = cell.map(lambda v: spec.map.get(v, spec.default) if v is not None and v is not pd.NA
                              else spec.default)
            unknown = cell.notna() & mapped.isna()
            for number in raw.index[unknown]:
                rejects.append({"source_row": int(number), "column_name": column_label,
                                "raw_value": cell[number],
                                "reason": f"unknown value for {spec.name} (known: {', '.join(spec.map)})"})
            bad_rows.update(int(n) for n in raw.index[unknown])
            out[spec.name] = mapped.astype(STR)
            continue
        if spec.type == "buyer":
            values, bad = cell.astype(STR), pd.Series(False, index=raw.index)
            values = buyer_hash(values, salt)
        elif spec.type == "timestamp":
            values, bad = PARSERS["timestamp"](cell, shop.timezone)
        else:
            values, bad = PARSERS[spec.type](cell)
        for number in raw.index[bad]:
            rejects.append({"source_row": int(number), "column_name": column_label,
                            "raw_value": cell[number], "reason": REASONS.get(spec.type, "unparseable")})
        bad_rows.update(int(n) for n in raw.index[bad])
        if spec.not_empty:
            missing = cell.isna()
            for number in raw.index[missing]:
                rejects.append({"source_row": int(number), "column_name": column_label, "raw_value": None,
                                "reason": f"required value ({spec.name}) is empty"})
            bad_rows.update(int(n) for n in raw.index[missing])
        out[spec.name] = values

    if profile.date_from_file_name and "business_date" not in out.columns:
        days = dates_in_name(file_name)
        if not days:
            raise FileRefused("this export has no date column and its file name carries no date "
                              "(expected e.g. 商品报表_20261122.csv)")
        out["business_date"] = pd.Timestamp(days[-1])

    entity_cols = CANONICAL[profile.entity]
    for name in entity_cols:
        if name not in out.columns:
            out[name] = None
    out = out[list(entity_cols)]
    if bad_rows:
        keep = ~out.index.isin(sorted(bad_rows))
        out = out[keep]
    # rows rejected for structure (wrong field count) never reached the frame
    for r in rejects:
        r["file_name"] = file_name
    out = out.reset_index()
    return ParsedFile(frame=out, rejects=rejects, rows_read=rows_read, summary_rows=summary_rows,
                      encoding=encoding)


def _constant(value: str, shop: ShopConfig) -> object:
    if value.startswith("$shop."):
        attr = value.removeprefix("$shop.")
        if not hasattr(shop, attr):
            raise FileRefused(f"profile refers to unknown shop setting {attr!r}")
        return getattr(shop, attr)
    return value


def coverage(parsed: ParsedFile, profile: Profile, shop: ShopConfig, file_name: str) -> tuple[dt.date | None, dt.date | None]:
    """The business dates the export covers: from its name when the profile says so, else its rows."""
    if profile.coverage_from_file_name:
        days = dates_in_name(file_name)
        if days:
            return min(days), max(days)
    column = ENTITY_EVENT_COLUMN[profile.entity]
    values = parsed.frame[column].dropna() if column in parsed.frame else pd.Series([], dtype=object)
    if values.empty:
        return None, None
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        local = values.dt.tz_convert(shop.timezone)
        return local.min().date(), local.max().date()
    return pd.Timestamp(values.min()).date(), pd.Timestamp(values.max()).date()


@dataclass
class Ingestor:
    """Loads files for one run into one open warehouse connection (the only writer)."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    salt: str
    run_id: str = field(default_factory=new_run_id)
    profiles: list[Profile] | None = None
    progress: Callable[[FileOutcome], None] | None = None

    def __post_init__(self) -> None:
        if self.profiles is None:
            self.profiles = load_profiles(self.settings.profiles_dir)
        self.report = IngestReport(run_id=self.run_id)

    # -- public -------------------------------------------------------------------------------
    def ingest_inbox(self) -> IngestReport:
        """Every file in ``inbox/<shop_id>/`` for the configured shops (sorted by name)."""
        for shop in self.settings.shops:
            folder = self.settings.inbox_dir / shop.id
            if not folder.is_dir():
                continue
            for path in sorted(p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")):
                self.ingest_file(path, shop, from_inbox=True)
        return self.report

    def ingest_paths(self, paths: Iterable[Path], shop: ShopConfig | None = None) -> IngestReport:
        """Files or folders given by the user. Files stay where they are (copied to landing)."""
        for path in paths:
            files = sorted(p for p in path.rglob("*") if p.is_file() and REJECTED_DIR not in p.parts) \
                if path.is_dir() else [path]
            for file in files:
                target = shop or self._shop_from_path(file)
                self.ingest_file(file, target, from_inbox=self._in_inbox(file))
        return self.report

    def ingest_file(self, path: Path, shop: ShopConfig, *, from_inbox: bool) -> FileOutcome:
        outcome = self._ingest(path, shop, from_inbox)
        self.report.outcomes.append(outcome)
        if outcome.source_file_id is None:  # loaded files log their event in their own transaction
            self._event(outcome)
        if self.progress:
            self.progress(outcome)
        return outcome

    # -- internals ----------------------------------------------------------------------------
    def _in_inbox(self, path: Path) -> bool:
        try:
            path.resolve().relative_to(self.settings.inbox_dir.resolve())
            return True
        except ValueError:
            return False

    def _shop_from_path(self, path: Path) -> ShopConfig:
        if self._in_inbox(path):
            rel = path.resolve().relative_to(self.settings.inbox_dir.resolve())
            return self.settings.shop(rel.parts[0])
        if len(self.settings.shops) == 1:
            return self.settings.shops[0]
        raise FileRefused(f"{path}: which shop is this file for? Put it in inbox/<shop_id>/ or pass "
                          f"--shop (configured: {', '.join(s.id for s in self.settings.shops)})")

    def _ingest(self, path: Path, shop: ShopConfig, from_inbox: bool) -> FileOutcome:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return self._set_aside(path, shop, from_inbox, "unrecognised",
                                   f"not an export file type shopreport reads ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
        data = path.read_bytes()
        sha = hashlib.sha256(data).hexdigest()
        seen = self.con.execute(
            "select source_file_id, file_name, loaded_at from source_files "
            "where sha256 = ? and shop_id = ? and status = 'loaded'", [sha, shop.id]).fetchone()
        if seen:
            if from_inbox:
                path.unlink()
            return FileOutcome(path, shop.id, "duplicate",
                               f"same bytes already loaded as file #{seen[0]} ({seen[1]}, "
                               f"{seen[2]:%Y-%m-%d %H:%M}); nothing changed")
        try:
            table = read_table(path, data)
        except UnreadableFile as exc:
            return self._set_aside(path, shop, from_inbox, "unrecognised", str(exc))
        match = match_profile(table.rows, self.profiles or [])
        if isinstance(match, NoMatch):
            return self._set_aside(path, shop, from_inbox, "unrecognised", match.explain())
        profile = match.profile
        try:
            parsed = parse_rows(table.rows, table.row_numbers, match, shop, self.salt, path.name,
                                table.encoding)
        except FileRefused as exc:
            return self._set_aside(path, shop, from_inbox, "refused", f"{profile.name}: {exc}",
                                   profile=profile)
        refuse_all = profile.on_bad_row == "reject_file" and parsed.rejects
        landing = self._land(path, data, sha, shop)
        status = "refused" if refuse_all else "loaded"
        rows_loaded = 0 if refuse_all else len(parsed.frame)
        rows_rejected = parsed.rows_read - rows_loaded
        start, end = coverage(parsed, profile, shop, path.name)
        message = (f"{profile.title}: {len(parsed.rejects)} bad cell(s); the profile refuses the whole "
                   f"file on a bad row" if refuse_all else f"{profile.title} ({table.encoding})")
        self.con.execute("begin transaction")
        try:
            file_id = self.con.execute("select nextval('source_file_id_seq')").fetchone()[0]
            self.con.execute(
                "insert into source_files values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
                [file_id, self.run_id, shop.id, profile.name, profile.entity, path.name, sha,
                 str(landing), status, start, end, parsed.rows_read, rows_loaded, rows_rejected,
                 parsed.summary_rows, table.encoding, message])
            if not refuse_all and len(parsed.frame):
                frame = parsed.frame
                frame.insert(0, "shop_id", shop.id)
                frame.insert(0, "source_file_id", file_id)
                self.con.register("incoming_rows", frame)
                try:
                    self.con.execute(f"insert into raw_{profile.entity} by name select * from incoming_rows")
                finally:
                    self.con.unregister("incoming_rows")
            if parsed.rejects:
                rej = pd.DataFrame(parsed.rejects, columns=["file_name", "source_row", "column_name",
                                                            "raw_value", "reason"])
                rej.insert(0, "source_file_id", file_id)
                self.con.register("incoming_rejects", rej)
                try:
                    self.con.execute("insert into rejects by name select * from incoming_rejects")
                finally:
                    self.con.unregister("incoming_rejects")
            outcome = FileOutcome(path, shop.id, status, message, profile=profile.name,
                                  entity=profile.entity, source_file_id=file_id,
                                  rows_read=parsed.rows_read, rows_loaded=rows_loaded,
                                  rows_rejected=rows_rejected)
            self._event(outcome)
            self.con.execute("commit")
        except BaseException:
            self.con.execute("rollback")
            raise
        if from_inbox:
            if refuse_all:
                self._move_aside(path, shop, message + "\n" + _reject_lines(parsed.rejects))
            else:
                path.unlink()
        return outcome

    def _land(self, path: Path, data: bytes, sha: str, shop: ShopConfig) -> Path:
        """Keep the original bytes: landing/<shop>/<yyyy-mm>/<sha12>_<name> (written atomically)."""
        folder = self.settings.landing_dir / shop.id / dt.date.today().strftime("%Y-%m")
        target = folder / f"{sha[:12]}_{path.name}"
        existing = list(self.settings.landing_dir.glob(f"{shop.id}/*/{sha[:12]}_{path.name}"))
        if existing:
            return existing[0]
        folder.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".partial")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
        return target

    def _set_aside(self, path: Path, shop: ShopConfig, from_inbox: bool, status: str, message: str,
                   profile: Profile | None = None) -> FileOutcome:
        if from_inbox:
            self._move_aside(path, shop, message)
            message += f" — moved to inbox/{shop.id}/{REJECTED_DIR}/"
        return FileOutcome(path, shop.id, status, message, profile=profile.name if profile else None,
                           entity=profile.entity if profile else None)

    def _move_aside(self, path: Path, shop: ShopConfig, reason: str) -> None:
        folder = self.settings.inbox_dir / shop.id / REJECTED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        shutil.move(str(path), target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    def _event(self, outcome: FileOutcome) -> None:
        level = {"loaded": "info", "duplicate": "info", "refused": "error", "unrecognised": "error"}[outcome.status]
        if outcome.status == "loaded" and outcome.rows_rejected:
            level = "warning"
        self.con.execute("insert into ingest_events values (?, now(), ?, ?, ?, ?)",
                         [self.run_id, outcome.shop_id, outcome.path.name, level, outcome.line()])


def _reject_lines(rejects: list[dict], limit: int = 50) -> str:
    lines = [f"row {r['source_row']}, column {r['column_name'] or '(whole row)'}: {r['reason']}"
             + (f" — value {r['raw_value']!r}" if r["raw_value"] is not None else "")
             for r in rejects[:limit]]
    if len(rejects) > limit:
        lines.append(f"… and {len(rejects) - limit} more")
    return "\n".join(lines)
