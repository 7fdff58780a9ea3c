"""End-to-end benchmark: the first load and full build, the morning run, the weekly report and
their peak memory, beside a hand-written DuckDB script, an idiomatic pandas script and ``cat``
on the same files.

    python bench/bench.py                      # the default: a few minutes on 2 cores
    python bench/bench.py --lines-per-year 1000000 --years 1,2,3 --repeat 3 --out /tmp/bench
    python bench/bench.py --lines-per-year 10000000 --years 1,2,3 --repeat 3 --out /big/disk
    python bench/bench.py --lines-per-year 10000000 --repeat 1 --morning-repeat 5 --out /big/disk

For every size (order lines a year over all shops × years of history) it writes the exports
once (``bench/dataset.py``: the demo's real formats, Tmall and Shopify shops alternating,
traffic and ad reports in proportion) into ``--out`` and measures, each in a fresh process,
``--repeat`` times (the morning and weekly steps ``--morning-repeat`` times, if given):

- full:     a fresh warehouse, ``flows.pipeline.ingest`` + ``build_warehouse`` of the history;
- morning:  a copy of that warehouse and the new day's exports (a late refund of a week-old order
            among them): (data) the files of every shop, ingest + build as plain functions, timed
            inside the process; (run) the files of one shop and ``shopreport run daily --date D
            --scope <shop>``: start-up, ingest, build, render, delivery to the outbox, wall clock;
            once with no server (Prefect starts a temporary one in the process) and once against a
            ``prefect server start`` the benchmark keeps running (how scheduled runs execute);
            (all shops) once per size, the files of every shop and ``shopreport run daily --date
            D`` against that server: the main job, every shop's report and the all-shops one;
- weekly:   ``shopreport run weekly --no-ingest --scope <shop>`` on the loaded warehouse;
- baselines: ``bench/baseline_duckdb.py``, ``bench/baseline_pandas.py`` and ``cat`` of the bytes;
            for the morning, ``baseline_duckdb.py --morning``: the hand-written incremental day
            (the new files of every shop into the history's orders, kept in a DuckDB file, and
            the touched shop-days' metrics recomputed), timed inside the process like the
            morning data step.

Peak memory is each process's own max RSS (``wait4``; a child process's peak counts when the
process waited for it). The three daily shop metrics (GMV, paid orders, paying buyers per shop and
day) of shopreport's ``fct_shop_daily`` and of both baselines must agree to the cent, and so must
shopreport's after the first morning data step and the DuckDB script's morning: any difference
is printed and the exit status is 1. The table is printed and written to
``--out/result.md``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.dataset import MORNING, ensure_dataset, link_tree

PROJECT_FILES = ("shopreport.toml", "fx_rates.csv", "targets.csv")
METRICS = ("gmv", "paid_orders", "paying_buyers")


@dataclass
class Step:
    size: str
    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)


# ----------------------------------------------------------------------------------------------
# processes
# ----------------------------------------------------------------------------------------------

class TreePeak:
    """The largest summed RSS of a process and all its descendants (its worker processes), sampled
    every :attr:`every` seconds while it runs. ``ru_maxrss`` is one process's peak: the largest
    of the tree's, never their sum."""

    every = 0.2

    def __init__(self) -> None:
        self.peak_mib = 0.0
        self._done = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._sample, args=(pid,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        if self._thread:
            self._thread.join()

    def _sample(self, root: int) -> None:
        page = os.sysconf("SC_PAGE_SIZE")
        while not self._done.wait(self.every):
            parents = {}
            for entry in os.scandir("/proc"):
                if entry.name.isdigit():
                    try:
                        with open(f"/proc/{entry.name}/stat", "rb") as f:
                            parents[int(entry.name)] = int(f.read().rsplit(b")", 1)[1].split()[1])
                    except (OSError, ValueError, IndexError):
                        continue
            tree, grew = {root}, True
            while grew:
                more = {pid for pid, parent in parents.items() if parent in tree} - tree
                tree |= more
                grew = bool(more)
            total = 0
            for pid in tree:
                try:
                    with open(f"/proc/{pid}/statm", "rb") as f:
                        total += int(f.read().split()[1]) * page
                except (OSError, ValueError, IndexError):
                    continue
            self.peak_mib = max(self.peak_mib, total / 2**20)


def run_process(cmd: list[str], cwd: Path | None = None, env: dict | None = None,
                log: Path | None = None, tree: TreePeak | None = None) -> tuple[float, float, str]:
    """Run ``cmd`` to its end: (wall seconds, its max RSS in MiB, its output); ``tree`` samples
    the summed RSS of its process tree meanwhile."""
    out = open(log, "w+b") if log else subprocess.DEVNULL  # noqa: SIM115 (closed below)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env or child_env(), stdout=out, stderr=subprocess.STDOUT)
    if tree:
        tree.start(proc.pid)
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if tree:
            tree.stop()
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    text = ""
    if log:
        out.seek(0)
        text = out.read().decode("utf-8", "replace")
        out.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({proc.returncode}):\n{text[-3000:]}")
    return wall, usage.ru_maxrss / 1024, text


def ensure_dataset_apart(out: Path, lines_per_year: int, shops: int, years: int, log) -> tuple[Path, dict]:
    """:func:`ensure_dataset`, the writing done in a child process. Writing a dataset grows a
    process by gigabytes at 10M lines, and Linux carries a process's high-water RSS over fork and
    exec into its child's ``ru_maxrss``: every process started afterwards would report at least
    that as its peak."""
    code = (f"from pathlib import Path\nfrom bench.dataset import ensure_dataset\n"
            f"ensure_dataset(Path({str(out)!r}), {lines_per_year}, {shops}, {years})")
    _, _, text = run_process([python(), "-c", code], env=child_env(), log=out / "dataset.log")
    for line in text.splitlines():
        log(line)
    return ensure_dataset(out, lines_per_year, shops, years, log=log)  # written: reads its manifest


def own_rss_mb() -> float:
    """This process's resident memory now (the floor of every child's reported peak)."""
    with open("/proc/self/status", encoding="ascii") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) / 1024


def child_env(prefect_home: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "SHOPREPORT_"))}  # no heartbeats setting, no server URL
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = "120"  # a loaded machine: slow, not failed
    if prefect_home:
        env["PREFECT_HOME"] = str(prefect_home)
    return env


def child(mode: str, project: Path) -> None:
    """In a fresh process: ingest + build as plain functions; print timings as JSON."""
    from flows import pipeline
    from flows.settings import load_settings

    settings = load_settings(project / "shopreport.toml")
    start = time.perf_counter()
    report = pipeline.ingest(settings)
    ingested = time.perf_counter()
    result = pipeline.build_warehouse(settings, if_changed=mode == "morning")
    built = time.perf_counter()
    bad = report.count("refused") + report.count("unrecognised")
    print(json.dumps({"ingest": ingested - start, "build": built - ingested, "bad_files": bad,
                      "summary": report.summary(), "models": len(result.models), "notes": result.notes}))


MORNING_BASELINE = "baseline: DuckDB script, morning"
ALL_SHOPS_RUN = "(b) morning run, all shops (CLI, Prefect server running)"


def morning_baseline(kept: Path, data: Path, work: Path) -> tuple[float, float]:
    """The DuckDB script's incremental day (``baseline_duckdb.py --morning``) on a copy of the kept
    orders: the seconds of its work (timed inside, as the morning data step is) and its peak RSS.
    Its metrics are left in ``work/baseline_morning.csv``."""
    copy = work / "baseline-morning.duckdb"
    shutil.copyfile(kept, copy)
    os.sync()  # as loaded_copy: the copy on disk before the timed run
    _, rss, text = run_process([python(), str(ROOT / "bench" / "baseline_duckdb.py"), "--morning", str(copy),
                                str(data), str(work / "baseline_morning.csv")], log=work / "baseline-morning.log")
    return json.loads(text.strip().splitlines()[-1])["seconds"], rss


def python() -> str:
    return sys.executable


def shopreport_cli() -> list[str]:
    return [python(), "-m", "flows"]


# ----------------------------------------------------------------------------------------------
# projects
# ----------------------------------------------------------------------------------------------

def new_project(data: Path, target: Path, memory_limit: str | None, inbox: str = "inbox") -> Path:
    """A run folder: the dataset's configuration and reference files, ``inbox`` linked in."""
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copyfile(data / name, target / name)
    if memory_limit:
        with (target / "shopreport.toml").open("a", encoding="utf-8") as f:
            f.write(f'\n[warehouse]\nmemory_limit = "{memory_limit}"\n')
    if inbox:
        link_tree(data / inbox, target / "inbox")
    return target


