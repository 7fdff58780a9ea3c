"""The DuckDB warehouse: one file, one writer. See docs/architecture.md."""
