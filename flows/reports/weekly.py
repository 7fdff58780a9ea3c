"""The weekly report's context: the last ISO week against the week before and the same ISO week
last year, read from the ``rpt_weekly_*`` tables.

:func:`build_weekly_context` is the weekly counterpart of
:func:`flows.reports.context.build_daily_context` and reuses its row types and formatting helpers:
templates receive a :class:`WeeklyReportContext` in which every value arrives formatted.

Input contract (``docs/architecture.md``, "Report tables"): ``rpt_weekly_headline``,
``rpt_weekly_bridge``, ``rpt_weekly_trend``, ``rpt_weekly_ad_campaigns``,
``rpt_weekly_products``, ``rpt_weekly_buyers``, ``rpt_weekly_product_stages`` and
``rpt_weekly_target_pacing``, all keyed by ``week_start`` (the Monday of the ISO week). The
per-shop tables are listed shop by shop in the all-shops report. A missing section table leaves
the section out with a note; a missing headline table raises
:class:`~flows.reports.context.ReportDataError`.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flows.reports.bridge import BridgeSection, bridge_section
from flows.reports.context import (
    AD_CAMPAIGN_COLUMNS, ALL_SCOPE, AdCampaignRow, ComparisonLegend, KpiTile, ProductRow, ReportDataError, ShopGroup,
    TrendPoint, _fetch, _int, _num, _shop_groups, _tiles, ad_campaign_row,
)
from flows.reports.glossary import DEFAULT_TRANSFORMS_DIR, GlossaryError, GlossaryItem, glossary_items
from flows.reports.i18n import Locale, currency_symbol, report_locale

if TYPE_CHECKING:
    import duckdb

    from flows.settings import Settings

log = logging.getLogger(__name__)

TREND_WEEKS = 12
TOP_PRODUCTS = 10
TOP_STAGED_PRODUCTS = 15
# comparison key → days back from the week's Monday; "last_year" is the same ISO week 52 weeks back
WEEKLY_COMPARISONS: tuple[tuple[str, int], ...] = (("prev_week", 7), ("last_year", 364))
# the i18n label suffix of each comparison (the daily "last_year" label speaks of a weekday)
WEEKLY_LABEL_KEYS: Mapping[str, str] = {"last_year": "last_year_week"}
HEADLINE_COLUMNS = (
    "scope_name", "currency", "metric", "metric_order", "is_ratio", "higher_is_better", "value",
    "value_prev_week", "value_last_year", "change_prev_week", "change_last_year",
    "diff_prev_week", "diff_last_year",
)


def iso_week_label(week_start: dt.date) -> str:
    """``2026-W47`` for any day of that ISO week."""
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


def parse_iso_week(text: str) -> dt.date:
    """The Monday of an ISO week written ``2026-W47`` (or ``2026W47``); ValueError otherwise."""
    cleaned = text.strip().upper().replace("W", "-W").replace("--", "-")
    try:
        year, week = cleaned.split("-W")
        return dt.date.fromisocalendar(int(year), int(week), 1)
    except ValueError as exc:
        raise ValueError(f"expected an ISO week like 2026-W47, got {text!r}") from exc


def last_complete_week(today: dt.date) -> dt.date:
    """The Monday of the last ISO week that ended before ``today``."""
    this_monday = today - dt.timedelta(days=today.weekday())
    return this_monday - dt.timedelta(days=7)


# ----------------------------------------------------------------------------------------------
# the context
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WeeklyRefundProductRow:
    """A product of the week's most-refunded list."""

    rank: int
    product_name: str
    refund_amount: str
    refund_lines: str
    gmv: str
    refund_rate: str


@dataclass(frozen=True)
class CohortRow:
    """One monthly first-order cohort of a shop: its buyers and how many had bought again
    1, 2 and 3 months after their first order (cumulative; "–" for months not reached yet)."""

    cohort: str  # "2026-06"
    cohort_buyers: str
    month_1: str
    month_2: str
    month_3: str


@dataclass(frozen=True)
class WeeklyBuyersRow:
    """One shop's buyers of the week (``rpt_weekly_buyers``)."""

    paying_buyers: str
    new_buyers: str
    returning_buyers: str
    returning_share: str
    repeat_rate_30d: str
    repeat_rate_90d: str