def loaded_copy(loaded: Path, data: Path, target: Path, memory_limit: str | None, with_morning: bool,
                shop: str | None = None) -> Path:
    """A copy of a loaded project's warehouse (and its salt and send ledger), with the new day's
    exports in the inbox when ``with_morning`` (only ``shop``'s when given)."""
    new_project(data, target, memory_limit, inbox="" if not with_morning else
                "morning" if shop is None else f"morning/{shop}")
    if with_morning and shop is not None:  # new_project linked the shop's files into inbox/ itself
        (target / "inbox" / shop).mkdir()
        for path in list((target / "inbox").iterdir()):
            if path.is_file():
                path.rename(target / "inbox" / shop / path.name)
    shutil.copytree(loaded / "warehouse", target / "warehouse")
    # written to disk before the timed run, as a warehouse is that was written the day before:
    # otherwise the run's first checkpoint (its fsync) pays for writing the copy's gigabytes
    # (0.8-1 s at 10M lines a year)
    os.sync()
    (target / "inbox").mkdir(exist_ok=True)
    return target


def build_line(text: str) -> str:
    """The run's last "built N models … in S s" line, without its log prefix."""
    built = [line for line in text.splitlines() if "built " in line and " models" in line]
    return built[-1].split(" - ")[-1].strip() if built else "no build line"


def run_phases(text: str, started: datetime, ended: datetime) -> dict[str, float] | None:
    """Split a CLI run's wall time by its Prefect log lines (``HH:MM:SS.mmm | INFO | …``):
    start-up (imports and the temporary server, to the flow's first line), ingest (the freshness
    gate's task), build, render + deliver (to the flow's end), shut-down."""
    marks = {}
    for line in text.splitlines():
        if len(line) < 13 or line[2] != ":" or line[8] != ".":
            continue
        try:
            clock = datetime.strptime(line[:12], "%H:%M:%S.%f").time()
        except ValueError:
            continue
        when = datetime.combine(started.date(), clock)
        if when < started - timedelta(seconds=1):
            when += timedelta(days=1)
        if "Beginning flow run" in line:
            marks.setdefault("begin", when)
        elif "freshness-gate" in line and "Finished in state" in line:
            marks["ingested"] = when
        elif "Task run 'build" in line and "Finished in state" in line:
            marks["built"] = when
        elif "Flow run" in line and "Finished in state" in line:
            marks["end"] = when
    if set(marks) != {"begin", "ingested", "built", "end"}:
        return None
    return {"start-up": (marks["begin"] - started).total_seconds(),
            "ingest": (marks["ingested"] - marks["begin"]).total_seconds(),
            "build": (marks["built"] - marks["ingested"]).total_seconds(),
            "render + deliver": (marks["end"] - marks["built"]).total_seconds(),
            "shut-down": (ended - marks["end"]).total_seconds()}


class PrefectServer:
    """``prefect server start`` on a free localhost port with its own home (started once, untimed):
    how scheduled runs execute (deployments need a server), so that the morning run can be timed
    both ways. ``env`` is the environment of a run against it."""

    def __init__(self, home: Path, log) -> None:
        from flows.prefect_server import free_port, healthy

        home.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.env = child_env(home / "home")
        self.env["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
        server_env = {k: v for k, v in self.env.items() if k != "PREFECT_API_URL"}
        self.log_file = open(home / "server.log", "wb")  # noqa: SIM115 (closed in stop)
        log(f"  starting a Prefect server on 127.0.0.1:{port} (untimed)")
        self.proc = subprocess.Popen([python(), "-m", "prefect", "server", "start", "--host", "127.0.0.1",
                                      "--port", str(port)], env=server_env, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"prefect server exited with {self.proc.returncode}; see {home / 'server.log'}")
            if healthy(port, timeout=2):
                return
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"prefect server not healthy after 180 s; see {home / 'server.log'}")

    def stop(self) -> None:
        import signal

        try:
            os.killpg(self.proc.pid, signal.SIGINT)
            self.proc.wait(timeout=20)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.log_file.close()


def cat_seconds(folder: Path) -> float:
    files = [str(p) for p in sorted(folder.rglob("*")) if p.is_file()]
    start = time.perf_counter()
    with open(os.devnull, "wb") as null:
        for i in range(0, len(files), 500):
            subprocess.run(["cat", *files[i:i + 500]], stdout=null, check=True)
    return time.perf_counter() - start


