"""The sales bridge section: why GMV moved, from ``rpt_daily_bridge``.

Effects are shown in money and in points of the base day's GMV (an effect of +5.1 points means
it alone would have moved GMV by +5.1 %); the three points add up to the GMV change in percent.
The narrative names the factors from the biggest effect down. Numbers come from the model; this
module only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

    from flows.reports.i18n import Locale

FACTORS = (("traffic", "visitors"), ("conversion", "conversion"), ("aov", "aov"))


@dataclass(frozen=True)
class BridgeRow:
    comparison: str  # "上周同期"
    status: str  # ok | no_base_day | no_traffic | no_sales_base | no_sales
    gmv_change: str  # "+¥1.7万 (+32.0%)"
    traffic: str  # "+¥1.2万 (+23.8)"
    conversion: str
    aov: str
    note: str  # why there is no split ("" when there is one)
    narrative: str  # one sentence, biggest effect first ("" when there is no split)


@dataclass(frozen=True)
class SourceBridgeRow:
    """One traffic source's sales change and its three effects (points of the source's base)."""

    source: str
    gmv_change: str
    traffic: str
    conversion: str
    aov: str
    note: str  # why there is no split ("" when there is one)


@dataclass(frozen=True)
class BridgeSection:
    rows: list[BridgeRow]
    headline: str  # the sentence for the same weekday last week, else the first available
    sources: list[SourceBridgeRow] = field(default_factory=list)
    sources_title: str = ""  # "按流量来源（较上周同期）"


def _signed_money(loc: "Locale", value: float, currency: str) -> str:
    return loc.signed_money(value, currency)


def _points(loc: "Locale", effect: float, base: float) -> str:
    return loc.signed_number(effect / base * 100, 1)


def _narrative(loc: "Locale", r: dict, comparison_long: str) -> str:
    base = r["gmv_base"]
    parts = []
    effects = sorted(FACTORS, key=lambda f: -abs(r[f"{f[0]}_effect"]))
    for factor, column in effects:
        change = r[column] / r[f"{column}_base"] - 1
        key = "bridge.part_up" if r[f"{factor}_effect"] >= 0 else "bridge.part_down"
        parts.append(loc.t(key, factor=loc.t(f"bridge.factor.{factor}"),
                           change=loc.signed_percent(change),
                           points=loc.number(abs(r[f"{factor}_effect"]) / base * 100, 1)))
    return loc.t("bridge.sentence", comparison=comparison_long,
                 change=loc.signed_percent(r["gmv"] / base - 1),
                 parts=loc.t("bridge.part_sep").join(parts),
                 biggest=loc.t(f"bridge.factor.{effects[0][0]}"))


BRIDGE_TABLES = {"rpt_daily_bridge": "business_date", "rpt_weekly_bridge": "week_start"}


def bridge_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                   loc: "Locale", currency: str, *, table: str = "rpt_daily_bridge",
                   date_column: str | None = None) -> BridgeSection:
    """The bridge of one day (``rpt_daily_bridge``) or one ISO week (``rpt_weekly_bridge``,
    ``business_date`` being the week's Monday)."""
    if table not in BRIDGE_TABLES:
        raise ValueError(f"not a bridge table: {table}")
    date_column = date_column or BRIDGE_TABLES[table]
    result = con.execute(
        "select comparison, bridge_status, gmv_base, gmv, gmv_change, visitors_base, visitors, "
        "conversion_base, conversion, aov_base, aov, traffic_effect, conversion_effect, aov_effect "
        f"from {table} where {date_column} = ? and scope_id = ? order by comparison_order",
        [business_date, scope_id])
    names = [d[0] for d in result.description]
    rows: list[BridgeRow] = []
    sentences: dict[str, str] = {}
    for values in result.fetchall():
        r = dict(zip(names, values))
        # a week's "last year" is the same ISO week (its own labels), a day's the same weekday
        key = "last_year_week" if table == "rpt_weekly_bridge" and r["comparison"] == "last_year" \
            else r["comparison"]
        label = loc.t(f"compare.{key}")
        if r["bridge_status"] != "ok":
            na = loc.missing
            rows.append(BridgeRow(label, r["bridge_status"], na, na, na, na,
                                  note=loc.t(f"bridge.{r['bridge_status']}"), narrative=""))
            continue
        base = r["gmv_base"]
        sentence = _narrative(loc, r, loc.t(f"compare_long.{key}"))
        sentences[r["comparison"]] = sentence
        rows.append(BridgeRow(
            comparison=label, status="ok",
            gmv_change=f"{_signed_money(loc, r['gmv_change'], currency)} ({loc.signed_percent(r['gmv'] / base - 1)})",
            traffic=f"{_signed_money(loc, r['traffic_effect'], currency)} ({_points(loc, r['traffic_effect'], base)})",
            conversion=f"{_signed_money(loc, r['conversion_effect'], currency)} ({_points(loc, r['conversion_effect'], base)})",
            aov=f"{_signed_money(loc, r['aov_effect'], currency)} ({_points(loc, r['aov_effect'], base)})",
            note="", narrative=sentence,
        ))
    headline = sentences.get("last_week") or sentences.get("prev_week") or next(iter(sentences.values()), "")
    sources: list[SourceBridgeRow] = []
    if table == "rpt_daily_bridge":
        sources = _source_rows(con, scope_id, business_date, loc, currency)
    title = loc.t("bridge.sources_title", comparison=loc.t(f"compare.{SOURCE_COMPARISON}")) if sources else ""
    return BridgeSection(rows=rows, headline=headline, sources=sources, sources_title=title)


SOURCE_COMPARISON = "last_week"  # sources are compared with the same weekday last week


def _source_rows(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                 loc: "Locale", currency: str) -> list[SourceBridgeRow]:
    """Per traffic source of a shop (the console's own per-source buyers and sales), biggest
    change first; none for all shops together (each platform has its own sources)."""
    result = con.execute(
        "select source, bridge_status, gmv_base, gmv_change, traffic_effect, conversion_effect, "
        "aov_effect from rpt_daily_source_bridge where business_date = ? and scope_id = ? "
        "and comparison = ? order by abs(coalesce(gmv_change, 0)) desc, source",
        [business_date, scope_id, SOURCE_COMPARISON])
    rows = []
    for source, status, base, change, traffic, conversion, aov in result.fetchall():
        label = loc.lookup("source", str(source))
        if status != "ok":
            na = loc.missing
            rows.append(SourceBridgeRow(label, na, na, na, na, loc.t(f"bridge.{status}")))
            continue
        rows.append(SourceBridgeRow(
            source=label,
            gmv_change=f"{_signed_money(loc, change, currency)} ({loc.signed_percent(change / base)})",
            traffic=f"{_signed_money(loc, traffic, currency)} ({_points(loc, traffic, base)})",
            conversion=f"{_signed_money(loc, conversion, currency)} ({_points(loc, conversion, base)})",
            aov=f"{_signed_money(loc, aov, currency)} ({_points(loc, aov, base)})",
            note=""))
    return rows
