"""Simulate one demo shop: every order with its life cycle, the daily traffic and the ad results.

The simulation is vectorised with numpy (one Python loop over days, for the buyer pool) and
fully determined by the seed: each part draws from its own generator (:func:`rng_for`), so
tuning one part does not reshuffle the others. Money is in integer cents, times in epoch seconds
(:data:`~flows.demo.dates.NEVER` for an event that does not happen).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pandas as pd

from flows.demo.dates import (DAY_SECONDS, NEVER, DayEffects, DemoCalendar, local_day_index,
                              local_epoch, promotion_effects)
from flows.demo.model import TMALL, ShopModel

NO_REFUND, PARTIAL_REFUND, FULL_REFUND = 0, 1, 2


def rng_for(seed: int, shop_id: str, part: str) -> np.random.Generator:
    """An independent, reproducible random generator for one part of one shop's simulation."""
    return np.random.default_rng([seed, zlib.crc32(shop_id.encode()), zlib.crc32(part.encode())])


@dataclass(frozen=True)
class ShopSimulation:
    """The simulated business of one shop.

    ``orders`` (one row per order, sorted by creation time): ``created, created_day, paid,
    paid_day, unpaid_closed, shipped, completed, refunded`` (epoch seconds / day index),
    ``buyer`` (index into the buyer pool), ``source`` (index into ``model.sources``, -1 if none),
    ``first_line, line_count, quantity``, money in cents ``goods_cents, discount_cents,
    shipping_cents, tax_cents, total_cents, refund_cents``, ``refund_kind`` (0 none, 1 partial,
    2 full), ``refund_reason``, ``discount_code``.

    ``lines`` (one row per order line, in order of ``orders``): ``order, product, quantity,
    unit_cents, discount_cents``.

    ``buyer_region``: per buyer, an index into ``model.regions``.

    ``traffic``: Tmall: one row per business day × source (生意参谋); Shopify: one row per day
    (online-store sessions). ``ads``: one row per business day × campaign.
    """

    model: ShopModel
    calendar: DemoCalendar
    seed: int
    orders: pd.DataFrame
    lines: pd.DataFrame
    buyer_region: np.ndarray
    traffic: pd.DataFrame
    ads: pd.DataFrame

    def rng(self, part: str) -> np.random.Generator:
        return rng_for(self.seed, self.model.shop.id, part)

    @property
    def tz(self) -> str:
        return self.model.shop.timezone


def simulate_shop(model: ShopModel, calendar: DemoCalendar, seed: int) -> ShopSimulation:
    """Run the whole simulation of one shop over the calendar's business days."""
    def rng(part: str) -> np.random.Generator:
        return rng_for(seed, model.shop.id, part)

    effects = promotion_effects(model.promotions, calendar.dates)
    expected = expected_paid_orders(model, calendar, effects, rng("demand"))
    orders = create_orders(model, calendar, effects, expected, rng("orders"))
    orders["buyer"] = assign_buyers(model, orders["created_day"].to_numpy(), calendar.days,
                                    rng("buyers"))
    n_buyers = int(orders["buyer"].max()) + 1
    buyer_region = draw_regions(model, n_buyers, rng("regions"))
    lines = create_lines(model, calendar, orders, rng("lines"))
    price_orders(model, effects, orders, lines, buyer_region, rng("prices"))
    add_refunds(model, calendar, effects, orders, lines, rng("refunds"))
    add_fulfilment(model, effects, orders, rng("fulfilment"))
    if model.sources:
        orders["source"] = draw_sources(model, effects, orders["created_day"].to_numpy(),
                                        rng("sources"))
        traffic = tmall_traffic(model, calendar, effects, expected, orders, rng("traffic"))
        feeds = {s.name: traffic.loc[traffic["source"] == s.name, "visitors"].to_numpy()
                 for s in model.sources}
    else:
        orders["source"] = -1
        traffic = store_sessions(model, calendar, effects, expected, orders, rng("traffic"))
        feeds = {"": traffic["sessions"].to_numpy()}
    aov_cents = float(orders.loc[orders["paid"] != NEVER, "total_cents"].mean())
    ads = ad_results(model, calendar, effects, feeds, aov_cents, rng("ads"))
    return ShopSimulation(model, calendar, seed, orders, lines, buyer_region, traffic, ads)


# ----------------------------------------------------------------------------- demand


