"""Real Prefect flow runs on an isolated temporary Prefect database (STACK.md §1.4)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

DEMO_END = dt.date(2026, 11, 22)  # tests use the same literal: the demo's last business day


@pytest.fixture(scope="session", autouse=True)
def prefect_db(prefect_harness):
    """Every test here runs against this test process's Prefect test server (tests/conftest.py)."""
    yield prefect_harness


@pytest.fixture(scope="module")
def demo_dir(daily_demo, tmp_path_factory):
    """This module's own copy of the demo after its daily run (``daily_demo``, tests/conftest.py):
    its tests may change it."""
    target = tmp_path_factory.mktemp("demo") / "demo"
    shutil.copytree(daily_demo.folder, target)
    return target
