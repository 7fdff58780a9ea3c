"""An independent reference for the warehouse's daily numbers, computed with pandas only.

The demo business is generated, its ``inbox/`` is copied to ``exports/`` before ingest (ingest
moves files out of the inbox), then a real daily flow run loads and builds the warehouse (the
shared ``daily_demo`` of tests/conftest.py).
The reference below reads the copied export files directly and applies the rules of
``docs/metrics.md`` (snapshots, refund dating, order-level allocation) on its own: nothing from
``flows.ingest``, ``flows.warehouse`` or ``transforms/`` is used to compute it.

Money is handled as integer cents parsed exactly from the export text, so comparisons are exact.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

TMALL, SHOPIFY = "tmall_flagship", "shopify_us"
SHOP_TZ = {TMALL: "Asia/Shanghai", SHOPIFY: "America/New_York"}

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


# --------------------------------------------------------------------------------------------
# value parsing (exact)
# --------------------------------------------------------------------------------------------

def cents(text) -> int | None:
    """``'1,234.50'``, ``'$12.00'``, ``' --'`` → 123450, 1200, None (exact; more than 2 decimals fails)."""
    if text is None or (isinstance(text, float) and pd.isna(text)):
        return None
    s = str(text).strip().replace("$", "").replace(",", "").replace("¥", "")
    if s in ("", "-", "--"):
        return None
    value = Decimal(s) * 100
    if value != value.to_integral_value():
        raise ValueError(f"not a money amount to the cent: {text!r}")
    return int(value)


def integer(text) -> int | None:
    s = str(text).strip().replace(",", "")
    return None if s in ("", "-", "--") else int(s)


def _map_unique(values: pd.Series, parse) -> pd.Series:
    """Apply ``parse`` once per distinct text (exports repeat the same amounts a lot)."""
    values = values.astype(object)
    table = {v: parse(v) for v in pd.unique(values)}
    return values.map(table)


def money_series(values: pd.Series) -> pd.Series:
    """Column of export text → nullable Int64 cents (same index)."""
    return _map_unique(values, cents).astype("Int64")


def name_coverage_end(file_name: str) -> date:
    """The last ISO date (YYYY-MM-DD) in a file name."""
    found = _ISO_DATE.findall(file_name)
    if not found:
        raise ValueError(f"no YYYY-MM-DD in {file_name!r}")
    y, m, d = found[-1]
    return date(int(y), int(m), int(d))


def local_timestamps(times: pd.Series, tz: str) -> pd.Series:
    """Export time text → tz-aware timestamps in ``tz`` (NaT when empty). A time with an offset
    (``2026-11-22 23:15:19 -0500``) is converted; a naive one is read as ``tz`` local time."""
    text = times.astype(str).str.strip()
    present = text != ""
    with_offset = present & text.str.contains(r" [+-]\d{4}$", regex=True)
    naive = present & ~with_offset
    parts = []
    if with_offset.any():
        parts.append(pd.to_datetime(text[with_offset], format="%Y-%m-%d %H:%M:%S %z", utc=True)
                     .dt.tz_convert(tz).dt.as_unit("s"))
    if naive.any():
        parts.append(pd.to_datetime(text[naive], format="%Y-%m-%d %H:%M:%S")
                     .dt.tz_localize(tz).dt.as_unit("s"))
    empty = pd.Series(pd.NaT, index=text.index[~present], dtype=f"datetime64[s, {tz}]")
    return pd.concat([*parts, empty]).reindex(text.index)


def business_date(timestamps: pd.Series) -> pd.Series:
    """Local timestamps → ``datetime.date`` (None when NaT)."""
    return pd.Series(timestamps.dt.date, index=timestamps.index).where(timestamps.notna(), None)


def _read_csv(path: Path, encoding: str, skip: int = 0, columns=None) -> pd.DataFrame:
    return pd.read_csv(path, encoding=encoding, dtype=str, keep_default_na=False, skiprows=skip,
                       usecols=columns)


def _files(shop_dir: Path, prefix: str):
    """(load order, path) of the shop's files whose name starts with ``prefix``. Load order is the
    position in the folder sorted by file name, as ingest walks an inbox folder."""
    for load_no, path in enumerate(sorted(p for p in shop_dir.iterdir() if p.is_file())):
        if path.name.startswith(prefix):
            yield load_no, path


def _read_all(shop_dir: Path, prefix: str, encoding: str, columns: list[str], skip: int = 0) -> pd.DataFrame:
    frames = []
    for load_no, path in _files(shop_dir, prefix):
        df = _read_csv(path, encoding, skip=skip, columns=columns)
        df["file_name"] = path.name
        df["load_no"] = load_no
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


# --------------------------------------------------------------------------------------------
# order exports → one row per (file, line)
# --------------------------------------------------------------------------------------------

def _tmall_orders(shop_dir: Path) -> pd.DataFrame:
    df = _read_all(shop_dir, "ExportOrderList_", "gbk",
                   ["订单编号", "买家会员名", "订单创建时间", "订单付款时间", "买家实际支付金额", "退款金额"])
    tz = SHOP_TZ[TMALL]
    order_id = df["订单编号"].str.strip()
    guarded = order_id.str.startswith('="') & order_id.str.endswith('"')  # Excel guard ="3856…"
    order_id = order_id.where(~guarded, order_id.str.slice(2, -1))
    paid_at = local_timestamps(df["订单付款时间"], tz)
    buyer = df["买家会员名"].str.strip()
    return pd.DataFrame({
        "file_name": df["file_name"],
        "load_no": df["load_no"],
        "order_id": order_id,
        "line_no": 1,  # 订单报表: one row per order
        "buyer": buyer.where(buyer != "", None),
        "created_date": business_date(local_timestamps(df["订单创建时间"], tz)),
        "paid_date": business_date(paid_at),
        "paid_cents": money_series(df["买家实际支付金额"]),
        "refund_cents": money_series(df["退款金额"]).fillna(0),
        # 订单报表 has no shipped/closed/completed time: the latest known event is the payment
        "last_event_date": business_date(paid_at),
    })


def _allocate(order_key: list[pd.Series], weight: pd.Series, order_total: pd.Series) -> pd.Series:
    """Split ``order_total`` (cents) over the order's lines by ``weight``: each line's share rounded
    half-up to the cent, the remainder on the order's last line (rows are in file order)."""
    total = order_total.fillna(0).astype("int64")
    w = weight.astype("int64")
    ws = w.groupby(order_key, sort=False).transform("sum")
    # round half up of total * w / ws, in exact integer arithmetic (amounts are non-negative)
    share = (2 * total * w + ws) // (2 * ws).where(ws != 0, 1)
    share = share.where(ws != 0, 0)
    keys = pd.concat(order_key, axis=1)
    is_last = ~keys.duplicated(keep="last")
    before_last = share.where(~is_last, 0).groupby(order_key, sort=False).transform("sum")
    share = share.where(~is_last, total - before_last)
    return share.astype("Int64").where(order_total.notna(), None)


