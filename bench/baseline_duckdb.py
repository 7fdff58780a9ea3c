"""Baseline: the daily shop metrics from the raw order exports by a plain hand-written DuckDB
script — what a team would write instead of shopreport. GMV, paid orders and paying buyers per
shop and business day (payment date in the shop's time zone), from the Taobao 订单报表 (GBK:
decoded in Python, DuckDB has no GBK reader offline) and the Shopify orders exports.

    python bench/baseline_duckdb.py DATASET_DIR OUT.csv

It reads ``manifest.json`` for the shops (platform, time zone) and every order export under
``inbox/``. It does no validation, no lineage and no snapshot de-duplication (the history files
hold each order once), so it is the floor for the work shopreport does on the same bytes.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

import duckdb


def daily_metrics(dataset: Path, out_csv: Path) -> None:
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    tmp = Path(tempfile.mkdtemp(prefix="baseline-duckdb-"))
    try:
        taobao, shopify = [], []
        for shop in manifest["shops"]:
            folder = dataset / "inbox" / shop["id"]
            if shop["platform"] == "tmall":
                for path in sorted(folder.glob("ExportOrderList_*.csv")):
                    utf8 = tmp / shop["id"] / path.name
                    utf8.parent.mkdir(exist_ok=True)
                    utf8.write_text(path.read_bytes().decode("gb18030"), encoding="utf-8")
                    taobao.append(str(utf8))
            else:
                shopify += [str(p) for p in sorted(folder.glob("orders_export_*.csv"))]
        con = duckdb.connect(config={"autoinstall_known_extensions": False})
        con.execute("set TimeZone = 'UTC'")
        con.execute("create table shops (shop_id varchar, timezone varchar)")
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
        con.execute(f"""
            copy (
                select shop_id, business_date, sum(paid) as gmv, count(distinct order_id) as paid_orders,
                       count(distinct buyer) as paying_buyers
                from ({' union all '.join(parts)})
                group by all order by all
            ) to '{out_csv}' (header)""")
        con.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    daily_metrics(Path(sys.argv[1]), Path(sys.argv[2]))
