"""Baseline: the same daily shop metrics as ``baseline_duckdb.py`` the idiomatic pandas way (the
"VLOOKUP in Python"): ``read_csv`` every order export, ``merge`` the shop table onto the orders
for the time zone, ``pivot_table`` GMV, paid orders and paying buyers per shop and day.

    python bench/baseline_pandas.py DATASET_DIR OUT.csv
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd

TAOBAO = {"订单编号": "order_id", "买家会员名": "buyer", "买家实际支付金额": "paid", "订单付款时间": "paid_at"}
SHOPIFY = {"Name": "order_id", "Email": "buyer", "Total": "paid", "Paid at": "paid_at"}


def daily_metrics(dataset: Path, out_csv: Path) -> None:
    manifest = json.loads((dataset / "manifest.json").read_text(encoding="utf-8"))
    shops = pd.DataFrame(manifest["shops"]).rename(columns={"id": "shop_id"})[["shop_id", "timezone"]]
    frames = []
    for shop in manifest["shops"]:
        folder = dataset / "inbox" / shop["id"]
        tmall = shop["platform"] == "tmall"
        pattern, columns = ("ExportOrderList_*.csv", TAOBAO) if tmall else ("orders_export_*.csv", SHOPIFY)
        for path in sorted(folder.glob(pattern)):
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, usecols=list(columns),
                                encoding="gb18030" if tmall else "utf-8")
            frame = frame.rename(columns=columns)
            frame["shop_id"] = shop["id"]
            frames.append(frame[frame["paid_at"] != ""])
    orders = pd.concat(frames, ignore_index=True).merge(shops, on="shop_id", how="left")  # the VLOOKUP
    orders["order_id"] = orders["order_id"].str.replace('="', "", regex=False).str.replace('"', "", regex=False)
    days = []
    for tz, group in orders.groupby("timezone"):  # payment time → business date in the shop's zone
        stamps = pd.to_datetime(group["paid_at"], format="ISO8601", utc=group["paid_at"].str.len().gt(19).any())
        if stamps.dt.tz is not None:
            stamps = stamps.dt.tz_convert(tz)
        days.append(stamps.dt.strftime("%Y-%m-%d").rename("business_date"))
    orders["business_date"] = pd.concat(days)
    orders["cents"] = (orders["paid"].map(Decimal) * 100).astype("int64")
    table = orders.pivot_table(index=["shop_id", "business_date"],
                               values=["cents", "order_id", "buyer"],
                               aggfunc={"cents": "sum", "order_id": "nunique", "buyer": "nunique"})
    table = table.reset_index().rename(columns={"order_id": "paid_orders", "buyer": "paying_buyers"})
    table["gmv"] = [f"{c // 100}.{c % 100:02d}" for c in table["cents"].tolist()]
    table[["shop_id", "business_date", "gmv", "paid_orders", "paying_buyers"]].sort_values(
        ["shop_id", "business_date"]).to_csv(out_csv, index=False)


if __name__ == "__main__":
    daily_metrics(Path(sys.argv[1]), Path(sys.argv[2]))
