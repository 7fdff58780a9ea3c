"""The end-to-end benchmark runs at a tiny size, and its three-way agreement check fails when a
baseline is wrong (the CLI runs are left out: they cost a Prefect start-up each)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_bench(out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "bench.py"), "--lines-per-year", "2000", "--shops", "2",
         "--years", "1", "--repeat", "1", "--no-cli", "--out", str(out), *extra],
        capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_bench_runs_and_a_wrong_baseline_fails_the_agreement(tmp_path):
    wrong = run_bench(tmp_path, "--duckdb-baseline", str(ROOT / "tests" / "bench" / "wrong_baseline.py"),
                      "--morning-repeat", "2")

    assert wrong.returncode == 1, wrong.stdout + wrong.stderr
    result = (tmp_path / "result.md").read_text(encoding="utf-8")
    assert "Agreement: FAILED" in result
    problems = [line for line in result.splitlines() if line.startswith("- ")]
    assert len(problems) == 1 and problems[0].startswith("- DuckDB script: ")  # one shop-day, one cent
    assert "pandas script:" not in result  # shopreport and pandas agree
    for step in ("cat (history bytes)", "baseline: DuckDB script", "baseline: pandas script",
                 "baseline: DuckDB script, morning", "(a) full: ingest + build", "(b) morning data: ingest + build"):
        assert f"| {step} |" in result
    rows = {cells[1]: cells for cells in (line.split(" | ") for line in result.splitlines())
            if len(cells) > 5 and cells[4].isdigit()}
    assert int(rows["(a) full: ingest + build"][4]) == 1 and int(rows["(b) morning data: ingest + build"][4]) == 2
    assert int(rows["baseline: DuckDB script, morning"][4]) == 2
    # the morning data step against the DuckDB script's morning: its median over the script's
    morning, script = (float(rows[name][2]) for name in ("(b) morning data: ingest + build",
                                                         "baseline: DuckDB script, morning"))
    ratio = float(rows["(b) morning data: ingest + build"][-1].strip(" |"))
    assert (morning - 0.005) / (script + 0.005) <= ratio <= (morning + 0.005) / (script - 0.005)  # shown rounded
    assert rows["(a) full: ingest + build"][-1].strip(" |") == "–"
    assert rows["baseline: DuckDB script, morning"][-1].strip(" |") == "–"
    assert "agreement after the morning: shopreport and the DuckDB script's morning agree" in wrong.stdout


def test_disagreements_name_the_shop_day(tmp_path):
    from bench.bench import disagreements

    header = "shop_id,business_date,gmv,paid_orders,paying_buyers\n"
    (tmp_path / "ref.csv").write_text(header + "s1,2026-11-01,10.00,1,1\ns1,2026-11-02,0,0,0\n")
    (tmp_path / "same.csv").write_text(header + "s1,2026-11-01,10.0,1,1\n")
    (tmp_path / "off.csv").write_text(header + "s1,2026-11-01,10.01,1,1\ns1,2026-11-03,5.00,1,1\n")

    assert disagreements(tmp_path / "ref.csv", {"same": tmp_path / "same.csv"}) == []
    problems = disagreements(tmp_path / "ref.csv", {"off": tmp_path / "off.csv"})
    assert [p.split(":")[:2] for p in problems] == [["off", " s1 2026-11-01"], ["off", " s1 2026-11-03"]]
