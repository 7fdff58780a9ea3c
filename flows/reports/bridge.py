"""The sales bridge section: why GMV moved, from ``rpt_daily_bridge``.

Effects are shown in money and in points of the base day's GMV (an effect of +5.1 points means
it alone would have moved GMV by +5.1 %); the three points add up to the GMV change in percent.
The narrative names the factors from the biggest effect down. Numbers come from the model; this
module only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
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
class BridgeSection:
    rows: list[BridgeRow]
    headline: str  # the sentence for the same weekday last week, else the first available


def _signed_money(loc: "Locale", value: float, currency: str) -> str:
    text = loc.money(abs(value), currency)
    return ("+" if value >= 0 else "-") + text


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


def bridge_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                   loc: "Locale", currency: str) -> BridgeSection:
    result = con.execute(
        "select comparison, bridge_status, gmv_base, gmv, gmv_change, visitors_base, visitors, "
        "conversion_base, conversion, aov_base, aov, traffic_effect, conversion_effect, aov_effect "
        "from rpt_daily_bridge where business_date = ? and scope_id = ? order by comparison_order",
        [business_date, scope_id])
    names = [d[0] for d in result.description]
    rows: list[BridgeRow] = []
    sentences: dict[str, str] = {}
    for values in result.fetchall():
        r = dict(zip(names, values))
        label = loc.t(f"compare.{r['comparison']}")
        if r["bridge_status"] != "ok":
            na = loc.missing
            rows.append(BridgeRow(label, r["bridge_status"], na, na, na, na,
                                  note=loc.t(f"bridge.{r['bridge_status']}"), narrative=""))
            continue
        base = r["gmv_base"]
        sentence = _narrative(loc, r, loc.t(f"compare_long.{r['comparison']}"))
        sentences[r["comparison"]] = sentence
        rows.append(BridgeRow(
            comparison=label, status="ok",
            gmv_change=f"{_signed_money(loc, r['gmv_change'], currency)} ({loc.signed_percent(r['gmv'] / base - 1)})",
            traffic=f"{_signed_money(loc, r['traffic_effect'], currency)} ({_points(loc, r['traffic_effect'], base)})",
            conversion=f"{_signed_money(loc, r['conversion_effect'], currency)} ({_points(loc, r['conversion_effect'], base)})",
            aov=f"{_signed_money(loc, r['aov_effect'], currency)} ({_points(loc, r['aov_effect'], base)})",
            note="", narrative=sentence,
        ))
    headline = sentences.get("last_week") or next(iter(sentences.values()), "")
    return BridgeSection(rows=rows, headline=headline)
