"""Real Prefect flow runs on an isolated temporary Prefect database (STACK.md §1.4)."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

DEMO_END = dt.date(2026, 11, 22)  # tests use the same literal: the demo's last business day


@pytest.fixture(scope="session", autouse=True)
def prefect_db(prefect_harness):
    """Every test here runs against this test process's Prefect test server (tests/conftest.py)."""
    yield prefect_harness


@pytest.fixture(scope="session")
def daily_demo(made_once):
    """(folder, deliveries): a demo business of 380 days ending 2026-11-22 (the last 10 days as
    daily exports) after one real daily flow run for 2026-11-22 over its full inbox — ingest,
    build, the three reports rendered and delivered to the outbox — and what that run returned.

    Made once for the whole test run (the flow runs in whichever test process asks first) and
    never changed: a module works on its own copy, ``demo_dir``."""
    from flows.daily_report import daily_report
    from flows.demo import generate_demo

    def make(folder):
        generate_demo(folder / "demo", DEMO_END, days=380, daily_days=10)
        deliveries = daily_report(config=str(folder / "demo" / "shopreport.toml"), report_date=DEMO_END)
        (folder / "deliveries.json").write_text(json.dumps(deliveries), encoding="utf-8")

    folder = made_once("daily-run-demo", make)
    return folder / "demo", json.loads((folder / "deliveries.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def demo_dir(daily_demo, tmp_path_factory):
    """This module's own copy of the daily-run demo (its tests may change it)."""
    target = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(daily_demo[0], target)
    return target