def _shopify_orders(shop_dir: Path) -> pd.DataFrame:
    order_level = ["Email", "Paid at", "Fulfilled at", "Cancelled at", "Total", "Refunded Amount"]
    df = _read_all(shop_dir, "orders_export_", "utf-8",
                   ["Name", "Created at", "Lineitem price", "Lineitem quantity", *order_level])
    tz = SHOP_TZ[SHOPIFY]
    name = df["Name"].str.strip()
    order_key = [df["load_no"], name]  # an order within one file
    # order-level fields sit on the order's first row only: every line takes the first row's value
    lvl = df[order_level].groupby(order_key, sort=False).transform("first")

    weight = money_series(df["Lineitem price"]).astype("int64") * \
        _map_unique(df["Lineitem quantity"], integer).astype("int64")
    total = pd.Series(money_series(lvl["Total"]), index=df.index)
    refunded = pd.Series(money_series(lvl["Refunded Amount"]), index=df.index).fillna(0)

    paid_at = local_timestamps(lvl["Paid at"], tz)
    events = pd.concat([paid_at, local_timestamps(lvl["Fulfilled at"], tz),
                        local_timestamps(lvl["Cancelled at"], tz)], axis=1)
    email = lvl["Email"].str.strip()
    return pd.DataFrame({
        "file_name": df["file_name"],
        "load_no": df["load_no"],
        "order_id": name,
        "line_no": name.groupby(order_key, sort=False).cumcount() + 1,  # ordinal within the order
        "buyer": email.where(email != "", None),
        "created_date": business_date(local_timestamps(df["Created at"], tz)),
        "paid_date": business_date(paid_at),
        "paid_cents": _allocate(order_key, weight, total),
        "refund_cents": _allocate(order_key, weight, refunded).fillna(0),
        "last_event_date": business_date(events.max(axis=1)),  # max of Paid, Fulfilled, Cancelled at
    })


ORDER_READERS = {TMALL: _tmall_orders, SHOPIFY: _shopify_orders}


def order_snapshots(shop_dir: Path, shop_id: str) -> pd.DataFrame:
    """Every order line of every order export of the shop, sorted by line then snapshot order:
    coverage end (the last date in the file name), then load order (sorted file name)."""
    snaps = ORDER_READERS[shop_id](shop_dir)
    snaps["coverage_end"] = snaps["file_name"].map({f: name_coverage_end(f) for f in snaps["file_name"].unique()})
    return snaps.sort_values(["order_id", "line_no", "coverage_end", "load_no"], kind="stable",
                             ignore_index=True)


