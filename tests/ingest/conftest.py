from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.settings import load_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "exports"

CONFIG = """
[paths]
fx_rates = "fx_rates.csv"

[report]
reporting_currency = "CNY"

[[shops]]
id = "tmall_flagship"
name = "天猫旗舰店"
platform = "tmall"
currency = "CNY"
timezone = "Asia/Shanghai"
gross_margin = 0.45

[[shops]]
id = "shopify_us"
name = "Shopify US"
platform = "shopify"
currency = "USD"
timezone = "America/New_York"
gross_margin = 0.5
"""

TMALL_FILES = ["ExportOrderList_2026-11-22.csv", "【生意参谋平台】流量来源_2026-11-21_2026-11-22.csv",
               "计划报表_20261123_073000.csv"]
SHOPIFY_FILES = ["orders_export_2026-11-22.csv", "Campaign_report_2026-11-22.csv",
                 "sessions_over_time_2026-11-22.csv"]


@pytest.fixture
def project(tmp_path: Path):
    """A project folder with a configuration and an empty inbox per shop; returns its Settings."""
    (tmp_path / "shopreport.toml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "fx_rates.csv").write_text("rate_date,currency,rate_to_reporting\n2026-11-01,USD,7.2000\n",
                                           encoding="utf-8")
    for shop in ("tmall_flagship", "shopify_us"):
        (tmp_path / "inbox" / shop).mkdir(parents=True)
    return load_settings(tmp_path / "shopreport.toml")


@pytest.fixture
def drop():
    """Copy fixture exports into a shop's inbox, as a team member would."""
    def copy(settings, shop_id: str, *names: str) -> list[Path]:
        paths = []
        for name in names:
            target = settings.inbox_dir / shop_id / name
            shutil.copyfile(FIXTURES / name, target)
            paths.append(target)
        return paths
    return copy


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES
