"""The demo's ``shopreport.toml`` (a complete, commented example), its ``fx_rates.csv`` and its
``targets.csv`` (monthly GMV and ad-cost targets per shop)."""

from __future__ import annotations

import calendar as month_calendar
import json
from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

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
    shop_tables = "\n".join(_shop_table(shop) for shop in shops)
    return f"""\
# shopreport configuration, written by `shopreport demo` for a made-up business.
# Relative paths are relative to the folder holding this file.

[paths]
inbox = "inbox"                            # the team drops exports in inbox/<shop id>/
warehouse = "warehouse/shopreport.duckdb"  # the DuckDB file
landing = "landing"                        # original bytes of every loaded file, kept forever
archive = "archive"                        # every report that went out, with its numbers
outbox = "outbox"                          # mails as .eml files while no smtp_host is set
fx_rates = "fx_rates.csv"                  # rate_date,currency,rate_to_reporting (one row per day)
targets = "targets.csv"                    # shop_id,month,gmv_target,ad_cost_target (month: 2026-11)
# profiles = "profiles"                    # your own ingest profiles (*.toml), optional
# ledger = "warehouse/send_ledger.sqlite"  # the send ledger (default: beside the warehouse)

[report]
reporting_currency = "{REPORTING_CURRENCY}"  # all-shops totals are converted to this currency
language = "zh-CN"                # zh-CN or en
timezone = "Asia/Shanghai"        # when "yesterday" ends for the all-shops report
# freshness_cutoff = "10:00"       # wait for the day's exports until this time (next morning);
#                                  # then send what there is, marked partial, or a "data late" notice
# freshness_retry_seconds = 300    # how often to look again while waiting

# One [[shops]] table per shop. The id names the inbox folder; business days follow the shop's
# timezone; gross_margin sets the break-even ROAS (1 / gross_margin) in the ad tables.
# platform is one of: tmall, taobao, jd, pinduoduo, douyin, shopify, other.
# expected_sources = ["orders", "traffic", "ad_spend"] says what must land each day before the
# report goes out (default: whatever the shop has sent before).
{shop_tables}
# How products get roles and lifecycle stages, and when one is flagged as abnormal (see
# docs/metrics.md, "Products"). Every key is optional; these are the defaults.
[products]
# baseline_weeks = 4               # abnormal: the day vs the same weekday of the 4 weeks before
# min_orders = 3                   # floors, per baseline day: paid order lines …
# min_visitors = 100               # … and product visitors (by-product traffic export)
# min_refund_lines = 3             # lines refunded on the day before a refund spike counts
# traffic_drop = 0.5               # visitors down 50 % or more
# conversion_drop = 0.5            # conversion down 50 % or more
# refund_spike = 3.0               # refunds at 3× the baseline or more
# window_weeks = 4                 # roles and stages: the last 4 weeks vs the 4 before
# new_weeks = 4                    # "new" for 4 weeks after the first sale
# growth = 0.2                     # +20 %: "growth"
# decline = 0.2                    # -20 %: "decline"
# min_window_lines = 20            # growth/decline need 20 paid lines in one of the windows
# hit_gmv_share = 0.15             # 爆款 / "hot": 15 % of the shop's GMV
# traffic_driver_share = 0.10      # 引流款: 10 % of the visitors (else buyers) …
# traffic_driver_price_ratio = 0.8 # … at ≤ 0.8 × the shop's average price
# profit_price_ratio = 1.2         # 利润款: ≥ 1.2 × the shop's average price, …
# profit_min_gmv_share = 0.05      # … ≥ 5 % of its GMV …
# profit_max_refund_rate = 0.10    # … and ≤ 10 % refunded

[mail]
from = "shopreport@example.com"
to = ["ops-team@example.com", "owner@example.com"]
# There is no smtp_host, so reports are written to the outbox folder as .eml files instead of
# being sent. To send them, uncomment and fill in these lines:
# smtp_host = "smtp.example.com"
# smtp_port = 465
# smtp_security = "ssl"            # ssl, starttls or plain
# smtp_user = "shopreport@example.com"
# The password is never written in this file: shopreport reads it from the environment variable
# SHOPREPORT_SMTP_PASSWORD (set password_env = "OTHER_NAME" to use another variable).
# admin_to = ["it@example.com"]    # who gets a short notice when a run fails
# retry_delays = [30, 120, 600]    # seconds between attempts after a temporary SMTP failure
"""


def _shop_table(shop: ShopConfig) -> str:
    return (
        "[[shops]]\n"
        f"id = {json.dumps(shop.id)}\n"
        f"name = {json.dumps(shop.name, ensure_ascii=False)}\n"
        f"platform = {json.dumps(shop.platform)}\n"
        f"currency = {json.dumps(shop.currency)}\n"
        f"timezone = {json.dumps(shop.timezone)}\n"
        f"gross_margin = {shop.gross_margin}\n"
    )


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
