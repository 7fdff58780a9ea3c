"""The report archive: every rendered report kept, with the data it showed, under a stable path.

Layout (``docs/archive.md``)::

    archive/
      index.html                              every report, by date, shop and kind (works from file://)
      .index/<2026-11>.json                   each month's rows of index.html (remade when one changes)
      daily/<scope_id>/<2026-11-22>/
        日报_天猫旗舰店_2026-11-22.pdf          the report as sent
        日报_天猫旗舰店_2026-11-22.html         the HTML the PDF was made from
        日报_天猫旗舰店_2026-11-22.xlsx         the report tables and the summary sheet
        email.html                            the mail body
        data/NN_rpt_….parquet, queries.json   every query the report ran and the rows it got
        manifest.json                         what, when, which version, sent to whom
      weekly/<scope_id>/<2026-W47>/ …

``manifest.json`` is written last, so a folder with a manifest is complete. Every file is written
atomically (temp file, then rename): a crash never leaves a half-written report where a reader
would find it. The version is a content hash of ``transforms/`` (SQL and model ``.yml``) and of
``report_templates/``: two reports with the same hashes were made by the same logic.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

REPO_ROOT = Path(__file__).resolve().parents[1]
TRANSFORMS_DIR = REPO_ROOT / "transforms"
TEMPLATES_DIR = REPO_ROOT / "report_templates"
MANIFEST = "manifest.json"
DATA_DIR = "data"
INDEX = "index.html"
INDEX_ROWS = "archive_index_rows.html"  # one month's rows of index.html
INDEX_CACHE = ".index"  # each month's rows, made again only when a report of the month changes
MANIFEST_SCHEMA = 1
KINDS = ("daily", "weekly")


def report_folder(archive_dir: Path, kind: str, scope_id: str, period: str) -> Path:
    return archive_dir / kind / scope_id / period


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ----------------------------------------------------------------------------------------------
# the version of the logic that made a report
# ----------------------------------------------------------------------------------------------

def tree_hash(root: Path, suffixes: Iterable[str] | None = None) -> str:
    """SHA-256 over the relative path and bytes of every file under ``root`` (hidden files and
    caches left out), in path order: the same files give the same hash on any machine."""
    digest = hashlib.sha256()
    wanted = tuple(suffixes) if suffixes else None
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root).as_posix()
        if any(part.startswith(".") or part == "__pycache__" for part in relative.split("/")):
            continue
        if wanted and not relative.endswith(wanted):
            continue
        digest.update(relative.encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def code_version(transforms_dir: Path = TRANSFORMS_DIR, templates_dir: Path = TEMPLATES_DIR) -> dict[str, str]:
    """``{"transforms": sha256, "templates": sha256, "shopreport": "0.1.0"}``."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("shopreport")
    except PackageNotFoundError:
        package = "unknown"
    return {"transforms": tree_hash(transforms_dir, (".sql", ".yml")),
            "templates": tree_hash(templates_dir),
            "shopreport": package}


# ----------------------------------------------------------------------------------------------
# writing a report
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchivedReport:
    folder: Path
    pdf: Path
    html: Path
    email_html: Path
    xlsx: Path | None = None
    manifest: dict[str, Any] = field(default_factory=dict)

    @property
    def manifest_path(self) -> Path:
        return self.folder / MANIFEST


