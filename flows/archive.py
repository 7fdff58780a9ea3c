"""The report archive: every rendered report kept under a stable path.

Layout: ``archive/<kind>/<scope_id>/<period>/`` holding the PDF, the HTML the PDF was made from,
and the e-mail body (``email.html``). Files are written atomically (temp file, then rename), so
a crash never leaves a half-written report where a reader would find it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ArchivedReport:
    folder: Path
    pdf: Path
    html: Path
    email_html: Path


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


def archive_report(archive_dir: Path, kind: str, scope_id: str, period: str, stem: str,
                   pdf: bytes, html: str, email_html: str) -> ArchivedReport:
    folder = report_folder(archive_dir, kind, scope_id, period)
    pdf_path = folder / f"{stem}.pdf"
    html_path = folder / f"{stem}.html"
    email_path = folder / "email.html"
    write_atomic(html_path, html.encode("utf-8"))
    write_atomic(email_path, email_html.encode("utf-8"))
    write_atomic(pdf_path, pdf)
    return ArchivedReport(folder=folder, pdf=pdf_path, html=html_path, email_html=email_path)
