"""Tmall exports of the demo shop: 订单报表 (GBK), 生意参谋 流量来源 and the 直通车/万相台 plan report.

Personal data is fake and obviously so: member names like ``tb_8f3k2x``, masked phone numbers,
addresses on 示例路 in 演示小区.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from flows.demo.dates import DemoCalendar, Period, end_of_day_epoch, format_local_times, period_rows
from flows.demo.formats import (GBK_CRLF, UTF8_BOM_CRLF, RowLayout, count_grouped, money,
                                money_grouped, percent, write_csv)
from flows.demo.simulate import FULL_REFUND, ShopSimulation

ORDER_HEADER = (
    "订单编号", "买家会员名", "买家支付宝账号", "买家应付货款", "买家应付邮费", "买家支付积分", "总金额",
    "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言", "收货人姓名", "收货地址",
    "运送方式", "联系电话", "联系手机", "订单创建时间", "订单付款时间", "宝贝标题", "宝贝种类", "物流单号",
    "物流公司", "订单备注", "宝贝总数量", "分销商Id", "分销商店铺名称", "订单关闭原因", "卖家服务费",
    "买家服务费", "发票抬头", "定金排名", "修改后的sku", "修改后的收货地址", "异常信息", "卡券抵扣",
    "积分抵扣", "是否是O2O交易", "退款金额",
)
TRAFFIC_HEADER = ("统计日期", "流量来源", "来源明细", "访客数", "浏览量", "加购人数", "收藏人数",
                  "下单买家数", "支付买家数", "支付金额", "支付转化率", "跳失率")
PLAN_HEADER = ("日期", "场景ID", "场景名字", "计划ID", "计划名字", "展现量", "点击量", "花费",
               "直接成交金额", "间接成交金额", "总成交金额")

WAITING_PAYMENT = "等待买家付款"
WAITING_SHIPMENT = "买家已付款，等待卖家发货"
SHIPPED = "卖家已发货，等待买家确认"
COMPLETED = "交易成功"
CLOSED = "交易关闭"
UNPAID_REASON = "买家未付款"

CARRIERS = (("中通快递", "7"), ("圆通速递", "YT"), ("韵达快递", "43"), ("顺丰速运", "SF"))
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
PHONE_PREFIXES = ("138", "139", "137", "136", "135", "158", "159", "186", "187", "188", "152", "177")
BUYER_MESSAGES = ("请尽快发货", "麻烦包装好一点", "送人的，不要放价格单", "周末在家，工作日请放驿站")


# The order-export columns that change between snapshots of the same order.
CHANGING_COLUMNS = ("买家实际支付金额", "订单状态", "订单付款时间", "物流单号", "物流公司", "订单关闭原因",
                    "退款金额")


@dataclass(frozen=True)
class OrderText:
    """Every order's export text: the fixed cells joined once (``layout``) and the formatted
    values the changing cells show once they have happened (object arrays, one entry per order)."""

    layout: RowLayout
    paid: np.ndarray
    paid_at: np.ndarray
    tracking: np.ndarray
    carrier: np.ndarray
    refund: np.ndarray


def write_tmall_exports(sim: ShopSimulation, shop_dir: Path) -> list[Path]:
    """Write every Tmall export of the demo: monthly history files, then one per daily day."""
    calendar = sim.calendar
    text = order_text(sim)
    written = []
    for period in calendar.history_periods() + calendar.daily_periods():
        if period.daily:
            day = period.last.isoformat()
            names = (f"ExportOrderList_{day}.csv", f"【生意参谋平台】流量来源_{day}_{day}.csv",
                     f"计划报表_{(period.last + timedelta(days=1)):%Y%m%d}_073000.csv")
        else:
            span = f"{period.first.isoformat()}_{period.last.isoformat()}"
            names = (f"ExportOrderList_{span}.csv", f"【生意参谋平台】流量来源_{span}.csv",
                     f"计划报表_{period.first:%Y%m%d}-{period.last:%Y%m%d}.csv")
        written.append(write_csv(shop_dir / names[0], [ORDER_HEADER], GBK_CRLF,
                                 lines=order_lines(sim, text, period)))
        written.append(write_csv(shop_dir / names[1], traffic_rows(sim, period), UTF8_BOM_CRLF))
        written.append(write_csv(shop_dir / names[2], plan_rows(sim, period), UTF8_BOM_CRLF))
    return written


# ----------------------------------------------------------------------------- 订单报表


def order_text(sim: ShopSimulation) -> OrderText:
    """Format the cells that do not depend on the export time, once for all snapshots."""
    orders, lines, model = sim.orders, sim.lines, sim.model
    rng = sim.rng("tmall_text")
    n = len(orders)
    n_buyers = len(sim.buyer_region)
    ids = 3_856_000_000_000_000_000 + np.cumsum(rng.integers(10**8, 10**10, n))
    phones = np.array([f"{p}****{d:04d}" for p, d in zip(
        rng.choice(PHONE_PREFIXES, n_buyers).tolist(), rng.integers(0, 10_000, n_buyers).tolist())],
        dtype=object)
    receivers = np.array([f"{s}**" for s in rng.choice(list(SURNAMES), n_buyers).tolist()],
                         dtype=object)
    regions = [f"{r.province} {r.city} {r.district}" for r in model.regions]
    road, block, unit, floor = (rng.integers(1, high, n_buyers).tolist()
                                for high in (300, 31, 7, 29))
    addresses = np.array([
        f"{regions[r]} 示例路{a}号 演示小区{b}幢{c}单元{d:02d}01室"
        for r, a, b, c, d in zip(sim.buyer_region.tolist(), road, block, unit, floor)],
        dtype=object)
    buyer = orders["buyer"].to_numpy()
    first_product = lines["product"].to_numpy()[orders["first_line"].to_numpy()]
    titles = np.array([p.title for p in model.products], dtype=object)
    carrier = rng.integers(0, len(CARRIERS), n)
    tracking_digits = rng.integers(10**11, 10**12, n)
    messages = np.where(rng.random(n) < 0.03,
                        rng.choice(np.array(BUYER_MESSAGES, dtype=object), n), "").astype(object)
    goods = orders["goods_cents"].to_numpy()
    shipping = orders["shipping_cents"].to_numpy()
    fixed = {
        "订单编号": np.array([f'="{i}"' for i in ids.tolist()], dtype=object),
        "买家会员名": member_names(n_buyers, sim.seed)[buyer],
        "买家支付宝账号": phones[buyer],
        "买家应付货款": money(goods),
        "买家应付邮费": money(shipping),
        "买家支付积分": "0",
        "总金额": money(goods + shipping),
        "返点积分": "0",
        "买家实际支付积分": "0",
        "买家留言": messages,
        "收货人姓名": receivers[buyer],
        "收货地址": addresses[buyer],
        "运送方式": "快递",
        "联系电话": "",
        "联系手机": phones[buyer],
        "订单创建时间": format_local_times(orders["created"].to_numpy(), sim.tz),
        "宝贝标题": titles[first_product],
        "宝贝种类": "1",
        "订单备注": "",
        "宝贝总数量": np.array([str(q) for q in orders["quantity"].tolist()], dtype=object),
        "分销商Id": "",
        "分销商店铺名称": "",
        "卖家服务费": "0.00",
        "买家服务费": "0.00",
        "发票抬头": "",
        "定金排名": "",
        "修改后的sku": "",
        "修改后的收货地址": "",
        "异常信息": "",
        "卡券抵扣": money(orders["discount_cents"]),
        "积分抵扣": "0.00",
        "是否是O2O交易": "",
    }
    return OrderText(
        layout=RowLayout.build(ORDER_HEADER, fixed),
        paid=money(orders["total_cents"]),
        paid_at=format_local_times(orders["paid"].to_numpy(), sim.tz),
        tracking=np.array([f"{CARRIERS[c][1]}{t}" for c, t in zip(carrier.tolist(),
                                                                  tracking_digits.tolist())],
                          dtype=object),
        carrier=np.array([CARRIERS[c][0] for c in carrier.tolist()], dtype=object),
        refund=money(orders["refund_cents"]),
    )


def member_names(n_buyers: int, seed: int) -> np.ndarray:
    """Stable fake Taobao member names such as ``tb_8f3k2x``, a different one for every buyer."""
    alphabet = np.array(list("0123456789abcdefghijklmnopqrstuvwxyz"), dtype=object)
    # 1_000_003 is coprime to 36**6, so buyer -> value is one-to-one: no two buyers share a name
    value = (np.arange(n_buyers, dtype=np.int64) * 1_000_003 + seed) % 36**6
    names = np.full(n_buyers, "tb_", dtype=object)
    for _ in range(6):
        value, digit = np.divmod(value, 36)
        names = names + alphabet[digit]
    return names


def order_lines(sim: ShopSimulation, text: OrderText, period: Period) -> list[str]:
    """The order export's data lines for ``period``: its orders newest first, as of its end."""
    idx = _orders_created_in(sim, *sim.calendar.order_window(period))[::-1]
    at = end_of_day_epoch(period.as_of, sim.tz)
    o = sim.orders
    paid = o["paid"].to_numpy()[idx] < at
    unpaid_closed = o["unpaid_closed"].to_numpy()[idx] < at
    refunded = o["refunded"].to_numpy()[idx] < at
    full = refunded & (o["refund_kind"].to_numpy()[idx] == FULL_REFUND)
    shipped = o["shipped"].to_numpy()[idx] < at
    completed = o["completed"].to_numpy()[idx] < at
    status = np.select(
        [~paid & unpaid_closed, ~paid, full, completed, shipped],
        [CLOSED, WAITING_PAYMENT, CLOSED, COMPLETED, SHIPPED], WAITING_SHIPMENT)
    reason = np.select([~paid & unpaid_closed, full],
                       [UNPAID_REASON, o["refund_reason"].to_numpy()[idx]], "")
    return text.layout.lines(idx, {
        "买家实际支付金额": np.where(paid, text.paid[idx], "0.00"),
        "订单状态": status,
        "订单付款时间": np.where(paid, text.paid_at[idx], ""),
        "物流单号": np.where(shipped, text.tracking[idx], ""),
        "物流公司": np.where(shipped, text.carrier[idx], ""),
        "订单关闭原因": reason,
        "退款金额": np.where(refunded, text.refund[idx], "0.00"),
    })


