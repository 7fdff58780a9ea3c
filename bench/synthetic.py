"""Large synthetic exports in the real layouts, for the ingest benchmark and its tests.

The headers are the demo's (``flows/demo/tmall.py``, ``flows/demo/shopify.py``); the cells are
what the real exports hold: Excel-guarded order numbers (``="3856…"``), GBK text, CRLF, product
titles with commas (quoted), a few quoted line breaks, empty paid times for unpaid orders, a
sprinkle of bad cells (so rejects are part of the work) and, for Shopify, continuation rows of
multi-item orders.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from flows.demo.shopify import ORDER_HEADER as SHOPIFY_HEADER
from flows.demo.tmall import ORDER_HEADER as TAOBAO_HEADER

_STATUSES = ("交易成功", "卖家已发货，等待买家确认", "买家已付款，等待卖家发货", "交易关闭", "等待买家付款")
_TITLES = ("羊毛围巾 秋冬款", "保温杯 500ml", "羊绒手套, 加厚", "真丝枕套 2只装", "儿童雨靴\n防滑")
_FINANCIAL = ("paid", "partially_refunded", "refunded", "pending", "authorized")
_PRODUCTS = ("Blue Mug", "Tea Towel", "Coaster, set of 4", "House Blend 250g", "Linen Apron")


def _times(rng: np.random.Generator, n: int, start: str) -> np.ndarray:
    base = np.datetime64(start, "s")
    return (base + rng.integers(0, 30 * 86400, n).astype("timedelta64[s]")).astype(str)


def taobao_rows(n: int, seed: int = 1) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    created = _times(rng, n, "2026-11-01T00:00:00")
    status = rng.integers(0, len(_STATUSES), n)
    paid = rng.integers(100, 200_000, n) / 100
    refund = np.where(status == 3, paid, 0.0)
    bad = rng.random(n) < 0.001  # one row in a thousand carries a bad cell
    rows = []
    width = len(TAOBAO_HEADER)
    for i in range(n):
        row = [""] * width
        row[0] = f'="{3856201234567890123 + i}"'
        row[1] = f"tb_buyer{i % 50_000}"
        row[2] = "138****0000"
        row[3] = f"{paid[i]:.2f}"
        row[4] = "0.00"
        row[6] = row[3]
        row[8] = "N/A" if bad[i] and i % 3 == 0 else f"{paid[i]:.2f}"
        row[10] = _STATUSES[status[i]]
        row[12] = "张*"
        row[13] = "浙江省 杭州市 测试路1号"
        row[16] = "138****1234"
        row[17] = created[i].replace("T", " ") if not (bad[i] and i % 3 == 1) else "2026-13-45 10:00:00"
        row[18] = "" if status[i] == 4 else row[17]
        row[19] = _TITLES[i % len(_TITLES)]
        row[20] = "1"
        row[24] = str(1 + i % 3) if not (bad[i] and i % 3 == 2) else "1.5"
        row[27] = "买家申请退款" if status[i] == 3 else ""
        row[38] = f"{refund[i]:.2f}"
        rows.append(row)
    return rows


def shopify_rows(n: int, seed: int = 2) -> list[list[str]]:
    rng = np.random.default_rng(seed)
    created = _times(rng, n, "2026-11-01T00:00:00")
    fin = rng.integers(0, len(_FINANCIAL), n)
    price = rng.integers(100, 20_000, n) / 100
    qty = rng.integers(1, 4, n)
    bad = rng.random(n) < 0.001
    rows = []
    width = len(SHOPIFY_HEADER)
    order = 1000
    for i in range(n):
        row = [""] * width
        first = i == 0 or i % 3 != 1  # every third order has a second item (continuation row)
        if first:
            order += 1
        row[0] = f"#{order}"
        row[16] = str(qty[i]) if not (bad[i] and i % 2 == 0) else "two"
        row[17] = _PRODUCTS[i % len(_PRODUCTS)]
        row[18] = f"{price[i]:.2f}"
        row[20] = f"SKU-{i % 997:04d}"
        if first:
            row[1] = f"buyer{order % 40_000}@example.com"
            row[2] = _FINANCIAL[fin[i]]
            row[3] = "" if fin[i] >= 3 else f"{created[i].replace('T', ' ')} -0500"
            row[4] = "fulfilled"
            row[7] = "USD"
            row[8] = row[11] = f"{price[i] * qty[i]:.2f}"
            row[9] = row[10] = "0.00"
            row[15] = f"{created[i].replace('T', ' ')} -0500" if not (bad[i] and i % 2) else "yesterday"
            row[24] = row[34] = "Ann Example"
            row[33] = "+1 555 0100"
            row[49] = f"{price[i] * qty[i]:.2f}" if fin[i] == 2 else "0.00"
            row[55] = str(5123456789012 + i)
        rows.append(row)
    return rows


def write_rows(path: Path, header: tuple[str, ...], rows: list[list[str]], encoding: str,
               line_ending: str) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=line_ending)
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def write_taobao(path: Path, n: int) -> Path:
    """A 订单报表 as Taobao serves it: GBK, CRLF, ``="…"`` order numbers."""
    return write_rows(path, TAOBAO_HEADER, taobao_rows(n), "gbk", "\r\n")


def write_shopify(path: Path, n: int) -> Path:
    """A Shopify orders export: UTF-8, LF, one row per line item."""
    return write_rows(path, SHOPIFY_HEADER, shopify_rows(n), "utf-8", "\n")
