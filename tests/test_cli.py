"""The shopreport command as a user meets it: help, errors, and running from an empty folder."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from flows.cli import COMMANDS, build_parser, main

BIN = Path(sys.executable).parent


def run(*args, cwd=None):
    return subprocess.run([str(BIN / "shopreport"), *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.dest == "command").choices
    assert set(subparsers) == set(COMMANDS)
    for name, sub in subparsers.items():
        text = sub.format_help()
        assert "example: shopreport" in text, name


def test_python_dash_m_flows_is_the_same_command(tmp_path):
    result = subprocess.run([sys.executable, "-m", "flows", "--help"], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 0 and "shopreport" in result.stdout and "demo" in result.stdout


def test_the_program_leaves_with_its_exit_code_its_whole_output_and_its_exit_handlers_run(tmp_path, capsys):
    """The program skips the interpreter's teardown (``os._exit`` in ``run``): block-buffered output
    piped to another program still arrives whole, the exit handlers registered during the run
    (Prefect's log and event workers drain there) still run, and the exit code is ``main``'s."""
    assert main(["profiles"]) == 0
    expected = capsys.readouterr().out
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # stdout block-buffered
    listed = subprocess.run([sys.executable, "-m", "flows", "profiles"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=120)
    assert expected and listed.returncode == 0 and listed.stdout == expected

    marker = tmp_path / "handler-ran"
    script = tmp_path / "entry.py"
    script.write_text(textwrap.dedent(f"""
        import atexit, sys
        from flows import cli

        def main_with_a_handler(argv=None, **kwargs):
            atexit.register(lambda: open({str(marker)!r}, "w").write("ran"))
            return real_main(argv, **kwargs)

        real_main, cli.main = cli.main, main_with_a_handler
        sys.argv = ["shopreport", *sys.argv[1:]]
        cli.run()
    """), encoding="utf-8")
    failed = subprocess.run([sys.executable, str(script), "build"], capture_output=True, text=True,
                            cwd=tmp_path, env={**env, "PYTHONPATH": str(Path.cwd())}, timeout=120)
    assert failed.returncode == 1 and "shopreport.toml" in failed.stderr
    assert marker.read_text() == "ran"


def test_from_an_empty_folder_a_missing_configuration_is_a_clear_error(tmp_path):
    result = run("build", cwd=tmp_path)
    assert result.returncode == 1
    assert "shopreport.toml" in result.stderr and "shopreport demo" in result.stderr
    assert "shopreport init" in result.stderr
    assert "Traceback" not in result.stderr


def test_profiles_lists_the_built_in_formats(tmp_path):
    result = run("profiles", cwd=tmp_path)
    assert result.returncode == 0
    for name in ("taobao_orders", "shopify_orders", "sycm_traffic_source", "alimama_plan_report",
                 "google_ads_campaign_day", "shopify_sessions"):
        assert name in result.stdout


def test_inspect_explains_an_unrecognised_file(tmp_path, fixtures_dir, capsys):
    assert main(["inspect", str(fixtures_dir / "unknown_export.csv")]) == 0
    out = capsys.readouterr().out
    assert "unrecognised export" in out and "foo, bar, baz" in out


def test_inspect_shows_mapping_and_parsed_rows(fixtures_dir, capsys):
    assert main(["inspect", str(fixtures_dir / "ExportOrderList_2026-11-23.csv")]) == 0
    out = capsys.readouterr().out
    assert "taobao_orders" in out and "gb18030" in out
    assert "reject row 4, column 买家实际支付金额" in out


def test_ingest_of_a_missing_path_is_refused_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit, match="no such file"):
        main(["ingest", str(tmp_path / "nope.csv")])


def test_an_unknown_shop_is_refused_with_the_configured_ones(project, capsys):
    assert main(["ingest", str(project.config_path), "--shop", "nope", "--config", str(project.config_path)]) == 1
    err = capsys.readouterr().err
    assert "unknown shop 'nope'" in err and "tmall_flagship" in err


@pytest.mark.parametrize(("setting", "expected"), [(None, "None"), ("45", "45")])
def test_flow_runs_started_here_send_heartbeats_only_when_the_setting_asks(tmp_path, setting, expected):
    """A flow run's heartbeat thread is joined at the run's end (up to 1 s); the commands turn
    heartbeats off, with a server configured too, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY is set."""
    code = ("from flows.cli import _flow_run_settings\n"
            "from prefect.settings import get_current_settings\n"
            "print(get_current_settings().flows.heartbeat_frequency)\n"
            "with _flow_run_settings('run'):\n"
            "    print(get_current_settings().flows.heartbeat_frequency)\n"
            "with _flow_run_settings('profiles'):\n"
            "    print(get_current_settings().flows.heartbeat_frequency)\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL="http://127.0.0.1:9/api", PREFECT_HOME=str(tmp_path / "prefect"),
               PYTHONPATH=str(Path.cwd()))
    if setting is not None:
        env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = setting
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                            cwd=tmp_path, timeout=120)
    assert result.returncode == 0, result.stderr
    prefect_default, run, other = result.stdout.split()
    assert run == expected and prefect_default != "None"
    assert other == prefect_default  # a command that runs no flow leaves Prefect's setting alone


def test_output_piped_into_a_program_that_stops_reading_ends_without_a_traceback(tmp_path):
    """``shopreport ledger | head``: when the reader goes away, the command stops quietly."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # every print is a write: the first one fails
    proc = subprocess.Popen([sys.executable, "-m", "flows", "profiles"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=tmp_path, env=env)
    proc.stdout.close()  # before the program has printed anything
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert "Traceback" not in stderr and "BrokenPipeError" not in stderr, stderr


@pytest.mark.parametrize(("argv", "reads_early"), [
    (["run", "daily"], True),
    (["run", "weekly"], True),
    (["run", "daily", "--no-ingest"], False),
    (["ingest"], True),
    (["ingest", "orders.csv"], False),  # given files, not the inbox
    (["build"], False),
    (["backfill", "--from", "2026-11-01", "--to", "2026-11-02", "old"], False),
])
def test_the_commands_that_ingest_the_inbox_read_it_while_their_server_starts(argv, reads_early, project):
    from flows.cli import _inbox_read_early

    work = _inbox_read_early(build_parser().parse_args(argv), project)
    assert (work is not None) is reads_early