def _orders_created_in(sim: ShopSimulation, first: date, last: date) -> np.ndarray:
    window = Period(first, last, last, daily=False)
    rows = period_rows(sim.orders["created_day"].to_numpy(), sim.calendar, window)
    return np.arange(rows.start, rows.stop)


# ----------------------------------------------------------------------------- 生意参谋


def traffic_rows(sim: ShopSimulation, period: Period):
    """生意参谋 流量来源 for ``period``: two title lines, the header, one row per day and source."""
    calendar: DemoCalendar = sim.calendar
    yield (f"生意参谋 流量来源 店铺：{sim.model.shop.name}",)
    yield (f"统计日期：{period.first.isoformat()} ~ {period.last.isoformat()}",)
    yield TRAFFIC_HEADER
    rows = sim.traffic.iloc[period_rows(sim.traffic["day"].to_numpy(), calendar, period)]
    dates = [(calendar.first + timedelta(days=int(d))).isoformat() for d in rows["day"].tolist()]
    yield from zip(
        dates, rows["source"], ["-"] * len(rows),
        count_grouped(rows["visitors"]), count_grouped(rows["page_views"]),
        count_grouped(rows["add_to_cart_users"]), count_grouped(rows["favorite_users"]),
        count_grouped(rows["order_buyers"]), count_grouped(rows["paying_buyers"]),
        money_grouped(rows["paid_cents"]), percent(rows["paying_buyers"], rows["visitors"]),
        [f"{b * 100:.2f}%" for b in rows["bounce_rate"].tolist()],
    )


# ----------------------------------------------------------------------------- 计划报表


def plan_rows(sim: ShopSimulation, period: Period):
    """直通车/万相台 计划报表 for ``period``: one row per day and plan."""
    calendar = sim.calendar
    yield PLAN_HEADER
    rows = sim.ads.iloc[period_rows(sim.ads["day"].to_numpy(), calendar, period)]
    dates = [(calendar.first + timedelta(days=int(d))).isoformat() for d in rows["day"].tolist()]
    indirect = rows["revenue_cents"] - rows["direct_cents"]
    yield from zip(
        dates, rows["group_id"], rows["group_name"], rows["campaign_id"], rows["campaign"],
        rows["impressions"].astype(str), rows["clicks"].astype(str), money(rows["cost_cents"]),
        money(rows["direct_cents"]), money(indirect), money(rows["revenue_cents"]),
    )
