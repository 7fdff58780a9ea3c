"""A user-defined profile maps an export no built-in knows: the real UCI Online Retail sample (an
ERP's invoice lines, GBP, returns as "C" invoices) loads through one, and the counts and sums
reconcile with a plain pandas computation over the same file."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from flows import pipeline
from flows.cli import main
from flows.warehouse.db import open_warehouse

from .conftest import PUBLIC_DATA, drop_file, write_project

UCI = PUBLIC_DATA / "uci-online-retail" / "online_retail_sample_20k.csv"

# The worked example of docs/formats.md ("Adding your own profile"); keep the two in step.
UCI_PROFILE = """\
# UCI Online Retail (an ERP's invoice lines): InvoiceNo,StockCode,Description,Quantity,
# InvoiceDate,UnitPrice,CustomerID,Country. A "C" invoice is a credit note: its lines are
# refunds (negative quantities); a negative quantity on a normal invoice is a stock adjustment.
name = "uci_online_retail"
title = "UCI Online Retail invoice lines"
entity = "orders"
signature = ["InvoiceNo", "StockCode", "Quantity", "UnitPrice", "InvoiceDate"]
null_values = ["", "NA"]

[[reject_rows]]
where = { Quantity = "^-" }
unless = { InvoiceNo = "^C" }
reason = "negative quantity on a sales invoice: a stock adjustment, not a sale"

[columns.order_id]
source = "InvoiceNo"
type = "id"
not_empty = true

[columns.line_id]
ordinal_within = "InvoiceNo"

[columns.sku]
source = "StockCode"

[columns.product_name]
source = "Description"

[columns.buyer_key]
source = "CustomerID"
type = "buyer"

[columns.created_at]
source = "InvoiceDate"
type = "timestamp"
not_empty = true

[columns.paid_at]
source = "InvoiceDate"
type = "timestamp"
unless = { InvoiceNo = "^C" }

[columns.refunded_at]
source = "InvoiceDate"
type = "timestamp"
when = { InvoiceNo = "^C" }

[columns.status]
source = "InvoiceNo"
map_patterns = { "^C" = "closed" }
default = "completed"

[columns.quantity]
source = "Quantity"
type = "integer"
not_empty = true

[columns.unit_price]
source = "UnitPrice"
type = "decimal"

[columns.paid_amount]
product_of = ["Quantity", "UnitPrice"]
type = "decimal"
unless = { InvoiceNo = "^C" }

[columns.refund_amount]
product_of = ["Quantity", "UnitPrice"]
type = "decimal"
scale = -1
when = { InvoiceNo = "^C" }

[columns.currency]
value = "$shop.currency"
"""

@pytest.fixture(scope="module")
def uci(tmp_path_factory):
    root = tmp_path_factory.mktemp("uci")
    (root / "profiles").mkdir()
    (root / "profiles" / "uci_online_retail.toml").write_text(UCI_PROFILE, encoding="utf-8")
    settings = write_project(root, {"uk_store": ("other", "GBP", "Europe/London")}, profiles_dir="profiles")
    drop_file(settings, "uk_store", UCI)
    (outcome,) = pipeline.ingest(settings).outcomes
    return settings, outcome


def q(settings, sql):
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        return con.execute(sql).fetchall()


def expected() -> pd.DataFrame:
    """The same file read with pandas, each line's amount rounded to the cent as the warehouse keeps it."""
    df = pd.read_csv(UCI, dtype={"InvoiceNo": str, "StockCode": str, "CustomerID": str})
    df["amount"] = (df["Quantity"] * df["UnitPrice"]).round(2)
    df["kind"] = "sale"
    df.loc[df["InvoiceNo"].str.startswith("C"), "kind"] = "return"
    df.loc[(df["kind"] == "sale") & (df["Quantity"] < 0), "kind"] = "adjustment"
    return df


