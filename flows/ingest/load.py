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

from flows.ingest.profiles import (CANONICAL, ENTITY_EVENT_COLUMN, NUMERIC_TYPES, ColumnSpec,
                                   Condition, Match, NoMatch, Profile, header_key, load_profiles,
                                   match_profile)
from flows.ingest.fast import FastFile, NotFast, SqlParsers, open_fast, read_rows
from flows.ingest.readers import RawTable, UnreadableFile, read_table
from flows.ingest.values import PARSERS, REASONS, STR, buyer_hash
from flows.settings import Settings, ShopConfig

REJECTED_DIR = "_rejected"
SUPPORTED_SUFFIXES = {".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".zip"}
# files a browser or Excel is still writing: left alone until they are complete
IN_PROGRESS_SUFFIXES = {".crdownload", ".part", ".partial", ".download", ".tmp"}
MAX_CELL_CHARS = 65_536  # a longer value in a mapped column is a broken export, not data
MAX_REJECT_VALUE_CHARS = 500  # rejects keep the start of a bad value, not all of it
_DATE_PATTERNS = (
    re.compile(r"(?<!\d)(20\d{2})[-_./](\d{1,2})[-_./](\d{1,2})(?!\d)"),
    re.compile(r"(?<!\d)(20\d{2})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(?<!\d)(20\d{2})(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?!\d)"),
)
_PERIOD_LINE = re.compile(r"统计|日期|时间范围|date range|reporting|period", re.IGNORECASE)


class FileRefused(ValueError):
    """The file was recognised but cannot be loaded (e.g. a required column is missing)."""


class _Refused(Exception):
    """Inside the loader: the file has been set aside; ``outcome`` says why."""

    def __init__(self, outcome: "FileOutcome"):
        super().__init__(outcome.message)
        self.outcome = outcome


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
    read_ahead: int = 0  # files whose reading a worker process did (flows/ingest/parallel.py)
    read_early: int = 0  # files read before the run's ingest began (flows/ingest/parallel.py)

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
    captures: dict[str, str] = field(default_factory=dict)  # $header.<name> values
    business_date_from: str | None = None  # "title" / "file name" when the day came from there


def new_run_id() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:6]


def dates_in_text(text: str) -> list[dt.date]:
    """Calendar dates written in ``text`` (2026-11-22, 2026/11/22, 20261122, 2026年11月22日), in order."""
    found: list[tuple[int, dt.date]] = []
    for pattern in _DATE_PATTERNS:
        for m in pattern.finditer(text):
            if any(start <= m.start() < start + 10 for start, _ in found):
                continue
            try:
                found.append((m.start(), dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))))
            except ValueError:
                continue
    return [d for _, d in sorted(found, key=lambda t: t[0])]


def dates_in_name(name: str) -> list[dt.date]:
    return dates_in_text(name)


def dates_in_title(title_rows: list[list[str]]) -> list[dt.date]:
    """Dates in the title lines above the header; cells that name a period (统计日期 …) first."""
    lines = [c for row in title_rows for c in row if c.strip()]  # cell by cell: 导出时间 may sit beside
    named = [d for line in lines if _PERIOD_LINE.search(line) for d in dates_in_text(line)]
    return named or [d for line in lines for d in dates_in_text(line)]


class _Header:
    """Positions of the header's columns, found by the normalised, case-folded name."""

    def __init__(self, headers: list[str]):
        self.headers = headers
        self.positions: dict[str, list[int]] = {}
        for i, h in enumerate(headers):
            if h:
                self.positions.setdefault(h.casefold(), []).append(i)

    def find(self, name: str) -> list[int]:
        return self.positions.get(header_key(name), [])

    def one(self, name: str, purpose: str) -> int | None:
        found = self.find(name)
        if len(found) > 1:
            raise FileRefused(f"column {self.headers[found[0]]!r} appears {len(found)} times in the "
                              f"header; cannot tell which one is {purpose}")
        return found[0] if found else None

    def matching(self, pattern: str, purpose: str) -> int | None:
        found = [i for i, h in enumerate(self.headers) if h and re.fullmatch(pattern, h, flags=re.IGNORECASE)]
        if len(found) > 1:
            names = ", ".join(repr(self.headers[i]) for i in found)
            raise FileRefused(f"columns {names} all look like {purpose}; cannot tell which one to use")
        return found[0] if found else None


@dataclass
class _Resolved:
    spec: ColumnSpec
    kind: str  # source | concat | product | ordinal | constant | empty
    positions: list[int] = field(default_factory=list)
    label: str | None = None  # the header named in rejects