def week_of(day: date) -> str:
    """The ISO week that ends the day before ``day`` (a Monday): ``2026-W48``."""
    year, week, _ = (day - timedelta(days=1)).isocalendar()
    return f"{year}-W{week:02d}"


# ----------------------------------------------------------------------------------------------
# agreement
# ----------------------------------------------------------------------------------------------

def read_metrics(path: Path) -> dict[tuple[str, str], tuple[int, int, int]]:
    """``(shop, day) → (gmv in cents, paid orders, paying buyers)``; days without sales dropped."""
    rows = {}
    with path.open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            cents = round(float(row["gmv"]) * 100)
            value = (cents, int(row["paid_orders"]), int(row["paying_buyers"]))
            if value != (0, 0, 0):
                rows[(row["shop_id"], row["business_date"][:10])] = value
    return rows


def disagreements(reference: Path, others: dict[str, Path], limit: int = 5) -> list[str]:
    """Lines naming every (shop, day) where a baseline's metrics differ from the reference's."""
    ref = read_metrics(reference)
    problems = []
    for name, path in others.items():
        got = read_metrics(path)
        diff = sorted(k for k in ref.keys() | got.keys() if ref.get(k) != got.get(k))
        for key in diff[:limit]:
            problems.append(f"{name}: {key[0]} {key[1]}: shopreport {ref.get(key)} vs {got.get(key)} "
                            f"(gmv cents, paid orders, paying buyers)")
        if len(diff) > limit:
            problems.append(f"{name}: … {len(diff) - limit} more day(s) differ")
    return problems


def export_shopreport_metrics(project: Path, out_csv: Path) -> None:
    from flows.settings import load_settings
    from flows.warehouse.db import open_warehouse

    settings = load_settings(project / "shopreport.toml")
    with open_warehouse(settings.warehouse_path, read_only=True) as con:
        con.execute(f"""copy (select shop_id, business_date, gmv, paid_orders, paying_buyers
                              from fct_shop_daily order by all) to '{out_csv}' (header)""")


# ----------------------------------------------------------------------------------------------
# one size
# ----------------------------------------------------------------------------------------------

