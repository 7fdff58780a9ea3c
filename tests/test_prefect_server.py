"""The temporary Prefect server a flow command starts when no server is configured
(flows/prefect_server.py): real commands in subprocesses, real Prefect servers."""

from __future__ import annotations

import itertools
import os
import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from flows import pipeline
from flows.prefect_server import TemporaryServer, healthy, wanted
from flows.warehouse.db import open_warehouse

REPO = Path(__file__).resolve().parents[1]
ANNOUNCED = re.compile(r"a temporary Prefect server for this command on http://127\.0\.0\.1:(\d+)")
# a line of the run's log, as Prefect's console handler prints it (the "View at" link is console-only)
RUN_LOG_LINE = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} \| \w+\s+\| (Flow|Task) run '[^']+' - (?!View at)", re.M)


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PYTHONPATH=str(REPO), **extra)
    return env


def _ingest(settings, home: Path, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "flows", "ingest", "--config", str(settings.config_path)],
                          capture_output=True, text=True, cwd=home.parent, env=_env(home, **extra), timeout=300)


def test_a_flow_command_with_no_server_runs_on_a_temporary_one_that_keeps_the_run_and_stops(project, drop, tmp_path):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    home = tmp_path / "prefect-home"  # empty: the server creates its database first
    result = _ingest(project, home)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    announced = ANNOUNCED.search(result.stderr)
    assert announced, output
    assert not healthy(int(announced.group(1)))  # it stopped with the command
    assert "View at http" not in output  # no link to a UI this server does not serve

    with sqlite3.connect(home / "prefect.db") as db:
        runs = db.execute("select id, name, state_type from flow_run").fetchall()
        assert [(name, state) for _, name, state in runs] == [(runs[0][1], "COMPLETED")]
        logged = [m for (m,) in db.execute("select message from log where flow_run_id = ? order by timestamp",
                                           (runs[0][0],))]
    printed = RUN_LOG_LINE.findall(output)
    assert printed and len(logged) == len(printed)  # every line of the run reached the server before it stopped
    assert logged[-1] == "Finished in state Completed()"


def test_a_command_reads_the_inbox_while_its_temporary_server_starts(project, new_project, drop, tmp_path):
    """``ingest`` reads the new file while it waits for its server, which creates its database first
    (several seconds), and loads what an ingest in one process loads."""
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    result = _ingest(project, tmp_path / "prefect-home", SHOPREPORT_SALT="one salt")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(r" - ingest: 1 file\(s\) loaded .*; 1 read while Prefect's server started$", output, re.M), output

    (tmp_path / "plain").mkdir()
    plain = new_project(tmp_path / "plain")
    drop(plain, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SHOPREPORT_SALT", "one salt")
        assert pipeline.ingest(plain).read_early == 0
    rows = []
    for settings in (project, plain):
        with open_warehouse(settings.warehouse_path, read_only=True) as con:
            rows.append(con.execute("select * exclude (source_file_id) from raw_orders order by source_row").fetchall())
    assert rows[0] == rows[1] and len(rows[0]) > 0


def test_work_given_to_the_wait_runs_until_the_server_answers(tmp_path, monkeypatch):
    """``TemporaryServer.wait(meanwhile=…)`` takes a step of the work between two health checks;
    when the server answers, the rest is dropped (the generator closed); a step that raises ends
    the work, not the wait."""
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))
    monkeypatch.setenv("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    steps, closed = [], []

    def work():
        try:
            for step in itertools.count():
                steps.append(step)
                yield step
        finally:
            closed.append(len(steps))

    def failing():
        steps.append("failing")
        yield
        raise RuntimeError("a bug in the work")

    for given in (work(), failing()):
        server = TemporaryServer.start()
        try:
            server.wait(120, given)
            assert healthy(server.port)
        finally:
            server.stop()
    count = closed[0]
    assert count > 0 and closed == [count]  # it ran, and was closed once the server answered
    assert steps == [*range(count), "failing"]  # no step after that; the failing work ended quietly


def test_the_temporary_server_ends_when_the_command_is_killed(project, drop, tmp_path):
    """A crash (SIGKILL) runs no exit handler: the kernel ends the server (PR_SET_PDEATHSIG)."""
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    home = tmp_path / "prefect-home"
    proc = subprocess.Popen([sys.executable, "-m", "flows", "ingest", "--config", str(project.config_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                            env=_env(home))
    port = None
    try:
        for line in proc.stderr:
            if announced := ANNOUNCED.search(line):
                port = int(announced.group(1))
                break
        assert port and healthy(port) and proc.poll() is None  # the command is running on it
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 15
        while healthy(port) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not healthy(port)
    finally:
        proc.kill()
        if port and healthy(port):  # left behind: end it, so that it does not outlive the tests
            subprocess.run(["pkill", "-f", f"uvicorn .* --port {port} "], check=False)


def test_a_server_named_in_a_prefect_profile_is_used_and_none_is_started(prefect_harness, project, drop, tmp_path):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterName

    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    home = tmp_path / "prefect-home"
    home.mkdir()
    (home / "profiles.toml").write_text(f'active = "shop"\n\n[profiles.shop]\nPREFECT_API_URL = "{prefect_harness}"\n',
                                        encoding="utf-8")
    result = _ingest(project, home)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert not ANNOUNCED.search(output)
    name = re.search(r"Beginning flow run '([^']+)'", output).group(1)
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(name=FlowRunFilterName(any_=[name])))
    assert [run.state.type.value for run in runs] == ["COMPLETED"]
    assert not (home / "prefect.db").exists()  # no temporary server opened a database there


def test_a_temporary_server_that_cannot_start_is_a_clear_error_and_no_flow_runs(project, drop, tmp_path):
    drop(project, "tmall_flagship", "ExportOrderList_2026-11-22.csv")
    home = tmp_path / "prefect-home"
    result = _ingest(project, home, PREFECT_SERVER_DATABASE_CONNECTION_URL=
                     f"sqlite+aiosqlite:///{tmp_path}/no-such-folder/prefect.db")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: the temporary Prefect server exited with status 3 before it answered")
    assert "PREFECT_API_URL" in last
    assert "Beginning flow run" not in result.stdout + result.stderr
    assert not project.warehouse_path.exists()


def test_a_command_with_wrong_arguments_fails_without_waiting_for_the_server(project, tmp_path):
    """The command checks its arguments and configuration first; the server it started meanwhile
    is stopped unused."""
    home = tmp_path / "prefect-home"
    result = subprocess.run([sys.executable, "-m", "flows", "ingest", "--shop", "nope", "--config",
                             str(project.config_path), str(project.config_path)],
                            capture_output=True, text=True, cwd=tmp_path, env=_env(home), timeout=300)
    assert result.returncode == 1 and "unknown shop 'nope'" in result.stderr
    assert not ANNOUNCED.search(result.stderr)  # never waited for, never used


@pytest.mark.parametrize(("env", "expected"), [
    ({}, True),
    ({"PREFECT_API_URL": "http://127.0.0.1:4200/api"}, False),
    ({"PREFECT_API_URL": "  "}, True),
    ({"PREFECT_SERVER_ALLOW_EPHEMERAL_MODE": "false"}, False),
    ({"PREFECT_SERVER_EPHEMERAL_ENABLED": "0"}, False),
    ({"PREFECT_SERVER_EPHEMERAL_ENABLED": "true"}, True),
])
def test_only_an_environment_without_a_server_or_a_ban_starts_one(env, expected):
    assert wanted(env) is expected