def _resolve(profile: Profile, header: _Header) -> tuple[list[_Resolved], dict[str, str]]:
    """Find each mapped column in the header; a missing required column refuses the file."""
    resolved: list[_Resolved] = []
    captures: dict[str, str] = {}
    missing: list[str] = []
    for spec in profile.columns:
        found: _Resolved | None = None
        if spec.sources or spec.pattern:
            idx = next((i for i in (header.one(s, spec.name) for s in spec.sources) if i is not None), None)
            if idx is None and spec.pattern:
                idx = header.matching(spec.pattern, spec.name)
                if idx is not None:
                    groups = re.fullmatch(spec.pattern, header.headers[idx], flags=re.IGNORECASE).groupdict()
                    for key, val in groups.items():
                        if val is None:
                            continue
                        if key in captures and captures[key] != val:
                            raise FileRefused(f"the header says {key} {captures[key]!r} in one column and "
                                              f"{val!r} in {header.headers[idx]!r}")
                        captures[key] = val
            if idx is not None:
                found = _Resolved(spec, "source", [idx], header.headers[idx])
        elif spec.concat:
            idxs = [i for i in (header.one(s, spec.name) for s in spec.concat) if i is not None]
            if idxs:
                found = _Resolved(spec, "concat", idxs, header.headers[idxs[0]])
        elif spec.product_of:
            idxs = [header.one(s, spec.name) for s in spec.product_of]
            if all(i is not None for i in idxs):
                found = _Resolved(spec, "product", idxs, " × ".join(header.headers[i] for i in idxs))
        if found is None:
            reads = spec.sources or spec.pattern or spec.concat or spec.product_of
            if spec.value is not None:
                found = _Resolved(spec, "constant")
            elif spec.ordinal_within:
                found = _Resolved(spec, "ordinal", header.find(spec.ordinal_within)[:1])
            elif spec.name == "business_date" and (profile.date_from_file_name or profile.date_from_title):
                found = _Resolved(spec, "empty")  # the day comes from the title or the file name
            elif reads and spec.required:
                missing.append(f"{spec.describe_source()!r} ({spec.name})")
                continue
            else:
                found = _Resolved(spec, "empty")
        resolved.append(found)
    if missing:
        plural = "s are" if len(missing) > 1 else " is"
        raise FileRefused(f"required column{plural} missing from the header: {', '.join(missing)}")
    return resolved, captures


def _condition_mask(cond: Condition, header: _Header, raw: pd.DataFrame, default: bool) -> np.ndarray:
    """Rows where ``cond`` holds (``default`` when it has no tests)."""
    if not cond:
        return np.full(len(raw), default, dtype=bool)
    result = np.zeros(len(raw), dtype=bool)
    for alternative in cond.alternatives:
        mask = np.ones(len(raw), dtype=bool)
        for name, rx in alternative:
            positions = header.find(name)
            if not positions:
                mask[:] = False
                break
            mask &= raw[positions[0]].str.contains(rx, regex=True).to_numpy(dtype=bool, na_value=False)
        result |= mask
    return result


def _rejects(raw: pd.DataFrame, mask: np.ndarray, column: str | None, values: pd.Series | None,
             reason: str) -> list[dict]:
    numbers = raw.index[mask]
    if not len(numbers):
        return []
    if values is None:
        shown = [None] * len(numbers)
    else:
        shown = [None if v is None or v is pd.NA else
                 (v if len(v) <= MAX_REJECT_VALUE_CHARS else v[:MAX_REJECT_VALUE_CHARS] + f"… ({len(v)} characters)")
                 for v in values[mask].astype(object)]
    return [{"source_row": int(n), "column_name": column, "raw_value": v, "reason": reason}
            for n, v in zip(numbers, shown)]


def _map_values(cell: pd.Series, spec: ColumnSpec) -> tuple[pd.Series, np.ndarray]:
    """Apply ``map`` (exact), then ``map_patterns`` (regex), then ``default``; per distinct value."""
    table: dict[str, str | None] = {}
    for value in pd.unique(cell.dropna()):
        got = (spec.map or {}).get(value)
        if got is None:
            got = next((v for rx, v in spec.map_patterns if re.search(rx, value)), spec.default)
        table[value] = got
    mapped = cell.map(table).astype(STR)
    if spec.default is not None:
        mapped = mapped.where(cell.notna(), spec.default)
    unknown = (cell.notna() & mapped.isna()).to_numpy(dtype=bool)
    return mapped, unknown


def _numeric(cell: pd.Series, spec: ColumnSpec, parsers: dict = PARSERS) -> tuple[pd.Series, np.ndarray]:
    values, bad = parsers[spec.type](cell)
    if spec.scale is not None:
        values = values * spec.scale
        if spec.type == "decimal":
            values = values.round(2)
    return values, bad.to_numpy(dtype=bool, copy=True)