def archive_report(archive_dir: Path, kind: str, scope_id: str, period: str, stem: str, *,
                   pdf: bytes, html: str, email_html: str, xlsx: bytes | None = None,
                   data_files: Mapping[str, bytes] | None = None,
                   manifest: Mapping[str, Any] | None = None) -> ArchivedReport:
    """Keep one rendered report: its files, its data (``data_files`` from
    :func:`flows.reports.recording.write_recorded`) and its manifest, written last.

    A report rendered again (``--resend``, a forced backfill) replaces the earlier files; the
    deliveries recorded in the earlier manifest are kept.
    """
    folder = report_folder(archive_dir, kind, scope_id, period)
    earlier = load_manifest(folder)
    files = {f"{stem}.html": html.encode("utf-8"), "email.html": email_html.encode("utf-8"),
             f"{stem}.pdf": pdf}
    if xlsx is not None:
        files[f"{stem}.xlsx"] = xlsx
    for name, data in files.items():
        write_atomic(folder / name, data)
    if data_files is not None:
        _replace_data(folder, data_files)
    record = dict(manifest or {})
    record.update({
        "schema": MANIFEST_SCHEMA, "kind": kind, "scope_id": scope_id, "period": period,
        "files": {"pdf": f"{stem}.pdf", "html": f"{stem}.html", "email": "email.html",
                  **({"xlsx": f"{stem}.xlsx"} if xlsx is not None else {}),
                  **({"data": DATA_DIR} if data_files is not None else {})},
        "sha256": {name: sha256_hex(data) for name, data in files.items()},
        "deliveries": (earlier or {}).get("deliveries", []),
    })
    write_manifest(folder, record)
    return ArchivedReport(folder=folder, pdf=folder / f"{stem}.pdf", html=folder / f"{stem}.html",
                          email_html=folder / "email.html",
                          xlsx=folder / f"{stem}.xlsx" if xlsx is not None else None, manifest=record)


def _replace_data(folder: Path, data_files: Mapping[str, bytes]) -> None:
    """Write ``data/`` whole: into ``.data.partial/`` first, then swap it in."""
    staging = folder / f".{DATA_DIR}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    for name, data in data_files.items():
        write_atomic(staging / name, data)
    target, old = folder / DATA_DIR, folder / f".{DATA_DIR}.old"
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def write_manifest(folder: Path, manifest: Mapping[str, Any]) -> None:
    text = json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
    write_atomic(folder / MANIFEST, text.encode("utf-8"))


def load_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def record_delivery(folder: Path, delivery: Mapping[str, Any]) -> None:
    """Add a delivery (to whom, when, how, the ledger id) to the report's manifest."""
    manifest = load_manifest(folder)
    if manifest is None:
        return  # a report archived before manifests existed: the send ledger still has it
    manifest.setdefault("deliveries", []).append(dict(delivery))
    write_manifest(folder, manifest)


# ----------------------------------------------------------------------------------------------
# reading the archive
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ArchiveEntry:
    """One archived report, as listed by ``shopreport archive`` and ``index.html``."""

    folder: Path
    kind: str
    scope_id: str
    period: str
    first_day: dt.date
    last_day: dt.date
    manifest: dict[str, Any]

    @property
    def scope_name(self) -> str:
        return self.manifest.get("scope_name") or self.scope_id

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return list(self.manifest.get("deliveries", []))

    @property
    def sent(self) -> bool:
        return any(d.get("status", "sent") == "sent" for d in self.deliveries)

    def file(self, role: str) -> Path | None:
        name = self.manifest.get("files", {}).get(role)
        return self.folder / name if name and (self.folder / name).exists() else None

    def line(self) -> str:
        sent = "; ".join(f"sent {d.get('at', '?')[:16]} to {', '.join(d.get('to', [])) or '-'}"
                         for d in self.deliveries) or "not sent"
        version = self.manifest.get("version", {}).get("transforms", "")[:8] or "-"
        return (f"{self.period:10} {self.kind:6} {self.scope_id:16} {sent}; version {version}\n"
                f"    {self.file('pdf') or self.folder}")


def period_days(kind: str, period: str) -> tuple[dt.date, dt.date]:
    """The business days a report covers: one day, or the ISO week's Monday to Sunday."""
    if kind == "weekly":
        year, week = period.split("-W")
        monday = dt.date.fromisocalendar(int(year), int(week), 1)
        return monday, monday + dt.timedelta(days=6)
    day = dt.date.fromisoformat(period)
    return day, day


def list_reports(archive_dir: Path, *, kinds: Sequence[str] = KINDS, scopes: Sequence[str] | None = None,
                 start: dt.date | None = None, end: dt.date | None = None,
                 sent: bool | None = None) -> list[ArchiveEntry]:
    """Archived reports, newest first; ``start``/``end`` keep the reports covering a day in range."""
    entries = []
    for kind, folder, first, last in _report_folders(archive_dir, kinds):
        if scopes and folder.parent.name not in scopes:
            continue
        if (start and last < start) or (end and first > end):
            continue
        entry = _entry(kind, folder, first, last)
        if entry is None or (sent is not None and entry.sent != sent):
            continue
        entries.append(entry)
    return _newest_first(entries)


