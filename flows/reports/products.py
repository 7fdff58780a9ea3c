"""Abnormal products, from ``rpt_daily_abnormal_products`` and ``rpt_daily_product_checks``.

A product is abnormal on a day when its sales stopped, its traffic or conversion dropped, or its
refunds spiked against the same weekday of the weeks before, above a minimum volume (the rules
and thresholds: [products] in shopreport.toml, docs/metrics.md). Per shop the section lists the
flagged products, the products that usually sell the most first, and says how many products were
checked and whether traffic could be checked at all (it needs a by-product traffic export).
Numbers come from the models; this module only formats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from flows.reports.tables import fetch_rows, has_table, number

if TYPE_CHECKING:
    import duckdb

    from flows.reports.i18n import Locale

ALERTS_TABLE = "rpt_daily_abnormal_products"
CHECKS_TABLE = "rpt_daily_product_checks"
ALL_SCOPE = "all"
MAX_LISTED = 10
ALERT_KINDS = ("sales_stopped", "traffic_drop", "conversion_drop", "refund_spike")
ALERT_COLUMNS = ("scope_id", "product_rank", "product_name", "currency", "order_lines",
                 "refund_amount", "refund_lines", "visitors", "conversion", "baseline_order_lines",
                 "baseline_refund_amount", "baseline_visitors", "baseline_conversion",
                 "visitors_change", "conversion_change", "is_sales_stopped", "is_traffic_drop",
                 "is_conversion_drop", "is_refund_spike")


@dataclass(frozen=True)
class AbnormalProductRow:
    """A flagged product (the title is export text, escaped by the templates)."""

    rank: int
    product_name: str
    kinds: tuple[str, ...]  # sales_stopped, traffic_drop, conversion_drop, refund_spike
    alerts: str  # "销售中断；退款激增"
    details: str  # "当天支付 0 笔，前4周同一天平均 6.8 笔；…"


@dataclass(frozen=True)
class AbnormalProductGroup:
    shop_id: str
    shop_name: str
    rows: list[AbnormalProductRow]
    summary: str  # "检查 12 个商品，2 个异常" / "12 products checked, none abnormal"
    note: str = ""  # traffic and conversion could not be checked (no by-product traffic)


@dataclass(frozen=True)
class AbnormalProductsSection:
    groups: list[AbnormalProductGroup] = field(default_factory=list)
    missing_tables: tuple[str, ...] = ()

    @property
    def available(self) -> bool:
        return bool(self.groups)


def abnormal_products_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                              loc: "Locale", shop_order: Sequence[str],
                              shop_names: Mapping[str, str]) -> AbnormalProductsSection:
    missing = tuple(t for t in (ALERTS_TABLE, CHECKS_TABLE) if not has_table(con, t))
    if missing:
        return AbnormalProductsSection(missing_tables=missing)
    where = "business_date = ? and " + ("scope_id <> ?" if scope_id == ALL_SCOPE else "scope_id = ?")
    checks = fetch_rows(con, CHECKS_TABLE,
                        ("scope_id", "products_checked", "products_abnormal", "has_product_traffic"),
                        where, [business_date, scope_id])
    alerts = fetch_rows(con, ALERTS_TABLE, ALERT_COLUMNS, where + " and product_rank <= ?",
                        [business_date, scope_id, MAX_LISTED], "scope_id, product_rank")
    rank = {shop: i for i, shop in enumerate(shop_order)}
    checks.sort(key=lambda r: (rank.get(r["scope_id"], len(rank)), r["scope_id"]))
    groups = []
    for c in checks:
        if not c["products_checked"]:
            continue  # no product has a full baseline yet (a young shop): nothing to say
        shop = c["scope_id"]
        rows = [_row(r, loc) for r in alerts if r["scope_id"] == shop]
        abnormal = int(c["products_abnormal"])
        summary = loc.t("products.summary" if abnormal else "products.summary_none",
                        checked=int(c["products_checked"]), abnormal=abnormal)
        note = "" if c["has_product_traffic"] else loc.t("products.no_product_traffic")
        groups.append(AbnormalProductGroup(shop_id=shop, shop_name=shop_names.get(shop, shop),
                                           rows=rows, summary=summary, note=note))
    return AbnormalProductsSection(groups=groups)


def _row(r: Mapping[str, Any], loc: "Locale") -> AbnormalProductRow:
    kinds = tuple(k for k in ALERT_KINDS if r[f"is_{k}"])
    currency = r["currency"]
    details = {
        "sales_stopped": lambda: loc.t(
            "products.detail.sales_stopped", lines=loc.integer(number(r["order_lines"])),
            baseline=loc.number(number(r["baseline_order_lines"]), 1)),
        "traffic_drop": lambda: loc.t(
            "products.detail.traffic_drop", visitors=loc.integer(number(r["visitors"])),
            baseline=loc.integer(number(r["baseline_visitors"])),
            change=loc.signed_percent(number(r["visitors_change"]))),
        "conversion_drop": lambda: loc.t(
            "products.detail.conversion_drop", conversion=loc.percent(number(r["conversion"])),
            baseline=loc.percent(number(r["baseline_conversion"])),
            change=loc.signed_percent(number(r["conversion_change"]))),
        "refund_spike": lambda: loc.t(
            "products.detail.refund_spike", amount=loc.money(number(r["refund_amount"]), currency),
            lines=loc.integer(number(r["refund_lines"])),
            baseline=loc.money(number(r["baseline_refund_amount"]), currency)),
    }
    sep = loc.t("list_sep")
    return AbnormalProductRow(
        rank=int(r["product_rank"]),
        product_name=str(r["product_name"] or ""),
        kinds=kinds,
        alerts=sep.join(loc.t(f"products.alert.{k}") for k in kinds),
        details=sep.join(details[k]() for k in kinds),
    )
