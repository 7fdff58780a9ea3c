"""The text of a complete, commented ``shopreport.toml``, written by ``shopreport demo`` and by
``shopreport init``.

The file shows every section: what is set, and, commented out, what could be. It is plain text
with the values filled in (TOML strings through ``json.dumps``, which writes valid TOML basic
strings), so the comments stay where a reader expects them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from flows.settings import ShopConfig

SMTP_PORTS = {"ssl": 465, "starttls": 587, "plain": 25}  # the usual port for each security


@dataclass(frozen=True)
class ProjectConfig:
    """What differs between one project's configuration and another's."""

    shops: tuple[ShopConfig, ...]
    title: str  # the first comment line: who wrote the file
    reporting_currency: str = "CNY"
    language: str = "zh-CN"
    timezone: str = "Asia/Shanghai"
    mail_from: str = "shopreport@example.com"
    mail_to: tuple[str, ...] = ()
    smtp_host: str = ""  # empty: mails go to the outbox folder
    smtp_port: int = 465
    smtp_security: str = "ssl"
    smtp_user: str = ""


def config_text(project: ProjectConfig) -> str:
    """``shopreport.toml`` for ``project``: every section, with comments explaining each setting."""
    shop_tables = "\n".join(_shop_table(shop) for shop in project.shops)
    return f"""\
# {project.title}
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

# [warehouse]
# memory_limit = "1GB"             # DuckDB's memory cap (default: DuckDB's own, 80 % of the memory)
# incremental_memory_limit = "256MB"  # a morning's incremental build: a lower cap (it spills to
#                                  # disk beyond it; one that needs more runs again under memory_limit);
#                                  # the build takes 128 MiB + 160 bytes per new row, up to this

# [ingest]
# workers = "auto"                 # processes that read files ahead of the one writer when a run
#                                  # has 8 files or more: one per core (at most 4); 1: none

[report]
reporting_currency = {json.dumps(project.reporting_currency)}  # all-shops totals are converted to this currency
{f'language = {json.dumps(project.language)}':<33} # zh-CN or en
{f'timezone = {json.dumps(project.timezone)}':<33} # when "yesterday" ends for the all-shops report
# freshness_cutoff = "10:00"       # wait for the day's exports until this time (next morning);
#                                  # then send what there is, marked partial, or a "data late" notice
# freshness_retry_seconds = 300    # how often to look again while waiting
# render_workers = "auto"          # processes rendering reports beside the run's own when it has
#                                  # 3 reports or more: one per core but one (at most 3); 0: none

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
{_mail_lines(project)}\
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


def _mail_lines(project: ProjectConfig) -> str:
    to = (f"to = {json.dumps(list(project.mail_to))}\n" if project.mail_to else
          'to = []                            # who gets the reports, e.g. ["owner@example.com"]\n')
    lines = f"from = {json.dumps(project.mail_from)}\n{to}"
    if not project.smtp_host:
        return lines + """\
# There is no smtp_host, so reports are written to the outbox folder as .eml files instead of
# being sent. To send them, uncomment and fill in these lines:
# smtp_host = "smtp.example.com"
# smtp_port = 465
# smtp_security = "ssl"            # ssl, starttls or plain
# smtp_user = "shopreport@example.com"
"""
    user = (f"smtp_user = {json.dumps(project.smtp_user)}\n" if project.smtp_user else
            '# smtp_user = "shopreport@example.com"   # set it when the server wants a login\n')
    return lines + (
        f"smtp_host = {json.dumps(project.smtp_host)}\n"
        f"smtp_port = {project.smtp_port}\n"
        f"{f'smtp_security = {json.dumps(project.smtp_security)}':<33} # ssl, starttls or plain\n"
        f"{user}"
    )
