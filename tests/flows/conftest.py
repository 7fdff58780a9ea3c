"""Real Prefect flow runs on an isolated temporary Prefect database (STACK.md §1.4)."""

from __future__ import annotations

import datetime as dt

import pytest

DEMO_END = dt.date(2026, 11, 22)  # tests use the same literal: the demo's last business day


@pytest.fixture(scope="session", autouse=True)
def prefect_db():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90):
        with temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
            yield


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory):
    """A demo business of 380 days ending 2026-11-22 (the last 10 days as daily exports)."""
    from flows.demo import generate_demo

    target = tmp_path_factory.mktemp("demo")
    generate_demo(target, DEMO_END, days=380, daily_days=10)
    return target