def bench_size(args, lines_per_year: int, years: int, log,
               server: PrefectServer | None = None) -> tuple[list[Step], list[str], dict]:
    out: Path = args.out
    size = f"{lines_per_year / 1e6:g}M/yr × {years}y"
    log(f"\n== {size}, {args.shops} shops ==")
    data, manifest = ensure_dataset_apart(out, lines_per_year, args.shops, years, log)
    work = out / f"work-{data.name.removeprefix('data-')}"
    work.mkdir(parents=True, exist_ok=True)
    scope = manifest["shops"][0]["id"]
    prefect_home = out / "prefect-home"
    steps = {name: Step(size, name) for name in (
        "cat (history bytes)", "baseline: DuckDB script", "baseline: pandas script",
        MORNING_BASELINE, "(a) full: ingest + build", "(a)   of which ingest", "(a)   of which build",
        "(b) morning data: ingest + build",
        "(b) morning run, 1 shop (CLI, no server)",
        "(b)   start-up (imports, temporary Prefect server)", "(b)   ingest", "(b)   build",
        "(b)   render + deliver",
        "(b) morning run, 1 shop (CLI, Prefect server running)",
        "(b)   start-up (imports, API client)",
        ALL_SHOPS_RUN,
        "(c) weekly run, 1 shop (CLI)")}
    note = {}

    for _ in range(args.repeat):
        steps["cat (history bytes)"].seconds.append(cat_seconds(data / "inbox"))
        for label, script, csv_name in (
                ("baseline: DuckDB script", args.duckdb_baseline or ROOT / "bench" / "baseline_duckdb.py",
                 "baseline_duckdb.csv"),
                ("baseline: pandas script", ROOT / "bench" / "baseline_pandas.py", "baseline_pandas.csv")):
            wall, rss, _ = run_process([python(), str(script), str(data), str(work / csv_name)])
            steps[label].seconds.append(wall)
            steps[label].rss_mb.append(rss)
        log(f"  baselines: DuckDB {steps['baseline: DuckDB script'].seconds[-1]:.1f}s, "
            f"pandas {steps['baseline: pandas script'].seconds[-1]:.1f}s")

    loaded = work / "loaded"
    for i in range(args.repeat):
        project = new_project(data, loaded, args.memory_limit)
        wall, rss, text = run_process([python(), str(Path(__file__).resolve()), "--child", "full", str(project)],
                                      log=work / "full.log")
        timings = json.loads(text.strip().splitlines()[-1])
        for name, value in (("(a) full: ingest + build", wall), ("(a)   of which ingest", timings["ingest"]),
                            ("(a)   of which build", timings["build"])):
            steps[name].seconds.append(value)
            steps[name].rss_mb.append(rss)
        note["full"] = timings
        log(f"  full {i + 1}: {wall:.1f}s wall (ingest {timings['ingest']:.1f}s, build {timings['build']:.1f}s), "
            f"{rss:.0f} MiB; {timings['summary']}")
        if timings["bad_files"]:
            raise RuntimeError(f"the full load refused or did not recognise files: {timings['summary']}")

    export_shopreport_metrics(loaded, work / "shopreport.csv")
    problems = disagreements(work / "shopreport.csv", {"DuckDB script": work / "baseline_duckdb.csv",
                                                       "pandas script": work / "baseline_pandas.csv"})
    days = len(read_metrics(work / "shopreport.csv"))
    log(f"  agreement on {days:,} shop-days: " + ("all three agree to the cent" if not problems else
                                                  f"{len(problems)} problem(s)"))
    for line in problems:
        log(f"    {line}")

    # the DuckDB script's incremental day starts from the history's orders kept in a file (untimed)
    kept = work / "baseline-orders.duckdb"
    kept.unlink(missing_ok=True)
    run_process([python(), str(ROOT / "bench" / "baseline_duckdb.py"), "--keep", str(kept), str(data),
                 str(work / "baseline_kept.csv")], log=work / "baseline-morning.log")

    day = MORNING.isoformat()
    for i in range(args.morning_repeat or args.repeat):
        project = loaded_copy(loaded, data, work / "morning-data", args.memory_limit, with_morning=True)
        wall, rss, text = run_process([python(), str(Path(__file__).resolve()), "--child", "morning", str(project)],
                                      log=work / "morning-data.log")
        timings = json.loads(text.strip().splitlines()[-1])
        steps["(b) morning data: ingest + build"].seconds.append(timings["ingest"] + timings["build"])
        steps["(b) morning data: ingest + build"].rss_mb.append(rss)
        log(f"  morning data {i + 1}: ingest {timings['ingest']:.2f}s + build {timings['build']:.2f}s "
            f"({wall:.1f}s wall with imports), {rss:.0f} MiB; {timings['summary']}")
        for note in timings.get("notes", []):
            log(f"    build: {note}")
        seconds, rss = morning_baseline(kept, data, work)
        steps[MORNING_BASELINE].seconds.append(seconds)
        steps[MORNING_BASELINE].rss_mb.append(rss)
        log(f"  DuckDB script's morning {i + 1}: {seconds:.2f}s, {rss:.0f} MiB")
        if i == 0:
            export_shopreport_metrics(project, work / "shopreport_morning.csv")
            found = disagreements(work / "shopreport_morning.csv",
                                  {"DuckDB script's morning": work / "baseline_morning.csv"})
            log("  agreement after the morning: " + ("shopreport and the DuckDB script's morning agree"
                                                     if not found else f"{len(found)} problem(s)"))
            for line in found:
                log(f"    {line}")
            problems += found
        if args.no_cli:
            continue

        for variant, env in (("no server", child_env(prefect_home)),
                             ("Prefect server running", server.env if server else None)):
            if env is None:
                continue
            name = f"(b) morning run, 1 shop (CLI, {variant})"
            project = loaded_copy(loaded, data, work / "morning-run", args.memory_limit, with_morning=True,
                                  shop=scope)
            started = datetime.now()
            wall, rss, text = run_process([*shopreport_cli(), "run", "daily", "--date", day, "--scope", scope,
                                           "--config", str(project / "shopreport.toml")],
                                          cwd=project, env=env, log=work / "morning-run.log")
            mails = sorted((project / "outbox").rglob("*.eml"))
            if not mails:
                raise RuntimeError(f"the morning run delivered nothing to {project / 'outbox'}")
            steps[name].seconds.append(wall)
            steps[name].rss_mb.append(rss)
            phases = run_phases(text, started, started + timedelta(seconds=wall)) or {}
            if variant == "no server":
                for phase, seconds in phases.items():
                    for label, step in steps.items():
                        if label.startswith("(b)   ") and label[6:].startswith(phase) and "API client" not in label:
                            step.seconds.append(seconds)
            elif "start-up" in phases:
                steps["(b)   start-up (imports, API client)"].seconds.append(phases["start-up"])
            log(f"  morning run {i + 1} ({variant}): {wall:.1f}s wall, {rss:.0f} MiB, {len(mails)} mail(s); "
                + ", ".join(f"{k} {v:.1f}s" for k, v in phases.items()) + "; "
                + build_line(text))
            for line in text.splitlines():  # a build run twice (out of its incremental memory limit)
                if "build: " in line and "incremental_memory_limit" in line:
                    log("    " + line.split(" - ")[-1].strip())

        if i == 0 and server is not None:  # the main job: every shop's morning, every report (once: it is long)
            project = loaded_copy(loaded, data, work / "morning-all", args.memory_limit, with_morning=True)
            tree = TreePeak()
            wall, rss, text = run_process([*shopreport_cli(), "run", "daily", "--date", day,
                                           "--config", str(project / "shopreport.toml")],
                                          cwd=project, env=server.env, log=work / "morning-all.log", tree=tree)
            reports = sorted((project / "archive" / "daily").glob(f"*/{day}/*.pdf"))
            if len(reports) != len(manifest["shops"]) + 1:
                raise RuntimeError(f"the all-shops morning rendered {len(reports)} reports, not one per shop "
                                   f"and one for all shops ({project / 'archive'})")
            steps[ALL_SHOPS_RUN].seconds.append(wall)
            steps[ALL_SHOPS_RUN].rss_mb.append(rss)
            rendered = re.search(r"reports: \d+/\d+ done in ([\d.]+)s", text)
            workers = re.search(r"render: (\d+ of \d+ report\(s\) rendered by \d+ worker process\(es\)[^\n]*)", text)
            log(f"  morning run, all shops: {wall:.1f}s wall, {rss:.0f} MiB (its process tree: "
                f"{tree.peak_mib:.0f} MiB at most, sampled every {tree.every}s), {len(reports)} reports"
                + (f" in {rendered.group(1)}s" if rendered else "")
                + (f" ({workers.group(1)})" if workers else "") + "; " + build_line(text))

        project = loaded_copy(loaded, data, work / "weekly-run", args.memory_limit, with_morning=False)
        wall, rss, text = run_process([*shopreport_cli(), "run", "weekly", "--no-ingest", "--week", week_of(MORNING),
                                       "--scope", scope, "--config", str(project / "shopreport.toml")],
                                      cwd=project, env=child_env(prefect_home), log=work / "weekly-run.log")
        steps["(c) weekly run, 1 shop (CLI)"].seconds.append(wall)
        steps["(c) weekly run, 1 shop (CLI)"].rss_mb.append(rss)
        log(f"  weekly run {i + 1}: {wall:.1f}s wall, {rss:.0f} MiB")

    info = {"size": size, "order_lines": manifest["order_lines"], "history_mb": manifest["inbox_bytes"] / 2**20,
            "files": manifest["inbox_files"], "shop_days": days}
    return list(steps.values()), problems, info


