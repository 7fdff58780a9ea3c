"""The end-to-end benchmark's data: a business of N shops (Tmall and Shopify, alternating) in the
demo's real export formats, at a chosen number of order lines a year.

Reuses the demo generator (``flows/demo``): the same simulation and the same writers
(Taobao 订单报表 GBK, 生意参谋 流量来源, 直通车/万相台 计划报表; Shopify orders export, sessions
report, Google Ads campaign report), one demo shop model per shop with its order rate scaled.
Layout of ``<dir>``::

    shopreport.toml, fx_rates.csv, targets.csv   the project (paths relative to the file)
    inbox/<shop_id>/…                            the history: one file per kind and month
    morning/<shop_id>/…                          the new day: one file per kind, plus one
                                                 late-refund 订单报表 touching a week-old order
    manifest.json                                dates, shops, line counts, bytes

A dataset is written once and reused while ``manifest.json`` says the same parameters.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

from flows.demo.config import (
    REPORTING_CURRENCY,
    write_config,
    write_fx_rates,
    write_targets,
)
from flows.demo.dates import DemoCalendar
from flows.demo.formats import GBK_CRLF, write_csv
from flows.demo.model import TMALL, ShopModel, shopify_us, tmall_flagship
from flows.demo.shopify import write_shopify_exports
from flows.demo.simulate import rng_for, simulate_shop
from flows.demo.tmall import ORDER_HEADER, write_tmall_exports

MORNING = date(2026, 11, 30)  # a Monday: the new day; the history ends on the Sunday before
SEED = 20261122
MANIFEST = "manifest.json"
FILES_PER_PERIOD = 3  # orders, traffic, ads: what each writer writes per period


def shop_models(shops: int, lines_per_year: int) -> list[ShopModel]:
    """``shops`` shop models, Tmall and Shopify alternating, each with an order rate that gives
    about ``lines_per_year / shops`` order lines in the year before the new day."""
    per_shop = lines_per_year / shops
    calendar = DemoCalendar.ending(MORNING, 365, 1)
    lines_per_rate = {}
    for base in (tmall_flagship(), shopify_us()):  # lines a year per unit of paid_orders_per_day
        probe = simulate_shop(dataclasses.replace(base, paid_orders_per_day=50), calendar, SEED)
        lines_per_rate[base.promotions] = len(probe.lines) / 50
    models = []
    for i in range(shops):
        base = tmall_flagship() if i % 2 == 0 else shopify_us()
        kind = "tmall" if base.promotions == TMALL else "shopify"
        shop = dataclasses.replace(base.shop, id=f"{kind}_{i:02d}", name=f"{base.shop.name} {i:02d}")
        rate = max(per_shop / lines_per_rate[base.promotions], 0.5)
        models.append(dataclasses.replace(base, shop=shop, paid_orders_per_day=rate))
    return models


def dataset_dir(out: Path, lines_per_year: int, shops: int, years: int) -> Path:
    return out / f"data-{lines_per_year}l-{shops}s-{years}y"


def ensure_dataset(out: Path, lines_per_year: int, shops: int, years: int,
                   log=print) -> tuple[Path, dict]:
    """The dataset's folder and manifest; written when missing (or written for other parameters)."""
    folder = dataset_dir(out, lines_per_year, shops, years)
    params = {"lines_per_year": lines_per_year, "shops": shops, "years": years, "seed": SEED,
              "morning": MORNING.isoformat()}
    manifest_path = folder / MANIFEST
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("params") == params:
            return folder, manifest
    shutil.rmtree(folder, ignore_errors=True)
    start = time.perf_counter()
    manifest = write_dataset(folder, params)
    log(f"  wrote {folder} in {time.perf_counter() - start:.0f}s: {manifest['order_lines']:,} order lines "
        f"({manifest['inbox_bytes'] / 2**20:.0f} MB history, {manifest['inbox_files']} files)")
    return folder, manifest