def test_the_uci_sample_loads_through_a_user_profile_and_rows_reconcile(uci):
    settings, outcome = uci
    df = expected()
    assert outcome.status == "loaded" and outcome.profile == "uci_online_retail", outcome.line()
    assert outcome.rows_read == len(df) == 20_000
    assert outcome.rows_read == outcome.rows_loaded + outcome.rows_rejected
    kinds = df["kind"].value_counts()
    assert outcome.rows_rejected == kinds["adjustment"] == 48
    assert outcome.rows_loaded == kinds["sale"] + kinds["return"]
    assert q(settings, "select count(*), count(distinct source_row) from rejects") == [(48, 48)]
    assert q(settings, "select distinct column_name, reason from rejects") == [
        ("Quantity", "negative quantity on a sales invoice: a stock adjustment, not a sale")]
    assert q(settings, "select rows_read, rows_loaded, rows_rejected from source_files") == [(20_000, 19_952, 48)]


def test_sums_per_invoice_kind_match_pandas(uci):
    settings, _ = uci
    df = expected()
    sales, returns = df[df["kind"] == "sale"], df[df["kind"] == "return"]
    got = q(settings, """
        select status, count(*), sum(quantity), sum(paid_amount), sum(refund_amount),
               count(paid_at), count(refunded_at)
        from raw_orders group by status order by status""")
    assert got == [
        ("closed", len(returns), int(returns["Quantity"].sum()), None,
         Decimal(str(round(-returns["amount"].sum(), 2))), 0, len(returns)),
        ("completed", len(sales), int(sales["Quantity"].sum()), Decimal(str(round(sales["amount"].sum(), 2))),
         None, len(sales), 0)]
    # per invoice, too: every invoice's lines add up to the pandas total of that invoice
    per_invoice = {r[0]: r[1] for r in q(settings, """
        select order_id, coalesce(sum(paid_amount), 0) - coalesce(sum(refund_amount), 0)
        from raw_orders group by order_id""")}
    want = df[df["kind"] != "adjustment"].groupby("InvoiceNo")["amount"].sum().round(2)
    assert len(per_invoice) == len(want)
    assert all(per_invoice[inv] == Decimal(str(amount)).quantize(Decimal("0.01")) for inv, amount in want.items())


def test_uci_fields_buyers_and_uk_local_times(uci):
    settings, _ = uci
    df = expected()
    loaded = df[df["kind"] != "adjustment"]
    assert q(settings, "select count(*) from raw_orders where buyer_key is null") == \
        [(int(loaded["CustomerID"].isna().sum()),)], "NA customer ids are missing buyers, not a buyer called NA"
    # 2011-06-16 14:45 is British Summer Time (UTC+1); 2011-03-10 16:16 is GMT
    got = q(settings, """select order_id, line_id, sku, product_name, quantity, unit_price, paid_amount, currency,
                                strftime(paid_at, '%Y-%m-%d %H:%M') from raw_orders
                         where order_id in ('557055', '546306') and sku in ('23203', '21733') order by order_id""")
    assert got[0][2:] == ("21733", "RED HANGING HEART T-LIGHT HOLDER", 2, Decimal("2.95"), Decimal("5.90"), "GBP",
                          "2011-03-10 16:16")
    assert got[1][2:] == ("23203", "JUMBO BAG DOILEY PATTERNS", 20, Decimal("2.08"), Decimal("41.60"), "GBP",
                          "2011-06-16 13:45")
    assert q(settings, "select min(created_at)::date, max(created_at)::date from raw_orders") == \
        [(dt.date(2010, 12, 1), dt.date(2011, 12, 9))]


def test_profiles_and_inspect_show_the_user_profile(uci, capsys):
    settings, _ = uci
    assert main(["profiles", "--config", str(settings.config_path)]) == 0
    out = capsys.readouterr().out
    assert "uci_online_retail" in out and "user" in out and "meta_ads_daily" in out
    assert main(["inspect", str(UCI), "--config", str(settings.config_path)]) == 0
    out = capsys.readouterr().out
    assert "profile: uci_online_retail" in out and "your profile" in out
    assert "paid_amount          ← 'Quantity' × 'UnitPrice' as decimal" in out
    assert "rows: 20000 read, 19952 parse cleanly, 48 would be rejected" in out
