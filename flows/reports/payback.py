"""Ad payback: blended ROAS of the scope (``rpt_daily_blended_roas``) and the refund-adjusted ROAS
of each campaign (``rpt_daily_ad_payback``), added to the ad table.

Blended ROAS is all of the day's GMV against all of its ad cost. The refund-adjusted ROAS of a
campaign discounts its attributed revenue by the refund rate of the shop's orders paid in the
same period (refunded so far); refunds come days after payment, so the report takes the period
of the 30 days ending on the report day (the day alone would show hardly any refunds). A campaign
is flagged below breakeven on its ROAS of the day, or, when only the refunds push it under,
"below breakeven after refunds". Numbers come from the models; this module only formats them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any

from flows.reports.tables import fetch_rows, has_table, number

if TYPE_CHECKING:
    import duckdb

    from flows.reports.i18n import Locale

BLENDED_TABLE = "rpt_daily_blended_roas"
CAMPAIGN_TABLE = "rpt_daily_ad_payback"
ALL_SCOPE = "all"


@dataclass(frozen=True)
class BlendedRoas:
    """The scope's blended ROAS line; ``available`` is False without ad cost or without a row."""

    available: bool
    blended_roas: str = ""  # "5.20"
    refund_adjusted: str = ""  # "4.86": over the last 30 days, after their orders' refunds
    breakeven_roas: str = ""  # "2.22"
    cohort_refund_rate: str = ""  # "6.5%": refunded so far on the last 30 days' orders
    is_below_breakeven: bool = False
    text: str = ""  # "全店投产比 5.20（支付金额 ÷ 全部推广花费；保本 2.22）· 退款后 4.86 …"


@dataclass(frozen=True)
class CampaignPayback:
    roas_30d: str  # "1.54": the campaign's ROAS over the last 30 days
    refund_adjusted_roas: str  # "1.38" over the last 30 days, or the missing mark
    is_below_breakeven_after_refunds: bool


@dataclass(frozen=True)
class AdPaybackSection:
    blended: BlendedRoas
    # (shop id, channel code, campaign id) → the campaign's payback
    campaigns: Mapping[tuple[str, str, str], CampaignPayback] = field(default_factory=dict)
    missing_tables: tuple[str, ...] = ()

    def apply(self, groups: Sequence[Any], loc: "Locale") -> list[Any]:
        """The ad table's shop groups with each campaign's refund-adjusted ROAS and flag."""
        result = []
        for group in groups:
            rows = []
            for row in group.rows:
                payback = self.campaigns.get((group.shop_id, row.channel_code, row.campaign_id))
                if payback is None:
                    rows.append(row)
                    continue
                flag = row.flag
                if not row.is_below_breakeven and payback.is_below_breakeven_after_refunds:
                    flag = loc.t("flag.below_breakeven_after_refunds")
                rows.append(replace(row, roas_30d=payback.roas_30d,
                                    refund_adjusted_roas=payback.refund_adjusted_roas,
                                    roas_30d_after_refunds=f"{payback.roas_30d} → {payback.refund_adjusted_roas}",
                                    is_below_breakeven_after_refunds=payback.is_below_breakeven_after_refunds,
                                    flag=flag))
            result.append(replace(group, rows=rows))
        return result


def ad_payback_section(con: "duckdb.DuckDBPyConnection", scope_id: str, business_date: date,
                       loc: "Locale") -> AdPaybackSection:
    missing = tuple(t for t in (BLENDED_TABLE, CAMPAIGN_TABLE) if not has_table(con, t))
    blended = BlendedRoas(available=False)
    if BLENDED_TABLE not in missing:
        rows = fetch_rows(con, BLENDED_TABLE,
                          ("ad_cost", "blended_roas", "refund_adjusted_blended_roas_30d",
                           "breakeven_roas", "cohort_refund_rate_30d", "is_below_breakeven"),
                          "scope_id = ? and business_date = ?", [scope_id, business_date])
        if rows and (number(rows[0]["ad_cost"]) or 0) > 0:
            blended = _blended(rows[0], loc)
    campaigns: dict[tuple[str, str, str], CampaignPayback] = {}
    if CAMPAIGN_TABLE not in missing:
        where = "business_date = ? and " + ("scope_id <> ?" if scope_id == ALL_SCOPE else "scope_id = ?")
        for r in fetch_rows(con, CAMPAIGN_TABLE,
                            ("scope_id", "channel", "campaign_id", "roas_30d", "refund_adjusted_roas_30d",
                             "is_below_breakeven_after_refunds_30d"),
                            where, [business_date, scope_id]):
            campaigns[(r["scope_id"], str(r["channel"]), str(r["campaign_id"]))] = CampaignPayback(
                roas_30d=loc.number(number(r["roas_30d"]), 2),
                refund_adjusted_roas=loc.number(number(r["refund_adjusted_roas_30d"]), 2),
                is_below_breakeven_after_refunds=bool(r["is_below_breakeven_after_refunds_30d"]),
            )
    return AdPaybackSection(blended=blended, campaigns=campaigns, missing_tables=missing)


def _blended(r: Mapping[str, Any], loc: "Locale") -> BlendedRoas:
    values = {
        "blended": loc.number(number(r["blended_roas"]), 2),
        "adjusted": loc.number(number(r["refund_adjusted_blended_roas_30d"]), 2),
        "breakeven": loc.number(number(r["breakeven_roas"]), 2),
        "refund_rate": loc.percent(number(r["cohort_refund_rate_30d"]), 1),
    }
    below = bool(r["is_below_breakeven"])
    text = loc.t("payback.blended_line", **values)
    if below:
        text += loc.t("payback.blended_below")
    return BlendedRoas(available=True, blended_roas=values["blended"],
                       refund_adjusted=values["adjusted"], breakeven_roas=values["breakeven"],
                       cohort_refund_rate=values["refund_rate"], is_below_breakeven=below, text=text)