def refund_events(snaps: pd.DataFrame) -> pd.DataFrame:
    """Refund events per line: increases of the refunded amount between consecutive snapshots.

    Rule 2: first shown in a later snapshot than the line's first → that snapshot's coverage end.
    Rule 3: already refunded in the line's first snapshot → the line's latest known event time.
    (No export here carries a refund time, so rule 1 never applies.)
    """
    key = [snaps["order_id"], snaps["line_no"]]
    refund = snaps["refund_cents"].astype("int64")
    prev = refund.groupby(key, sort=False).shift(1)
    is_first = prev.isna()
    increase = refund - prev.fillna(0).astype("int64")
    up = increase > 0
    ev = snaps.loc[up, ["order_id", "line_no", "coverage_end", "last_event_date", "file_name"]].copy()
    ev["amount_cents"] = increase[up]
    first = is_first[up]
    ev["rule"] = first.map({True: 3, False: 2})
    ev["refund_date"] = ev["coverage_end"].where(~first, ev["last_event_date"])
    return ev


def latest_lines(snaps: pd.DataFrame) -> pd.DataFrame:
    """The latest snapshot of every line (``snaps`` is sorted by line, then snapshot order)."""
    return snaps.drop_duplicates(["order_id", "line_no"], keep="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# traffic and ads → one row per business date
# --------------------------------------------------------------------------------------------

def _dedupe_latest(rows: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """A key seen in several files is taken from the file with the latest coverage end (the
    latest date in the file's rows), then the latest in load order."""
    rows = rows.copy()
    rows["coverage_end"] = rows.groupby("load_no")["business_date"].transform("max")
    rows = rows.sort_values(["coverage_end", "load_no"], kind="stable")
    return rows.drop_duplicates(key, keep="last")


def _dates(text: pd.Series) -> pd.Series:
    return pd.to_datetime(text.str.strip(), format="%Y-%m-%d").dt.date


def tmall_traffic(shop_dir: Path) -> pd.Series:
    """生意参谋 流量来源: 访客数 summed over the sources of the day."""
    df = _read_all(shop_dir, "【生意参谋平台】流量来源", "utf-8-sig", ["统计日期", "流量来源", "来源明细", "访客数"],
                   skip=2)  # two title lines above the header
    rows = pd.DataFrame({
        "business_date": _dates(df["统计日期"]),
        "source": df["流量来源"].str.strip() + "|" + df["来源明细"].str.strip(),
        "visitors": _map_unique(df["访客数"], integer).astype("int64"),
        "load_no": df["load_no"],
    })
    return _dedupe_latest(rows, ["business_date", "source"]).groupby("business_date")["visitors"].sum()


def shopify_traffic(shop_dir: Path) -> pd.Series:
    """Shopify sessions over time: Online store visitors of the day."""
    df = _read_all(shop_dir, "sessions_over_time_", "utf-8", ["Day", "Online store visitors"])
    rows = pd.DataFrame({
        "business_date": _dates(df["Day"]),
        "visitors": _map_unique(df["Online store visitors"], integer).astype("int64"),
        "load_no": df["load_no"],
    })
    return _dedupe_latest(rows, ["business_date"]).groupby("business_date")["visitors"].sum()


def tmall_ads(shop_dir: Path) -> pd.DataFrame:
    """直通车/万相台 计划报表: 花费 and 总成交金额 summed over the plans of the day."""
    df = _read_all(shop_dir, "计划报表_", "utf-8-sig", ["日期", "计划ID", "花费", "总成交金额"])
    rows = pd.DataFrame({
        "business_date": _dates(df["日期"]),
        "campaign": df["计划ID"].str.strip(),
        "cost": money_series(df["花费"]),
        "revenue": money_series(df["总成交金额"]),
        "load_no": df["load_no"],
    })
    return _dedupe_latest(rows, ["business_date", "campaign"]).groupby("business_date")[["cost", "revenue"]].sum()


def shopify_ads(shop_dir: Path) -> pd.DataFrame:
    """Google Ads campaign report: Cost and Conv. value summed over the campaigns of the day."""
    df = _read_all(shop_dir, "Campaign_report_", "utf-8", ["Day", "Campaign", "Cost", "Conv. value"],
                   skip=2)  # "Campaign report" and the quoted date range above the header
    df = df[~df["Day"].str.strip().str.startswith("Total:")]  # summaries, not data
    rows = pd.DataFrame({
        "business_date": _dates(df["Day"]),
        "campaign": df["Campaign"].str.strip(),
        "cost": money_series(df["Cost"]),
        "revenue": money_series(df["Conv. value"]),  # ' --' (no clicks) is empty
        "load_no": df["load_no"],
    })
    return _dedupe_latest(rows, ["business_date", "campaign"]).groupby("business_date")[["cost", "revenue"]].sum()


# --------------------------------------------------------------------------------------------
# the reference per shop and business day
# --------------------------------------------------------------------------------------------

@dataclass
class ShopReference:
    daily: pd.DataFrame  # index business_date; gmv/refund_amount/ad_cost/attributed_revenue in cents
    lines: pd.DataFrame  # latest snapshot per line
    snapshots: pd.DataFrame
    refunds: pd.DataFrame  # refund events


def shop_reference(shop_dir: Path, shop_id: str) -> ShopReference:
    snaps = order_snapshots(shop_dir, shop_id)
    lines = latest_lines(snaps)
    events = refund_events(snaps)

    paid = lines[lines["paid_date"].notna()].copy()
    # a line without a buyer id counts as its own order's buyer
    paid["buyer_id"] = ("buyer:" + paid["buyer"]).where(paid["buyer"].notna(), "order:" + paid["order_id"])
    sales = paid.groupby("paid_date").agg(gmv=("paid_cents", "sum"), paying_buyers=("buyer_id", "nunique"))
    refunds = events.groupby("refund_date")["amount_cents"].sum().rename("refund_amount")

    if shop_id == TMALL:
        visitors, ads = tmall_traffic(shop_dir), tmall_ads(shop_dir)
    else:
        visitors, ads = shopify_traffic(shop_dir), shopify_ads(shop_dir)

    all_dates = [*lines["created_date"].dropna(), *sales.index, *refunds.index, *visitors.index, *ads.index]
    spine = pd.Index([d.date() for d in pd.date_range(min(all_dates), max(all_dates), freq="D")],
                     name="business_date")
    daily = pd.DataFrame(index=spine)
    daily["gmv"] = sales["gmv"].reindex(spine).fillna(0).astype("int64")
    daily["paying_buyers"] = sales["paying_buyers"].reindex(spine).fillna(0).astype("int64")
    daily["refund_amount"] = refunds.reindex(spine).fillna(0).astype("int64")
    daily["ad_cost"] = ads["cost"].reindex(spine).fillna(0).astype("int64")
    daily["attributed_revenue"] = ads["revenue"].reindex(spine).fillna(0).astype("int64")
    daily["visitors"] = visitors.reindex(spine).astype("Int64")  # no traffic export → null
    return ShopReference(daily=daily, lines=lines, snapshots=snaps, refunds=events)


def fx_rates(path: Path) -> pd.DataFrame:
    df = _read_csv(path, "utf-8")
    return pd.DataFrame({
        "rate_date": pd.to_datetime(df["rate_date"], format="%Y-%m-%d").dt.date,
        "currency": df["currency"].str.strip(),
        "rate": df["rate_to_reporting"].str.strip().map(Decimal),
    })


def rate_on(rates: pd.DataFrame, currency: str, day: date) -> Decimal:
    """The latest rate on or before ``day``."""
    r = rates[(rates["currency"] == currency) & (rates["rate_date"] <= day)]
    if r.empty:
        raise LookupError(f"no {currency} rate on or before {day}")
    return r.sort_values("rate_date")["rate"].iloc[-1]


# --------------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------------

@dataclass
class DemoRun:
    root: Path
    exports: Path  # copy of inbox/ taken before ingest
    settings: object


@pytest.fixture(scope="session")
def demo_run(daily_demo) -> DemoRun:
    """The demo (380 days to 2026-11-22, last 10 days daily), ingested and built (read only)."""
    from flows.settings import load_settings

    return DemoRun(root=daily_demo.folder, exports=daily_demo.exports,
                   settings=load_settings(daily_demo.folder / "shopreport.toml"))


@pytest.fixture(scope="session")
def reference(demo_run) -> dict[str, ShopReference]:
    return {shop: shop_reference(demo_run.exports / shop, shop) for shop in (TMALL, SHOPIFY)}


@pytest.fixture(scope="session")
def reference_rate(demo_run):
    """``rate(currency, day)``: the latest rate on or before the day, from fx_rates.csv."""
    rates = fx_rates(demo_run.root / "fx_rates.csv")
    return lambda currency, day: rate_on(rates, currency, day)


@pytest.fixture(scope="session")
def warehouse_query(demo_run):
    """Run a query on the built warehouse (read only) → list of row tuples."""
    from flows.warehouse.db import open_warehouse

    def query(sql: str, params=()):
        with open_warehouse(demo_run.settings.warehouse_path, read_only=True) as con:
            return con.execute(sql, list(params)).fetchall()
    return query