def expected_paid_orders(model: ShopModel, calendar: DemoCalendar, effects: DayEffects,
                         rng: np.random.Generator) -> np.ndarray:
    """Expected paid orders per business day: baseline × trend × weekday × promotion × noise."""
    dates = calendar.dates
    years_before_end = np.array([(d - calendar.last).days for d in dates]) / 365.25
    trend = (1 + model.yearly_growth) ** years_before_end
    weekday = np.array([model.weekday_factors[d.weekday()] for d in dates])
    shocks = rng.normal(0.0, 0.05, len(dates))
    noise = np.empty(len(dates))
    level = 0.0
    for i, shock in enumerate(shocks):  # AR(1): good and bad weeks, not just good and bad days
        level = 0.6 * level + shock
        noise[i] = level
    return model.paid_orders_per_day * trend * weekday * effects.demand * np.exp(noise)


def create_orders(model: ShopModel, calendar: DemoCalendar, effects: DayEffects,
                  expected: np.ndarray, rng: np.random.Generator) -> pd.DataFrame:
    """Orders with creation and payment times, sorted by creation; every day has paid orders."""
    per_day = np.maximum(rng.poisson(expected / (1 - model.unpaid_rate)), 2)
    day = np.repeat(np.arange(calendar.days), per_day)
    n = len(day)
    hours = np.where(
        effects.peak[day],
        rng.choice(24, size=n, p=_normalised(model.peak_hourly_weights)),
        rng.choice(24, size=n, p=_normalised(model.hourly_weights)),
    )
    second_of_day = hours * 3600 + rng.integers(0, 3600, n)
    created = local_epoch(calendar.first, day, second_of_day, model.shop.timezone)
    order = np.lexsort((created, day))
    day, created = day[order], created[order]

    is_paid = rng.random(n) >= model.unpaid_rate
    first_of_day = np.concatenate(([0], np.cumsum(per_day)[:-1]))
    is_paid[first_of_day] = True  # both shops sell something every day
    delay = np.clip(rng.exponential(model.pay_delay_seconds, n), 1, 6 * 3600).astype(np.int64)
    paid = np.where(is_paid, created + delay, NEVER)
    return pd.DataFrame({
        "created": created,
        "created_day": day,
        "paid": paid,
        "paid_day": local_day_index(paid, calendar.first, model.shop.timezone),
        "unpaid_closed": np.where(is_paid, NEVER, created + DAY_SECONDS),
    })


def assign_buyers(model: ShopModel, created_day: np.ndarray, days: int,
                  rng: np.random.Generator) -> np.ndarray:
    """A buyer per order: new buyers, returning ones (a rising share) and rare same-day repeats."""
    buyers = np.empty(len(created_day), dtype=np.int64)
    bounds = np.searchsorted(created_day, np.arange(days + 1))
    start_share, end_share = model.returning_share
    seen = 0
    for d in range(days):
        lo, hi = bounds[d], bounds[d + 1]
        k = hi - lo
        repeat = rng.random(k) < model.same_day_repeat
        repeat[0] = False
        share = start_share + (end_share - start_share) * d / max(days - 1, 1)
        returning = (rng.random(k) < share) & ~repeat if seen else np.zeros(k, dtype=bool)
        new = ~repeat & ~returning
        ids = np.empty(k, dtype=np.int64)
        ids[returning] = rng.integers(0, max(seen, 1), int(returning.sum()))
        ids[new] = seen + np.arange(int(new.sum()))
        seen += int(new.sum())
        for pos in np.flatnonzero(repeat):  # a second order from someone who ordered earlier today
            ids[pos] = ids[rng.integers(0, pos)]
        buyers[lo:hi] = ids
    return buyers


def draw_regions(model: ShopModel, n_buyers: int, rng: np.random.Generator) -> np.ndarray:
    """Where each buyer lives (index into ``model.regions``)."""
    weights = _normalised([r.weight for r in model.regions])
    return rng.choice(len(model.regions), size=n_buyers, p=weights)