def _product(raw: pd.DataFrame, item: _Resolved, header: _Header,
             parsers: dict = PARSERS) -> tuple[pd.Series, list[tuple[np.ndarray, str, pd.Series]]]:
    spec = item.spec
    result = np.ones(len(raw))
    problems = []
    for i in item.positions:
        values, bad = parsers["number"](raw[i])
        result = result * values.to_numpy(dtype="float64", na_value=np.nan)
        problems.append((bad.to_numpy(dtype=bool), header.headers[i], raw[i]))
    result = result * (spec.scale if spec.scale is not None else 1.0)
    if spec.type == "decimal":
        result = np.round(result, 2)
        with np.errstate(invalid="ignore"):
            too_big = np.abs(result) >= 1e13
        if too_big.any():
            problems.append((too_big, item.label, pd.Series(result, index=raw.index).astype(STR)))
            result[too_big] = np.nan
        return pd.Series(result, index=raw.index, dtype="float64"), problems
    if spec.type == "integer":
        with np.errstate(invalid="ignore"):
            fraction = np.isfinite(result) & (result != np.round(result))
        problems.append((fraction, item.label, pd.Series(result, index=raw.index).astype(STR)))
        result[fraction] = np.nan
        return pd.Series(np.round(result), index=raw.index).astype("Int64"), problems
    return pd.Series(result, index=raw.index, dtype="float64"), problems


def _concat(raw: pd.DataFrame, item: _Resolved, parsers: dict = PARSERS) -> tuple[pd.Series, np.ndarray]:
    spec = item.spec
    result: pd.Series | None = None
    bad = np.zeros(len(raw), dtype=bool)
    for i in item.positions:
        part, part_bad = parsers[spec.type](raw[i])
        bad |= part_bad.to_numpy(dtype=bool)
        if result is None:
            result = part.astype(STR)
            continue
        joined = result + spec.separator + part
        both = (result.notna() & part.notna()).to_numpy(dtype=bool)
        result = result.where(~both, joined).fillna(part)
    return result, bad


def parse_rows(rows: list[list[str]], row_numbers: list[int], match: Match, shop: ShopConfig,
               salt: str, file_name: str, encoding: str,
               other_profiles: list[Profile] | None = None) -> ParsedFile:
    """Turn the data rows under the header into canonical columns, collecting rejects.

    ``other_profiles`` lets a misshapen row be recognised as another export's header (two exports
    pasted into one file) and say so.
    """
    profile = match.profile
    headers = match.headers
    header = _Header(headers)
    width = len(headers)
    start = match.header_index + 1
    rejects: list[dict] = []

    resolved, captures = _resolve(profile, header)

    skip_idx = {i: prefixes for col, prefixes in profile.skip_rows_where_prefix.items()
                for i in header.find(col)[:1]}
    # a copy of the header inside the data: two exports pasted into one file
    probe = next((i for i, h in enumerate(headers) if h), 0)
    probe_text = rows[match.header_index][probe].strip() if width else ""
    data_rows: list[list[str]] = []
    data_numbers: list[int] = []
    summary_rows = 0
    rows_read = 0
    for row, number in zip(rows[start:], row_numbers[start:]):
        if not "".join(row).strip():
            continue  # blank line: not a row
        if any(row[i].strip().startswith(prefixes) for i, prefixes in skip_idx.items() if i < len(row)):
            summary_rows += 1
            continue
        rows_read += 1
        if len(row) > width and not "".join(row[width:]).strip():
            row = row[:width]  # trailing empty fields (a trailing comma) are not data
        if len(row) != width:
            # a shifted or truncated row: its cells cannot be trusted to be in their columns
            other = match_profile([row], other_profiles) if other_profiles else None
            reason = (f"the header of another export ({other.profile.title}) inside the data: two exports "
                      f"pasted into one file? Its rows cannot be read as {profile.title}"
                      if isinstance(other, Match) else
                      f"expected {width} fields like the header, found {len(row)} "
                      f"(an unquoted comma, or a broken or truncated line)")
            rejects.append({"source_row": number, "column_name": None, "raw_value": None, "reason": reason})
            continue
        if probe_text and row[probe].strip() == probe_text and \
                [header_key(c) for c in row] == [h.casefold() for h in headers]:
            rejects.append({"source_row": number, "column_name": None, "raw_value": None,
                            "reason": "the header row again inside the data (two exports pasted into one file?)"})
            continue
        data_rows.append(row)
        data_numbers.append(number)

    used = used_positions(profile, resolved, header)
    raw = pd.DataFrame({i: pd.array([row[i] for row in data_rows], dtype=STR) for i in used},
                       index=pd.Index(data_numbers, name="source_row"))
    return parse_frame(raw, rows[:match.header_index], match, resolved, captures, shop, salt, file_name,
                       encoding, rejects, rows_read, summary_rows)


