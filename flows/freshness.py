"""The freshness gate: have the exports each shop is expected to send for the day landed?

Plain functions over the warehouse's ``source_files`` (no build needed). A source (``orders``,
``traffic``, ``ad_spend``) has *landed* for a shop and a business date when a loaded file of
that kind covers the date (``coverage_start <= date <= coverage_end``: from the file name when
the export says, else from its rows). A shop *expects* the sources listed in its
``expected_sources``; without that key, the kinds it has had before the date.

The daily flow asks again (Prefect retries, ``report.freshness_retry_seconds`` apart) until the
cutoff, ``report.freshness_cutoff`` in ``report.timezone`` on the day after the report date. Past
the cutoff each report goes out anyway: *complete*, *partial* (marked, naming what is missing),
or, when there is too little to report (no orders), replaced by a short *data late* notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import duckdb

    from flows.settings import Settings

ALL_SHOPS = "all"
Status = Literal["complete", "partial", "late"]


@dataclass(frozen=True)
class ShopSources:
    """One shop on one business day: what it is expected to send and what has landed."""

    shop_id: str
    business_date: dt.date
    expected: tuple[str, ...]
    landed: tuple[str, ...]

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(e for e in self.expected if e not in self.landed)


@dataclass(frozen=True)
class Freshness:
    """The gate's answer for every (shop, day) the run reports on."""

    shops: tuple[ShopSources, ...]
    deadline: dt.datetime  # the cutoff: past it, reports go out with what there is
    checked_at: dt.datetime

    @property
    def complete(self) -> bool:
        return not any(s.missing for s in self.shops)

    @property
    def past_cutoff(self) -> bool:
        return self.checked_at >= self.deadline

    def for_scope(self, scope_id: str, business_date: dt.date) -> list[ShopSources]:
        return [s for s in self.shops if s.business_date == business_date
                and (scope_id == ALL_SHOPS or s.shop_id == scope_id)]

    def status(self, scope_id: str, business_date: dt.date) -> Status:
        """``late`` when no shop of the scope has its orders, ``partial`` when something else is
        missing, else ``complete``."""
        shops = self.for_scope(scope_id, business_date)
        if shops and all("orders" in s.missing for s in shops):
            return "late"
        return "partial" if any(s.missing for s in shops) else "complete"

    def missing(self, scope_id: str, business_date: dt.date) -> list[tuple[str, str]]:
        """(shop id, entity) pairs missing for the scope on the day."""
        return [(s.shop_id, e) for s in self.for_scope(scope_id, business_date) for e in s.missing]

    def summary(self) -> str:
        lines = [f"{s.shop_id} {s.business_date}: " + (f"missing {', '.join(s.missing)}" if s.missing
                                                         else "all expected sources landed")
                 + f" (expected: {', '.join(s.expected) or 'nothing yet'})" for s in self.shops]
        return "; ".join(lines)


class SourcesLate(RuntimeError):
    """Expected exports have not landed yet and the cutoff has not passed (the gate tries again)."""

    def __init__(self, freshness: Freshness):
        missing = "; ".join(f"{s.shop_id} {s.business_date}: {', '.join(s.missing)}"
                            for s in freshness.shops if s.missing)
        super().__init__(f"waiting for exports until {freshness.deadline:%Y-%m-%d %H:%M:%S %Z}: "
                         f"not landed yet: {missing}")
        self.freshness = freshness


def freshness_deadline(settings: "Settings", business_dates: Iterable[dt.date]) -> dt.datetime:
    """``report.freshness_cutoff`` (in ``report.timezone``) on the day after the latest date."""
    day = max(business_dates) + dt.timedelta(days=1)
    return dt.datetime.combine(day, settings.freshness_cutoff, tzinfo=ZoneInfo(settings.timezone))


def expected_sources(con: "duckdb.DuckDBPyConnection", settings: "Settings", shop_id: str,
                     business_date: dt.date) -> tuple[str, ...]:
    """The shop's ``expected_sources``, else every kind it has had a file for before the date."""
    configured = settings.shop(shop_id).expected_sources
    if configured is not None:
        return configured
    rows = con.execute("select distinct entity from source_files where shop_id = ? and status = 'loaded' "
                       "and coverage_start < ? order by entity", [shop_id, business_date]).fetchall()
    return tuple(r[0] for r in rows if r[0])


def landed_sources(con: "duckdb.DuckDBPyConnection", shop_id: str, business_date: dt.date) -> tuple[str, ...]:
    """The kinds of export loaded for the shop that cover the date."""
    rows = con.execute("select distinct entity from source_files where shop_id = ? and status = 'loaded' "
                       "and coverage_start <= ? and coverage_end >= ? order by entity",
                       [shop_id, business_date, business_date]).fetchall()
    return tuple(r[0] for r in rows if r[0])


def check_sources(con: "duckdb.DuckDBPyConnection | None", settings: "Settings",
                  pairs: Iterable[tuple[str, dt.date]], now: dt.datetime | None = None) -> Freshness:
    """The gate for each (shop id, business date); ``con`` None means no warehouse yet."""
    pairs = sorted(set(pairs), key=lambda p: (p[1], p[0]))
    now = now or dt.datetime.now(dt.UTC)
    shops = []
    for shop_id, day in pairs:
        if con is None:
            expected = settings.shop(shop_id).expected_sources or ()
            landed: tuple[str, ...] = ()
        else:
            expected = expected_sources(con, settings, shop_id, day)
            landed = landed_sources(con, shop_id, day)
        shops.append(ShopSources(shop_id, day, expected, landed))
    deadline = freshness_deadline(settings, [d for _, d in pairs]) if pairs else now
    return Freshness(shops=tuple(shops), deadline=deadline, checked_at=now)
