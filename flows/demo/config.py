"""The demo's ``shopreport.toml`` (a complete, commented example) and its ``fx_rates.csv``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from flows.demo.formats import UTF8_LF, write_csv
from flows.settings import CONFIG_FILE_NAME, ShopConfig

REPORTING_CURRENCY = "CNY"
FX_FILE_NAME = "fx_rates.csv"
FX_HEADER = ("rate_date", "currency", "rate_to_reporting")
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
# profiles = "profiles"                    # your own ingest profiles (*.toml), optional

[report]
reporting_currency = "{REPORTING_CURRENCY}"  # all-shops totals are converted to this currency
language = "zh-CN"                # zh-CN or en
timezone = "Asia/Shanghai"        # when "yesterday" ends for the all-shops report

# One [[shops]] table per shop. The id names the inbox folder; business days follow the shop's
# timezone; gross_margin sets the break-even ROAS (1 / gross_margin) in the ad tables.
# platform is one of: tmall, taobao, jd, pinduoduo, douyin, shopify, other.
{shop_tables}
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
