"""Month-to-date target pacing, from ``rpt_daily_target_pacing``: per shop, GMV and ad cost so far
against the month's target and the share of the month gone, and where the month ends at this pace.

Shown only when the targets file has a target for the month. In the all-shops report each shop
has its own rows, in its own currency (targets are set per shop). Numbers come from the model;
this module only formats them.
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

TABLE = "rpt_daily_target_pacing"
ALL_SCOPE = "all"
COLUMNS = ("scope_id", "currency", "month_start", "days_in_month", "elapsed_days", "elapsed_share",
           "has_full_month_to_date", "gmv_mtd", "gmv_target", "gmv_attainment", "gmv_pacing",
           "gmv_projected", "gmv_projected_attainment", "ad_cost_mtd", "ad_cost_target",
           "ad_cost_attainment", "ad_cost_pacing", "ad_cost_projected", "ad_cost_projected_attainment")


@dataclass(frozen=True)
class TargetRow:
    """One metric of one shop: GMV (higher is better) or ad cost (a budget: lower is better)."""

    metric: str  # gmv | ad_cost
    label: str  # "支付金额" / "推广花费"
    month_to_date: str  # "¥86.2万"
    target: str  # "¥120.0万"
    attainment: str  # "71.8%" of the target reached
    time_share: str  # "73.3%" of the month gone
    projected: str  # "¥117.5万": the month at this pace
    projected_attainment: str  # "97.9%" of the target
    is_off_pace: bool  # GMV behind its pace, or ad cost ahead of its budget
    status: str  # "落后进度" / "超出预算" / "" when on pace


@dataclass(frozen=True)
class TargetGroup:
    shop_id: str
    shop_name: str
    month_label: str  # "2026年11月 第22/30天" / "Nov 2026, day 22 of 30"
    rows: list[TargetRow]
    note: str = ""  # e.g. the shop's data starts after the first of the month


@dataclass(frozen=True)
class TargetsSection:
    groups: list[TargetGroup] = field(default_factory=list)
    missing_table: str = ""

    @property
    def available(self) -> bool:
        return bool(self.groups)


def targets_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                    loc: "Locale", shop_order: Sequence[str],
                    shop_names: Mapping[str, str]) -> TargetsSection:
    if not has_table(con, TABLE):
        return TargetsSection(missing_table=TABLE)
    where = "business_date = ? and " + ("scope_id <> ?" if scope_id == ALL_SCOPE else "scope_id = ?")
    rows = fetch_rows(con, TABLE, COLUMNS, where, [business_date, scope_id])
    rank = {shop: i for i, shop in enumerate(shop_order)}
    rows.sort(key=lambda r: (rank.get(r["scope_id"], len(rank)), r["scope_id"]))
    return TargetsSection(groups=[_group(r, loc, shop_names) for r in rows])


def _group(r: Mapping[str, Any], loc: "Locale", shop_names: Mapping[str, str]) -> TargetGroup:
    currency = r["currency"]
    month: date = r["month_start"]
    rows = [_row("gmv", r, loc, currency)]
    if r["ad_cost_target"] is not None:
        rows.append(_row("ad_cost", r, loc, currency))
    note = "" if r["has_full_month_to_date"] else loc.t("targets.partial_month")
    return TargetGroup(
        shop_id=r["scope_id"],
        shop_name=shop_names.get(r["scope_id"], r["scope_id"]),
        month_label=loc.t("targets.month", month=loc.month_year(month),
                          day=int(r["elapsed_days"]), days=int(r["days_in_month"])),
        rows=rows,
        note=note,
    )


def _row(metric: str, r: Mapping[str, Any], loc: "Locale", currency: str) -> TargetRow:
    pacing = number(r[f"{metric}_pacing"])
    if metric == "gmv":
        off_pace = pacing is not None and pacing < 1
        status = loc.t("targets.behind") if off_pace else ""
    else:  # a budget: spending faster than the month allows is the problem
        off_pace = pacing is not None and pacing > 1
        status = loc.t("targets.over_budget") if off_pace else ""
    return TargetRow(
        metric=metric,
        label=loc.t(f"targets.metric.{metric}"),
        month_to_date=loc.money(number(r[f"{metric}_mtd"]), currency),
        target=loc.money(number(r[f"{metric}_target"]), currency),
        attainment=loc.percent(number(r[f"{metric}_attainment"]), 1),
        time_share=loc.percent(number(r["elapsed_share"]), 1),
        projected=loc.money(number(r[f"{metric}_projected"]), currency),
        projected_attainment=loc.percent(number(r[f"{metric}_projected_attainment"]), 1),
        is_off_pace=off_pace,
        status=status,
    )