@dataclass(frozen=True)
class ProductStageRow:
    """A product's role and lifecycle stage in the week (``rpt_weekly_product_stages``)."""

    rank: int
    product_name: str
    window_gmv: str
    gmv_trend: str
    role: str  # 爆款 / Hit …
    stage: str  # 衰退 / Decline … (the missing mark without enough history)
    stage_change: str  # "稳定 → 衰退" when the stage changed this week, else ""
    is_stage_changed: bool
    is_decline: bool


@dataclass(frozen=True)
class WeeklyTargetRow:
    """One shop's week and month GMV pacing (``rpt_weekly_target_pacing``)."""

    week_gmv: str
    week_target: str
    week_attainment: str
    month_to_date: str
    month_target: str
    month_attainment: str
    month_pacing: str
    is_behind: bool  # week attainment below 100 %


@dataclass(frozen=True)
class WeeklyReportContext:
    """Everything the weekly report shows, formatted for its language.

    Sections, in reading order: ``tiles`` (the week against the week before and the same ISO
    week last year), ``targets`` (week and month pacing per shop), ``bridge`` (why GMV moved),
    ``trend`` (12 weeks, one point per ISO week), ``buyers`` (per shop), ``ad_campaigns`` (ROI
    per campaign for the week, flagged below breakeven), ``top_products`` and
    ``refund_products``, ``product_stages`` (roles and lifecycle stages), ``glossary``.
    ``notes`` names report tables that are missing (their sections are left out).
    ``business_date`` is the week's Sunday (for templates shared with the daily report);
    ``partial_text`` is always "" (the weekly report has no freshness gate).
    """

    scope_id: str
    scope_name: str
    is_all_shops: bool
    week_start: dt.date  # Monday
    week_end: dt.date  # Sunday
    iso_week: str  # "2026-W47"
    week_label: str  # "2026-W47（11月16日–11月22日）"
    language: str
    currency: str
    currency_symbol: str
    title: str  # "天猫旗舰店 周报"
    subtitle: str
    labels: Mapping[str, str]
    locale: Locale  # the language's formatters (the chart uses them)
    tiles: list[KpiTile]
    comparison_legend: list[ComparisonLegend]
    trend: list[TrendPoint]
    bridge: BridgeSection
    ad_campaigns: list[ShopGroup[AdCampaignRow]]
    top_products: list[ShopGroup[ProductRow]]
    refund_products: list[ShopGroup[WeeklyRefundProductRow]]
    buyers: list[ShopGroup[WeeklyBuyersRow]]
    cohorts: list[ShopGroup[CohortRow]]
    product_stages: list[ShopGroup[ProductStageRow]]
    targets: list[ShopGroup[WeeklyTargetRow]]
    glossary: list[GlossaryItem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    partial_text: str = ""

    @property
    def business_date(self) -> dt.date:
        return self.week_end

    @property
    def has_data(self) -> bool:
        return bool(self.tiles)

    def tile(self, metric: str) -> KpiTile | None:
        return next((t for t in self.tiles if t.metric == metric), None)


def build_weekly_context(
    con: "duckdb.DuckDBPyConnection",
    settings: "Settings",
    week_start: dt.date,
    scope_id: str,
    language: str | None = None,
    *,
    transforms_dir: Path = DEFAULT_TRANSFORMS_DIR,
) -> WeeklyReportContext:
    """Read the ``rpt_weekly_*`` tables for one scope and ISO week (``week_start``: any day of
    it; the Monday is used) into a formatted report context."""
    week_start = week_start - dt.timedelta(days=week_start.weekday())
    week_end = week_start + dt.timedelta(days=6)
    loc = report_locale(settings, language)
    is_all = scope_id == ALL_SCOPE
    shop_names = {s.id: s.name for s in settings.shops}
    shop_currencies = {s.id: s.currency for s in settings.shops}
    shop_order = [s.id for s in settings.shops]
    if is_all:
        scope_name, default_currency = loc.t("all_shops"), settings.reporting_currency
        shop_where, shop_params = "scope_id <> ?", [ALL_SCOPE]
    else:
        shop = settings.shop(scope_id)
        scope_name, default_currency = shop.name, shop.currency
        shop_where, shop_params = "scope_id = ?", [scope_id]

    headline = _fetch(con, "rpt_weekly_headline", HEADLINE_COLUMNS,
                      "scope_id = ? and week_start = ?", [scope_id, week_start], "metric_order, metric")
    currency = next((r["currency"] for r in headline if r["currency"]), default_currency)
    notes: list[str] = []

    def per_shop(table: str, columns: Sequence[str], make_row, order_by: str,
                 extra_where: str = "", extra_params: Sequence[Any] = ()) -> list[ShopGroup]:
        try:
            rows = _fetch(con, table, ("scope_id", *columns),
                          f"week_start = ? and {shop_where}{extra_where}",
                          [week_start, *shop_params, *extra_params], f"scope_id, {order_by}")
        except ReportDataError as exc:
            log.warning("weekly report section left out: %s", exc)
            notes.append(loc.t("dq.missing_table", table=table))
            return []
        return _shop_groups(rows, shop_order, shop_names, shop_currencies, currency, make_row)

    tiles = _tiles(headline, loc, currency, week_start, WEEKLY_COMPARISONS,
                   label_keys=WEEKLY_LABEL_KEYS, base_label=loc.iso_week)

    ads = per_shop(
        "rpt_weekly_ad_campaigns",
        AD_CAMPAIGN_COLUMNS,
        lambda r, cur: ad_campaign_row(loc, r, cur),
        "cost desc nulls last, channel, campaign_id",
    )

    top_products = per_shop(
        "rpt_weekly_products",
        ("sales_rank", "product_name", "gmv", "quantity", "paying_buyers"),
        lambda r, cur: ProductRow(
            rank=_int(r["sales_rank"]) or 0,
            product_name=str(r["product_name"] or ""),
            gmv=loc.money(_num(r["gmv"]), cur),
            quantity=loc.integer(_num(r["quantity"])),
            paying_buyers=loc.integer(_num(r["paying_buyers"])),
        ),
        "sales_rank", " and sales_rank <= ? and gmv > 0", [TOP_PRODUCTS],
    )

    refund_products = per_shop(
        "rpt_weekly_products",
        ("refund_rank", "product_name", "refund_amount", "refund_lines", "gmv", "refund_rate"),
        lambda r, cur: WeeklyRefundProductRow(
            rank=_int(r["refund_rank"]) or 0,
            product_name=str(r["product_name"] or ""),
            refund_amount=loc.money(_num(r["refund_amount"]), cur),
            refund_lines=loc.integer(_num(r["refund_lines"])),
            gmv=loc.money(_num(r["gmv"]), cur),
            refund_rate=loc.percent(_num(r["refund_rate"])),
        ),
        "refund_rank", " and refund_rank <= ? and refund_amount > 0", [TOP_PRODUCTS],
    )

    buyers = per_shop(
        "rpt_weekly_buyers",
        ("paying_buyers", "new_buyers", "returning_buyers", "returning_buyer_share",
         "repeat_rate_30d", "repeat_rate_90d"),
        lambda r, cur: WeeklyBuyersRow(
            paying_buyers=loc.integer(_num(r["paying_buyers"])),
            new_buyers=loc.integer(_num(r["new_buyers"])),
            returning_buyers=loc.integer(_num(r["returning_buyers"])),
            returning_share=loc.percent(_num(r["returning_buyer_share"]), 1),
            repeat_rate_30d=loc.percent(_num(r["repeat_rate_30d"])),
            repeat_rate_90d=loc.percent(_num(r["repeat_rate_90d"])),
        ),
        "scope_id",
    )

    def stage_row(r: dict[str, Any], cur: str) -> ProductStageRow:
        stage = r["lifecycle_stage"]
        changed = bool(r["is_stage_changed"]) and r["previous_stage"] is not None
        return ProductStageRow(
            rank=_int(r["product_rank"]) or 0,
            product_name=str(r["product_name"] or ""),
            window_gmv=loc.money(_num(r["window_gmv"]), cur),
            gmv_trend=loc.signed_percent(_num(r["gmv_trend"])),
            role=loc.lookup("role", str(r["product_role"])),
            stage=loc.lookup("stage", str(stage)) if stage else loc.missing,
            stage_change=(f"{loc.lookup('stage', str(r['previous_stage']))} → {loc.lookup('stage', str(stage))}"
                          if changed and stage else ""),
            is_stage_changed=changed,
            is_decline=stage == "decline",
        )

    stages = per_shop(
        "rpt_weekly_product_stages",
        ("product_rank", "product_name", "window_gmv", "gmv_trend", "product_role",
         "lifecycle_stage", "previous_stage", "is_stage_changed"),
        stage_row, "product_rank",
        " and (product_rank <= ? or is_stage_changed or lifecycle_stage = 'decline')",
        [TOP_STAGED_PRODUCTS],
    )

    targets = per_shop(
        "rpt_weekly_target_pacing",
        ("currency", "week_gmv", "week_gmv_target", "week_gmv_attainment", "gmv_mtd", "gmv_target",
         "gmv_attainment", "gmv_pacing"),
        lambda r, cur: WeeklyTargetRow(
            week_gmv=loc.money(_num(r["week_gmv"]), r["currency"] or cur),
            week_target=loc.money(_num(r["week_gmv_target"]), r["currency"] or cur),
            week_attainment=loc.percent(_num(r["week_gmv_attainment"]), 1),
            month_to_date=loc.money(_num(r["gmv_mtd"]), r["currency"] or cur),
            month_target=loc.money(_num(r["gmv_target"]), r["currency"] or cur),
            month_attainment=loc.percent(_num(r["gmv_attainment"]), 1),
            month_pacing=loc.percent(_num(r["gmv_pacing"]), 1),
            is_behind=(_num(r["week_gmv_attainment"]) or 1.0) < 1.0,
        ),
        "scope_id", " and week_gmv_target is not null",
    )

    try:
        bridge = bridge_section(con, scope_id, week_start, loc, currency,
                                table="rpt_weekly_bridge", date_column="week_start")
    except Exception as exc:  # noqa: BLE001 - a missing bridge table must not stop the report
        log.warning("weekly bridge left out: %s", exc)
        notes.append(loc.t("dq.missing_table", table="rpt_weekly_bridge"))
        bridge = BridgeSection(rows=[], headline="")

    try:
        glossary = glossary_items(loc.language, transforms_dir)
    except GlossaryError as exc:
        log.warning("report glossary left out: %s", exc)
        glossary = []
        notes.append(loc.t("dq.glossary_error", error=exc))

    legend = []
    for key, days in WEEKLY_COMPARISONS:
        label_key = WEEKLY_LABEL_KEYS.get(key, key)
        label, long_label = loc.t(f"compare.{label_key}"), loc.t(f"compare_long.{label_key}")
        base = loc.iso_week(week_start - dt.timedelta(days=days))
        legend.append(ComparisonLegend(key=key, label=label, long_label=long_label, date_label=base,
                                       text=loc.t("legend_item", label=label, long_label=long_label,
                                                  date=base)))

    week_label = loc.t("weekly.week_label", week=loc.iso_week(week_start),
                       start=loc.date_short(week_start), end=loc.date_short(week_end))
    return WeeklyReportContext(
        scope_id=scope_id,
        scope_name=scope_name,
        is_all_shops=is_all,
        week_start=week_start,
        week_end=week_end,
        iso_week=iso_week_label(week_start),
        week_label=week_label,
        language=loc.language,
        currency=currency,
        currency_symbol=currency_symbol(currency).strip(),
        title=loc.t("weekly.report_heading", scope=scope_name),
        subtitle=loc.t("weekly.subtitle", week=week_label, currency=currency),
        labels=loc.labels,
        locale=loc,
        tiles=tiles,
        comparison_legend=legend,
        trend=_weekly_trend(con, scope_id, week_start, loc),
        bridge=bridge,
        ad_campaigns=ads,
        top_products=top_products,
        refund_products=refund_products,
        buyers=buyers,
        cohorts=_cohorts(con, week_end, shop_where, shop_params, loc, notes,
                         lambda rows, make_row: _shop_groups(rows, shop_order, shop_names,
                                                             shop_currencies, currency, make_row)),
        product_stages=stages,
        targets=targets,
        glossary=glossary,
        notes=notes,
    )


def _weekly_trend(con: "duckdb.DuckDBPyConnection", scope_id: str, week_start: dt.date,
                  loc: Locale) -> list[TrendPoint]:
    """The 12 ISO weeks ending with the report's; a week without a row is a gap."""
    first = week_start - dt.timedelta(weeks=TREND_WEEKS - 1)
    columns = ("week_start", "gmv", "net_sales", "refund_amount", "ad_cost", "visitors", "paying_buyers")
    rows = _fetch(con, "rpt_weekly_trend", columns,
                  "scope_id = ? and week_start between ? and ?", [scope_id, first, week_start])
    by_week = {row["week_start"]: row for row in rows}
    points = []
    for i in range(TREND_WEEKS):
        monday = first + dt.timedelta(weeks=i)
        row = by_week.get(monday, {})
        points.append(TrendPoint(day=monday, axis_label=loc.week_axis(monday),
                                 **{c: _num(row.get(c)) for c in columns[1:]}))
    return points


def weekly_subject(ctx: WeeklyReportContext) -> str:
    """``【周报】天猫旗舰店 2026-W47 支付金额 ¥85.2万 环比 +3%`` / ``[Weekly] All shops 2026-W47 GMV …``."""
    labels = ctx.labels
    gmv = ctx.tile("gmv")
    if gmv is None:
        return (labels["weekly.subject"].format(scope=ctx.scope_name, week=ctx.iso_week,
                                                metric=labels["metric.gmv"], value="").rstrip()
                + " " + labels["weekly.no_data"])
    subject = labels["weekly.subject"].format(scope=ctx.scope_name, week=ctx.iso_week,
                                              metric=gmv.label, value=gmv.value_compact)
    wow = gmv.comparison("prev_week")
    if wow is not None and wow.tone != "none":
        subject += labels["weekly.subject_change"].format(change=wow.delta_compact)
    return subject


def weekly_file_stem(ctx: WeeklyReportContext) -> str:
    """``周报_天猫旗舰店_2026-W47`` / ``weekly_report_all_2026-W47``."""
    from flows.reports.render import safe_file_name

    return safe_file_name(ctx.labels["weekly.file_stem"].format(
        scope_name=ctx.scope_name, scope_id=ctx.scope_id, week=ctx.iso_week))


COHORT_MONTHS = 6  # the weekly report shows the cohorts of the last six months


def _cohorts(con: "duckdb.DuckDBPyConnection", week_end: dt.date, shop_where: str,
             shop_params: Sequence[Any], loc: "Locale", notes: list[str], group) -> list:
    """The last six monthly cohorts per shop, as of the week's Sunday (``rpt_buyer_cohorts``)."""
    month = week_end.replace(day=1)
    months_back = month.year * 12 + month.month - 1 - (COHORT_MONTHS - 1)
    first = dt.date(months_back // 12, months_back % 12 + 1, 1)
    try:
        rows = _fetch(con, "rpt_buyer_cohorts",
                      ("scope_id", "cohort_month", "months_since_first", "activity_month",
                       "cohort_buyers", "cumulative_repurchase_rate"),
                      f"{shop_where} and cohort_month between ? and ? and months_since_first <= 3",
                      [*shop_params, first, month], "scope_id, cohort_month desc, months_since_first")
    except ReportDataError as exc:
        log.warning("weekly report section left out: %s", exc)
        notes.append(loc.t("dq.missing_table", table="rpt_buyer_cohorts"))
        return []
    by_cohort: dict[tuple, dict] = {}
    for r in rows:
        entry = by_cohort.setdefault((r["scope_id"], r["cohort_month"]), {
            "scope_id": r["scope_id"], "cohort_month": r["cohort_month"], "cohort_buyers": r["cohort_buyers"]})
        reached = r["activity_month"] is not None and r["activity_month"] <= month
        entry[f"m{r['months_since_first']}"] = _num(r["cumulative_repurchase_rate"]) if reached else None

    def make_row(r, _currency):
        return CohortRow(cohort=r["cohort_month"].strftime("%Y-%m"),
                         cohort_buyers=loc.integer(_num(r["cohort_buyers"])),
                         month_1=loc.percent(r.get("m1"), 1), month_2=loc.percent(r.get("m2"), 1),
                         month_3=loc.percent(r.get("m3"), 1))

    return group(list(by_cohort.values()), make_row)
