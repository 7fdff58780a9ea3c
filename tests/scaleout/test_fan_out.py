"""Past one machine, on localhost: a real ``prefect server start``, the ``extract-shop``
deployment from prefect.yaml on a process work pool, two workers taking one run at a time, and
the ``fan-out-daily`` parent run for four shops. The warehouse it leaves must equal a
single-process ingest + build of the same exports.

Everything runs in subprocesses with their own ``PREFECT_HOME`` (SQLite) under a temp folder,
each in its own process group, torn down however the test ends. On failure the message carries
the server's, the workers' and the parent's logs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from flows import pipeline
from flows.lake import lake_partitions
from flows.prefect_server import free_port, healthy
from flows.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
DEMO_END = dt.date(2026, 11, 22)
WORKERS = ("scaleout-worker-a", "scaleout-worker-b")
EXTRACT_POOL = "shopreport-extract"  # prefect.yaml's pool of the extract-shop deployment

pytestmark = pytest.mark.slow


class Processes:
    """Background processes in their own process groups, with their logs in files."""

    def __init__(self, folder: Path, env: dict[str, str]):
        self.folder, self.env, self.started = folder, env, []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop_all
        proc = subprocess.Popen([sys.executable, "-m", "prefect", *args], cwd=ROOT, env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc, log))
        return proc

    def run(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        done = subprocess.run(args, cwd=ROOT, env=self.env, capture_output=True, text=True, timeout=timeout, check=False)
        (self.folder / f"{name}.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        assert done.returncode == 0, f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}\n{self.logs()}"
        return done

    def logs(self, tail: int = 60) -> str:
        parts = []
        for path in sorted(self.folder.glob("*.log")):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()[-tail:]
            parts.append(f"----- {path.name} (last {len(lines)} lines) -----\n" + "\n".join(lines))
        return "\n".join(parts)

    def stop_all(self) -> None:
        for _, proc, _ in reversed(self.started):  # SIGINT: a worker stops at once, SIGTERM it ignores
            _signal_group(proc, signal.SIGINT)
        deadline = time.monotonic() + 15
        for _, proc, log in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait(timeout=10)
            log.close()


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)  # start_new_session: the group id is the process id
    except ProcessLookupError:
        pass


def _wait_healthy(port: int, server: subprocess.Popen, procs: Processes, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, f"prefect server exited with {server.returncode}\n{procs.logs()}"
        if healthy(port, timeout=2):
            return
        time.sleep(0.5)
    raise AssertionError(f"prefect server not healthy after {timeout}s\n{procs.logs()}")


def _four_shop_demo(folder: Path) -> Path:
    """The demo business (two shops), plus a copy of each shop's exports as two more shops."""
    from flows.demo import generate_demo
    from flows.demo.config import write_config

    generate_demo(folder, DEMO_END, days=14, daily_days=2)
    shops = list(load_settings(folder / "shopreport.toml").shops)
    copies = [replace(s, id=f"{s.id}_2", name=f"{s.name} 2") for s in shops]
    for shop, copy in zip(shops, copies):
        shutil.copytree(folder / "inbox" / shop.id, folder / "inbox" / copy.id)
    return write_config(folder, shops + copies)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Server + process pool + extract-shop deployment (from prefect.yaml) + two workers."""
    folder = tmp_path_factory.mktemp("prefect-cluster")
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "SHOPREPORT_"))}
    env.update({
        "PREFECT_HOME": str(folder / "prefect-home"),
        "PREFECT_API_URL": api,
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "1",      # poll the pool every second (default 10)
        "PREFECT_WORKER_PREFETCH_SECONDS": "1",
        "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30",  # the minimum; the runs here last seconds
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "SHOPREPORT_HOME": str(ROOT),               # prefect.yaml's pull step: run from this checkout
        "MPLCONFIGDIR": str(folder / "mpl"),
    })
    procs = Processes(folder, env)
    try:
        server = procs.start("server", "server", "start", "--host", "127.0.0.1", "--port", str(port))
        _wait_healthy(port, server, procs)
        procs.run("work-pool", sys.executable, "-m", "prefect", "work-pool", "create", EXTRACT_POOL,
                  "--type", "process")
        procs.run("deploy", sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--name", "extract-shop")
        for name in WORKERS:
            procs.start(name, "worker", "start", "--pool", EXTRACT_POOL, "--name", name, "--limit", "1")
        yield procs
    finally:
        procs.stop_all()


@pytest.fixture(scope="module")
def fanned_out(cluster, tmp_path_factory):
    """The parent flow over four shops (run here, as ``python -m flows.scaleout``); returns
    (settings, the parent's result, seconds)."""
    config = _four_shop_demo(tmp_path_factory.mktemp("fan-out"))
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "flows.scaleout", "--config", str(config),
                           "--date", DEMO_END.isoformat(), "--no-reports"],
                          cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=300, check=False)
    (cluster.folder / "parent.log").write_text(done.stdout + done.stderr, encoding="utf-8")
    assert done.returncode == 0, f"the fan-out-daily run failed\n{cluster.logs()}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return load_settings(config), result, time.monotonic() - started


@pytest.fixture(scope="module")
def single_process(fanned_out, tmp_path_factory):
    """The same four shops' exports, ingested and built in one process (no Prefect, no lake)."""
    fan_settings, _, _ = fanned_out
    config = _four_shop_demo(tmp_path_factory.mktemp("single"))
    settings = load_settings(config)
    settings.warehouse_path.parent.mkdir(parents=True)
    shutil.copyfile(fan_settings.warehouse_path.parent / ".buyer_salt",  # the same install
                    settings.warehouse_path.parent / ".buyer_salt")
    pipeline.ingest(settings)
    pipeline.build_warehouse(settings)
    return settings


