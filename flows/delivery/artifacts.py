"""What a run shows on its Prefect page: the content of its artifacts, as plain values.

For each rendered report the flow publishes (``flows/daily_report.py``, task ``publish``):

- a **markdown** artifact: the report's subject, its headline numbers with their week-on-week
  change, and the biggest movements (the bridge sentence, then the tiles that moved most);
- a **table** artifact: the data-quality record (every file of the latest load: rows read,
  loaded, rejected; the sources missing for the day);
- a **link** artifact: the archived report (its PDF) and the archive's index.

The content is built here from the report context, so it can be tested without Prefect; the
task only hands it to ``prefect.artifacts``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.delivery.webhooks import daily_summary, relative_change, weekly_summary

BIGGEST_MOVES = 3


@dataclass(frozen=True)
class RunArtifacts:
    key: str  # lowercase letters, digits and dashes, as Prefect requires: daily-tmall-flagship-2026-11-22
    markdown: str
    table: list[dict[str, Any]]
    link: str  # file:// URL of the archived PDF
    link_text: str
    index_link: str


def artifact_key(kind: str, scope_id: str, period: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", f"{kind}-{scope_id}-{period}".lower()).strip("-")


def summary_markdown(ctx: Any, kind: str, link: str) -> str:
    """The report's headline and biggest movements as markdown."""
    summary = (weekly_summary if kind == "weekly" else daily_summary)(ctx, link)
    key = "prev_week" if kind == "weekly" else "last_week"
    lines = [f"## {summary.title}", ""]
    lines += [f"- {line}" for line in summary.lines]
    moves = []
    if summary.movement:
        moves.append(summary.movement)
    ranked = sorted(((abs(change), tile) for tile in ctx.tiles
                     if (change := relative_change(tile, key)) is not None), key=lambda pair: -pair[0])
    for _, tile in ranked[:BIGGEST_MOVES]:
        comparison = tile.comparison(key)
        moves.append(f"{tile.label} {comparison.delta} ({comparison.label})")
    if moves:
        lines += ["", f"### {ctx.labels.get('artifact.moves', 'Biggest movements')}", ""]
        lines += [f"- {move}" for move in moves]
    lines += ["", f"[{summary.link_text}]({link})"]
    return "\n".join(lines) + "\n"


def data_quality_table(ctx: Any) -> list[dict[str, Any]]:
    """The report's data-quality box as rows: the latest load as a whole, each file the box lists
    (all of them, or only those with problems when there are many), each missing source and each
    note. Empty for a report without a data-quality record."""
    quality = getattr(ctx, "data_quality", None)
    if quality is None:
        return []

    def row(item: str, detail: str, status: str, **counts: str) -> dict[str, Any]:
        return {"item": item, "detail": detail, "rows read": counts.get("read", ""),
                "loaded": counts.get("loaded", ""), "rejected": counts.get("rejected", ""), "status": status}

    rows = [row(quality.run_text, quality.totals_text, "clean" if quality.is_clean else "problems")]
    rows += [row(f"{f.shop_name} · {f.file_name}", f"{f.entity} · {f.profile} · {f.coverage}",
                 "rejects" if f.has_rejects else "ok", read=f.rows_read, loaded=f.rows_loaded, rejected=f.rows_rejected)
             for f in quality.files]
    if quality.files_omitted_text:
        rows.append(row(quality.files_omitted_text, "", "ok"))
    rows += [row(m.text, m.entity, "missing") for m in quality.missing]
    rows += [row(note, "", "note") for note in quality.notes]
    return rows


def run_artifacts(ctx: Any, kind: str, period: str, pdf: Path, archive_dir: Path) -> RunArtifacts:
    link = pdf.resolve().as_uri()
    return RunArtifacts(key=artifact_key(kind, ctx.scope_id, period),
                        markdown=summary_markdown(ctx, kind, link), table=data_quality_table(ctx),
                        link=link, link_text=pdf.name,
                        index_link=(archive_dir / "index.html").resolve().as_uri())
