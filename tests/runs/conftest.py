"""Runs people can trust: shared fixtures for the freshness, ledger, SMTP-trouble, crash-safety and
personal-data tests.

- ``prefect_api``: an isolated Prefect server for the whole session (STACK.md §1.4); its URL is
  also handed to the subprocesses the crash tests start and kill, so that they do not each start
  a temporary server of their own.
- ``small_demo``: one demo business (2 shops, 15 days, the last 3 as daily exports), generated
  once and never modified; ``demo_copy`` gives a test its own copy, ``built_copy`` one whose
  warehouse is already loaded and built (for tests that only render and deliver).
- ``crash_run``: one project driven through four real SIGKILLs — during ingest, the build,
  rendering and sending — and then a normal run, each a real ``python -m flows run daily``
  subprocess; what each left behind is kept for the crash-safety and personal-data tests. It is
  made once for the whole test run (``made_once``): its files are for reading only.
- ``scripted_smtp``: aiosmtpd on 127.0.0.1 with the same login as ``smtp_server`` whose replies
  can be scripted per message: ``451`` (try later), ``550`` (rejected).
"""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from runs_support import (DEMO_END, HOSTILE_TITLE, REPO, SMTP_PASSWORD, CrashRun, cli, copy_project, gone_after, kill,
                          run_processes, sha256, smtp_config, snapshot, start, start_scripted_smtp, wait_for_pause)


@pytest.fixture(scope="session", autouse=True)
def prefect_api(prefect_harness):
    """The API URL of this test process's Prefect test server (tests/conftest.py)."""
    yield prefect_harness


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    from flows.demo import generate_demo

    target = tmp_path_factory.mktemp("small-demo")
    generate_demo(target, DEMO_END, days=15, daily_days=3)
    return target


@pytest.fixture
def demo_copy(small_demo, tmp_path):
    """``copy(mail=…, report=…)`` → the configuration path of a fresh copy of the small demo."""
    def copy(mail: str = "", report: str = "", name: str = "project") -> Path:
        return copy_project(small_demo, tmp_path / name, mail, report)
    return copy


@pytest.fixture(scope="session")
def built_demo(small_demo, tmp_path_factory) -> Path:
    """The small demo with its inbox loaded and the warehouse built (never modified)."""
    from flows import pipeline
    from flows.settings import load_settings

    target = tmp_path_factory.mktemp("built") / "demo"
    settings = load_settings(copy_project(small_demo, target))
    pipeline.ingest(settings)
    pipeline.build_warehouse(settings)
    return target


@pytest.fixture
def built_copy(built_demo, tmp_path):
    """``copy(mail=…, report=…)`` → the configuration of a copy of the built demo."""
    def copy(mail: str = "", report: str = "", name: str = "project") -> Path:
        return copy_project(built_demo, tmp_path / name, mail, report)
    return copy


@pytest.fixture
def scripted_smtp():
    server, controller = start_scripted_smtp()
    try:
        yield server
    finally:
        controller.stop()


# ----------------------------------------------------------------------------------------------
# the crash run
# ----------------------------------------------------------------------------------------------

KILL_POINTS = ("ingest", "build", "render", "send:2")  # send:2 — the second mail of the run


@pytest.fixture(scope="session")
def crash_run(small_demo, prefect_api, made_once) -> CrashRun:
    """The crash run, made once for the whole test run (the test process that asks first drives
    it, the others read what it kept); its ``env`` names this test process's Prefect server."""
    def make(folder: Path) -> None:
        run = drive_crash_run(small_demo, prefect_api, folder)
        kept = replace(run, env={k: v for k, v in run.env.items() if k in RUN_ENV})  # not the whole environment
        (folder / "crash_run.pickle").write_bytes(pickle.dumps(kept))

    folder = made_once("crash-run", make)
    run = pickle.loads((folder / "crash_run.pickle").read_bytes())
    return replace(run, env=run_env(prefect_api, folder))


RUN_ENV = ("PREFECT_API_URL", "PREFECT_HOME", "PYTHONPATH", "PYTHONUNBUFFERED", "SHOPREPORT_SMTP_PASSWORD")


def run_env(prefect_api: str, work: Path) -> dict:
    """The environment of the crash run's subprocesses: this one's, with RUN_ENV set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOPREPORT_TEST_")}
    env.update({"PREFECT_API_URL": prefect_api, "PREFECT_HOME": str(work / "prefect-home"),
                "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", "SHOPREPORT_SMTP_PASSWORD": SMTP_PASSWORD})
    return env


def drive_crash_run(small_demo: Path, prefect_api: str, work: Path) -> CrashRun:
    """Copy the small demo into ``work``, kill a run at each of KILL_POINTS, run once more to the
    end, and keep what each step left behind (the SMTP server stops at the end)."""
    from flows.settings import load_settings

    server, controller = start_scripted_smtp()
    try:
        config = copy_project(small_demo, work / "project", mail=smtp_config(server))
        settings = load_settings(config)
        for path in (settings.inbox_dir / "shopify_us").glob("orders_export_*.csv"):  # hostile export text
            text = path.read_text(encoding="utf-8")
            path.write_text(text.replace("House Blend Coffee Beans 12 oz", HOSTILE_TITLE), encoding="utf-8")
        exports = work / "exports"
        shutil.copytree(settings.inbox_dir, exports)
        originals = {sha256(p): p.name for p in settings.inbox_dir.rglob("*") if p.is_file()}
        env = run_env(prefect_api, work)
        # two scopes are enough to have one report sent and one in doubt when the send is killed
        run = cli(config, "run", "daily", "--date", DEMO_END.isoformat(), "--scope", "tmall_flagship",
                  "--scope", "shopify_us")
        marker = work / "paused"
        after, logs, second_runs, paused_pid, processes = {}, {}, {}, 0, {}
        for point in KILL_POINTS:
            log = work / f"killed-at-{point.replace(':', '-')}.log"
            marker.unlink(missing_ok=True)
            proc = start(run, env, log, pause_at=point, marker=marker)
            wait_for_pause(proc, marker, log)
            if point == "build":  # while this run holds the warehouse, two more try to start
                paused_pid = proc.pid
                others = {name: subprocess.Popen(cli(config, *args), env=env, stdout=subprocess.PIPE,
                                                 stderr=subprocess.PIPE, text=True)
                          for name, args in (("run", ("run", "daily")), ("build", ("build",)))}
                for name, other in others.items():
                    out, err = other.communicate(timeout=120)
                    second_runs[name] = subprocess.CompletedProcess(other.args, other.returncode, out, err)
            before = run_processes(marker)
            kill(proc)
            processes[point] = (before, gone_after(marker))
            logs[point] = log.read_text(encoding="utf-8", errors="replace")
            after[point] = snapshot(settings, len(server.messages))
        log = work / "final.log"
        proc = start(run, env, log)
        proc.wait(timeout=600)
        logs["final"] = log.read_text(encoding="utf-8", errors="replace")
        assert proc.returncode == 0, logs["final"][-4000:]
        return CrashRun(config=config, settings=settings, env=env, exports=exports, originals=originals,
                        after=after, final=snapshot(settings, len(server.messages)), logs=logs,
                        second_runs=second_runs, paused_pid=paused_pid, smtp=server, processes=processes)
    finally:
        controller.stop()