def parse_fast(fast: FastFile, shop: ShopConfig, salt: str, file_name: str,
               con: duckdb.DuckDBPyConnection) -> ParsedFile:
    """:func:`parse_rows` for a file the fast reader took: DuckDB reads the rows, SQL parses the
    common value shapes, and the rest is the same :func:`parse_frame`. Raises ``NotFast`` when
    the strict reader stops (the caller then reads the file with the reference reader)."""
    match = fast.match
    profile = match.profile
    if "" not in profile.null_values:
        raise NotFast("the profile keeps empty cells as values (DuckDB reads them as nulls)")
    header = _Header(match.headers)
    resolved, captures = _resolve(profile, header)
    used = used_positions(profile, resolved, header)
    skip_idx = {i: prefixes for col, prefixes in profile.skip_rows_where_prefix.items()
                for i in header.find(col)[:1]}
    raw, rejects, rows_read, summary_rows = read_rows(fast, used, skip_idx, con)
    return parse_frame(raw, fast.table.rows[:match.header_index], match, resolved, captures, shop, salt,
                       file_name, fast.table.encoding, rejects, rows_read, summary_rows,
                       parsers=SqlParsers(con))


def used_positions(profile: Profile, resolved: list[_Resolved], header: _Header) -> list[int]:
    """The header positions a profile reads (mapped columns, conditions, fill-down): only these
    are kept and cleaned; the rest (names, phones, addresses…) is never touched."""
    used: set[int] = {i for r in resolved for i in r.positions}
    conditions = [c for r in resolved for c in (r.spec.when, r.spec.unless)] + \
        [c for rule in profile.reject_rows for c in (rule.where, rule.unless)]
    for cond in conditions:
        used.update(i for name in cond.headers for i in header.find(name)[:1])
    used.update(i for r in resolved if r.spec.period_end for i in header.find(r.spec.period_end)[:1])
    if profile.fill_down_key:
        used.update(i for c in (profile.fill_down_key, *profile.fill_down) for i in header.find(c)[:1])
    return sorted(used)


