"""Business days, export periods, promotion calendars and time-zone arithmetic for the demo.

Times inside the simulation are integer epoch seconds (UTC) in numpy arrays; :data:`NEVER` marks
an event that does not happen. Business days are counted from the first demo day, in the shop's
own time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from flows.demo.model import SHOPIFY, TMALL

NEVER = np.iinfo(np.int64).max
DAY_SECONDS = 86_400
EPOCH = date(1970, 1, 1)
ORDER_LOOKBACK_DAYS = 14  # a daily order export holds the orders created in [D-14, D]


@dataclass(frozen=True)
class Period:
    """What one export file covers: business days ``first``..``last`` as of the end of ``as_of``."""

    first: date
    last: date
    as_of: date
    daily: bool  # True: a daily file; False: a monthly history file

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1


@dataclass(frozen=True)
class DemoCalendar:
    """The demo's business days, split into monthly history files and daily files."""

    first: date
    last: date
    daily_days: int

    @classmethod
    def ending(cls, end_date: date, days: int, daily_days: int) -> "DemoCalendar":
        if days < 1:
            raise ValueError(f"days must be at least 1; got {days}")
        if daily_days < 0:
            raise ValueError(f"daily_days must not be negative; got {daily_days}")
        return cls(end_date - timedelta(days=days - 1), end_date, min(daily_days, days))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    @property
    def dates(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(self.days)]

    def index(self, day: date) -> int:
        return (day - self.first).days

    @property
    def history_last(self) -> date:
        """The last day delivered in monthly history files (the day before the first daily file)."""
        return self.last - timedelta(days=self.daily_days)

    def history_periods(self) -> list[Period]:
        """One period per calendar month of history, clipped to the history range."""
        periods = []
        month_start = self.first
        while month_start <= self.history_last:
            next_month = (month_start.replace(day=1) + timedelta(days=32)).replace(day=1)
            month_last = min(next_month - timedelta(days=1), self.history_last)
            periods.append(Period(month_start, month_last, self.history_last, daily=False))
            month_start = next_month
        return periods

    def daily_periods(self) -> list[Period]:
        """One period per daily day (the last ``daily_days`` business days)."""
        return [Period(d, d, d, daily=True) for d in self.dates[self.days - self.daily_days:]]

    def order_window(self, period: Period) -> tuple[date, date]:
        """Creation dates of the orders an order export for ``period`` holds."""
        if not period.daily:
            return period.first, period.last
        return max(self.first, period.last - timedelta(days=ORDER_LOOKBACK_DAYS)), period.last


def period_rows(day_index: np.ndarray, calendar: DemoCalendar, period: Period) -> slice:
    """The rows of a table sorted by business-day index that fall in ``period``."""
    bounds = [calendar.index(period.first), calendar.index(period.last) + 1]
    lo, hi = np.searchsorted(day_index, bounds)
    return slice(int(lo), int(hi))


@dataclass(frozen=True)
class DayEffects:
    """Per business day multipliers of a promotion calendar (arrays of length ``days``)."""

    demand: np.ndarray  # paid orders
    conversion: np.ndarray  # visitor conversion (traffic = demand / conversion)
    refund: np.ndarray  # refund probability of orders paid that day
    ad_cpc: np.ndarray  # cost per click
    ad_roas: np.ndarray  # return on ad spend
    ship_delay: np.ndarray  # warehouse backlog
    cart_boost: np.ndarray  # checkouts of earlier cart additions (Tmall 购物车 source)
    peak: np.ndarray  # bool: the promotion's biggest day (different intraday curve)
    discount_day: np.ndarray  # bool: promotion discounts apply


def promotion_effects(calendar_name: str, dates: list[date]) -> DayEffects:
    """Promotion multipliers for each date: 双11/618 for Tmall, BFCM/holidays for Shopify."""
    n = len(dates)
    fx = {name: np.ones(n) for name in ("demand", "conversion", "refund", "ad_cpc", "ad_roas",
                                        "ship_delay", "cart_boost")}
    peak = np.zeros(n, dtype=bool)
    discount = np.zeros(n, dtype=bool)
    rules = {TMALL: _tmall_rules, SHOPIFY: _shopify_rules}.get(calendar_name)
    if rules is None:
        raise ValueError(f"unknown promotion calendar {calendar_name!r}")
    for i, day in enumerate(dates):
        rule = rules(day)
        if rule is None:
            continue
        for name, value in rule.items():
            if name == "peak":
                peak[i] = bool(value)
            elif name == "discount":
                discount[i] = bool(value)
            else:
                fx[name][i] = value
    return DayEffects(peak=peak, discount_day=discount, **fx)


