"""New and returning buyers and the repeat rates, from ``rpt_daily_buyers``: one line in the report.

New buyers paid their first order in the shop on the day; returning buyers had paid before. The
repeat rates are the share of the buyers of the last 30 (90) days with two or more paid orders in
those days. Numbers come from the model; this module only formats them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from flows.reports.tables import fetch_rows, has_table, number

if TYPE_CHECKING:
    import duckdb

    from flows.reports.i18n import Locale

TABLE = "rpt_daily_buyers"
COLUMNS = ("paying_buyers", "new_buyers", "returning_buyers", "returning_buyer_share",
           "repeat_rate_30d", "repeat_rate_90d")


@dataclass(frozen=True)
class BuyersSection:
    """The day's buyers of the scope; ``available`` is False when the table has no row for it."""

    available: bool
    new_buyers: str = ""  # "120"
    returning_buyers: str = ""
    returning_share: str = ""  # "32.20%" of paying buyers
    repeat_rate_30d: str = ""
    repeat_rate_90d: str = ""
    text: str = ""  # the whole line: "新买家 120 · 老买家 57（占支付买家 32.20%）· 复购率 …"
    missing_table: str = ""  # the table's name when the warehouse lacks it


def buyers_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                   loc: "Locale") -> BuyersSection:
    if not has_table(con, TABLE):
        return BuyersSection(available=False, missing_table=TABLE)
    rows = fetch_rows(con, TABLE, COLUMNS, "scope_id = ? and business_date = ?",
                      [scope_id, business_date])
    if not rows:
        return BuyersSection(available=False)
    r = rows[0]
    values = {
        "new": loc.integer(number(r["new_buyers"])),
        "returning": loc.integer(number(r["returning_buyers"])),
        "share": loc.percent(number(r["returning_buyer_share"]), 1),
        "r30": loc.percent(number(r["repeat_rate_30d"]), 1),
        "r90": loc.percent(number(r["repeat_rate_90d"]), 1),
    }
    return BuyersSection(
        available=True,
        new_buyers=values["new"],
        returning_buyers=values["returning"],
        returning_share=values["share"],
        repeat_rate_30d=values["r30"],
        repeat_rate_90d=values["r90"],
        text=loc.t("buyers.line", **values),
    )
