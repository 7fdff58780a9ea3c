"""Running single models on small hand-made warehouse fixtures.

``model_db`` gives an in-memory DuckDB with helpers to load input tables from pandas frames and
run named models from ``transforms/`` (the same SQL the runner builds, with the same checks), so a
model can be compared with an independent pandas computation on inputs small enough to reason
about.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd
import pytest

from flows.settings import ProductRules
from flows.warehouse.build import load_models, run_checks, write_product_rules

MODELS = {m.name: m for m in load_models()}


@dataclass
class ModelDb:
    con: duckdb.DuckDBPyConnection

    def table(self, name: str, frame: pd.DataFrame, types: dict[str, str] | None = None) -> None:
        """Create ``name`` from ``frame``; ``types`` casts columns (e.g. ``{"gmv": "decimal(18, 2)"}``)."""
        self.con.register("input_frame", frame)
        columns = ", ".join(f"{c}::{(types or {}).get(c)} as {c}" if c in (types or {}) else c
                            for c in frame.columns)
        self.con.execute(f"create or replace table {name} as select {columns} from input_frame")
        self.con.unregister("input_frame")

    def rules(self, **overrides) -> ProductRules:
        rules = ProductRules(**overrides)
        write_product_rules(self.con, rules)
        return rules

    def run(self, *names: str) -> None:
        """Build the named models in order and fail on a failing ``fail`` check."""
        for name in names:
            model = MODELS[name]
            self.con.execute(f"create or replace table {name} as\n{model.sql}")
            failed = [c.line() for c in run_checks(self.con, model) if c.level == "fail" and not c.passed]
            assert not failed, failed

    def df(self, sql: str, params=None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()


@pytest.fixture
def model_db():
    con = duckdb.connect()
    yield ModelDb(con)
    con.close()


@pytest.fixture
def new_model_db():
    """A factory of fresh in-memory model databases (e.g. one per hypothesis example)."""
    opened = []

    def make() -> ModelDb:
        opened.append(duckdb.connect())
        return ModelDb(opened[-1])

    yield make
    for con in opened:
        con.close()
