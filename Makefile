# shopreport — the two commands of the README, plus a few helpers.
# Each target does its own set-up (system packages when missing, .venv, the project installed).

VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test setup lint clean bench-ingest bench

demo:  ## generate the demo business, run the whole pipeline, print where the reports and mails are
	@bash scripts/bootstrap.sh
	$(BIN)/shopreport demo --dir demo --fresh

test:  ## the test suite (real DuckDB, real SMTP server on 127.0.0.1, real PDFs, real Prefect runs)
	@bash scripts/bootstrap.sh test
	$(BIN)/python -m pytest -n 2 --dist loadfile

setup:
	@bash scripts/bootstrap.sh test

lint:  ## SQL style (sqlfluff, settings in pyproject.toml)
	@bash scripts/bootstrap.sh test
	$(BIN)/sqlfluff lint transforms

clean:
	rm -rf demo .pytest_cache

bench-ingest:  ## ingest rows/s on 1M-line synthetic exports, beside cat / DuckDB / pandas baselines
	@bash scripts/bootstrap.sh test
	$(BIN)/python bench/ingest_bench.py --rows 1000000 --repeat 3 --reference

bench:  ## end to end: full build, morning run, weekly run and memory, beside DuckDB/pandas scripts and cat (200k lines a year: about 17 minutes on 2 cores)
	@bash scripts/bootstrap.sh test
	$(BIN)/python bench/bench.py --out /tmp/shopreport-bench