def _report_folders(archive_dir: Path, kinds: Sequence[str] = KINDS) -> list[tuple[str, Path, dt.date, dt.date]]:
    """Every report folder (kind, folder, first day, last day), read from the paths alone."""
    found = []
    for kind in kinds:
        for folder in sorted((archive_dir / kind).glob("*/*")):
            if not folder.is_dir():
                continue
            try:
                first, last = period_days(kind, folder.name)
            except ValueError:
                continue  # not a report folder
            found.append((kind, folder, first, last))
    return found


def _entry(kind: str, folder: Path, first: dt.date, last: dt.date) -> ArchiveEntry | None:
    manifest = load_manifest(folder)
    if manifest is None:
        manifest = _legacy_manifest(folder)
        if manifest is None:
            return None  # nothing but a data-late notice, or a folder being written
    return ArchiveEntry(folder, kind, folder.parent.name, folder.name, first, last, manifest)


def _newest_first(entries: list[ArchiveEntry]) -> list[ArchiveEntry]:
    return sorted(entries, key=lambda e: (e.last_day, e.kind == "weekly", e.scope_id), reverse=True)


def _legacy_manifest(folder: Path) -> dict[str, Any] | None:
    """A folder archived before manifests existed: its files, no version, no data."""
    pdfs = sorted(folder.glob("*.pdf"))
    if not pdfs:
        return None
    stem = pdfs[0].stem
    files = {"pdf": pdfs[0].name, "email": "email.html"}
    if (folder / f"{stem}.html").exists():
        files["html"] = f"{stem}.html"
    return {"files": files, "legacy": True}


# ----------------------------------------------------------------------------------------------
# index.html
# ----------------------------------------------------------------------------------------------

def _href(entry: ArchiveEntry, path: Path | None, archive_dir: Path) -> str | None:
    if path is None:
        return None
    return quote(path.relative_to(archive_dir).as_posix())