def parse_frame(raw: pd.DataFrame, title_rows: list[list[str]], match: Match, resolved: list[_Resolved],
                captures: dict[str, str], shop: ShopConfig, salt: str, file_name: str, encoding: str,
                rejects: list[dict], rows_read: int, summary_rows: int,
                parsers: dict[str, Callable[..., tuple[pd.Series, pd.Series]]] | None = None) -> ParsedFile:
    """Clean, fill, map and parse the used columns of the data rows (``raw``: one Arrow string
    column per header position, indexed by the row number), collecting rejects.

    Both readers end here: the Python reader (:func:`parse_rows`) and the DuckDB reader
    (``flows/ingest/fast.py``, which also passes its SQL value parsers as ``parsers``).
    """
    parsers = parsers or PARSERS
    profile = match.profile
    headers = match.headers
    header = _Header(headers)
    used = list(raw.columns)
    nulls = list(profile.null_values)
    bad_rows = np.zeros(len(raw), dtype=bool)
    for idx in used:
        stripped = raw[idx].str.strip()
        raw[idx] = stripped.where(~stripped.isin(nulls).to_numpy(dtype=bool, na_value=False))
        too_long = (raw[idx].str.len() > MAX_CELL_CHARS).to_numpy(dtype=bool, na_value=False)
        if too_long.any():
            rejects += _rejects(raw, too_long, headers[idx], raw[idx],
                                f"value too long (over {MAX_CELL_CHARS:,} characters): a broken export "
                                f"or a pasted file, not a {profile.entity} value")
            bad_rows |= too_long

    if profile.fill_down_key:
        key_pos = header.find(profile.fill_down_key)
        if key_pos:
            filled = list(dict.fromkeys(i for col in profile.fill_down for i in header.find(col)[:1]))
            if filled:  # one grouping for all the columns (the key factorized once, not per column)
                raw[filled] = raw[filled].groupby(raw[key_pos[0]], sort=False).ffill()

    for rule in profile.reject_rows:
        hit = _condition_mask(rule.where, header, raw, False) & ~_condition_mask(rule.unless, header, raw, False)
        if hit.any():
            first = next((h for h in rule.where.headers if header.find(h)), rule.where.headers[0])
            pos = header.find(first)[0]
            rejects += _rejects(raw, hit & ~bad_rows, headers[pos], raw[pos], rule.reason)
            bad_rows |= hit

    out = pd.DataFrame(index=raw.index)
    for item in resolved:
        spec = item.spec
        active = _condition_mask(spec.when, header, raw, True) & ~_condition_mask(spec.unless, header, raw, False)
        bad = np.zeros(len(raw), dtype=bool)
        if item.kind == "constant":
            out[spec.name] = _constant(spec.value, shop, captures)
            if spec.when or spec.unless:
                out[spec.name] = out[spec.name].where(active)
            continue
        if item.kind == "empty":
            out[spec.name] = None
            continue
        if item.kind == "ordinal":
            group = raw[item.positions[0]] if item.positions else pd.Series("", index=raw.index, dtype=STR)
            out[spec.name] = (group.groupby(group, sort=False, dropna=False).cumcount() + 1).astype(STR)
            continue
        if item.kind == "concat":
            values, bad = _concat(raw, item, parsers)
            reason = REASONS.get(spec.type, "unparseable")
            if bad.any():
                rejects += _rejects(raw, bad & active & ~bad_rows, item.label, raw[item.positions[0]], reason)
        elif item.kind == "product":
            values, problems = _product(raw, item, header, parsers)
            for mask, label, shown in problems:
                mask = mask & active
                if mask.any():
                    rejects += _rejects(raw, mask & ~bad_rows, label, shown,
                                        REASONS["decimal" if spec.type == "decimal" else "number"])
                bad |= mask
        else:
            cell = raw[item.positions[0]]
            if spec.mapped:
                values, unknown = _map_values(cell, spec)
                known = ", ".join(list(spec.map or {}) + [f"/{rx}/" for rx, _ in spec.map_patterns])
                hit = unknown & active
                rejects += _rejects(raw, hit & ~bad_rows, item.label, cell,
                                    f"unknown value for {spec.name} (known: {known})")
                bad = unknown
            elif spec.type == "buyer":
                values = parsers.get("buyer", buyer_hash)(cell.astype(STR), salt)
            elif spec.type == "timestamp":
                values, b = parsers["timestamp"](cell, shop.timezone)
                bad = b.to_numpy(dtype=bool)
            elif spec.type in NUMERIC_TYPES:
                values, bad = _numeric(cell, spec, parsers)
            else:
                values, b = parsers[spec.type](cell)
                bad = b.to_numpy(dtype=bool)
            if not spec.mapped and bad.any():
                rejects += _rejects(raw, bad & active & ~bad_rows, item.label, cell,
                                    REASONS.get(spec.type, "unparseable"))
        bad = bad & active
        bad_rows |= bad
        if spec.period_end:
            end_pos = header.find(spec.period_end)[:1]
            if end_pos:
                ends, end_bad = parsers["date"](raw[end_pos[0]])
                longer = (values.notna() & ends.notna()).to_numpy(dtype=bool) & \
                    (values.to_numpy() != ends.to_numpy()) & ~bad_rows
                rejects += _rejects(raw, longer, headers[end_pos[0]], raw[end_pos[0]],
                                    f"a row must cover one day, this one runs from its {item.label} to its "
                                    f"{headers[end_pos[0]]}: export with a breakdown by day")
                bad_rows |= longer
        if spec.not_empty:
            empty = values.isna().to_numpy(dtype=bool) & active & ~bad_rows
            rejects += _rejects(raw, empty, item.label, None, f"required value ({spec.name}) is empty")
            bad_rows |= empty
        if spec.when or spec.unless:
            values = values.where(active)
        out[spec.name] = values

    date_from = None
    entity_cols = CANONICAL[profile.entity]
    if "business_date" in entity_cols and (profile.date_from_file_name or profile.date_from_title):
        business = next((r for r in resolved if r.spec.name == "business_date"), None)
        if business is None or business.kind in ("empty", "constant"):
            day, date_from = _day_of_export(title_rows, file_name, profile)
            out["business_date"] = pd.Timestamp(day)

    for name in entity_cols:
        if name not in out.columns:
            out[name] = None
    out = out[list(entity_cols)]
    if bad_rows.any():
        out = out[~bad_rows]
    # rows rejected for structure (wrong field count) never reached the frame
    for r in rejects:
        r["file_name"] = file_name
    rejects.sort(key=lambda r: (r["source_row"], r["column_name"] or ""))
    out = out.reset_index()
    return ParsedFile(frame=out, rejects=rejects, rows_read=rows_read, summary_rows=summary_rows,
                      encoding=encoding, captures=captures, business_date_from=date_from)


def _day_of_export(title_rows: list[list[str]], file_name: str, profile: Profile) -> tuple[dt.date, str]:
    """The one day an export without a date column covers, from its title lines or its name."""
    candidates = []
    if profile.date_from_title:
        candidates.append(("title", dates_in_title(title_rows)))
    if profile.date_from_file_name:
        candidates.append(("file name", dates_in_name(file_name)))
    for where, days in candidates:
        if days:
            first, last = min(days), max(days)
            if first != last:
                raise FileRefused(f"this export has no date column and its {where} says it covers "
                                  f"{first} to {last} as one total; export one day per file so each "
                                  f"day keeps its own numbers")
            return last, where
    wheres = " or ".join(w for w, _ in candidates)
    raise FileRefused(f"this export has no date column and its {wheres} carries no date "
                      f"(expected e.g. 商品报表_20261122.csv)")


