"""Ingest fixtures: a project with one shop per platform, loaded once per module where possible."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from flows.settings import load_settings

REPO = Path(__file__).resolve().parents[2]
EXPORTS = REPO / "tests" / "fixtures" / "exports"
BAD_INPUTS = REPO / "tests" / "fixtures" / "bad_inputs"
PUBLIC_DATA = REPO / "tests" / "fixtures" / "public"  # real public data, with its licence beside it

# shop id → (platform, currency, time zone)
SHOPS = {
    "tmall_flagship": ("tmall", "CNY", "Asia/Shanghai"),
    "jd_pop": ("jd", "CNY", "Asia/Shanghai"),
    "pdd_shop": ("pinduoduo", "CNY", "Asia/Shanghai"),
    "douyin_shop": ("douyin", "CNY", "Asia/Shanghai"),
    "shopify_us": ("shopify", "USD", "America/New_York"),
}


def write_project(root: Path, shops: dict[str, tuple[str, str, str]] | None = None,
                  profiles_dir: str | None = None):
    """A project folder with a configuration and an empty inbox per shop; returns its Settings."""
    shops = shops or SHOPS
    paths = '[paths]\nfx_rates = "fx_rates.csv"\n' + (f'profiles = "{profiles_dir}"\n' if profiles_dir else "")
    blocks = "".join(
        f'\n[[shops]]\nid = "{sid}"\nname = "{sid}"\nplatform = "{platform}"\ncurrency = "{currency}"\n'
        f'timezone = "{tz}"\ngross_margin = 0.4\n' for sid, (platform, currency, tz) in shops.items())
    (root / "shopreport.toml").write_text(paths + '\n[report]\nreporting_currency = "CNY"\n' + blocks,
                                          encoding="utf-8")
    (root / "fx_rates.csv").write_text("rate_date,currency,rate_to_reporting\n2026-11-01,USD,7.2000\n",
                                       encoding="utf-8")
    for sid in shops:
        (root / "inbox" / sid).mkdir(parents=True, exist_ok=True)
    return load_settings(root / "shopreport.toml")


def drop_file(settings, shop_id: str, source: Path, name: str | None = None) -> Path:
    target = settings.inbox_dir / shop_id / (name or source.name)
    shutil.copyfile(source, target)
    return target


@pytest.fixture
def platform_project(tmp_path):
    """A fresh project with one shop per platform (see SHOPS)."""
    return write_project(tmp_path)
