"""Ingest micro-benchmark: rows/s of a whole ingest (decode, parse, validate, map, load, lineage)
of big Taobao 订单报表 (GBK) and Shopify order exports, beside three baselines on the same bytes:
``cat``, a bare DuckDB ``read_csv`` of the UTF-8 text into a table, and a pandas ``read_csv``.

    python bench/ingest_bench.py --rows 1000000 --repeat 3 [--reference]

The files are written once into a temp dir; each repeat ingests into a fresh warehouse.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import pandas as pd  # noqa: E402

from bench.synthetic import write_shopify, write_taobao  # noqa: E402
from flows.ingest.load import Ingestor  # noqa: E402
from flows.settings import load_settings  # noqa: E402
from flows.warehouse.db import connect  # noqa: E402

CONFIG = """[paths]

[report]
reporting_currency = "CNY"

[[shops]]
id = "{shop}"
name = "{shop}"
platform = "{platform}"
currency = "{currency}"
timezone = "{tz}"
gross_margin = 0.4
"""
FORMATS = {  # name: (writer, file name, platform, currency, time zone, encoding)
    "taobao_gbk": (write_taobao, "ExportOrderList_2026-11-30.csv", "tmall", "CNY", "Asia/Shanghai", "gb18030"),
    "shopify": (write_shopify, "orders_export_2026-11-30.csv", "shopify", "USD", "America/New_York", "utf-8"),
}


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def ingest_once(work: Path, file: Path, spec: tuple, fast: bool) -> tuple[float, str]:
    _, _, platform, currency, tz, _ = spec
    root = work / "project"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir()
    (root / "shopreport.toml").write_text(CONFIG.format(shop="s1", platform=platform, currency=currency, tz=tz),
                                          encoding="utf-8")
    settings = load_settings(root / "shopreport.toml")
    con = connect(settings.warehouse_path)
    ingestor = Ingestor(con, settings, "bench-salt", fast=fast)
    start = time.perf_counter()
    outcome = ingestor.ingest_file(file, settings.shops[0], from_inbox=False)
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, outcome.line()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS))
    parser.add_argument("--reference", action="store_true", help="also time the Python reference reader")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="shopreport-bench-"))
    try:
        print(f"rows per file: {args.rows:,}; repeats: {args.repeat}; work dir: {work}")
        table = []
        for name in args.formats.split(","):
            spec = FORMATS[name]
            file = spec[0](work / spec[1], args.rows)
            utf8 = work / f"{name}.utf8.csv"
            utf8.write_text(file.read_bytes().decode(spec[5]), encoding="utf-8")
            size = file.stat().st_size
            print(f"\n{name}: {file.name}, {size / 2**20:.0f} MB ({spec[5]})")
            runs = {}
            runs["cat (bytes)"] = [timed(lambda: subprocess.run(f"cat '{file}' > /dev/null", shell=True, check=True))
                                   for _ in range(args.repeat)]

            def bare_duckdb() -> None:
                con = duckdb.connect()
                con.execute(f"create table t as select * from read_csv('{utf8}', all_varchar = true)")
                con.close()
            runs["duckdb read_csv (utf-8, all columns)"] = [timed(bare_duckdb) for _ in range(args.repeat)]
            runs["pandas read_csv (utf-8, str)"] = [
                timed(lambda: pd.read_csv(utf8, dtype=str, keep_default_na=False)) for _ in range(args.repeat)]
            modes = [("ingest (fast reader)", True)] + ([("ingest (reference reader)", False)] if args.reference else [])
            for label, fast in modes:
                times = []
                for _ in range(args.repeat if fast else 1):
                    elapsed, line = ingest_once(work, file, spec, fast)
                    times.append(elapsed)
                print(f"  {label}: {line}")
                runs[label] = times
            ingest_median = statistics.median(runs["ingest (fast reader)"])
            for label, times in runs.items():
                med = statistics.median(times)
                spread = (max(times) - min(times)) / med * 100 if len(times) > 1 else 0.0
                table.append((name, label, args.rows / med, spread, ingest_median / med))
        print(f"\n{'file':<11} {'what':<38} {'rows/s (median)':>16} {'spread':>8} {'× ingest speed':>15}")
        for name, label, rate, spread, ratio in table:
            print(f"{name:<11} {label:<38} {rate:>16,.0f} {spread:>7.0f}% {ratio:>15.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