def _constant(value: str, shop: ShopConfig, captures: dict[str, str] | None = None) -> object:
    if value.startswith("$shop."):
        attr = value.removeprefix("$shop.")
        if not hasattr(shop, attr):
            raise FileRefused(f"profile refers to unknown shop setting {attr!r}")
        return getattr(shop, attr)
    if value.startswith("$header."):
        key = value.removeprefix("$header.")
        if not captures or key not in captures:
            raise FileRefused(f"the header does not say the {key} (no column header carries it)")
        return captures[key].upper() if key == "currency" else captures[key]
    return value


def coverage(parsed: ParsedFile, profile: Profile, shop: ShopConfig, file_name: str) -> tuple[dt.date | None, dt.date | None]:
    """The business dates the export covers: from its name when the profile says so, else its rows."""
    if profile.coverage_from_file_name:
        days = dates_in_name(file_name)
        if days:
            return min(days), max(days)
    column = ENTITY_EVENT_COLUMN.get(profile.entity)
    if column is None or column not in parsed.frame:
        return None, None
    values = parsed.frame[column].dropna()
    if values.empty:
        return None, None
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        local = values.dt.tz_convert(shop.timezone)
        return local.min().date(), local.max().date()
    return pd.Timestamp(values.min()).date(), pd.Timestamp(values.max()).date()


@dataclass
class ReadResult:
    """What reading one file found, before anything is written or moved: the recognised table,
    its profile match and the parsed rows, or why the file is to be set aside."""

    table: RawTable | None = None
    match: Match | None = None
    parsed: ParsedFile | None = None
    aside: tuple[str, str, Profile | None] | None = None  # (status, message, profile)


@dataclass
class Prefetched:
    """A file's reading done elsewhere for the writer: by a worker process (``by="worker"``), or
    before the run's ingest began (``"early"``, while a command waited for Prefect's temporary
    server; flows/ingest/parallel.py). The writer takes it only while the file's bytes still have
    this sha256."""

    sha256: str
    result: ReadResult
    by: str = "worker"