# ----------------------------------------------------------------------------------------------
# the table
# ----------------------------------------------------------------------------------------------

def table(steps: list[Step], infos: list[dict], args) -> str:
    by = {(s.size, s.name): s for s in steps}
    head = ("| size | step | median s | spread (min–max) s | runs | peak RSS MiB | × DuckDB script "
            "| × pandas script | × cat | × DuckDB script's morning |")
    lines = [head, "|" + "---|" * 10]
    for s in steps:
        if not s.seconds:
            continue
        duck = by[(s.size, "baseline: DuckDB script")].median
        pandas_ = by[(s.size, "baseline: pandas script")].median
        cat = by[(s.size, "cat (history bytes)")].median
        morning = by[(s.size, MORNING_BASELINE)]
        rss = f"{max(s.rss_mb):,.0f}" if s.rss_mb else "–"
        # like with like: the data work on the 20 shops' new files (not a one-shop run through the command)
        versus_morning = (f"{s.median / morning.median:.2f}" if s.name == "(b) morning data: ingest + build"
                          and morning.seconds else "–")
        lines.append(f"| {s.size} | {s.name} | {s.median:.2f} | {min(s.seconds):.2f}–{max(s.seconds):.2f} "
                     f"| {len(s.seconds)} | {rss} | {s.median / duck:.2f} | {s.median / pandas_:.2f} "
                     f"| {s.median / cat:,.0f} | {versus_morning} |")
    sizes = "; ".join(f"{i['size']}: {i['order_lines']:,} order lines, {i['history_mb']:.0f} MiB in "
                      f"{i['files']} files, {i['shop_days']:,} shop-days" for i in infos)
    return "\n".join(lines) + f"\n\n{args.shops} shops. {sizes}.\n"


