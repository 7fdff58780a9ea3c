"""The daily report's context: typed, documented dataclasses read from the ``rpt_*`` tables.

:func:`build_daily_context` is the only place where report numbers are read and formatted.
Templates receive a :class:`DailyReportContext` and only lay it out: every value arrives
formatted (``"¥12.3万"``, ``"+8.3%"``, ``"+0.4pp"``) or as a plain number meant for a chart or a
bar width. Missing values (no base day, a null in the table) show as the language's missing mark
(``–`` / ``n/a``); they never raise.

Input contract: the ``rpt_*`` tables of ``docs/architecture.md`` ("Report tables"). Nothing
else in the warehouse is read. ``scope_id`` is a shop id or ``"all"``; in the all-shops report
the per-shop tables (traffic sources, ad campaigns, refund products, top products) are listed
shop by shop, in the order of the configuration.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from flows.reports.bridge import BridgeSection, bridge_section
from flows.reports.buyers import BuyersSection, buyers_section
from flows.reports.glossary import DEFAULT_TRANSFORMS_DIR, GlossaryError, GlossaryItem, glossary_items
from flows.reports.i18n import Locale, currency_symbol, report_locale
from flows.reports.payback import BlendedRoas, ad_payback_section
from flows.reports.products import AbnormalProductsSection, abnormal_products_section
from flows.reports.targets import TargetsSection, targets_section

if TYPE_CHECKING:
    import duckdb

    from flows.settings import Settings

log = logging.getLogger(__name__)

ALL_SCOPE = "all"
TREND_DAYS = 30
TOP_PRODUCTS = 10
# comparison key → days back; "last_year" is the same weekday 52 weeks back
COMPARISONS: tuple[tuple[str, int], ...] = (("prev_day", 1), ("last_week", 7), ("last_year", 364))
# how each headline metric is written; an unknown metric falls back on its is_ratio flag
METRIC_UNITS: Mapping[str, str] = {
    "gmv": "money", "aov": "money", "refund_amount": "money", "net_sales": "money",
    "ad_cost": "money", "visitors": "count", "paying_buyers": "count",
    "conversion": "percent", "roas": "multiple",
}

Tone = Literal["good", "bad", "flat", "neutral", "none"]
Unit = Literal["money", "count", "percent", "multiple"]
T = TypeVar("T")


class ReportDataError(RuntimeError):
    """An ``rpt_*`` table is missing or lacks a contract column; the message names the table."""


# ----------------------------------------------------------------------------------------------
# the context
# ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Comparison:
    """One comparison of a headline metric with an earlier day.

    ``delta`` is relative (``+8.3%``) for amounts and counts, and a difference for ratio
    metrics (``+0.4pp`` for conversion, ``+0.30`` for ROAS). ``tone`` says whether the move is
    good or bad for the business (from the metric's ``higher_is_better``); ``flat`` when the
    delta rounds to zero as shown, ``neutral`` when the metric has no better direction and
    ``none`` when there is nothing to compare with.
    """

    key: str  # prev_day | last_week | last_year
    label: str  # 环比 / 上周同期 / 同比 (DoD / WoW / YoY)
    long_label: str  # "较上周同一天" / "vs the same weekday last week"
    base_date: date
    base_date_label: str  # "11月15日" / "15 Nov"
    base_value: str  # the earlier day's value, formatted, or the missing mark
    delta: str  # "+8.3%", "-0.4pp", "+0.30" or the missing mark
    delta_compact: str  # for mail subjects: "+8%"
    tone: Tone
    arrow: str  # "▲", "▼" or "" (flat / missing)


@dataclass(frozen=True)
class KpiTile:
    """One headline tile: a metric for the day and its three comparisons."""

    metric: str  # gmv, visitors, conversion, aov, paying_buyers, refund_amount, net_sales, ad_cost, roas
    label: str  # 支付金额 / GMV
    value: str  # formatted: "¥12.3万", "1,234", "3.21%", "2.45"
    value_compact: str  # for mail subjects: "¥12.3万" / "¥1.2M"
    number: float | None  # the plain value, for charts and tests
    unit: Unit
    is_ratio: bool
    higher_is_better: bool | None
    comparisons: tuple[Comparison, ...]  # prev_day, last_week, last_year, in that order

    def comparison(self, key: str) -> Comparison | None:
        return next((c for c in self.comparisons if c.key == key), None)


@dataclass(frozen=True)
class ComparisonLegend:
    """What a comparison label means in this report, with its date."""

    key: str
    label: str
    long_label: str
    date_label: str
    text: str  # "上周同期：较上周同一天（2026年11月15日 周日）"


@dataclass(frozen=True)
class TrendPoint:
    """One day of the 30-day trend; None where the day has no row."""

    day: date
    axis_label: str  # "11/22" / "22 Nov"
    gmv: float | None
    net_sales: float | None
    refund_amount: float | None
    ad_cost: float | None
    visitors: float | None
    paying_buyers: float | None


@dataclass(frozen=True)
class FunnelStep:
    """One funnel step: visitors → add-to-cart → order buyers → paying buyers."""

    step: str
    label: str
    users: str
    users_number: float | None
    rate_from_previous: str  # the missing mark on the first step
    rate_from_top: str
    bar_percent: float  # 0–100, width of the step's bar (rate from the top step)


@dataclass(frozen=True)
class ShopGroup(Generic[T]):
    """Rows of a per-shop table for one shop (one group in a shop report, one per shop in "all")."""

    shop_id: str
    shop_name: str
    currency: str
    rows: list[T]


@dataclass(frozen=True)
class TrafficSourceRow:
    source: str  # label when known ("搜索"), else the export's own source text
    visitors: str
    paying_buyers: str
    paid_amount: str
    conversion: str
    visitor_share: str


@dataclass(frozen=True)
class AdCampaignRow:
    channel: str  # label when known ("直通车"), else the channel code
    campaign: str
    impressions: str
    clicks: str
    ctr: str
    cpc: str
    cost: str
    attributed_revenue: str
    roas: str
    breakeven_roas: str
    is_below_breakeven: bool
    flag: str  # "低于保本" / "Below breakeven" ("退款后低于保本" when only refunds push it under), or ""
    channel_code: str = ""  # the channel as in the table ("ztc")
    campaign_id: str = ""
    roas_30d: str = ""  # the campaign's ROAS over the 30 days ending on the day
    refund_adjusted_roas: str = ""  # the same after its orders' refund rate (flows.reports.payback)
    roas_30d_after_refunds: str = ""  # "2.80 → 2.60": both, for the table
    is_below_breakeven_after_refunds: bool = False


@dataclass(frozen=True)
class ProductRow:
    """A ranked product (top sellers); export text, escaped by the templates."""

    rank: int
    product_name: str
    gmv: str
    quantity: str
    paying_buyers: str


@dataclass(frozen=True)
class RefundProductRow:
    rank: int
    product_name: str
    refund_amount: str
    refund_lines: str


@dataclass(frozen=True)
class RefundsSection:
    """The day's refunds for the scope, and the most refunded products per shop."""

    available: bool  # False when rpt_daily_refunds has no row for the day
    refund_amount: str
    refund_lines: str
    gmv: str
    refund_rate: str
    products: list[ShopGroup[RefundProductRow]]


@dataclass(frozen=True)
class FileLoadRow:
    """One file of the latest load."""

    shop_name: str
    file_name: str  # export text, escaped by the templates
    entity: str
    profile: str
    coverage: str  # "11月20日–11月22日"
    rows_read: str
    rows_loaded: str
    rows_rejected: str
    has_rejects: bool


@dataclass(frozen=True)
class MissingEntity:
    shop_name: str
    entity: str
    text: str  # "天猫旗舰店：流量"


@dataclass(frozen=True)
class DataQuality:
    """The data-quality box: files of the latest load, and entities missing for the day."""

    run_text: str  # "最近一次导入：run-… （2026-11-23 06:01）" or "没有导入记录。"
    files: list[FileLoadRow]
    totals_text: str  # "共 3 个文件，读取 … 行" ("" when no files)
    has_rejects: bool
    missing: list[MissingEntity]
    is_clean: bool  # no rejects and nothing missing
    notes: list[str] = field(default_factory=list)  # other problems with this report (e.g. glossary)
    files_omitted_text: str = ""  # "另有 120 个文件无问题，未列出" when only problem files are listed


@dataclass(frozen=True)
class DailyReportContext:
    """Everything the daily report shows, formatted for its language.

    Sections, in reading order: ``partial_text`` (a banner, only on a partial report),
    ``tiles``, ``targets``, ``bridge``, ``trend``, ``funnel``, ``buyers``, ``traffic_sources``,
    ``blended_roas`` and ``ad_campaigns``, ``refunds``, ``top_products``, ``abnormal_products``,
    ``data_quality``, ``glossary``.
    ``labels`` is the language's label dict (section titles, column headers), so templates hold
    no language text of their own.
    """

    scope_id: str  # a shop id or "all"
    scope_name: str  # "天猫旗舰店" / "全部店铺"
    is_all_shops: bool
    business_date: date
    date_label: str  # "2026年11月22日 周日"
    trend_start: date
    language: str
    currency: str  # the currency of the scope's amounts (the reporting currency for "all")
    currency_symbol: str
    title: str  # "天猫旗舰店 日报"
    subtitle: str  # "业务日期：2026年11月22日 周日 · 金额单位：CNY"
    labels: Mapping[str, str]
    locale: Locale  # the language's formatters (the chart uses them)
    tiles: list[KpiTile]
    comparison_legend: list[ComparisonLegend]
    trend: list[TrendPoint]
    funnel: list[FunnelStep]
    traffic_sources: list[ShopGroup[TrafficSourceRow]]
    ad_campaigns: list[ShopGroup[AdCampaignRow]]
    refunds: RefundsSection
    top_products: list[ShopGroup[ProductRow]]
    data_quality: DataQuality
    glossary: list[GlossaryItem] = field(default_factory=list)
    bridge: BridgeSection = field(default_factory=lambda: BridgeSection(rows=[], headline=""))
    # the sections of flows/reports/{targets,buyers,payback,products}.py; empty when not available
    targets: TargetsSection = field(default_factory=TargetsSection)
    buyers: BuyersSection = field(default_factory=lambda: BuyersSection(available=False))
    blended_roas: BlendedRoas = field(default_factory=lambda: BlendedRoas(available=False))
    abnormal_products: AbnormalProductsSection = field(default_factory=AbnormalProductsSection)
    # set when the report is sent from incomplete data (the freshness gate's cutoff passed with
    # sources missing): the banner text naming what is missing; "" for a complete report
    partial_text: str = ""

    @property
    def has_data(self) -> bool:
        """False when the headline table has no row for the day."""
        return bool(self.tiles)

    def tile(self, metric: str) -> KpiTile | None:
        return next((t for t in self.tiles if t.metric == metric), None)


# ----------------------------------------------------------------------------------------------
# reading the rpt_ tables
# ----------------------------------------------------------------------------------------------

def _query(con: "duckdb.DuckDBPyConnection", table: str, sql: str,
           params: Sequence[Any]) -> tuple[list[str], list[tuple]]:
    """Run ``sql`` (which reads ``table``); DuckDB errors are re-raised naming the table."""
    import duckdb

    try:
        cursor = con.execute(sql, list(params))
        names = [d[0] for d in cursor.description]
        return names, cursor.fetchall()
    except duckdb.Error as exc:
        raise ReportDataError(f"{table}: cannot read the report table ({exc}); "
                              f"build the warehouse first") from exc


def _fetch(con: "duckdb.DuckDBPyConnection", table: str, columns: Sequence[str], where: str,
           params: Sequence[Any], order_by: str = "") -> list[dict[str, Any]]:
    """Rows of ``table`` (the named columns only) as dicts."""
    sql = f"select {', '.join(columns)} from {table} where {where}"
    if order_by:
        sql += f" order by {order_by}"
    names, rows = _query(con, table, sql, params)
    return [dict(zip(names, row)) for row in rows]


def _num(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    number = float(value)
    return None if math.isnan(number) else number


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else round(number)


# ----------------------------------------------------------------------------------------------
# formatting helpers
# ----------------------------------------------------------------------------------------------

def _unit(metric: str, is_ratio: bool) -> Unit:
    return METRIC_UNITS.get(metric, "percent" if is_ratio else "count")  # type: ignore[return-value]


def _format_value(loc: Locale, unit: Unit, value: float | None, currency: str,
                  compact: bool = False) -> str:
    if unit == "money":
        return loc.money(value, currency, compact=compact)
    if unit == "percent":
        return loc.percent(value)
    if unit == "multiple":
        return loc.number(value, 2)
    return loc.integer(value)


def _delta(loc: Locale, unit: Unit, is_ratio: bool, change: float | None, diff: float | None,
           compact: bool = False) -> tuple[str, float | None]:
    """The formatted delta and the number it shows (rounded as shown), or (missing, None)."""
    if not is_ratio:
        decimals = 0 if compact else 1
        shown = None if change is None else round(change * 100, decimals)
        return loc.signed_percent(change, decimals), shown
    if unit == "percent":
        shown = None if diff is None else round(diff * 100, 1)
        return loc.signed_pp(diff, 1), shown
    decimals = 0 if unit == "count" else 2
    shown = None if diff is None else round(diff, decimals)
    return loc.signed_number(diff, decimals), shown


def _tone(shown: float | None, higher_is_better: bool | None) -> Tone:
    if shown is None:
        return "none"
    if shown == 0:
        return "flat"
    if higher_is_better is None:
        return "neutral"
    return "good" if (shown > 0) == higher_is_better else "bad"


def _arrow(shown: float | None) -> str:
    if not shown:
        return ""
    return "▲" if shown > 0 else "▼"


# ----------------------------------------------------------------------------------------------
# sections
# ----------------------------------------------------------------------------------------------

HEADLINE_COLUMNS = (
    "scope_name", "currency", "metric", "metric_order", "is_ratio", "higher_is_better", "value",
    "value_prev_day", "value_last_week", "value_last_year",
    "change_prev_day", "change_last_week", "change_last_year",
    "diff_prev_day", "diff_last_week", "diff_last_year",
)


def _tiles(rows: list[dict[str, Any]], loc: Locale, currency: str,
           business_date: date, comparisons: Sequence[tuple[str, int]] = COMPARISONS, *,
           label_keys: Mapping[str, str] | None = None,
           base_label: Callable[[date], str] | None = None) -> list[KpiTile]:
    """Headline tiles from rows holding ``value``, ``value_<key>``, ``change_<key>`` and
    ``diff_<key>`` for each ``(key, days back)`` of ``comparisons`` (the daily report's by default).

    ``label_keys`` maps a comparison key to the i18n suffix of its labels (``compare.<suffix>``,
    ``compare_long.<suffix>``; default the key itself); ``base_label`` writes the base period's
    label (default the short date). The weekly report passes its ISO weeks.
    """
    label_keys = label_keys or {}
    base_label = base_label or loc.date_short
    tiles = []
    for row in rows:
        metric = row["metric"]
        is_ratio = bool(row["is_ratio"])
        hib = None if row["higher_is_better"] is None else bool(row["higher_is_better"])
        unit = _unit(metric, is_ratio)
        row_currency = row["currency"] or currency
        tile_comparisons = []
        for key, days in comparisons:
            change, diff = _num(row[f"change_{key}"]), _num(row[f"diff_{key}"])
            delta, shown = _delta(loc, unit, is_ratio, change, diff)
            compact, _ = _delta(loc, unit, is_ratio, change, diff, compact=True)
            base_date = business_date - timedelta(days=days)
            label_key = label_keys.get(key, key)
            tile_comparisons.append(Comparison(
                key=key,
                label=loc.t(f"compare.{label_key}"),
                long_label=loc.t(f"compare_long.{label_key}"),
                base_date=base_date,
                base_date_label=base_label(base_date),
                base_value=_format_value(loc, unit, _num(row[f"value_{key}"]), row_currency),
                delta=delta,
                delta_compact=compact,
                tone=_tone(shown, hib),
                arrow=_arrow(shown),
            ))
        value = _num(row["value"])
        tiles.append(KpiTile(
            metric=metric,
            label=loc.labels.get(f"metric.{metric}", metric),
            value=_format_value(loc, unit, value, row_currency),
            value_compact=_format_value(loc, unit, value, row_currency, compact=True),
            number=value,
            unit=unit,
            is_ratio=is_ratio,
            higher_is_better=hib,
            comparisons=tuple(tile_comparisons),
        ))
    return tiles


def _trend(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
           loc: Locale) -> list[TrendPoint]:
    start = business_date - timedelta(days=TREND_DAYS - 1)
    columns = ("business_date", "gmv", "net_sales", "refund_amount", "ad_cost", "visitors",
               "paying_buyers")
    rows = _fetch(con, "rpt_daily_trend", columns,
                  "scope_id = ? and business_date between ? and ?", [scope_id, start, business_date])
    by_day = {row["business_date"]: row for row in rows}
    points = []
    for i in range(TREND_DAYS):
        day = start + timedelta(days=i)
        row = by_day.get(day, {})
        points.append(TrendPoint(day=day, axis_label=loc.date_axis(day),
                                 **{c: _num(row.get(c)) for c in columns[1:]}))
    return points


def _funnel(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
            loc: Locale) -> list[FunnelStep]:
    rows = _fetch(con, "rpt_daily_funnel",
                  ("step_order", "step", "users", "rate_from_previous", "rate_from_top"),
                  "scope_id = ? and business_date = ?", [scope_id, business_date], "step_order")
    steps = []
    for row in rows:
        from_top = _num(row["rate_from_top"])
        steps.append(FunnelStep(
            step=row["step"],
            label=loc.lookup("funnel", row["step"]),
            users=loc.integer(_num(row["users"])),
            users_number=_num(row["users"]),
            rate_from_previous=loc.percent(_num(row["rate_from_previous"])),
            rate_from_top=loc.percent(from_top),
            bar_percent=round(max(0.0, min(1.0, from_top or 0.0)) * 100, 1),
        ))
    return steps


def _shop_groups(rows: Iterable[dict[str, Any]], shop_order: Sequence[str],
                 shop_names: Mapping[str, str], shop_currencies: Mapping[str, str],
                 default_currency: str, make_row) -> list[ShopGroup]:
    """Group rows by ``scope_id`` (configured shops first, in configuration order)."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["scope_id"], []).append(row)
    order = [s for s in shop_order if s in grouped] + sorted(s for s in grouped if s not in shop_order)
    groups = []
    for shop_id in order:
        currency = shop_currencies.get(shop_id, default_currency)
        groups.append(ShopGroup(shop_id=shop_id, shop_name=shop_names.get(shop_id, shop_id),
                                currency=currency,
                                rows=[make_row(row, currency) for row in grouped[shop_id]]))
    return groups


AD_CAMPAIGN_COLUMNS = (
    "channel", "campaign_id", "campaign", "currency", "impressions", "clicks", "cost",
    "attributed_revenue", "ctr", "cpc", "roas", "breakeven_roas", "is_below_breakeven",
)


def ad_campaign_row(loc: Locale, r: Mapping[str, Any], currency: str) -> AdCampaignRow:
    """One campaign of rpt_daily_ad_campaigns or rpt_weekly_ad_campaigns, formatted."""
    row_currency = r["currency"] or currency
    return AdCampaignRow(
        channel=loc.lookup("channel", str(r["channel"])),
        campaign=str(r["campaign"] or r["campaign_id"] or ""),
        impressions=loc.integer(_num(r["impressions"])),
        clicks=loc.integer(_num(r["clicks"])),
        ctr=loc.percent(_num(r["ctr"])),
        cpc=loc.money(_num(r["cpc"]), row_currency),
        cost=loc.money(_num(r["cost"]), row_currency),
        attributed_revenue=loc.money(_num(r["attributed_revenue"]), row_currency),
        roas=loc.number(_num(r["roas"]), 2),
        breakeven_roas=loc.number(_num(r["breakeven_roas"]), 2),
        is_below_breakeven=bool(r["is_below_breakeven"]),
        flag=loc.t("flag.below_breakeven") if r["is_below_breakeven"] else "",
        channel_code=str(r["channel"]),
        campaign_id=str(r["campaign_id"]),
    )


def build_daily_context(
    con: "duckdb.DuckDBPyConnection",
    settings: "Settings",
    business_date: date,
    scope_id: str,
    language: str | None = None,
    *,
    transforms_dir: Path = DEFAULT_TRANSFORMS_DIR,
) -> DailyReportContext:
    """Read the ``rpt_*`` tables for one scope and day into a formatted report context.

    ``scope_id`` is a configured shop id or ``"all"``; ``language`` defaults to the configured
    report language. ``transforms_dir`` is where the model ``.yml`` files (glossary) live.
    Raises :class:`ReportDataError` when a report table or column is missing, and the settings'
    ``ConfigError`` for an unknown shop id.
    """
    loc = report_locale(settings, language)
    is_all = scope_id == ALL_SCOPE
    shop_names = {s.id: s.name for s in settings.shops}
    shop_currencies = {s.id: s.currency for s in settings.shops}
    shop_order = [s.id for s in settings.shops]
    if is_all:
        scope_name = loc.t("all_shops")
        default_currency = settings.reporting_currency
        shop_where, shop_params = "scope_id <> ?", [ALL_SCOPE]
    else:
        shop = settings.shop(scope_id)  # ConfigError for an unknown shop id
        scope_name = shop.name
        default_currency = shop.currency
        shop_where, shop_params = "scope_id = ?", [scope_id]

    headline = _fetch(con, "rpt_daily_headline", HEADLINE_COLUMNS,
                      "scope_id = ? and business_date = ?", [scope_id, business_date],
                      "metric_order, metric")
    currency = next((r["currency"] for r in headline if r["currency"]), default_currency)

    def per_shop(table: str, columns: Sequence[str], make_row, order_by: str,
                 extra_where: str = "", extra_params: Sequence[Any] = ()) -> list[ShopGroup]:
        rows = _fetch(con, table, ("scope_id", *columns),
                      f"business_date = ? and {shop_where}{extra_where}",
                      [business_date, *shop_params, *extra_params], f"scope_id, {order_by}")
        return _shop_groups(rows, shop_order, shop_names, shop_currencies, currency, make_row)

    traffic = per_shop(
        "rpt_daily_traffic_sources",
        ("source", "visitors", "paying_buyers", "paid_amount", "conversion", "visitor_share"),
        lambda r, cur: TrafficSourceRow(
            source=loc.lookup("source", str(r["source"])),
            visitors=loc.integer(_num(r["visitors"])),
            paying_buyers=loc.integer(_num(r["paying_buyers"])),
            paid_amount=loc.money(_num(r["paid_amount"]), cur),
            conversion=loc.percent(_num(r["conversion"])),
            visitor_share=loc.percent(_num(r["visitor_share"]), 1),
        ),
        "visitors desc nulls last, source",
    )

    ads = per_shop(
        "rpt_daily_ad_campaigns",
        AD_CAMPAIGN_COLUMNS,
        lambda r, cur: ad_campaign_row(loc, r, cur),
        "cost desc nulls last, channel, campaign_id",
    )
    payback = ad_payback_section(con, scope_id, business_date, loc)
    ads = payback.apply(ads, loc)
    targets = targets_section(con, scope_id, business_date, loc, shop_order, shop_names)
    buyers = buyers_section(con, scope_id, business_date, loc)
    abnormal = abnormal_products_section(con, scope_id, business_date, loc, shop_order, shop_names)
    missing_tables = [*payback.missing_tables, targets.missing_table, buyers.missing_table,
                      *abnormal.missing_tables]
    table_notes = [loc.t("dq.missing_table", table=t) for t in missing_tables if t]

    top_products = per_shop(
        "rpt_daily_top_products",
        ("product_rank", "product_name", "gmv", "quantity", "paying_buyers"),
        lambda r, cur: ProductRow(
            rank=_int(r["product_rank"]) or 0,
            product_name=str(r["product_name"] or ""),
            gmv=loc.money(_num(r["gmv"]), cur),
            quantity=loc.integer(_num(r["quantity"])),
            paying_buyers=loc.integer(_num(r["paying_buyers"])),
        ),
        "product_rank", " and product_rank <= ?", [TOP_PRODUCTS],
    )

    refund_products = per_shop(
        "rpt_daily_refund_products",
        ("product_rank", "product_name", "refund_amount", "refund_lines"),
        lambda r, cur: RefundProductRow(
            rank=_int(r["product_rank"]) or 0,
            product_name=str(r["product_name"] or ""),
            refund_amount=loc.money(_num(r["refund_amount"]), cur),
            refund_lines=loc.integer(_num(r["refund_lines"])),
        ),
        "product_rank", " and product_rank <= ?", [TOP_PRODUCTS],
    )

    refund_rows = _fetch(con, "rpt_daily_refunds",
                         ("currency", "refund_amount", "refund_lines", "gmv", "refund_rate"),
                         "scope_id = ? and business_date = ?", [scope_id, business_date])
    refund = refund_rows[0] if refund_rows else {}
    refund_currency = refund.get("currency") or currency
    refunds = RefundsSection(
        available=bool(refund_rows),
        refund_amount=loc.money(_num(refund.get("refund_amount")), refund_currency),
        refund_lines=loc.integer(_num(refund.get("refund_lines"))),
        gmv=loc.money(_num(refund.get("gmv")), refund_currency),
        refund_rate=loc.percent(_num(refund.get("refund_rate"))),
        products=refund_products,
    )

    try:
        glossary = glossary_items(loc.language, transforms_dir)
        glossary_notes: list[str] = []
    except GlossaryError as exc:  # a model-docs typo must not stop the morning report
        log.warning("report glossary left out: %s", exc)
        glossary, glossary_notes = [], [loc.t("dq.glossary_error", error=exc)]
    data_quality = _data_quality(con, settings, scope_id, business_date, loc, shop_names)
    data_quality = replace(data_quality, notes=data_quality.notes + glossary_notes + table_notes,
                           is_clean=data_quality.is_clean and not glossary_notes and not table_notes)

    legend = [ComparisonLegend(key=key, label=loc.t(f"compare.{key}"),
                               long_label=loc.t(f"compare_long.{key}"),
                               date_label=loc.date_long(business_date - timedelta(days=days)),
                               text=loc.t("legend_item", label=loc.t(f"compare.{key}"),
                                          long_label=loc.t(f"compare_long.{key}"),
                                          date=loc.date_long(business_date - timedelta(days=days))))
              for key, days in COMPARISONS]

    return DailyReportContext(
        scope_id=scope_id,
        scope_name=scope_name,
        is_all_shops=is_all,
        business_date=business_date,
        date_label=loc.date_long(business_date),
        trend_start=business_date - timedelta(days=TREND_DAYS - 1),
        language=loc.language,
        currency=currency,
        currency_symbol=currency_symbol(currency).strip(),
        title=loc.t("report_heading", scope=scope_name),
        subtitle=loc.t("subtitle", date=loc.date_long(business_date), currency=currency),
        labels=loc.labels,
        locale=loc,
        tiles=_tiles(headline, loc, currency, business_date),
        comparison_legend=legend,
        trend=_trend(con, scope_id, business_date, loc),
        funnel=_funnel(con, scope_id, business_date, loc),
        traffic_sources=traffic,
        ad_campaigns=ads,
        refunds=refunds,
        top_products=top_products,
        data_quality=data_quality,
        glossary=glossary,
        bridge=bridge_section(con, scope_id, business_date, loc, currency),
        targets=targets,
        buyers=buyers,
        blended_roas=payback.blended,
        abnormal_products=abnormal,
    )


MAX_LISTED_FILES = 12  # the data-quality box lists every file of a small load, else only problem files


def _data_quality(con: "duckdb.DuckDBPyConnection", settings: "Settings", scope_id: str,
                  business_date: date, loc: Locale, shop_names: Mapping[str, str]) -> DataQuality:
    is_all = scope_id == ALL_SCOPE
    tz = ZoneInfo(settings.timezone)
    _, latest = _query(con, "rpt_files_loaded",
                       "select run_id, max(loaded_at) as last_loaded_at from rpt_files_loaded "
                       "group by run_id order by last_loaded_at desc nulls last, run_id desc limit 1", [])
    files: list[FileLoadRow] = []
    totals = [0.0, 0.0, 0.0]
    if not latest:
        run_text = loc.t("dq.no_run")
    else:
        run_id, loaded_at = latest[0]
        run_text = loc.t("dq.run", run_id=run_id, at=_timestamp(loaded_at, tz, loc))
        where, params = "run_id = ?", [run_id]
        if not is_all:
            where, params = "run_id = ? and shop_id = ?", [run_id, scope_id]
        rows = _fetch(con, "rpt_files_loaded",
                      ("shop_id", "file_name", "profile", "entity", "rows_read", "rows_loaded",
                       "rows_rejected", "coverage_start", "coverage_end"),
                      where, params, "shop_id, file_name")
        for r in rows:
            rejected = _int(r["rows_rejected"]) or 0
            files.append(FileLoadRow(
                shop_name=shop_names.get(r["shop_id"], str(r["shop_id"])),
                file_name=str(r["file_name"]),
                entity=loc.lookup("entity", str(r["entity"])),
                profile=str(r["profile"] or ""),
                coverage=_coverage(r["coverage_start"], r["coverage_end"], loc),
                rows_read=loc.integer(_num(r["rows_read"])),
                rows_loaded=loc.integer(_num(r["rows_loaded"])),
                rows_rejected=loc.integer(_num(r["rows_rejected"])),
                has_rejects=rejected > 0,
            ))
            for i, column in enumerate(("rows_read", "rows_loaded", "rows_rejected")):
                totals[i] += _num(r[column]) or 0
        if not rows and not is_all:
            run_text += " " + loc.t("dq.no_files")
    totals_text = ""
    files_omitted_text = ""
    if files:
        totals_text = loc.t("dq.totals", files=len(files), read=loc.integer(totals[0]),
                            loaded=loc.integer(totals[1]), rejected=loc.integer(totals[2]))
    if len(files) > MAX_LISTED_FILES:
        # a first load brings a year of history: list the files with problems, count the rest
        listed = [f for f in files if f.has_rejects][:MAX_LISTED_FILES]
        files_omitted_text = loc.t("dq.files_omitted", count=len(files) - len(listed))
        files = listed

    coverage = _fetch(con, "rpt_daily_source_coverage", ("scope_id", "entity"),
                      "business_date = ? and is_missing", [business_date], "scope_id, entity")
    if is_all:
        shop_rows = [r for r in coverage if r["scope_id"] != ALL_SCOPE]
        coverage = shop_rows or coverage
    else:
        coverage = [r for r in coverage if r["scope_id"] == scope_id]
    missing = []
    for r in coverage:
        shop_name = loc.t("all_shops") if r["scope_id"] == ALL_SCOPE else shop_names.get(r["scope_id"], r["scope_id"])
        entity = loc.lookup("entity", str(r["entity"]))
        missing.append(MissingEntity(shop_name=shop_name, entity=entity,
                                     text=loc.t("dq.missing_item", shop=shop_name, entity=entity)))
    has_rejects = totals[2] > 0
    return DataQuality(run_text=run_text, files=files, totals_text=totals_text,
                       has_rejects=has_rejects, missing=missing,
                       is_clean=not has_rejects and not missing, files_omitted_text=files_omitted_text)


def _timestamp(value: Any, tz: ZoneInfo, loc: Locale) -> str:
    if not isinstance(value, datetime):
        return loc.missing if value is None else str(value)
    if value.tzinfo is not None:
        value = value.astimezone(tz)
    return value.strftime("%Y-%m-%d %H:%M")


def _coverage(start: Any, end: Any, loc: Locale) -> str:
    if start is None and end is None:
        return loc.missing
    if start == end or end is None:
        return loc.date_short(start)
    if start is None:
        return loc.date_short(end)
    return f"{loc.date_short(start)}–{loc.date_short(end)}"