def write_dataset(folder: Path, params: dict) -> dict:
    lines_per_year, shops, years = params["lines_per_year"], params["shops"], params["years"]
    calendar = DemoCalendar.ending(MORNING, 365 * years + 1, 1)  # history + the new day
    models = shop_models(shops, lines_per_year)
    write_config(folder, [m.shop for m in models])
    currencies = sorted({m.shop.currency for m in models} - {REPORTING_CURRENCY})
    write_fx_rates(folder, calendar.dates, currencies, rng_for(SEED, "fx", "rates"))
    lite, shop_rows, order_lines = [], [], 0
    for model in models:
        sim = simulate_shop(model, calendar, SEED)
        inbox = folder / "inbox" / model.shop.id
        writer = write_tmall_exports if model.promotions == TMALL else write_shopify_exports
        written = writer(sim, inbox)
        morning = folder / "morning" / model.shop.id
        morning.mkdir(parents=True, exist_ok=True)
        for path in written[-FILES_PER_PERIOD:]:  # the new day's files come last
            path.rename(morning / path.name)
        history_lines = int((sim.orders["created_day"].to_numpy()[sim.lines["order"].to_numpy()]
                             < calendar.days - 1).sum())
        order_lines += history_lines
        shop_rows.append({"id": model.shop.id, "platform": model.shop.platform,
                          "currency": model.shop.currency, "timezone": model.shop.timezone,
                          "history_order_lines": history_lines})
        lite.append(SimpleNamespace(  # what write_targets reads; the full simulation is dropped
            calendar=sim.calendar, model=sim.model,
            orders=sim.orders[["paid", "paid_day", "total_cents"]].copy(),
            ads=sim.ads[["day", "cost_cents"]].copy()))
    write_targets(folder, lite)
    late = write_late_refund(folder / "morning" / models[0].shop.id, MORNING)
    inbox_files = sorted(p for p in (folder / "inbox").rglob("*") if p.is_file())
    manifest = {
        "params": params,
        "first_date": calendar.first.isoformat(),
        "history_last": (MORNING - timedelta(days=1)).isoformat(),
        "morning": MORNING.isoformat(),
        "shops": shop_rows,
        "order_lines": order_lines,
        "inbox_files": len(inbox_files),
        "inbox_bytes": sum(p.stat().st_size for p in inbox_files),
        "late_refund": late,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False), encoding="utf-8")
    return manifest


def write_late_refund(shop_dir: Path, day: date) -> dict:
    """A one-order 订单报表 beside the new day's: an order paid a week ago, now fully refunded
    and closed (the late refund a morning run has to date and carry into older days)."""
    daily = shop_dir / f"ExportOrderList_{day.isoformat()}.csv"
    rows = list(csv.reader(io.StringIO(daily.read_bytes().decode("gbk"), newline="")))
    header, body = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    week_ago = (day - timedelta(days=7)).isoformat()
    for row in body:
        if (row[col["订单付款时间"]].startswith(week_ago) and float(row[col["退款金额"]] or 0) == 0
                and row[col["订单状态"]] != "交易关闭"):
            break
    else:
        raise RuntimeError(f"{daily}: no order paid on {week_ago} left unrefunded")
    row = list(row)
    row[col["退款金额"]] = row[col["买家实际支付金额"]]
    row[col["订单状态"]] = "交易关闭"
    row[col["订单关闭原因"]] = "买家申请退款"
    path = write_csv(shop_dir / f"ExportOrderList_{day.isoformat()}_refund.csv", [ORDER_HEADER, row], GBK_CRLF)
    assert tuple(header) == ORDER_HEADER
    return {"file": str(path.relative_to(shop_dir.parent.parent)), "order": row[col["订单编号"]],
            "paid": row[col["订单付款时间"]], "amount": row[col["买家实际支付金额"]]}


def link_tree(source: Path, target: Path) -> None:
    """``cp -al``: the same files under another folder (hard links: instant, no bytes copied;
    the ingest deletes inbox files after loading, which only drops the link)."""
    for path in source.rglob("*"):
        dest = target / path.relative_to(source)
        if path.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
        else:
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.hardlink_to(path)


__all__ = ["MORNING", "ensure_dataset", "link_tree", "shop_models"]