def machine() -> str:
    def sh(cmd: str) -> str:
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"
    import duckdb
    import pandas

    model = " ".join(sh("lscpu | grep 'Model name'").split()[2:]) or "?"
    mem = sh("free -g | grep Mem").split()
    return (f"nproc {sh('nproc')}, {model}, {mem[1] if len(mem) > 1 else '?'} GiB memory (free -g); "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pandas {pandas.__version__}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument("--lines-per-year", type=int, default=200_000, help="order lines a year, all shops (200000)")
    parser.add_argument("--years", default="1", help="years of history, comma-separated (1)")
    parser.add_argument("--shops", type=int, default=20, help="shops, Tmall and Shopify alternating (20)")
    parser.add_argument("--repeat", type=int, default=2, help="runs of each step (2)")
    parser.add_argument("--morning-repeat", type=int, default=None,
                        help="runs of the morning and weekly steps (default: --repeat); they cost "
                             "little beside a first load, and a noisy machine needs several")
    parser.add_argument("--memory-limit", help='warehouse.memory_limit for every run, e.g. "1GB" (default: none)')
    parser.add_argument("--out", type=Path, default=Path("/tmp/shopreport-bench"),
                        help="datasets (kept), run folders and result.md (/tmp/shopreport-bench)")
    parser.add_argument("--no-cli", action="store_true",
                        help="leave out the runs through the CLI (morning run, weekly run): no Prefect")
    parser.add_argument("--duckdb-baseline", type=Path, help=argparse.SUPPRESS)  # tests: a wrong baseline
    parser.add_argument("--child", nargs=2, metavar=("MODE", "PROJECT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.child[0], Path(args.child[1]))
        return 0
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)

    def log(line: str) -> None:
        print(line, flush=True)

    log(f"shopreport end-to-end benchmark: {args.lines_per_year:,} order lines/yr, years {args.years}, "
        f"{args.shops} shops, {args.repeat} runs"
        + (f" ({args.morning_repeat} of the mornings)" if args.morning_repeat else "") + f"; out {args.out}")
    prefect_home = args.out / "prefect-home"
    if not args.no_cli and not (prefect_home / "prefect.db").exists():  # the migrations of a new Prefect home, once, untimed
        log("  preparing the Prefect home (database migrations, once)")
        run_process([python(), "-c", "from prefect import flow\n@flow\ndef warm_up():\n    return 1\nwarm_up()"],
                    env=child_env(prefect_home), log=args.out / "prefect-home.log")
    steps, problems, infos = [], [], []
    server = None if args.no_cli else PrefectServer(args.out / "prefect-server", log)
    try:
        for years in (int(y) for y in args.years.split(",")):
            s, p, info = bench_size(args, args.lines_per_year, years, log, server)
            steps += s
            problems += p
            infos.append(info)
    finally:
        if server:
            server.stop()
    result = table(steps, infos, args)
    agreement = ("Agreement: shopreport's fct_shop_daily, the DuckDB script and the pandas script give the "
                 "same GMV (to the cent), paid orders and paying buyers for every shop and day; after the "
                 "morning, shopreport and the DuckDB script's morning do too."
                 if not problems else "Agreement: FAILED\n\n" + "\n".join(f"- {p}" for p in problems))
    text = (f"# shopreport end-to-end benchmark\n\n`{' '.join(['bench/bench.py', *(argv or sys.argv[1:])])}`\n\n"
            f"{result}\n{agreement}\n\nMachine: {machine()}\n")
    text += (f"\nThe benchmark process itself held {own_rss_mb():.0f} MiB at the end (a child's peak RSS "
             f"cannot read lower than its parent's RSS when it was started).\n")
    (args.out / "result.md").write_text(text, encoding="utf-8")
    log("\n" + result + "\n" + agreement + f"\n\nwritten to {args.out / 'result.md'}")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