def test_both_workers_ran_extract_runs(fanned_out, cluster):
    settings, result, seconds = fanned_out
    children = result["children"]
    assert sorted(c["shop_id"] for c in children) == sorted(s.id for s in settings.shops)
    assert {c["state"] for c in children} == {"COMPLETED"}, cluster.logs()
    assert {c["worker"] for c in children} == set(WORKERS), (children, cluster.logs())
    assert len({c["pid"] for c in children}) == len(children)  # a process per run
    assert all(c["pid"] != os.getpid() for c in children)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        workers = {w for (w,) in con.execute("select distinct worker from lake_loads").fetchall()}
    assert workers == set(WORKERS)  # the lineage says who extracted each export
    print(f"fan-out of {len(children)} shops in {seconds:.0f}s: "
          + ", ".join(f"{c['shop_id']}→{c['worker']} (pid {c['pid']})" for c in children))


def test_every_shop_is_in_the_lake_and_left_the_inbox(fanned_out):
    settings, _, _ = fanned_out
    lake = settings.base_dir / "lake"
    for entity in ("orders", "traffic", "ad_spend"):
        shops = {shop for shop, _ in lake_partitions(lake, entity)}
        assert shops == {s.id for s in settings.shops}, entity
    orders = lake_partitions(lake, "orders")
    for shop in settings.shops:
        assert (shop.id, DEMO_END) in orders
        assert [p for p in (settings.inbox_dir / shop.id).iterdir()] == []
    assert not list(lake.rglob("*.partial"))


def _columns(con, table: str, db: str) -> list[tuple[str, str]]:
    return con.execute("select column_name, data_type from duckdb_columns() where database_name = ? "
                       "and table_name = ? order by column_index", [db, table]).fetchall()


def _select(con, table: str, db: str, skip: set[str]) -> list[tuple]:
    """Every row, floating-point columns rounded to 9 digits (parallel sums may differ in the last bit)."""
    cols = []
    for name, ctype in _columns(con, table, db):
        if name in skip:
            continue
        cols.append(f'round("{name}", 9)' if ctype in ("DOUBLE", "FLOAT") else f'"{name}"')
    return con.execute(f"select {', '.join(cols)} from {db}.{table} order by all").fetchall()


def test_the_warehouse_equals_a_single_process_build(fanned_out, single_process):
    fan_settings, _, _ = fanned_out
    with duckdb.connect(str(fan_settings.warehouse_path), read_only=True) as con:
        con.execute(f"attach '{single_process.warehouse_path}' as single (read_only)")
        ours_db = con.execute("select current_database()").fetchall()[0][0]
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'single' "
            "and (table_name like 'raw\\_%' escape '\\' or table_name like 'rpt\\_%' escape '\\' "
            "or table_name in ('source_files', 'rejects')) order by 1").fetchall()]
        assert "raw_orders" in tables and sum(t.startswith("rpt_") for t in tables) >= 20
        differ = []
        for table in tables:
            # the same rows, source_file_id included; only who loaded them, when and from where differ
            skip = {"run_id", "loaded_at", "landing_path"}
            assert _columns(con, table, ours_db) == _columns(con, table, "single"), table
            ours, theirs = _select(con, table, ours_db, skip), _select(con, table, "single", skip)
            if ours != theirs:
                differ.append(f"{table}: {len(ours)} vs {len(theirs)} rows")
            elif table == "raw_orders":
                assert len(ours) > 1000
        assert differ == []


def _api(cluster, path: str, body: dict) -> list[dict]:
    request = urllib.request.Request(cluster.env["PREFECT_API_URL"] + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def test_a_command_against_the_server_has_shipped_every_log_line_when_it_exits(cluster, single_process):
    """The command leaves with ``os._exit`` once its exit handlers ran (flows/cli.py ``run``):
    by then Prefect's log worker has sent the run's log lines to the server, the flow run's last
    one ("Finished in state …") among them, and the server knows the run finished."""
    done = subprocess.run([sys.executable, "-m", "flows", "build", "--config", str(single_process.config_path)],
                          cwd=ROOT, env=cluster.env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    printed = [line.split(" - ", 1)[1] for line in (done.stdout + done.stderr).splitlines()
               if " | INFO    | " in line and " - View at http" not in line]
    runs = _api(cluster, "/flow_runs/filter", {"sort": "START_TIME_DESC", "limit": 1,
                                               "flow_runs": {"name": {"any_": [_run_name(done.stdout + done.stderr)]}}})
    assert len(runs) == 1 and runs[0]["state"]["type"] == "COMPLETED"
    logs = _api(cluster, "/logs/filter", {"logs": {"flow_run_id": {"any_": [runs[0]["id"]]}},
                                          "sort": "TIMESTAMP_ASC", "limit": 200})
    shipped = [log["message"] for log in logs]
    assert len(printed) >= 4 and shipped == printed  # every line, in order, the last one too
    assert shipped[-1].startswith("Finished in state Completed")


def _run_name(output: str) -> str:
    line = next(line for line in output.splitlines() if "Beginning flow run" in line)
    return line.split("Beginning flow run '", 1)[1].split("'", 1)[0]
