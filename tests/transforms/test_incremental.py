"""Incremental builds give the same tables as a full rebuild.

A demo business is loaded but for its last daily exports and built in full; then the held-back
days are loaded one at a time (with, on one of them, a file of late refunds on orders weeks
old), building incrementally after each. Every model table must then equal, row for row and
column for column, what a full rebuild of the same warehouse gives.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import random
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from flows.ingest.load import dates_in_name
from flows.settings import Settings, load_settings, size_bytes
from flows.warehouse.build import build, load_models, sized_memory_limit
from flows.warehouse.db import open_warehouse

pytestmark = pytest.mark.slow  # a 380-day demo loaded and built, then day by day (about 3 minutes)

DEMO_END = dt.date(2026, 11, 22)
DEMO_DAYS = 380  # more than a year: the same-day-last-year comparisons have something to compare
HELD_BACK_DAYS = 6  # daily exports loaded one day at a time
LATE_REFUND_DAY = DEMO_END - dt.timedelta(days=2)  # the day a late-refund file comes with
LATE_REFUND_AGE = dt.timedelta(days=40)  # how old the order it refunds is


def daily_files(inbox: Path) -> dict[dt.date, list[Path]]:
    """The daily exports in the inbox by the day they are for (history files span months)."""
    days: dict[dt.date, list[Path]] = {}
    for path in sorted(inbox.rglob("*")):
        dates = set(dates_in_name(path.name)) if path.is_file() else set()
        if len(dates) == 1:
            days.setdefault(dates.pop(), []).append(path)
    return days


def write_late_refund_file(demo: Path, day: dt.date, age: dt.timedelta) -> Path:
    """A Shopify orders export for ``day`` holding one single-line order paid about ``age``
    earlier, now fully refunded (an edited row of the demo's own history export)."""
    paid_on = day - age
    history = [p for p in (demo / "inbox" / "shopify_us").glob("orders_export_*.csv")
               if len(set(dates_in_name(p.name))) > 1 and min(dates_in_name(p.name)) <= paid_on
               <= max(dates_in_name(p.name))]
    with history[0].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    lines_per_order: dict[str, int] = {}
    for row in rows:
        lines_per_order[row["Name"]] = lines_per_order.get(row["Name"], 0) + 1
    order = next(row for row in rows
                 if row["Financial Status"] == "paid" and lines_per_order[row["Name"]] == 1
                 and row["Paid at"].startswith(paid_on.isoformat()))
    order.update({"Financial Status": "refunded", "Refunded Amount": order["Total"]})
    path = demo / "late" / "shopify_us" / f"orders_export_late_refunds_{day.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerow(order)
    return path


PRODUCTS_DAY = DEMO_END  # the day a new product sells and another is renamed (the last: latest order)
NEW_SKU, NEW_TITLE = "NEW-LAUNCH-01", "Launch Kettle - Steel"
RENAMED_TITLE = "Renamed Product - New Title"


def write_products_file(demo: Path, day: dt.date) -> tuple[Path, str]:
    """A Shopify orders export for ``day`` with two orders: one of a product never sold before,
    and one of a product sold all along, under a new title (a product's title is its latest
    order's). Returns the file and the renamed product's SKU."""
    history = sorted(p for p in (demo / "inbox" / "shopify_us").glob("orders_export_*.csv")
                     if len(set(dates_in_name(p.name))) > 1)
    with history[0].open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    template = next(row for row in rows if row["Financial Status"] == "paid" and row["Lineitem sku"])
    stamp = f"{day.isoformat()} 23:59:59 -0500"  # the product's latest order
    new = dict(template, **{"Name": "#NEW-LAUNCH-1", "Id": "990000000001", "Lineitem sku": NEW_SKU,
                            "Lineitem name": NEW_TITLE, "Created at": stamp, "Paid at": stamp})
    renamed = dict(template, **{"Name": "#RENAMED-1", "Id": "990000000002", "Lineitem name": RENAMED_TITLE,
                                "Created at": stamp, "Paid at": stamp})
    path = demo / "late" / "shopify_us" / f"orders_export_products_{day.isoformat()}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows([new, renamed])
    return path, template["Lineitem sku"]


def model_tables() -> list[str]:
    return [m.name for m in load_models()]


def comparable_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Every column; doubles to 12 significant digits (a sum of doubles depends on the order it
    adds them in, and an incremental build stores rows in another order)."""
    columns = []
    for name, kind in con.execute(f"select column_name, data_type from duckdb_columns() where "
                                  f"database_name = 'l' and table_name = '{table}' "
                                  f"order by column_index").fetchall():
        digits = f"12 - ceil(log10(abs({name}) + 1e-300))::integer"
        columns.append(f"case when isfinite({name}) then round({name}, {digits}) else {name} end"
                       if kind in ("DOUBLE", "FLOAT") else name)
    return ", ".join(columns)


def differing_models(left: Path, right: Path) -> dict[str, tuple[int, int]]:
    """Per model table whose rows differ between two warehouses: (rows only in the left, rows
    only in the right), compared as multisets of whole rows."""
    con = duckdb.connect()
    con.execute(f"attach '{left}' as l (read_only)")
    con.execute(f"attach '{right}' as r (read_only)")
    differing = {}
    for name in model_tables():
        columns = comparable_columns(con, name)
        only_left, only_right = (
            con.execute(f"select count(*) from (select {columns} from {a}.main.{name} "
                        f"except all select {columns} from {b}.main.{name})").fetchall()[0][0]
            for a, b in (("l", "r"), ("r", "l")))
        if only_left or only_right:
            differing[name] = (only_left, only_right)
    con.close()
    return differing


def full_rebuild_copy(settings: Settings, target: Path) -> Path:
    """A copy of the warehouse, rebuilt in full from what it has loaded."""
    shutil.copy(settings.warehouse_path, target)
    with open_warehouse(target) as con:
        assert build(con, settings, mode="full").mode == "full"
    return target


def build_now(settings: Settings, mode: str = "auto") -> str:
    with open_warehouse(settings.warehouse_path) as con:
        return build(con, settings, mode=mode).mode


def load(settings: Settings, paths: list[Path]) -> None:
    """Drop the files into the inbox (aside/<day>/<shop_id>/<file>) and load it, as a run does."""
    for path in paths:
        shutil.move(path, settings.inbox_dir / path.parent.name / path.name)
    report = pipeline.ingest(settings)
    assert report.loaded and not report.count("refused") and not report.count("unrecognised")


@pytest.fixture(scope="module")
def held_back_demo(tmp_path_factory) -> Iterator[tuple[Path, dict[dt.date, list[Path]]]]:
    """A demo warehouse loaded and built in full, but for its last daily exports (kept aside,
    by day, with the late-refund file on its day); the folder is copied per test."""
    from flows.demo import generate_demo

    demo = tmp_path_factory.mktemp("incremental_demo")
    generate_demo(demo, DEMO_END, days=DEMO_DAYS, daily_days=HELD_BACK_DAYS + 2)
    held: dict[dt.date, list[Path]] = {}
    aside = demo / "aside"
    for day, paths in daily_files(demo / "inbox").items():
        if day > DEMO_END - dt.timedelta(days=HELD_BACK_DAYS):
            for path in paths:
                target = aside / day.isoformat() / path.parent.name / path.name
                target.parent.mkdir(parents=True, exist_ok=True)
                held.setdefault(day, []).append(Path(shutil.move(path, target)))
    late = write_late_refund_file(demo, LATE_REFUND_DAY, LATE_REFUND_AGE)
    held[LATE_REFUND_DAY].append(Path(shutil.move(late, aside / LATE_REFUND_DAY.isoformat()
                                                  / "shopify_us" / late.name)))
    products, renamed_sku = write_products_file(demo, PRODUCTS_DAY)
    held[PRODUCTS_DAY].append(Path(shutil.move(products, aside / PRODUCTS_DAY.isoformat()
                                               / "shopify_us" / products.name)))
    (demo / "renamed_sku.txt").write_text(renamed_sku, encoding="utf-8")
    settings = load_settings(demo / "shopreport.toml")
    pipeline.ingest(settings)
    assert build_now(settings, "full") == "full"
    yield demo, held


def copy_demo(demo: Path, target: Path) -> tuple[Settings, dict[dt.date, list[Path]]]:
    shutil.copytree(demo, target)
    held = {}
    for day_dir in sorted((target / "aside").iterdir()):
        held[dt.date.fromisoformat(day_dir.name)] = sorted(p for p in day_dir.rglob("*") if p.is_file())
    return load_settings(target / "shopreport.toml"), held


def test_day_by_day_incremental_builds_equal_a_full_rebuild(held_back_demo, tmp_path):
    """In order: each day's new order-line snapshots are appended to the lines' earlier ones."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    assert len(held) >= HELD_BACK_DAYS and LATE_REFUND_DAY in held
    refreshed = []
    for day, paths in held.items():
        load(settings, paths)
        with open_warehouse(settings.warehouse_path) as con:
            result = build(con, settings)
        assert result.mode == "incremental", day
        refreshed.append(result.refreshed["int_order_line_snapshots"])
    assert all(how.startswith("appended ") or how == "unchanged" for how in refreshed), refreshed
    assert sum(how.startswith("appended ") for how in refreshed) >= HELD_BACK_DAYS - 2, refreshed
    assert differing_models(settings.warehouse_path, full_rebuild_copy(settings, tmp_path / "full.duckdb")) == {}


def test_days_loaded_newest_first_number_the_snapshots_anew_and_equal_a_full_rebuild(held_back_demo, tmp_path):
    """An export of an earlier day loaded after a later one: the lines both show get their
    snapshots numbered again in the order of the days, not of loading."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    refreshed = []
    for day in sorted(held, reverse=True):
        load(settings, held[day])
        with open_warehouse(settings.warehouse_path) as con:
            result = build(con, settings)
        assert result.mode == "incremental", day
        refreshed.append(result.refreshed["int_order_line_snapshots"])
    assert any(how.endswith(" partition(s)") for how in refreshed), refreshed
    assert differing_models(settings.warehouse_path, full_rebuild_copy(settings, tmp_path / "full.duckdb")) == {}


def test_the_late_refund_reaches_the_old_order_and_the_refund_day(held_back_demo, tmp_path):
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    for paths in held.values():
        load(settings, paths)
        build_now(settings)
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        refunds = con.execute(
            "select refund_date, paid_date from fct_refunds where shop_id = 'shopify_us' "
            "and refund_date = ? and refund_date - paid_date >= 35", [LATE_REFUND_DAY]).fetchall()
    assert refunds, "the late refund is dated on the day its file came, on an order weeks old"


def test_several_files_at_once_and_random_split_points_equal_a_full_rebuild(held_back_demo, tmp_path):
    """Split the held-back days at random points: each part is loaded at once, then built."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    days = sorted(held)
    cuts = sorted(random.Random(20261122).sample(range(1, len(days)), 2))
    for part in (days[:cuts[0]], days[cuts[0]:cuts[1]], days[cuts[1]:]):
        load(settings, [p for day in part for p in held[day]])
        assert build_now(settings) == "incremental"
    assert differing_models(settings.warehouse_path, full_rebuild_copy(settings, tmp_path / "full.duckdb")) == {}


def test_one_shop_at_a_time_refreshes_only_that_shop_and_equals_a_full_rebuild(held_back_demo, tmp_path):
    """A morning run for one shop loads only its files: the per-shop models (cohorts, product
    lifecycle, products) and the by-shop date marts refresh that shop alone, the cohorts' monthly
    rows only the months of the orders that changed, and the other shops' rows stay right."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    per_shop = [d.name for d in (tmp_path / "demo" / "aside" / min(held).isoformat()).iterdir()]
    assert len(per_shop) >= 2
    days = sorted(held)
    load(settings, [p for day in days[:-3] for p in held[day]])  # the first days at once
    assert build_now(settings) == "incremental"
    for day, paths in ((d, held[d]) for d in days[-3:]):  # the late refund and the new product too
        for shop in sorted({p.parent.name for p in paths}):
            load(settings, [p for p in paths if p.parent.name == shop])
            with open_warehouse(settings.warehouse_path) as con:
                con.execute("create temp table orders_before as select * from fct_buyer_orders")
                result = build(con, settings)
                changed_cells = con.execute(
                    "select count(distinct (shop_id, cohort_month, paid_month)) from ("
                    "(select * from orders_before except all select * from fct_buyer_orders) union all "
                    "(select * from fct_buyer_orders except all select * from orders_before))").fetchall()[0][0]
            assert result.mode == "incremental", (day, shop)
            # the cohort months refresh the cells of the changed orders' months, not the shop
            cells = result.refreshed["fct_buyer_cohort_months"]
            assert cells == (f"{changed_cells} partition(s)" if changed_cells else "unchanged"), (day, shop, cells)
            for model in ("fct_buyer_cohorts", "fct_product_lifecycle_weekly", "dim_products"):
                assert result.refreshed[model] in ("1 partition(s)", "unchanged"), (day, shop, model)
            for model in ("fct_shop_daily", "fct_buyer_daily", "fct_product_daily", "fct_buyer_weekly"):
                how = result.refreshed[model]
                assert how == "unchanged" or how.endswith(" of 1 shop(s)"), (day, shop, model, how)
    assert differing_models(settings.warehouse_path, full_rebuild_copy(settings, tmp_path / "full.duckdb")) == {}


def test_a_full_build_writes_clustered_tables_in_their_order(held_back_demo, tmp_path):
    """cluster_by: a full build stores the order lines by creation time, and a morning's rows
    are appended in that order (where rows sit is what keeps a refresh's reads short)."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    clustered = {m.name: m.refresh.cluster_by for m in load_models() if m.refresh and m.refresh.cluster_by}
    assert {"stg_orders", "int_order_line_snapshots", "fct_order_lines"} <= set(clustered)

    def unordered(con) -> dict[str, int]:
        out = {}
        for name, columns in clustered.items():
            keys = ", ".join(columns)
            out[name] = con.execute(
                f"select count(*) from (select ({keys}) < lag(({keys})) over (order by rowid) as back "
                f"from {name}) where back").fetchall()[0][0]
        return out

    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        assert set(unordered(con).values()) == {0}
    load(settings, held[min(held)])
    with open_warehouse(settings.warehouse_path) as con:
        before = {name: con.execute(f"select count(*) from {name}").fetchall()[0][0] for name in clustered}
        assert build(con, settings).mode == "incremental"
        # the refreshed rows go to the end, each batch in order: at most one step back per batch
        assert all(n <= 1 for n in unordered(con).values()), unordered(con)
        assert any(con.execute(f"select count(*) from {name}").fetchall()[0][0] != before[name]
                   for name in clustered)


def test_a_changed_configuration_or_asking_for_it_gives_a_full_build(held_back_demo, tmp_path):
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    first = min(held)
    load(settings, held[first])
    assert build_now(settings, "full") == "full"
    assert build_now(settings) == "incremental"  # nothing new: every model unchanged
    mail_only = dataclasses.replace(settings, mail=dataclasses.replace(settings.mail, sender="other@localhost"))
    assert build_now(mail_only) == "incremental"  # the build does not read the mail settings
    edited = dataclasses.replace(settings, products=dataclasses.replace(settings.products, baseline_weeks=5))
    assert build_now(edited) == "full"  # the seeds' settings changed
    with open_warehouse(settings.warehouse_path) as con:
        con.execute("drop table build_state")
    assert build_now(settings, "incremental") == "full"  # nothing to start from


def test_a_new_product_and_a_new_title_reach_every_day_of_the_product(held_back_demo, tmp_path):
    """A product's title is its latest order's, over all history; a new product's rows start on
    its first day. Both come from dim_products, so an incremental build must refresh the renamed
    product on every day since its first, not only on the new day."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    renamed_sku = (tmp_path / "demo" / "renamed_sku.txt").read_text(encoding="utf-8")
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        before = con.execute("select count(*), count(distinct product_name) from fct_product_daily "
                             "where shop_id = 'shopify_us' and product_key = ?", [renamed_sku]).fetchall()[0]
    assert before[0] > 300 and before[1] == 1  # sold all along, under one title
    for paths in held.values():
        load(settings, paths)
        assert build_now(settings) == "incremental"
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        titles = con.execute("select distinct product_name from fct_product_daily "
                             "where shop_id = 'shopify_us' and product_key = ?", [renamed_sku]).fetchall()
        first = con.execute("select min(business_date), max(business_date), sum(order_lines) from fct_product_daily "
                            "where shop_id = 'shopify_us' and product_key = ?", [NEW_SKU]).fetchall()[0]
    assert titles == [(RENAMED_TITLE,)]
    assert first == (PRODUCTS_DAY, DEMO_END, 1)


def test_a_mornings_memory_limit_follows_the_rows_it_loaded(held_back_demo, tmp_path):
    """An incremental build's memory limit is sized by the rows loaded since the last build, below
    warehouse.incremental_memory_limit; DuckDB runs the build under it, then gets its own back."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    with open_warehouse(settings.warehouse_path) as con:
        rows_before = con.execute("select sum(rows_loaded) from source_files").fetchall()[0][0]
    load(settings, held[LATE_REFUND_DAY])
    with open_warehouse(settings.warehouse_path) as con:
        new_rows = con.execute("select sum(rows_loaded) from source_files").fetchall()[0][0] - rows_before
        before = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        result = build(con, settings)
        assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] == before
    assert result.mode == "incremental" and result.notes == []
    assert 0 < new_rows < 100_000
    assert result.memory_limit == sized_memory_limit(settings.incremental_memory_limit, new_rows)
    assert size_bytes(result.memory_limit) < size_bytes(settings.incremental_memory_limit)


def test_an_incremental_build_over_its_memory_limit_is_built_again_under_the_warehouse_limit(held_back_demo, tmp_path):
    """warehouse.incremental_memory_limit bounds a morning's build; one that needs more rolls
    back and runs again under the warehouse's own limit, with the same result."""
    settings, held = copy_demo(held_back_demo[0], tmp_path / "demo")
    tight = dataclasses.replace(settings, incremental_memory_limit="1MB")
    load(tight, held[LATE_REFUND_DAY])
    with open_warehouse(tight.warehouse_path) as con:
        before = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
        result = build(con, tight)
        assert con.execute("select current_setting('memory_limit')").fetchall()[0][0] == before
    assert result.mode == "incremental"
    assert len(result.notes) == 1 and "incremental_memory_limit 1MB" in result.notes[0], result.notes
    assert result.memory_limit is None  # the second build ran under the warehouse's limit
    assert differing_models(tight.warehouse_path, full_rebuild_copy(tight, tmp_path / "full.duckdb")) == {}
