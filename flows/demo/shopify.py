"""Shopify-side exports of the demo shop: the orders export, the online-store sessions report and
the Google Ads by-day campaign report (all UTF-8 without BOM, LF line endings).

Buyers are fake: ``buyer01234@example.com``, "Demo Customer 01234", "123 Example St".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from flows.demo.dates import NEVER, Period, end_of_day_epoch, format_local_times, period_rows
from flows.demo.formats import (UTF8_LF, RowLayout, count_grouped, long_date, money, money_grouped,
                                percent, write_csv)
from flows.demo.simulate import FULL_REFUND, ShopSimulation

ORDER_HEADER = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level", "Source",
    "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value", "Tax 3 Name",
    "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value", "Phone",
    "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name", "Payment ID",
    "Payment Terms Name", "Next Payment Due At", "Payment References",
)
SESSIONS_HEADER = ("Day", "Online store visitors", "Sessions", "Sessions with cart additions",
                   "Sessions that reached checkout", "Sessions that completed checkout",
                   "Conversion rate")
ADS_HEADER = ("Day", "Campaign", "Campaign type", "Currency code", "Impr.", "Clicks", "Cost",
              "Conversions", "Conv. value")
ADS_NULL = " --"
VENDOR = "Demo Coffee Co."
FIRST_ORDER_NUMBER = 1001

# Columns a continuation row (second and later line items of an order) keeps, as real exports do.
LINE_COLUMNS = frozenset({"Name", "Email", "Created at", "Vendor"} | {
    c for c in ORDER_HEADER if c.startswith("Lineitem ")})


def write_shopify_exports(sim: ShopSimulation, shop_dir: Path) -> list[Path]:
    """Write every Shopify-side export: monthly history files, then one per daily day."""
    calendar = sim.calendar
    text = order_text(sim)
    written = []
    for period in calendar.history_periods() + calendar.daily_periods():
        span = (period.last.isoformat() if period.daily
                else f"{period.first.isoformat()}_{period.last.isoformat()}")
        written.append(write_csv(shop_dir / f"orders_export_{span}.csv", [ORDER_HEADER], UTF8_LF,
                                 lines=order_lines(sim, text, period)))
        written.append(write_csv(shop_dir / f"sessions_over_time_{span}.csv",
                                 session_rows(sim, period), UTF8_LF))
        written.append(write_csv(shop_dir / f"Campaign_report_{span}.csv",
                                 campaign_rows(sim, period), UTF8_LF))
    return written


# ----------------------------------------------------------------------------- orders export


# The orders-export columns that change between snapshots of the same order.
CHANGING_COLUMNS = ("Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
                    "Lineitem fulfillment status", "Cancelled at", "Payment Reference",
                    "Refunded Amount", "Outstanding Balance", "Payment ID", "Payment References")


@dataclass(frozen=True)
class OrderText:
    """Every line item's export text: the fixed cells joined once (``layout``, one row per line,
    order-level cells on an order's first line only) and the order-level text of the events the
    changing cells show (``events``, one entry per order)."""

    layout: RowLayout
    events: dict[str, np.ndarray]


def order_text(sim: ShopSimulation) -> OrderText:
    """Format the cells that do not depend on the export time, once for all snapshots."""
    orders, lines, model = sim.orders, sim.lines, sim.model
    rng = sim.rng("shopify_text")
    n, n_buyers = len(orders), len(sim.buyer_region)

    buyer = orders["buyer"].to_numpy()
    region = sim.buyer_region[buyer]
    regions = model.regions
    street_numbers = rng.integers(1, 999, n_buyers)[buyer]
    accepts = np.where(rng.random(n_buyers) < 0.4, "yes", "no").astype(object)[buyer]
    ids = 5_612_000_000_000 + np.cumsum(rng.integers(10_000, 2_000_000, n))
    payment = np.array([f"c{i % 10**11}.1" for i in (ids * 7).tolist()], dtype=object)
    subtotal = orders["goods_cents"] - orders["discount_cents"]
    tax = orders["tax_cents"].to_numpy()
    tax_names = np.array([f"{r.code} State Tax {r.tax_rate * 100:g}%" for r in regions],
                         dtype=object)[region]
    per_order = {
        "Name": np.array([f"#{FIRST_ORDER_NUMBER + i}" for i in range(n)], dtype=object),
        "Email": np.array([f"buyer{b:05d}@example.com" for b in buyer.tolist()], dtype=object),
        "Accepts Marketing": accepts,
        "Currency": model.shop.currency,
        "Subtotal": money(subtotal),
        "Shipping": money(orders["shipping_cents"]),
        "Taxes": money(tax),
        "Total": money(orders["total_cents"]),
        "Discount Code": orders["discount_code"].to_numpy(dtype=object),
        "Discount Amount": money(orders["discount_cents"]),
        "Shipping Method": np.where(orders["shipping_cents"] == 0, "Free Shipping",
                                    "Standard Shipping").astype(object),
        "Created at": format_local_times(orders["created"].to_numpy(), sim.tz, with_offset=True),
        "Payment Method": "Shopify Payments",
        "Id": np.array([str(i) for i in ids.tolist()], dtype=object),
        "Risk Level": "Low",
        "Source": "web",
        "Tax 1 Name": np.where(tax > 0, tax_names, "").astype(object),
        "Tax 1 Value": np.where(tax > 0, money(tax), "").astype(object),
    }
    names = np.array([f"Demo Customer {b:05d}" for b in buyer.tolist()], dtype=object)
    streets = np.array([f"{s} Example St" for s in street_numbers.tolist()], dtype=object)
    for side in ("Billing", "Shipping"):
        per_order[f"{side} Name"] = names
        per_order[f"{side} Street"] = streets
        per_order[f"{side} Address1"] = streets
        per_order[f"{side} City"] = np.array([r.city for r in regions], dtype=object)[region]
        per_order[f"{side} Zip"] = np.array([r.district for r in regions], dtype=object)[region]
        per_order[f"{side} Province"] = np.array([r.code for r in regions], dtype=object)[region]
        per_order[f"{side} Country"] = "US"
        per_order[f"{side} Province Name"] = np.array([r.province for r in regions],
                                                      dtype=object)[region]

    product = lines["product"].to_numpy()
    compare_at = np.array([money([p.compare_at_cents])[0] if p.compare_at_cents else ""
                           for p in model.products], dtype=object)
    fixed: dict[str, np.ndarray | str] = {
        "Lineitem quantity": np.array([str(q) for q in lines["quantity"].tolist()], dtype=object),
        "Lineitem name": np.array([p.title for p in model.products], dtype=object)[product],
        "Lineitem price": money(lines["unit_cents"]),
        "Lineitem compare at price": compare_at[product],
        "Lineitem sku": np.array([p.sku for p in model.products], dtype=object)[product],
        "Lineitem requires shipping": "true",
        "Lineitem taxable": "true",
        "Vendor": VENDOR,
        "Lineitem discount": money(lines["discount_cents"]),
    }
    order_of_line = lines["order"].to_numpy()
    is_first = np.r_[True, order_of_line[1:] != order_of_line[:-1]]
    for name in ORDER_HEADER:
        if name in fixed or name in CHANGING_COLUMNS:
            continue
        value = per_order.get(name, "")
        if isinstance(value, np.ndarray):
            value = value[order_of_line]
            if name not in LINE_COLUMNS:
                value = np.where(is_first, value, "").astype(object)
        elif name not in LINE_COLUMNS and value:
            value = np.where(is_first, value, "").astype(object)
        fixed[name] = value

    events = {
        "Paid at": format_local_times(orders["paid"].to_numpy(), sim.tz, with_offset=True),
        "Fulfilled at": format_local_times(orders["shipped"].to_numpy(), sim.tz, with_offset=True),
        "Refunded at": format_local_times(orders["refunded"].to_numpy(), sim.tz, with_offset=True),
        "Voided at": format_local_times(orders["unpaid_closed"].to_numpy(), sim.tz,
                                        with_offset=True),
        "Refunded Amount": money(orders["refund_cents"]),
        "Total": per_order["Total"],
        "Payment Reference": payment,
    }
    return OrderText(RowLayout.build(ORDER_HEADER, fixed), events)


def order_lines(sim: ShopSimulation, text: OrderText, period: Period) -> list[str]:
    """The orders export's data lines for ``period``: one per line item, orders newest first, as
    of the end of the period. Only an order's first line carries the order-level fields."""
    first, last = sim.calendar.order_window(period)
    window = period_rows(sim.orders["created_day"].to_numpy(), sim.calendar,
                         Period(first, last, last, daily=False))
    idx = np.arange(window.start, window.stop)[::-1]
    o = sim.orders.iloc[idx]
    counts = o["line_count"].to_numpy()
    rank = _ranks(counts)
    line_idx = np.repeat(o["first_line"].to_numpy(), counts) + rank
    order_of_line = np.repeat(np.arange(len(idx)), counts)
    is_first = rank == 0

    cells = snapshot_cells(o, {k: v[idx] for k, v in text.events.items()},
                           end_of_day_epoch(period.as_of, sim.tz))
    line_cells = {name: np.where(is_first, value[order_of_line], "")
                  for name, value in cells.items()}
    shipped = cells["Fulfillment Status"][order_of_line] == "fulfilled"
    line_cells["Lineitem fulfillment status"] = np.where(shipped, "fulfilled", "pending")
    return text.layout.lines(line_idx, line_cells)