def create_lines(model: ShopModel, calendar: DemoCalendar, orders: pd.DataFrame,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Order lines: distinct products per order (seasonal popularity) and their quantities."""
    n = len(orders)
    day = orders["created_day"].to_numpy()
    line_count = 1 + rng.choice(len(model.lines_per_order), size=n,
                                p=_normalised(model.lines_per_order))
    weights = product_weights(model, calendar)
    with np.errstate(divide="ignore"):  # a faded-out product (weight 0) is never drawn
        log_weights = np.log(weights[day])
    keys = log_weights + rng.gumbel(size=(n, len(model.products)))  # Gumbel top-k
    ranked = np.argsort(-keys, axis=1)[:, : int(line_count.max())]
    first_line = np.concatenate(([0], np.cumsum(line_count)[:-1]))
    order = np.repeat(np.arange(n), line_count)
    position = np.arange(len(order)) - first_line[order]
    product = ranked[order, position]
    quantity = 1 + rng.choice(len(model.quantity), size=len(order), p=_normalised(model.quantity))
    prices = np.array([p.price_cents for p in model.products], dtype=np.int64)
    orders["first_line"] = first_line
    orders["line_count"] = line_count
    orders["quantity"] = np.bincount(order, weights=quantity, minlength=n).astype(np.int64)
    return pd.DataFrame({
        "order": order,
        "product": product,
        "quantity": quantity.astype(np.int64),
        "unit_cents": prices[product],
        "discount_cents": np.zeros(len(order), dtype=np.int64),
    })


def product_weights(model: ShopModel, calendar: DemoCalendar) -> np.ndarray:
    """Popularity of each product on each business day (days × products); seasonal items swing
    ~10× over the year; a fading item falls linearly to nothing on the end date."""
    day_of_year = np.array([d.timetuple().tm_yday for d in calendar.dates], dtype=float)
    days_to_end = np.arange(calendar.days - 1, -1, -1, dtype=float)
    columns = []
    for p in model.products:
        w = np.full(calendar.days, p.weight)
        if p.peak_month is not None:
            peak_day = 30.4 * (p.peak_month - 0.5)
            w = w * np.exp(1.2 * np.cos(2 * np.pi * (day_of_year - peak_day) / 365.25)) / 1.27
        if p.fade_weeks:
            w = w * np.clip(days_to_end / (7 * p.fade_weeks), 0.0, 1.0)
        columns.append(w)
    return np.column_stack(columns)


# ----------------------------------------------------------------------------- money


def price_orders(model: ShopModel, effects: DayEffects, orders: pd.DataFrame, lines: pd.DataFrame,
                 buyer_region: np.ndarray, rng: np.random.Generator) -> None:
    """Goods, discounts, shipping, tax and the total each order costs the buyer (in cents)."""
    n = len(orders)
    goods = np.bincount(lines["order"], weights=lines["unit_cents"] * lines["quantity"],
                        minlength=n).round().astype(np.int64)
    day = orders["created_day"].to_numpy()
    region = buyer_region[orders["buyer"].to_numpy()]
    if model.promotions == TMALL:
        discount = tmall_coupons(goods, effects.discount_day[day], rng)
        codes = np.full(n, "", dtype=object)
        shipping = np.array([r.shipping_cents for r in model.regions], dtype=np.int64)[region]
        tax = np.zeros(n, dtype=np.int64)
    else:
        discount, codes = discount_codes(model, goods, effects.discount_day[day],
                                         _first_orders(orders["buyer"].to_numpy()), rng)
        subtotal = goods - discount
        shipping = np.where(subtotal >= 5000, 0, 595)
        tax_rate = np.array([r.tax_rate for r in model.regions])[region]
        tax = np.round(subtotal * tax_rate).astype(np.int64)
    lines["discount_cents"] = _allocate(discount, lines, goods)
    orders["goods_cents"] = goods
    orders["discount_cents"] = discount
    orders["discount_code"] = codes
    orders["shipping_cents"] = shipping
    orders["tax_cents"] = tax
    orders["total_cents"] = goods - discount + shipping + tax


def tmall_coupons(goods: np.ndarray, promotion: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """卡券抵扣: 跨店满减 (50 off every 300) on promotion days, else a 满199减20 shop coupon."""
    shop_coupon = np.where((goods >= 19900) & (rng.random(len(goods)) < 0.3), 2000, 0)
    cross_store = np.where(promotion, 5000 * (goods // 30000), 0)
    return np.maximum(shop_coupon, cross_store).astype(np.int64)


def discount_codes(model: ShopModel, goods: np.ndarray, promotion: np.ndarray,
                   first_order: np.ndarray,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Shopify discount codes: the first code whose rule and dice both say yes wins."""
    n = len(goods)
    percent = np.zeros(n)
    codes = np.full(n, "", dtype=object)
    for code in model.discount_codes:
        eligible = {"promotion": promotion, "new_buyer": first_order,
                    "any": np.ones(n, dtype=bool)}[code.applies_to]
        use = eligible & (codes == "") & (rng.random(n) < code.share)
        percent[use] = code.percent
        codes[use] = code.code
    return np.round(goods * percent).astype(np.int64), codes


def _first_orders(buyers: np.ndarray) -> np.ndarray:
    first = np.zeros(len(buyers), dtype=bool)
    first[np.unique(buyers, return_index=True)[1]] = True
    return first


def _allocate(order_cents: np.ndarray, lines: pd.DataFrame, goods: np.ndarray) -> np.ndarray:
    """Split an order amount over its lines by line value; the last line takes the rounding."""
    order = lines["order"].to_numpy()
    value = (lines["unit_cents"] * lines["quantity"]).to_numpy()
    share = np.floor(order_cents[order] * value / np.maximum(goods[order], 1)).astype(np.int64)
    last = np.r_[order[1:] != order[:-1], True]
    rest = order_cents - np.bincount(order, weights=share, minlength=len(goods)).astype(np.int64)
    share[last] += rest[order[last]]
    return share


# ----------------------------------------------------------------------------- life cycle


def add_refunds(model: ShopModel, calendar: DemoCalendar, effects: DayEffects, orders: pd.DataFrame,
                lines: pd.DataFrame, rng: np.random.Generator) -> None:
    """Full and partial refunds 1–10 days after payment; rates differ by product and spike after
    promotions."""
    n = len(orders)
    paid = orders["paid"].to_numpy()
    is_paid = paid != NEVER
    refund_factor = np.array([p.refund_factor for p in model.products])
    first_line = orders["first_line"].to_numpy()
    factor = np.maximum.reduceat(refund_factor[lines["product"].to_numpy()], first_line)
    promo = effects.refund[np.minimum(orders["paid_day"].to_numpy(), calendar.days - 1)]
    p_full = model.full_refund_rate / factor[is_paid].mean() * factor * promo
    p_partial = model.partial_refund_rate * promo
    u = rng.random(n)
    kind = np.where(is_paid & (u < p_full), FULL_REFUND,
                    np.where(is_paid & (u < p_full + p_partial), PARTIAL_REFUND, NO_REFUND))
    delay = (rng.uniform(1, 10, n) * DAY_SECONDS).astype(np.int64)
    total = orders["total_cents"].to_numpy()
    quantity = orders["quantity"].to_numpy()
    share = np.where(quantity >= 2, 1 / np.maximum(quantity, 1), rng.uniform(0.1, 0.35, n))
    partial = np.clip(np.round(total * share), 1, np.maximum(total - 1, 1)).astype(np.int64)
    orders["refund_kind"] = kind
    orders["refunded"] = np.where(kind != NO_REFUND, paid + delay, NEVER)
    orders["refund_cents"] = np.select([kind == FULL_REFUND, kind == PARTIAL_REFUND],
                                       [total, partial], 0).astype(np.int64)
    orders["refund_reason"] = refund_reasons(model, kind, lines, first_line, rng)


def refund_reasons(model: ShopModel, kind: np.ndarray, lines: pd.DataFrame, first_line: np.ndarray,
                   rng: np.random.Generator) -> np.ndarray:
    """Why each fully refunded order came back (the product's own reason when it has one)."""
    reasons = np.full(len(kind), "", dtype=object)
    if not model.refund_reasons:
        return reasons
    full = kind == FULL_REFUND
    reasons[full] = rng.choice(np.array(model.refund_reasons, dtype=object), size=int(full.sum()),
                               p=_normalised([4, 2, 2, 1, 1][: len(model.refund_reasons)]))
    first_product = lines["product"].to_numpy()[first_line]
    own = np.array([p.refund_reason or "" for p in model.products], dtype=object)[first_product]
    use_own = full & (own != "") & (rng.random(len(kind)) < 0.75)
    reasons[use_own] = own[use_own]
    return reasons


def add_fulfilment(model: ShopModel, effects: DayEffects, orders: pd.DataFrame,
                   rng: np.random.Generator) -> None:
    """Shipping 0–2 days after payment (slower after big promotions); Tmall orders complete
    (交易成功) 7–10 days after shipping. A full refund before shipping stops the order."""
    n = len(orders)
    paid = orders["paid"].to_numpy()
    backlog = effects.ship_delay[orders["created_day"].to_numpy()]
    ship_delay = (rng.uniform(0.05, 2.0, n) * backlog * DAY_SECONDS).astype(np.int64)
    shipped = np.where(paid != NEVER, paid + ship_delay, NEVER)
    full = orders["refund_kind"].to_numpy() == FULL_REFUND
    refunded = orders["refunded"].to_numpy()
    shipped = np.where(full & (refunded < shipped), NEVER, shipped)
    completed = NEVER
    if model.promotions == TMALL:
        confirm = (rng.uniform(7, 10, n) * DAY_SECONDS).astype(np.int64)
        completed = np.where((shipped != NEVER) & ~full, shipped + confirm, NEVER)
    orders["shipped"] = shipped
    orders["completed"] = completed


# ----------------------------------------------------------------------------- traffic


def draw_sources(model: ShopModel, effects: DayEffects, created_day: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """The 生意参谋 traffic source each order came through (more 购物车 on promotion days)."""
    base = np.array([s.buyer_share for s in model.sources])
    boosted = np.array([s.follows_cart_boost for s in model.sources])
    shares = base[None, :] * np.where(boosted[None, :], effects.cart_boost[:, None], 1.0)
    cumulative = np.cumsum(shares / shares.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(created_day))
    return np.minimum((u[:, None] > cumulative[created_day]).sum(axis=1), len(base) - 1)


def _buyer_day_sources(orders: pd.DataFrame, day_column: str, time_column: str) -> pd.DataFrame:
    """One row per (day, buyer): the source of the buyer's first order that day and the amount."""
    events = orders.loc[orders[time_column] != NEVER, [day_column, time_column, "buyer", "source",
                                                       "total_cents"]]
    events = events.sort_values([time_column], kind="stable")
    return events.groupby([day_column, "buyer"], sort=True).agg(
        source=("source", "first"), amount=("total_cents", "sum")).reset_index()


def tmall_traffic(model: ShopModel, calendar: DemoCalendar, effects: DayEffects,
                  expected: np.ndarray, orders: pd.DataFrame,
                  rng: np.random.Generator) -> pd.DataFrame:
    """生意参谋 traffic by source per day. Paying and ordering buyers come from the orders, so the
    per-source figures add up exactly to the shop's distinct buyers and GMV of the day."""
    days, n_src = calendar.days, len(model.sources)
    grid = pd.MultiIndex.from_product([range(days), range(n_src)], names=["day", "source"])
    paying = _buyer_day_sources(orders, "paid_day", "paid").rename(columns={"paid_day": "day"})
    paying = paying[paying["day"] < days].groupby(["day", "source"]).agg(
        paying_buyers=("buyer", "size"), paid_cents=("amount", "sum")).reindex(grid, fill_value=0)
    ordering = _buyer_day_sources(orders, "created_day", "created").rename(
        columns={"created_day": "day"})
    ordering = ordering.groupby(["day", "source"]).agg(order_buyers=("buyer", "size")).reindex(
        grid, fill_value=0)

    day = np.repeat(np.arange(days), n_src)
    src = np.tile(np.arange(n_src), days)
    share = np.array([s.buyer_share for s in model.sources])
    boosted = np.array([s.follows_cart_boost for s in model.sources])
    day_share = share[None, :] * np.where(boosted[None, :], effects.cart_boost[:, None], 1.0)
    day_share = (day_share / day_share.sum(axis=1, keepdims=True)).ravel()
    conversion = np.array([s.conversion for s in model.sources])[src] * effects.conversion[day]
    noise = rng.lognormal(0.0, 0.08, (5, len(day)))
    paying_buyers = paying["paying_buyers"].to_numpy()
    order_buyers = ordering["order_buyers"].to_numpy()
    visitors = np.round(expected[day] * day_share / conversion * noise[0]).astype(np.int64)
    visitors = np.maximum.reduce([visitors, order_buyers, paying_buyers, np.ones_like(visitors)])
    attr = {name: np.array([getattr(s, name) for s in model.sources])[src]
            for name in ("pages_per_visitor", "add_to_cart_rate", "favorite_rate", "bounce_rate")}
    return pd.DataFrame({
        "day": day,
        "source": np.array([s.name for s in model.sources], dtype=object)[src],
        "visitors": visitors,
        "page_views": np.round(visitors * attr["pages_per_visitor"] * noise[1]).astype(np.int64),
        "add_to_cart_users": np.maximum(
            np.round(visitors * attr["add_to_cart_rate"] * noise[2]).astype(np.int64),
            order_buyers),
        "favorite_users": np.round(visitors * attr["favorite_rate"] * noise[3]).astype(np.int64),
        "order_buyers": order_buyers,
        "paying_buyers": paying_buyers,
        "paid_cents": paying["paid_cents"].to_numpy().astype(np.int64),
        "bounce_rate": np.clip(attr["bounce_rate"] * noise[4], 0.05, 0.95),
    })


def store_sessions(model: ShopModel, calendar: DemoCalendar, effects: DayEffects,
                   expected: np.ndarray, orders: pd.DataFrame,
                   rng: np.random.Generator) -> pd.DataFrame:
    """Shopify online-store sessions per day; completed checkouts are the orders created that
    day."""
    days = calendar.days
    paid = orders[(orders["paid"] != NEVER) & (orders["paid_day"] < days)]
    paying_buyers = paid.groupby("paid_day")["buyer"].nunique().reindex(range(days), fill_value=0)
    completed = np.bincount(orders["created_day"], minlength=days)
    noise = rng.lognormal(0.0, 0.08, (4, days))
    conversion = model.conversion * effects.conversion
    visitors = np.round(expected / conversion * noise[0]).astype(np.int64)
    visitors = np.maximum(visitors, paying_buyers.to_numpy() + 1)
    sessions = np.round(visitors * rng.uniform(1.18, 1.32, days)).astype(np.int64)
    checkout = np.maximum(np.round(sessions * 0.034 * noise[1]).astype(np.int64), completed)
    cart = np.maximum(np.round(sessions * 0.075 * noise[2]).astype(np.int64), checkout)
    return pd.DataFrame({
        "day": np.arange(days),
        "visitors": visitors,
        "sessions": sessions,
        "cart_sessions": cart,
        "checkout_sessions": checkout,
        "completed_sessions": completed,
        "paying_buyers": paying_buyers.to_numpy(),
    })


# ----------------------------------------------------------------------------- ads


def ad_results(model: ShopModel, calendar: DemoCalendar, effects: DayEffects,
               feeds: dict[str, np.ndarray], aov_cents: float,
               rng: np.random.Generator) -> pd.DataFrame:
    """Daily impressions, clicks, cost and attributed revenue per campaign. Clicks follow the
    traffic they arrive through; revenue is cost × the campaign's ROAS (with noise)."""
    days = calendar.days
    ordinals = np.array([d.toordinal() for d in calendar.dates])
    frames = []
    for c in model.campaigns:
        sigmas = np.array([0.10, 0.12, 0.08, 0.22, 0.10])[:, None]
        noise = np.exp(rng.normal(0.0, 1.0, (5, days)) * sigmas)
        clicks = np.round(feeds[c.feeds] * c.traffic_share * 1.12 * noise[0]).astype(np.int64)
        active = np.ones(days, dtype=bool)
        if c.paused_every:
            active = ~np.isin(ordinals % c.paused_every, (7, 8))  # two days off every few weeks
        clicks = np.where(active, np.maximum(clicks, 1), 0)
        impressions = np.round(clicks / (c.ctr * noise[1])).astype(np.int64)
        cost = np.round(clicks * c.cpc * 100 * effects.ad_cpc * noise[2]).astype(np.int64)
        revenue = np.round(cost * c.roas * effects.ad_roas * noise[3]).astype(np.int64)
        direct = np.round(revenue * np.clip(c.direct_share * noise[4], 0.0, 1.0)).astype(np.int64)
        conversions = np.round(revenue / (aov_cents * rng.lognormal(0.0, 0.1, days)), 2)
        frames.append(pd.DataFrame({
            "day": np.arange(days), "campaign_id": c.campaign_id, "campaign": c.name,
            "group_id": c.group_id, "group_name": c.group_name, "impressions": impressions,
            "clicks": clicks, "cost_cents": cost, "direct_cents": direct,
            "revenue_cents": revenue, "conversions": conversions,
        }))
    return pd.concat(frames, ignore_index=True).sort_values(["day"], kind="stable",
                                                            ignore_index=True)


def _normalised(weights) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()