def write_index(archive_dir: Path, *, title: str = "shopreport") -> Path:
    """Write ``index.html`` at the archive root: every report with links to its files, by date,
    shop and kind. Relative links only, so it works from a file:// URL and when the folder is
    copied elsewhere.

    Each month's rows are kept in ``.index/<YYYY-MM>.json`` and made again only when a report
    of that month was added, removed or changed (its manifest's time), or the templates or
    this module changed: a run rewrites its own month, not years of reports (a year of 20 shops' daily
    reports took 3.6 s to list and render again, every run)."""
    from markupsafe import Markup

    from flows.reports.render import template_environment

    env = template_environment(TEMPLATES_DIR)
    stamp = sha256_hex(b"".join(path.read_bytes() for path in (  # what makes the rows: this module too
        TEMPLATES_DIR / "archive_index.html", TEMPLATES_DIR / INDEX_ROWS, Path(__file__))))
    by_month: dict[str, list[tuple[str, Path, dt.date, dt.date]]] = {}
    for found in _report_folders(archive_dir):
        by_month.setdefault(found[3].strftime("%Y-%m"), []).append(found)
    cache_dir = archive_dir / INDEX_CACHE
    months = []
    for month in sorted(by_month, reverse=True):
        key = [[str(folder.relative_to(archive_dir)), _changed_at(folder)] for _, folder, _, _ in by_month[month]]
        cached = _read_json(cache_dir / f"{month}.json")
        if not cached or cached.get("stamp") != stamp or cached.get("key") != key:
            entries = _newest_first([e for e in (_entry(*found) for found in by_month[month]) if e is not None])
            rows = [_index_row(e, archive_dir) for e in entries]
            cached = {"stamp": stamp, "key": key, "count": len(rows),
                      "shops": sorted({(r["scope_id"], r["scope_name"]) for r in rows}),
                      "html": env.get_template(INDEX_ROWS).render(month=month, rows=rows)}
            write_atomic(cache_dir / f"{month}.json", json.dumps(cached, ensure_ascii=False).encode("utf-8"))
        months.append(cached)
    for stale in cache_dir.glob("*.json") if cache_dir.is_dir() else ():
        if stale.stem not in by_month:
            stale.unlink()
    shops = sorted({tuple(shop) for m in months for shop in m["shops"]})
    html = env.get_template("archive_index.html").render(
        title=title, months=[Markup(m["html"]) for m in months if m["count"]], shops=shops,
        count=sum(m["count"] for m in months),
        generated_at=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"))
    path = archive_dir / INDEX
    write_atomic(path, html.encode("utf-8"))
    return path


def _changed_at(folder: Path) -> int:
    """When a report folder last changed as the index sees it: its manifest (written last, and
    again at each delivery), else the folder."""
    try:
        return (folder / MANIFEST).stat().st_mtime_ns
    except OSError:
        return folder.stat().st_mtime_ns


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _index_row(e: ArchiveEntry, archive_dir: Path) -> dict[str, Any]:
    data = e.folder / DATA_DIR
    return {
        "kind": e.kind, "scope_id": e.scope_id, "scope_name": e.scope_name, "period": e.period,
        "subject": e.manifest.get("subject", ""),
        "partial": bool(e.manifest.get("partial")),
        "links": [(label, href) for label, href in (
            ("PDF", _href(e, e.file("pdf"), archive_dir)),
            ("HTML", _href(e, e.file("html"), archive_dir)),
            ("Excel", _href(e, e.file("xlsx"), archive_dir)),
            ("邮件 mail", _href(e, e.file("email"), archive_dir)),
            ("数据 data", _href(e, data / "queries.json" if data.is_dir() else None, archive_dir)),
            ("manifest", _href(e, e.folder / MANIFEST if (e.folder / MANIFEST).exists() else None,
                               archive_dir)),
        ) if href],
        "deliveries": e.deliveries,
        "version": (e.manifest.get("version") or {}).get("transforms", "")[:8],
        "templates": (e.manifest.get("version") or {}).get("templates", "")[:8],
        "rendered_at": (e.manifest.get("rendered_at") or "")[:16].replace("T", " "),
    }


# ----------------------------------------------------------------------------------------------
# reproducibility: render again from the stored data and compare
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VerifyResult:
    same: bool
    detail: str


def pdf_text(pdf: bytes) -> str:
    """The text of a PDF (poppler's ``pdftotext -layout``)."""
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", f.name, "-"], check=True, capture_output=True,
                              text=True).stdout


def verify_report(folder: Path) -> VerifyResult:
    """Render an archived report again from its ``data/`` and manifest alone and compare: the
    PDF's HTML, the mail body and the PDF's text must be the same. Says so when the transforms
    or templates changed since (a difference is then expected)."""
    from flows.pipeline import rerender_archived

    manifest = load_manifest(folder)
    try:
        again = rerender_archived(folder)
    except FileNotFoundError as exc:
        return VerifyResult(False, str(exc))
    files = (manifest or {}).get("files", {})
    differences = []
    if (folder / files.get("html", "-")).read_text(encoding="utf-8") != again.pdf_html:
        differences.append("PDF HTML")
    if (folder / files.get("email", "-")).read_text(encoding="utf-8") != again.email.html:
        differences.append("mail body")
    if pdf_text((folder / files["pdf"]).read_bytes()) != pdf_text(again.pdf):
        differences.append("PDF text")
    if "xlsx" in files and again.xlsx is not None and (folder / files["xlsx"]).read_bytes() != again.xlsx:
        differences.append("workbook")
    now = code_version()
    was = (manifest or {}).get("version", {})
    changed = [part for part in ("transforms", "templates") if was.get(part) != now[part]]
    note = f" (the {' and '.join(changed)} changed since it was made)" if changed else ""
    if differences:
        return VerifyResult(False, "differs: " + ", ".join(differences) + note)
    return VerifyResult(True, "HTML, mail body and PDF text match" + (", workbook too" if "xlsx" in files else "") + note)