def snapshot_cells(o: pd.DataFrame, events: dict[str, np.ndarray],
                   at: int) -> dict[str, np.ndarray]:
    """The order-level cells that change as the order lives, as of epoch second ``at``."""
    paid = o["paid"].to_numpy() < at
    voided = ~paid & (o["unpaid_closed"].to_numpy() < at)
    refunded = o["refunded"].to_numpy() < at
    full = refunded & (o["refund_kind"].to_numpy() == FULL_REFUND)
    shipped = o["shipped"].to_numpy() < at
    cancelled_by_refund = full & (o["shipped"].to_numpy() == NEVER)  # refunded before shipping
    payment = np.where(paid, events["Payment Reference"], "")
    return {
        "Financial Status": np.select(
            [voided, ~paid, full, refunded],
            ["voided", "pending", "refunded", "partially_refunded"], "paid"),
        "Paid at": np.where(paid, events["Paid at"], ""),
        "Fulfillment Status": np.where(shipped, "fulfilled", "unfulfilled"),
        "Fulfilled at": np.where(shipped, events["Fulfilled at"], ""),
        "Cancelled at": np.select([voided, cancelled_by_refund],
                                  [events["Voided at"], events["Refunded at"]], ""),
        "Refunded Amount": np.where(refunded, events["Refunded Amount"], "0.00"),
        "Outstanding Balance": np.where(paid | voided, "0.00", events["Total"]),
        "Payment Reference": payment,
        "Payment ID": payment,
        "Payment References": payment,
    }


