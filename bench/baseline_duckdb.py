"""Baseline: the daily shop metrics from the raw order exports by a plain hand-written DuckDB
script — what a team would write instead of shopreport. GMV, paid orders and paying buyers per
shop and business day (payment date in the shop's time zone), from the Taobao 订单报表 (GBK:
decoded in Python, DuckDB has no GBK reader offline) and the Shopify orders exports.

    python bench/baseline_duckdb.py DATASET_DIR OUT.csv                  # the history, in memory
    python bench/baseline_duckdb.py --keep ORDERS.duckdb DATASET_DIR OUT.csv
    python bench/baseline_duckdb.py --morning ORDERS.duckdb DATASET_DIR OUT.csv

It reads ``manifest.json`` for the shops (platform, time zone) and every order export under
``inbox/``. It does no validation, no lineage and no snapshot de-duplication (the history files
hold each order once), so it is the floor for the work shopreport does on the same bytes.

``--keep`` writes the history's paid orders and daily metrics into a DuckDB file instead (the
benchmark does it once, untimed). ``--morning`` is the hand-written incremental day on such a
file: it reads the new day's order exports of every shop (``morning/``), replaces the orders they
list (a day's export re-lists the orders of the days before), recomputes the metrics of only the
shop-days those orders touch, and prints the seconds that work took (no interpreter start, no
imports) as JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import duckdb

METRICS_SQL = """select shop_id, business_date, sum(paid) as gmv, count(distinct order_id) as paid_orders,
                        count(distinct buyer) as paying_buyers
                 from {orders} group by shop_id, business_date"""


def _connect(path: str = ":memory:") -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path, config={"autoinstall_known_extensions": False})
    con.execute("set TimeZone = 'UTC'")
    return con


def _paid_orders_sql(con: duckdb.DuckDBPyConnection, dataset: Path, folder: str, tmp: Path) -> str | None:
    """A query of the paid orders in the order exports of ``folder/<shop>/``: shop_id, business_date,
    paid, order_id, buyer (GBK files decoded into ``tmp`` first); None when there are none."""
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    taobao, shopify = [], []
    for shop in manifest["shops"]:
        shop_dir = dataset / folder / shop["id"]
        if shop["platform"] == "tmall":
            for path in sorted(shop_dir.glob("ExportOrderList_*.csv")):
                utf8 = tmp / shop["id"] / path.name
                utf8.parent.mkdir(exist_ok=True)
                utf8.write_text(path.read_bytes().decode("gb18030"), encoding="utf-8")
                taobao.append(str(utf8))
        else:
            shopify += [str(p) for p in sorted(shop_dir.glob("orders_export_*.csv"))]
    con.execute("create or replace temp table shops (shop_id varchar, timezone varchar)")
    con.executemany("insert into shops values (?, ?)", [(s["id"], s["timezone"]) for s in manifest["shops"]])
    parts = []
    if taobao:
        parts.append(f"""
            select regexp_extract(filename, '([^/]+)/[^/]+$', 1) as shop_id,
                   "订单付款时间"[1:10]::date as business_date,
                   "买家实际支付金额"::decimal(18, 2) as paid,
                   replace(replace("订单编号", '="', ''), '"', '') as order_id,
                   "买家会员名" as buyer
            from read_csv({taobao!r}, all_varchar = true, filename = true)
            where coalesce("订单付款时间", '') <> ''""")
    if shopify:
        parts.append(f"""
            select o.shop_id,
                   timezone(s.timezone, strptime(o."Paid at", '%Y-%m-%d %H:%M:%S %z'))::date as business_date,
                   o."Total"::decimal(18, 2) as paid,
                   o."Name" as order_id,
                   o."Email" as buyer
            from (select regexp_extract(filename, '([^/]+)/[^/]+$', 1) as shop_id, *
                  from read_csv({shopify!r}, all_varchar = true, filename = true)) as o
            join shops as s using (shop_id)
            where coalesce(o."Paid at", '') <> ''""")
    return " union all ".join(parts) or None


def daily_metrics(dataset: Path, out_csv: Path) -> None:
    """The metrics of the whole history, in one query (the timed baseline)."""
    tmp = Path(tempfile.mkdtemp(prefix="baseline-duckdb-"))
    try:
        con = _connect()
        orders = _paid_orders_sql(con, dataset, "inbox", tmp)
        con.execute(f"copy ({METRICS_SQL.format(orders=f'({orders})')} order by all) to '{out_csv}' (header)")
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def keep_orders(dataset: Path, db: Path, out_csv: Path) -> None:
    """The history's paid orders and daily metrics as tables in ``db`` (for ``morning``)."""
    tmp = Path(tempfile.mkdtemp(prefix="baseline-duckdb-"))
    try:
        con = _connect(str(db))
        orders = _paid_orders_sql(con, dataset, "inbox", tmp)
        con.execute(f"create or replace table orders as {orders}")
        con.execute(f"create or replace table daily as {METRICS_SQL.format(orders='orders')}")
        con.execute(f"copy (select * from daily order by all) to '{out_csv}' (header)")
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def morning(dataset: Path, db: Path, out_csv: Path) -> float:
    """The new day's order exports into ``db`` (made by ``keep_orders``), the touched shop-days'
    metrics recomputed; the seconds of that work. Writes every shop-day's metrics to ``out_csv``."""
    tmp = Path(tempfile.mkdtemp(prefix="baseline-duckdb-"))
    try:
        start = time.perf_counter()
        con = _connect(str(db))
        new = _paid_orders_sql(con, dataset, "morning", tmp)
        con.execute("begin transaction")
        if new:
            # one row per order (the day's exports may list an order twice: the orders and the refunds)
            con.execute(f"""create temp table new as
                            select shop_id, order_id, max(business_date) as business_date, max(paid) as paid,
                                   max(buyer) as buyer
                            from ({new}) group by shop_id, order_id""")
            con.execute("""create temp table touched as
                           select shop_id, business_date from new
                           union
                           select o.shop_id, o.business_date from orders as o
                           semi join new as n on o.shop_id = n.shop_id and o.order_id = n.order_id""")
            con.execute("""delete from orders as o using new as n
                           where o.shop_id = n.shop_id and o.order_id = n.order_id""")
            con.execute("insert into orders by name select shop_id, business_date, paid, order_id, buyer from new")
            con.execute("""delete from daily as d using touched as t
                           where d.shop_id = t.shop_id and d.business_date = t.business_date""")
            con.execute("insert into daily " + METRICS_SQL.format(
                orders="(select o.* from orders as o semi join touched as t "
                       "on o.shop_id = t.shop_id and o.business_date = t.business_date)"))
        con.execute("commit")
        seconds = time.perf_counter() - start
        con.execute(f"copy (select * from daily order by all) to '{out_csv}' (header)")
        con.close()
        return seconds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("out_csv", type=Path)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--keep", type=Path, metavar="ORDERS_DB", help="write the history's orders into this file")
    mode.add_argument("--morning", type=Path, metavar="ORDERS_DB", help="the incremental day on this file")
    args = parser.parse_args(argv)
    if args.keep:
        keep_orders(args.dataset, args.keep, args.out_csv)
    elif args.morning:
        print(json.dumps({"seconds": morning(args.dataset, args.morning, args.out_csv)}))
    else:
        daily_metrics(args.dataset, args.out_csv)


if __name__ == "__main__":
    sys.exit(main())
