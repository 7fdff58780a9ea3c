"""Deployment wiring: prefect.yaml points at real flows, on the schedule the README promises."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_every_deployment_entrypoint_imports_a_flow():
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    assert doc["prefect-version"] == "3.8.8"
    for deployment in doc["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        flow = getattr(module, name)
        assert hasattr(flow, "fn") and flow.name, deployment["name"]


def test_the_daily_schedule():
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (daily,) = [d for d in doc["deployments"] if d["name"] == "daily-report"]
    assert daily["schedules"] == [{"cron": "0 8 * * *", "timezone": "Asia/Shanghai"}]
    assert daily["work_pool"]["name"] == "shopreport"
    assert daily["concurrency_limit"] == 1


def test_the_weekly_schedule():
    """Monday 07:30 in Shanghai: last ISO week is complete, and it runs before the 08:00 daily."""
    doc = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    (weekly,) = [d for d in doc["deployments"] if d["name"] == "weekly-report"]
    assert weekly["entrypoint"] == "flows/daily_report.py:weekly_report"
    assert weekly["schedules"] == [{"cron": "30 7 * * 1", "timezone": "Asia/Shanghai"}]
    assert weekly["work_pool"]["name"] == "shopreport"
    assert weekly["concurrency_limit"] == 1


def test_no_configuration_is_read_at_import_time(tmp_path, monkeypatch):
    """Importing every module works from an empty folder with no shopreport.toml."""
    monkeypatch.chdir(tmp_path)
    for path in sorted((ROOT / "flows").rglob("*.py")):
        if path.name == "__main__.py":
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        importlib.import_module(module)
