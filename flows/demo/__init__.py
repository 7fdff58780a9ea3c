"""A deterministic demo business that writes exports in the real platform formats.

:func:`generate_demo` writes, into one folder, a complete ``shopreport.toml``, an ``fx_rates.csv``
and months of exports under ``inbox/<shop_id>/`` for two shops: a Tmall flagship store (订单报表,
生意参谋 流量来源, 直通车/万相台 计划报表) and a Shopify US store (orders export, sessions report,
Google Ads campaign report). The last ``daily_days`` business days come as one file per kind per
day; the days before come as monthly history files. The output depends only on
``(end_date, days, seed)`` (and ``daily_days`` for how it is cut into files), never on the clock.
See ``docs/demo.md`` for the business and the file formats.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from flows.demo.config import REPORTING_CURRENCY, write_config, write_fx_rates, write_targets
from flows.demo.dates import DemoCalendar, end_of_day_epoch
from flows.demo.model import TMALL, demo_shops
from flows.demo.shopify import write_shopify_exports
from flows.demo.simulate import ShopSimulation, rng_for, simulate_shop
from flows.demo.tmall import write_tmall_exports

__all__ = ["DemoManifest", "ShopCounts", "generate_demo"]


@dataclass(frozen=True)
class ShopCounts:
    """What the demo generated for one shop, as of the end of the last business day."""

    orders: int  # orders created
    paid_orders: int
    unpaid_orders: int  # not (yet) paid
    refunded_orders: int  # fully or partially refunded
    order_lines: int
    buyers: int
    files: int  # export files written for the shop


@dataclass(frozen=True)
class DemoManifest:
    """What :func:`generate_demo` wrote."""

    config_path: Path
    files: tuple[Path, ...]  # every file written, the configuration and fx rates included
    first_date: date  # first business date
    last_date: date  # last business date (the end date)
    shops: dict[str, ShopCounts] = field(default_factory=dict)


def generate_demo(target_dir: Path, end_date: date, days: int = 430, seed: int = 20261122,
                  daily_days: int = 14,
                  progress: Callable[[str], None] | None = None) -> DemoManifest:
    """Write the demo business's configuration, fx rates, targets and exports into ``target_dir``.

    Business dates run from ``end_date - days + 1`` to ``end_date``, in each shop's time zone.
    Files are overwritten; nothing else in ``target_dir`` is touched.
    """
    report = progress or (lambda message: None)
    target_dir = Path(target_dir)
    calendar = DemoCalendar.ending(end_date, days, daily_days)
    models = demo_shops()

    config_path = write_config(target_dir, [m.shop for m in models])
    currencies = sorted({m.shop.currency for m in models} - {REPORTING_CURRENCY})
    fx_path = write_fx_rates(target_dir, calendar.dates, currencies, rng_for(seed, "fx", "rates"))
    files = [config_path, fx_path]
    report(f"demo: wrote {config_path.name} and {fx_path.name} "
           f"({calendar.first.isoformat()} to {calendar.last.isoformat()})")

    counts = {}
    sims = []
    for model in models:
        sim = simulate_shop(model, calendar, seed)
        report(f"demo: simulated {model.shop.id}: {len(sim.orders):,} orders")
        shop_files = _write_exports(sim, target_dir / "inbox" / model.shop.id)
        report(f"demo: wrote {len(shop_files)} files to inbox/{model.shop.id}/")
        files.extend(shop_files)
        counts[model.shop.id] = _counts(sim, len(shop_files))
        sims.append(sim)
    files.append(write_targets(target_dir, sims))

    return DemoManifest(config_path=config_path, files=tuple(files), first_date=calendar.first,
                        last_date=calendar.last, shops=counts)


def _write_exports(sim: ShopSimulation, shop_dir: Path) -> list[Path]:
    writer = write_tmall_exports if sim.model.promotions == TMALL else write_shopify_exports
    return writer(sim, shop_dir)


def _counts(sim: ShopSimulation, files: int) -> ShopCounts:
    orders = sim.orders
    end = end_of_day_epoch(sim.calendar.last, sim.tz)
    paid = orders["paid"] < end
    return ShopCounts(
        orders=len(orders),
        paid_orders=int(paid.sum()),
        unpaid_orders=int((~paid).sum()),
        refunded_orders=int((orders["refunded"] < end).sum()),
        order_lines=len(sim.lines),
        buyers=int(orders["buyer"].nunique()),
        files=files,
    )