def _ranks(counts: np.ndarray) -> np.ndarray:
    """0, 1, …, count-1 for each group size in ``counts``, concatenated."""
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    return np.arange(int(counts.sum())) - starts


# ----------------------------------------------------------------------------- sessions report


def session_rows(sim: ShopSimulation, period: Period):
    """Analytics → Reports "Sessions over time" for ``period``: one row per day."""
    calendar = sim.calendar
    yield SESSIONS_HEADER
    rows = sim.traffic.iloc[period_rows(sim.traffic["day"].to_numpy(), calendar, period)]
    dates = [(calendar.first + timedelta(days=int(d))).isoformat() for d in rows["day"].tolist()]
    yield from zip(
        dates, rows["visitors"].astype(str), rows["sessions"].astype(str),
        rows["cart_sessions"].astype(str), rows["checkout_sessions"].astype(str),
        rows["completed_sessions"].astype(str),
        percent(rows["completed_sessions"], rows["sessions"]),
    )


# ----------------------------------------------------------------------------- Google Ads

AD_METRICS = ("impressions", "clicks", "cost_cents", "conversions", "revenue_cents")


def campaign_rows(sim: ShopSimulation, period: Period):
    """Google Ads "Campaign report" by day for ``period``: title, date range, header, one row per
    day and campaign, then ``Total:`` rows for the account and each campaign type. History files
    show Cost with a ``$``; rows without clicks show `` --`` for conversions."""
    calendar = sim.calendar
    currency = sim.model.shop.currency
    cost_prefix = "" if period.daily else "$"
    yield ("Campaign report",)
    yield (f"{long_date(period.first)} - {long_date(period.last)}",)
    yield ADS_HEADER
    rows = sim.ads.iloc[period_rows(sim.ads["day"].to_numpy(), calendar, period)]
    dates = [(calendar.first + timedelta(days=int(d))).isoformat() for d in rows["day"].tolist()]
    metrics = {name: rows[name].to_numpy() for name in AD_METRICS}
    yield from zip(dates, rows["campaign"], rows["group_name"], [currency] * len(rows),
                   *_ad_metrics(metrics, cost_prefix))
    kind = rows["group_name"].to_numpy()
    kinds = dict.fromkeys(c.group_name for c in sim.model.campaigns)
    groups = [("Total: Account", np.ones(len(rows), dtype=bool))] + [
        (f"Total: {k}", kind == k) for k in kinds]
    for label, mask in groups:
        totals = {name: np.array([values[mask].sum()]) for name, values in metrics.items()}
        summed = [cell[0] for cell in _ad_metrics(totals, cost_prefix)]
        yield (label, ADS_NULL, ADS_NULL, currency, *summed)


def _ad_metrics(metrics: dict[str, np.ndarray], cost_prefix: str) -> list[list[str]]:
    """Impr., Clicks, Cost, Conversions, Conv. value as the Google Ads UI writes them."""
    no_clicks = (metrics["clicks"] == 0).tolist()
    conversions = [ADS_NULL if none else f"{c:,.2f}"
                   for none, c in zip(no_clicks, metrics["conversions"].tolist())]
    value = [ADS_NULL if none else v
             for none, v in zip(no_clicks, money_grouped(metrics["revenue_cents"]))]
    return [count_grouped(metrics["impressions"]), count_grouped(metrics["clicks"]),
            money_grouped(metrics["cost_cents"], prefix=cost_prefix), conversions, value]