def _tmall_rules(day: date) -> dict[str, float] | None:
    """双11 (pre-sale Nov 1–10, the day itself ~7×, a lull before) and a smaller 618."""
    m, d = day.month, day.day
    if m == 10 and d >= 20:
        return {"demand": 0.88}  # buyers wait for 双11
    if m == 11 and d == 1:
        return {"demand": 2.2, "conversion": 1.25, "refund": 1.6, "ad_cpc": 1.4, "ad_roas": 1.2,
                "cart_boost": 2.0, "discount": 1}
    if m == 11 and 2 <= d <= 10:
        return {"demand": 1.6 if d <= 3 else 1.3, "conversion": 0.95, "refund": 1.6,
                "ad_cpc": 1.3, "ad_roas": 1.1, "cart_boost": 1.3, "discount": 1}
    if m == 11 and d == 11:
        return {"demand": 7.2, "conversion": 1.12, "refund": 2.0, "ad_cpc": 1.8, "ad_roas": 1.4,
                "ship_delay": 2.5, "cart_boost": 3.0, "peak": 1, "discount": 1}
    if m == 11 and d == 12:
        return {"demand": 1.3, "refund": 1.3, "ship_delay": 2.0}
    if m == 11 and 13 <= d <= 16:
        return {"demand": 0.85}
    if m == 6 and 1 <= d <= 17:
        return {"demand": 1.15, "discount": 1}
    if m == 6 and d == 18:
        return {"demand": 2.6, "conversion": 1.1, "refund": 1.4, "ad_cpc": 1.4, "ad_roas": 1.2,
                "ship_delay": 1.5, "cart_boost": 2.0, "discount": 1}
    return None


def thanksgiving(year: int) -> date:
    """The fourth Thursday of November."""
    first = date(year, 11, 1)
    return first + timedelta(days=(3 - first.weekday()) % 7 + 21)


def _shopify_rules(day: date) -> dict[str, float] | None:
    """Black Friday / Cyber Monday (~4×), the week before, the December gift season."""
    offset = (day - thanksgiving(day.year)).days - 1  # days after Black Friday
    if -4 <= offset <= -2:  # the week before: early deals
        return {"demand": 1.15 + 0.05 * (offset + 4), "ad_cpc": 1.1}
    sale = {"refund": 1.5, "ad_cpc": 1.5, "ad_roas": 1.3, "ship_delay": 1.5, "discount": 1}
    bfcm = {
        -1: {"demand": 1.6},  # Thanksgiving
        0: {"demand": 4.2, "conversion": 1.4, "peak": 1},  # Black Friday
        1: {"demand": 2.6, "conversion": 1.2},
        2: {"demand": 2.4, "conversion": 1.2},
        3: {"demand": 4.0, "conversion": 1.4, "peak": 1},  # Cyber Monday
        4: {"demand": 1.5},
    }
    if offset in bfcm:
        return sale | bfcm[offset]
    if day.month == 12 and day.day <= 18:
        return {"demand": 1.25, "ad_cpc": 1.15}
    if day.month == 12 and 24 <= day.day <= 26:
        return {"demand": 0.7}
    return None


# ----------------------------------------------------------------------------- time zones


def local_epoch(first: date, day_index: np.ndarray, second_of_day: np.ndarray,
                tz: str) -> np.ndarray:
    """Epoch seconds of local wall-clock times (``day_index`` days after ``first``) in ``tz``.

    Times in a DST gap move forward to the first valid time; ambiguous times take the first
    (daylight-saving) reading.
    """
    base = (first - EPOCH).days
    day_start = (np.asarray(day_index, dtype=np.int64) + base) * DAY_SECONDS
    naive = day_start + np.asarray(second_of_day, dtype=np.int64)
    index = pd.DatetimeIndex(naive.astype("datetime64[s]"))
    aware = index.tz_localize(tz, ambiguous=np.ones(len(index), dtype=bool),
                              nonexistent="shift_forward")
    return aware.as_unit("s").asi8.astype(np.int64)


def local_seconds(epoch: np.ndarray, tz: str) -> np.ndarray:
    """Local wall-clock seconds since 1970-01-01 00:00 local (NEVER stays NEVER)."""
    epoch = np.asarray(epoch, dtype=np.int64)
    never = epoch == NEVER
    safe = np.where(never, 0, epoch)
    local = pd.DatetimeIndex(safe.astype("datetime64[s]")).tz_localize("UTC").tz_convert(tz)
    wall = local.tz_localize(None).as_unit("s").asi8.astype(np.int64)
    return np.where(never, NEVER, wall)


def local_day_index(epoch: np.ndarray, first: date, tz: str) -> np.ndarray:
    """The business day (days after ``first``, in ``tz``) of each time; NEVER maps to a huge
    index."""
    wall = local_seconds(epoch, tz)
    never = wall == NEVER
    days = np.where(never, 0, wall) // DAY_SECONDS - (first - EPOCH).days
    return np.where(never, np.iinfo(np.int32).max, days)


def end_of_day_epoch(day: date, tz: str) -> int:
    """The instant business day ``day`` ends in ``tz`` (local midnight of the next day)."""
    return int(local_epoch(day, np.array([1]), np.array([0]), tz)[0])


def format_local_times(epoch: np.ndarray, tz: str, with_offset: bool = False) -> np.ndarray:
    """``YYYY-MM-DD HH:MM:SS`` in ``tz`` (plus `` -0500`` when ``with_offset``); "" for NEVER."""
    epoch = np.asarray(epoch, dtype=np.int64)
    never = epoch == NEVER
    wall = local_seconds(epoch, tz)
    text = np.datetime_as_string(np.where(never, 0, wall).astype("datetime64[s]"), unit="s")
    text = np.char.replace(text, "T", " ").astype(object)
    if with_offset:
        offset_minutes = (np.where(never, 0, wall) - np.where(never, 0, epoch)) // 60
        labels = {m: f" {'+' if m >= 0 else '-'}{abs(m) // 60:02d}{abs(m) % 60:02d}"
                  for m in np.unique(offset_minutes).tolist()}
        text = text + np.array([labels[m] for m in offset_minutes.tolist()], dtype=object)
    text[never] = ""
    return text
