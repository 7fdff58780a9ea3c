"""Past one machine: a parent flow fans out one child run per shop to a Prefect work pool.

- ``extract_shop`` (deployment ``extract-shop/extract-shop``): the child. It extracts one shop's
  inbox to the Parquet lake (:func:`flows.lake.extract_to_lake`) and never opens the warehouse,
  so any number of them can run at once, on any worker.
- ``fan_out_daily`` (deployment ``fan-out-daily/fan-out-daily``): the parent. It takes the run
  lock, starts one ``extract-shop`` run per shop with ``run_deployment`` (all submitted first,
  then waited for), loads the lake into the warehouse as its single writer
  (:func:`flows.lake.load_lake`), and then does what the daily flow does after its ingest:
  the freshness check, the build, the reports and their delivery (the same tasks, from
  ``flows.daily_report``).

The parent and the children should poll different work pools (``prefect.yaml``: ``shopreport``
and ``shopreport-extract``): a parent that occupies the only slot of the pool its children
wait in would wait forever. See docs/scale-out.md.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows import pipeline
from flows.daily_report import _daily, _flow_run_id, build_task
from flows.lake import Extractor, extract_to_lake, load_lake
from flows.runlock import run_lock
from flows.settings import Settings, load_settings
from flows.warehouse.db import install_salt

EXTRACT_DEPLOYMENT = "extract-shop/extract-shop"
LAKE_DIR_NAME = "lake"


def lake_path(settings: Settings, lake: str | None = None) -> Path:
    """The lake folder: ``lake`` when given, else ``lake/`` beside the configuration file."""
    return Path(lake) if lake else settings.base_dir / LAKE_DIR_NAME


@flow(name="extract-shop", log_prints=True, persist_result=True)
def extract_shop(config: str | None = None, shop_id: str = "", lake: str | None = None) -> dict:
    """Extract one shop's inbox to the Parquet lake; return what was written, by whom."""
    settings = load_settings(config)
    extractor = Extractor.current()
    written = extract_to_lake(settings, shop_id, lake_path(settings, lake), extractor=extractor)
    exports = sum(1 for p in written if "_lineage/exports" in p.as_posix())
    print(f"extract {shop_id}: {exports} export(s), {len(written)} lake file(s); "
          f"worker {extractor.worker or '(none)'}, pid {extractor.pid}")
    return {"shop_id": shop_id, "exports": exports, "files": len(written), "pid": extractor.pid,
            "worker": extractor.worker, "flow_run_id": extractor.flow_run_id,
            "host": os.uname().nodename}


@task(name="load-lake", cache_policy=NO_CACHE)
def load_lake_task(settings: Settings, lake: Path):
    report = load_lake(settings, lake)
    print(f"load: {report.summary()}")
    return report


@flow(name="fan-out-daily", log_prints=True)
def fan_out_daily(config: str | None = None, report_date: dt.date | None = None,
                  deployment: str = EXTRACT_DEPLOYMENT, shops: list[str] | None = None,
                  lake: str | None = None, reports: bool = True, resend: bool = False,
                  poll_seconds: float = 2.0) -> dict:
    """Extract every shop in parallel (one ``deployment`` run each), load the lake as the one
    writer, build, and (with ``reports``) render and send the daily reports as ``daily-report``
    does. Returns the children's summaries, the load summary and where each mail went."""
    settings = load_settings(config)
    shop_ids = shops or [s.id for s in settings.shops]
    lake_dir = lake_path(settings, lake)
    scope_dates = {scope_id: report_date or pipeline.default_report_date(settings, scope_id)
                   for scope_id in pipeline.report_scopes(settings)}
    run_id = _flow_run_id()
    with run_lock(settings.run_lock_path, "fan-out-daily flow"):
        try:
            install_salt(settings.warehouse_path)  # before the children read it (or race to create it)
            children = extract_shops(str(settings.config_path), shop_ids, str(lake_dir), deployment,
                                     poll_seconds)
            load = load_lake_task(settings, lake_dir)
            failed = [c for c in children if c["state"] != "COMPLETED"]
            if failed:  # what landed is loaded (whole exports only); no report from a partial extract
                raise pipeline.RunIncomplete(
                    f"{len(failed)} of {len(children)} extract run(s) did not complete: "
                    + "; ".join(f"{c['shop_id']} {c['state']} ({c['flow_run_id']})" for c in failed))
            if reports:
                deliveries = _daily(settings, scope_dates, False, resend, run_id)
            else:
                build_task(settings)
                deliveries = []
        except Exception as exc:
            if reports and pipeline.notify_failure(settings, max(scope_dates.values()), exc, run_id):
                print(f"failure notice sent to {', '.join(settings.mail.admin_recipients)}")
            raise
    return {"children": children, "load": load.summary(), "deliveries": deliveries}


def extract_shops(config: str, shop_ids: list[str], lake: str, deployment: str = EXTRACT_DEPLOYMENT,
                  poll_seconds: float = 2.0) -> list[dict]:
    """Start one ``deployment`` run per shop, all at once, then wait for every one to finish.

    ``timeout=0`` makes ``run_deployment`` return as soon as the run is created (a worker picks
    it up later); the runs show as subflows of this one. Returns, per shop, the final state and
    the child's summary (when its result can be read here: a shared result storage).
    """
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment

    started = {shop_id: run_deployment(deployment, timeout=0, as_subflow=True,
                                       parameters={"config": config, "shop_id": shop_id, "lake": lake},
                                       flow_run_name=f"extract-{shop_id}")
               for shop_id in shop_ids}
    print(f"started {len(started)} extract run(s) on {deployment}: "
          + ", ".join(f"{s} {r.id}" for s, r in started.items()))
    finished = {}
    with get_client(sync_client=True) as client:
        while len(finished) < len(started):
            for shop_id, run in started.items():
                if shop_id not in finished:
                    current = client.read_flow_run(run.id)
                    if current.state and current.state.is_final():
                        finished[shop_id] = current
            if len(finished) < len(started):
                time.sleep(poll_seconds)
    summaries = []
    for shop_id, run in finished.items():
        summary = {"shop_id": shop_id, "flow_run_id": str(run.id), "state": run.state.type.value}
        if run.state.is_completed():
            try:
                summary.update(run.state.result(raise_on_failure=False))
            except Exception as exc:  # noqa: BLE001 - the lake's manifests still say who extracted what
                summary["result"] = f"not readable here ({type(exc).__name__}: {exc})"
        print(f"  {shop_id}: {summary['state']}, worker {summary.get('worker') or '?'}, "
              f"pid {summary.get('pid') or '?'}, {summary.get('exports', '?')} export(s)")
        summaries.append(summary)
    return summaries


def main(argv: list[str] | None = None) -> None:
    """``python -m flows.scaleout [--config PATH] [--date D] [--no-reports]``: run the parent here
    (against ``PREFECT_API_URL``; the children run on the workers of the extract pool)."""
    import argparse
    import json

    parser = argparse.ArgumentParser(prog="python -m flows.scaleout", description=fan_out_daily.description)
    parser.add_argument("--config")
    parser.add_argument("--date", type=dt.date.fromisoformat)
    parser.add_argument("--deployment", default=EXTRACT_DEPLOYMENT)
    parser.add_argument("--lake")
    parser.add_argument("--no-reports", action="store_true", help="load and build only")
    args = parser.parse_args(argv)
    result = fan_out_daily(config=args.config, report_date=args.date, deployment=args.deployment,
                           lake=args.lake, reports=not args.no_reports)
    print(json.dumps(result, default=str, ensure_ascii=False))


if __name__ == "__main__":
    main()
