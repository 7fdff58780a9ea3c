"""The demo's ``shopreport.toml`` (a complete, commented example), its ``fx_rates.csv`` and its
``targets.csv`` (monthly GMV and ad-cost targets per shop)."""

from __future__ import annotations

import calendar as month_calendar
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from flows.config_template import ProjectConfig
from flows.config_template import config_text as project_config_text
from flows.demo.formats import UTF8_LF, write_csv
from flows.settings import CONFIG_FILE_NAME, ShopConfig

if TYPE_CHECKING:
    from flows.demo.simulate import ShopSimulation

REPORTING_CURRENCY = "CNY"
FX_FILE_NAME = "fx_rates.csv"
FX_HEADER = ("rate_date", "currency", "rate_to_reporting")
TARGETS_FILE_NAME = "targets.csv"
TARGETS_HEADER = ("shop_id", "month", "gmv_target", "ad_cost_target")
# The demo team sets each month's targets a little out of reach: GMV 8 % above what the month
# brings, an ad budget 5 % below what it spends (so the pacing box has something to say).
GMV_TARGET_FACTOR = 1.08
AD_BUDGET_FACTOR = 0.95
# Rough level and bounds of each currency in CNY; the demo's rates wander inside the bounds.
FX_LEVELS = {"USD": (7.20, 7.10, 7.30), "EUR": (7.80, 7.60, 8.00), "JPY": (0.048, 0.046, 0.050)}


def config_text(shops: list[ShopConfig]) -> str:
    """The demo configuration: every section, with comments explaining each setting."""
    return project_config_text(ProjectConfig(
        shops=tuple(shops), title="shopreport configuration, written by `shopreport demo` for a made-up business.",
        reporting_currency=REPORTING_CURRENCY, mail_to=("ops-team@example.com", "owner@example.com")))


def write_config(target_dir: Path, shops: list[ShopConfig]) -> Path:
    path = target_dir / CONFIG_FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="\n") as f:
        f.write(config_text(shops))
    return path


def write_fx_rates(target_dir: Path, dates: list[date], currencies: list[str],
                   rng: np.random.Generator) -> Path:
    """One rate per day per non-reporting currency: a mean-reverting random walk, 4 decimals."""
    rows: list[tuple[str, str, str]] = []
    for currency in currencies:
        level, low, high = FX_LEVELS.get(currency, (1.0, 0.9, 1.1))
        step = (high - low) / 60
        rate = level
        for day in dates:
            rate = float(np.clip(rate + 0.05 * (level - rate) + rng.normal(0.0, step), low, high))
            rows.append((day.isoformat(), currency, f"{rate:.4f}"))
    rows.sort()
    return write_csv(target_dir / FX_FILE_NAME, [FX_HEADER, *rows], UTF8_LF)


def write_targets(target_dir: Path, sims: Iterable["ShopSimulation"]) -> Path:
    """Monthly targets per shop for every month of the demo: GMV a little above what the month
    brings (a partial month is scaled to the whole month), an ad budget a little below what it
    spends; three significant figures, in the shop's currency."""
    from flows.demo.dates import NEVER

    rows: list[tuple[str, str, str, str]] = []
    for sim in sims:
        dates = sim.calendar.dates
        orders = sim.orders
        paid = orders[(orders["paid"] != NEVER) & (orders["paid_day"] < len(dates))]
        gmv = np.bincount(paid["paid_day"], weights=paid["total_cents"], minlength=len(dates))
        ads = np.bincount(sim.ads["day"], weights=sim.ads["cost_cents"], minlength=len(dates))
        months: dict[tuple[int, int], list[int]] = {}
        for i, day in enumerate(dates):
            months.setdefault((day.year, day.month), []).append(i)
        for (year, month), days in months.items():
            scale = month_calendar.monthrange(year, month)[1] / len(days)
            gmv_target = gmv[days].sum() / 100 * scale * GMV_TARGET_FACTOR
            budget = ads[days].sum() / 100 * scale * AD_BUDGET_FACTOR
            rows.append((sim.model.shop.id, f"{year:04d}-{month:02d}", _round3(gmv_target),
                         _round3(budget)))
    return write_csv(target_dir / TARGETS_FILE_NAME, [TARGETS_HEADER, *rows], UTF8_LF)


def _round3(amount: float) -> str:
    """An amount to three significant figures, written without decimals: 1234567 → 1230000."""
    if amount <= 0:
        return "0"
    return f"{float(f'{amount:.3g}'):.0f}"
