"""A deliberately wrong baseline for the benchmark's agreement check: the DuckDB baseline's
numbers with one cent added to the first shop-day's GMV."""

import csv
import sys
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.baseline_duckdb import daily_metrics

if __name__ == "__main__":
    out = Path(sys.argv[2])
    daily_metrics(Path(sys.argv[1]), out)
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    rows[0]["gmv"] = str(Decimal(rows[0]["gmv"]) + Decimal("0.01"))
    with out.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