def scratch_database() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB for the fast reader (never the warehouse)."""
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("set TimeZone = 'UTC'")
    return con


def read_export(path: Path, data: bytes, shop: ShopConfig, profiles: list[Profile], salt: str,
                scratch: Callable[[], duckdb.DuckDBPyConnection] | None) -> ReadResult:
    """Read, recognise and parse one file's bytes; no side effects (the caller writes and moves).

    The fast reader (``scratch`` gives its DuckDB; ``None``: the reference reader only) takes
    the delimited exports it is sure about; every other file, and every file it hands back, goes
    to the reference reader."""
    if scratch is not None:
        try:
            fast = open_fast(path, data, profiles)
        except NotFast:
            fast = None
        if fast is not None:
            try:
                unfit = _unfit(fast.match.profile, shop)
                if unfit:
                    return ReadResult(aside=("refused", unfit, fast.match.profile))
                try:
                    parsed = parse_fast(fast, shop, salt, path.name, scratch())
                    return ReadResult(fast.table, fast.match, parsed)
                except NotFast:
                    pass
                except FileRefused as exc:
                    return ReadResult(aside=("refused", f"{fast.match.profile.name}: {exc}", fast.match.profile))
            finally:
                fast.close()
    try:
        table = read_table(path, data)
    except UnreadableFile as exc:
        return ReadResult(aside=("unrecognised", str(exc), None))
    table, match = recognise(table, profiles)
    if isinstance(match, NoMatch):
        return ReadResult(aside=("unrecognised", match.explain(), None))
    unfit = _unfit(match.profile, shop)
    if unfit:
        return ReadResult(aside=("refused", unfit, match.profile))
    try:
        parsed = parse_rows(table.rows, table.row_numbers, match, shop, salt, path.name,
                            table.encoding, other_profiles=profiles)
    except FileRefused as exc:
        return ReadResult(aside=("refused", f"{match.profile.name}: {exc}", match.profile))
    return ReadResult(table, match, parsed)


def _unfit(profile: Profile, shop: ShopConfig) -> str | None:
    """Why a recognised export cannot belong to ``shop`` (a Shopify export in a Tmall shop's folder)."""
    if profile.fits_shop(shop.platform):
        return None
    return (f"{profile.name}: this is a {profile.title} file ({', '.join(profile.shop_platforms)}), but "
            f"shop {shop.id} is a {shop.platform} shop; put it in the inbox folder of the shop it "
            f"belongs to")


# DuckDB checkpoints (writes the committed rows into the file's tables and empties its write-ahead
# log) at the first commit that leaves more than this in the log; its default is 16 MB. An ingest
# commits file by file, and every checkpoint writes the raw tables' last, partly filled row groups
# again. At 10M order lines a year, with 64 MB the first load's ingest took 82 s against 97 s and
# the 20-shop morning's 7.5-7.7 s against 8.4-8.5 s, at the same peak memory (docs/performance.md).
# The rows of a commit are in the log either way: after a crash the next open replays it. The build
# keeps DuckDB's default: its one commit would only move its checkpoint to the close.
INGEST_CHECKPOINT_THRESHOLD = "64MB"


@dataclass
class Ingestor:
    """Loads files for one run into one open warehouse connection (the only writer; it
    checkpoints every :data:`INGEST_CHECKPOINT_THRESHOLD` of log, a setting of the open database)."""

    con: duckdb.DuckDBPyConnection
    settings: Settings
    salt: str
    run_id: str = field(default_factory=new_run_id)
    profiles: list[Profile] | None = None
    progress: Callable[[FileOutcome], None] | None = None
    fast: bool = True  # big delimited exports through DuckDB (flows/ingest/fast.py); False: reference only
    workers: int = 1  # processes reading files ahead of this writer (flows/ingest/parallel.py); 1: none

    def __post_init__(self) -> None:
        if self.profiles is None:
            self.profiles = load_profiles(self.settings.profiles_dir)
        self.report = IngestReport(run_id=self.run_id)
        self._scratch: duckdb.DuckDBPyConnection | None = None  # the fast reader's scratch database
        self.con.execute(f"set checkpoint_threshold = '{INGEST_CHECKPOINT_THRESHOLD}'")

    def close(self) -> None:
        """Close the fast reader's scratch database (the warehouse connection is the caller's)."""
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    # -- public -------------------------------------------------------------------------------
    def ingest_inbox(self) -> IngestReport:
        """Every file in ``inbox/<shop_id>/`` for the configured shops (sorted by name)."""
        self._load([(path, shop, True) for shop, path in inbox_files(self.settings)])
        return self.report

    def ingest_paths(self, paths: Iterable[Path], shop: ShopConfig | None = None) -> IngestReport:
        """Files or folders given by the user. Files stay where they are (copied to landing).

        Without ``shop``, a file's shop is the inbox folder it is in, or the first folder under a
        given folder when that is named after a shop (a folder of old exports laid out like the
        inbox: ``old/<shop_id>/…``), or the only shop configured. A file whose shop cannot be
        told stops the run before anything is loaded."""
        items = [(file, shop or self._shop_from_folder(file, path) or self._shop_from_path(file),
                  self._in_inbox(file))
                 for path in paths for file in given_files(path)]
        self._load(items)
        return self.report

    def _load(self, items: list[tuple[Path, ShopConfig, bool]]) -> None:
        from flows.ingest.parallel import load_files

        load_files(self, items, self.workers)

    def ingest_file(self, path: Path, shop: ShopConfig, *, from_inbox: bool,
                    prefetched: Prefetched | None = None) -> FileOutcome:
        """Load one file in its own transaction. ``prefetched``: its reading, done elsewhere; used
        only when the file's bytes still have its sha256."""
        outcome = self._ingest(path, shop, from_inbox, prefetched)
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

    def _shop_from_folder(self, file: Path, root: Path) -> ShopConfig | None:
        if root == file or self._in_inbox(file):
            return None
        first = file.relative_to(root).parts[0]
        return next((s for s in self.settings.shops if s.id == first), None)

    def _shop_from_path(self, path: Path) -> ShopConfig:
        if self._in_inbox(path):
            rel = path.resolve().relative_to(self.settings.inbox_dir.resolve())
            return self.settings.shop(rel.parts[0])
        if len(self.settings.shops) == 1:
            return self.settings.shops[0]
        raise FileRefused(f"{path}: which shop is this file for? Put it in inbox/<shop_id>/ or pass "
                          f"--shop (configured: {', '.join(s.id for s in self.settings.shops)})")

    def _ingest(self, path: Path, shop: ShopConfig, from_inbox: bool,
                prefetched: Prefetched | None = None) -> FileOutcome:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            return self._set_aside(path, shop, from_inbox, "unrecognised",
                                   f"not an export file type shopreport reads ({', '.join(sorted(SUPPORTED_SUFFIXES))})")
        try:
            data = path.read_bytes()
        except OSError as exc:
            return FileOutcome(path, shop.id, "refused", f"cannot read the file ({exc.strerror or exc}); "
                               f"it stays where it is")
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
            if prefetched is not None and prefetched.sha256 == sha:  # read elsewhere (flows/ingest/parallel.py)
                if prefetched.by == "early":
                    self.report.read_early += 1
                else:
                    self.report.read_ahead += 1
                table, match, parsed = self._take(prefetched.result, path, shop, from_inbox)
            else:
                table, match, parsed = self._read(path, data, shop, from_inbox)
        except _Refused as refused:
            return refused.outcome
        profile = match.profile
        refuse_all = profile.on_bad_row == "reject_file" and parsed.rejects
        landing = self._land(path, data, sha, shop)
        status = "refused" if refuse_all else "loaded"
        rows_loaded = 0 if refuse_all else len(parsed.frame)
        rows_rejected = parsed.rows_read - rows_loaded
        start, end = coverage(parsed, profile, shop, path.name)
        message = (f"{profile.title}: {len(parsed.rejects)} bad cell(s); the profile refuses the whole "
                   f"file on a bad row" if refuse_all else f"{profile.title} ({table.encoding})")
        if not parsed.rows_read:
            message += ": the header is there but no data rows (an empty export)"
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

    def _read(self, path: Path, data: bytes, shop: ShopConfig,
              from_inbox: bool) -> tuple[RawTable, Match, ParsedFile]:
        """Read, recognise and parse a file (:func:`read_export`). Raises _Refused with the
        outcome to report when the file was set aside."""
        result = read_export(path, data, shop, self.profiles or [], self.salt,
                             self._scratch_db if self.fast else None)
        return self._take(result, path, shop, from_inbox)

    def _take(self, result: "ReadResult", path: Path, shop: ShopConfig,
              from_inbox: bool) -> tuple[RawTable, Match, ParsedFile]:
        if result.aside is not None:
            status, message, profile = result.aside
            raise _Refused(self._set_aside(path, shop, from_inbox, status, message, profile=profile))
        assert result.table is not None and result.match is not None and result.parsed is not None
        return result.table, result.match, result.parsed

    def _scratch_db(self) -> duckdb.DuckDBPyConnection:
        """The fast reader's in-memory database, one for the run's files (~30 ms each saved)."""
        if self._scratch is None:
            self._scratch = scratch_database()
        return self._scratch

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

    def move_to_rejected(self, path: Path, shop: ShopConfig, reason: str) -> None:
        """Set an inbox file aside as a refused or unrecognised file is (for callers that ingest
        with ``from_inbox=False`` and settle the inbox themselves, like ``flows/lake.py``)."""
        self._move_aside(path, shop, reason)

    def _move_aside(self, path: Path, shop: ShopConfig, reason: str) -> None:
        """Move an inbox file to ``_rejected/`` with its reason beside it (never over another file)."""
        folder = self.settings.inbox_dir / shop.id / REJECTED_DIR
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / path.name
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{path.stem} ({n}){path.suffix}"
        shutil.move(str(path), target)
        target.with_name(target.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")

    def _event(self, outcome: FileOutcome) -> None:
        level = {"loaded": "info", "duplicate": "info", "refused": "error", "unrecognised": "error"}[outcome.status]
        if outcome.status == "loaded" and outcome.rows_rejected:
            level = "warning"
        self.con.execute("insert into ingest_events values (?, now(), ?, ?, ?, ?)",
                         [self.run_id, outcome.shop_id, outcome.path.name, level, outcome.line()])


def inbox_files(settings: Settings) -> list[tuple[ShopConfig, Path]]:
    """The files waiting in ``inbox/<shop_id>/`` for the configured shops, in loading order."""
    files = []
    for shop in settings.shops:
        folder = settings.inbox_dir / shop.id
        if folder.is_dir():
            files += [(shop, p) for p in sorted(p for p in folder.iterdir() if p.is_file() and not _ignored(p))]
    return files


def given_files(path: Path) -> list[Path]:
    """A file given by the user, or the files under a folder (its set-aside files left out)."""
    if not path.is_dir():
        return [path]
    return sorted(p for p in path.rglob("*") if p.is_file() and REJECTED_DIR not in p.parts)


def _ignored(path: Path) -> bool:
    """Hidden files, Excel's lock files (~$…) and downloads still in progress are left alone."""
    return path.name.startswith((".", "~$")) or path.suffix.lower() in IN_PROGRESS_SUFFIXES


def recognise(table: RawTable, profiles: list[Profile]) -> tuple[RawTable, Match | NoMatch]:
    """The sheet (of a workbook) and the profile that recognise it; the first sheet's story if none."""
    first = match_profile(table.rows, profiles)
    if isinstance(first, Match):
        return table, first
    for sheet in table.other_sheets:
        match = match_profile(sheet.rows, profiles)
        if isinstance(match, Match):
            return sheet, match
    return table, first


def _reject_lines(rejects: list[dict], limit: int = 50) -> str:
    lines = [f"row {r['source_row']}, column {r['column_name'] or '(whole row)'}: {r['reason']}"
             + (f" — value {r['raw_value']!r}" if r["raw_value"] is not None else "")
             for r in rejects[:limit]]
    if len(rejects) > limit:
        lines.append(f"… and {len(rejects) - limit} more")
    return "\n".join(lines)
