"""The run page's artifacts, built from a report context of the rpt_ fixture tables."""

from datetime import date
from pathlib import Path

import pytest

from flows.delivery.artifacts import artifact_key, data_quality_table, run_artifacts
from flows.delivery.webhooks import relative_change
from flows.reports.context import build_daily_context

REPORT_DATE = date(2026, 11, 22)


@pytest.fixture
def ctx(rpt_con, report_settings, glossary_dir):
    return build_daily_context(rpt_con, report_settings, REPORT_DATE, "tmall_flagship", transforms_dir=glossary_dir)


def test_keys_are_what_prefect_accepts():
    assert artifact_key("daily", "tmall_flagship", "2026-11-22") == "daily-tmall-flagship-2026-11-22"
    assert artifact_key("weekly", "US Store", "2026-W47") == "weekly-us-store-2026-w47"


def test_markdown_has_the_subject_every_headline_tile_and_the_biggest_moves(ctx, tmp_path):
    made = run_artifacts(ctx, "daily", "2026-11-22", tmp_path / "r.pdf", tmp_path)
    for tile in ctx.tiles:
        assert tile.label in made.markdown and tile.value_compact in made.markdown, tile.label
    moves = made.markdown.split("### ")[1]
    changes = {t.label: relative_change(t, "last_week") for t in ctx.tiles}
    biggest = max((label for label, change in changes.items() if change is not None), key=lambda k: abs(changes[k]))
    assert biggest in moves
    assert made.link == (tmp_path / "r.pdf").resolve().as_uri() and made.link in made.markdown


def test_the_table_holds_every_listed_file_and_each_missing_source(ctx):
    rows = data_quality_table(ctx)
    quality = ctx.data_quality
    assert rows[0]["status"] == ("clean" if quality.is_clean else "problems")
    for f in quality.files:
        [row] = [r for r in rows if f.file_name in r["item"]]
        assert (row["rows read"], row["loaded"], row["rejected"]) == (f.rows_read, f.rows_loaded, f.rows_rejected)
        assert row["status"] == ("rejects" if f.has_rejects else "ok")
    assert sum(r["status"] == "missing" for r in rows) == len(quality.missing)
    assert quality.files, "the fixture has a load to show"


def test_no_table_without_a_data_quality_record():
    class Weekly:
        pass

    assert data_quality_table(Weekly()) == []


def test_files_are_referenced_not_embedded(ctx, tmp_path):
    made = run_artifacts(ctx, "daily", "2026-11-22", tmp_path / "报告.pdf", tmp_path)
    assert made.link.startswith("file://") and made.index_link.endswith("index.html")
    assert Path(made.link_text).suffix == ".pdf"
