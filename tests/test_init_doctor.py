"""``shopreport init`` and ``shopreport doctor`` as a new user meets them: a project folder that
loads and passes the checks, prompts with their defaults, and checks that fail with a fix (a
real SMTP server on 127.0.0.1, a locked warehouse held by another process, a stray file)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from flows.cli import main
from flows.doctor import check_inbox, check_smtp, check_warehouse, check_webhooks
from flows.settings import load_settings
from flows.warehouse.db import open_warehouse

ROOT = Path(__file__).resolve().parents[1]
TWO_SHOPS = ["--shop", "tmall_flagship:tmall:CNY:天猫旗舰店", "--shop", "us_store:shopify:USD:US Store"]


@pytest.fixture
def no_terminal(monkeypatch):
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)


def init(folder: Path, *flags: str) -> int:
    return main(["init", str(folder), "--no-input", *flags])


# ----------------------------------------------------------------------------------------------
# init
# ----------------------------------------------------------------------------------------------

def test_init_with_flags_writes_a_project_that_loads(tmp_path, capsys):
    folder = tmp_path / "shops"
    assert init(folder, *TWO_SHOPS, "--mail-to", "owner@example.com,ops@example.com", "--language", "en") == 0
    settings = load_settings(folder / "shopreport.toml")
    assert [(s.id, s.name, s.platform, s.currency) for s in settings.shops] == [
        ("tmall_flagship", "天猫旗舰店", "tmall", "CNY"), ("us_store", "US Store", "shopify", "USD")]
    assert settings.language == "en" and settings.reporting_currency == "CNY"
    assert settings.mail.recipients == ("owner@example.com", "ops@example.com") and settings.mail.uses_outbox
    assert (folder / "inbox" / "tmall_flagship").is_dir() and (folder / "inbox" / "us_store").is_dir()
    assert (folder / "fx_rates.csv").read_text() == "rate_date,currency,rate_to_reporting\n"
    assert settings.targets_path.read_text() == "shop_id,month,gmv_target,ad_cost_target\n"
    ignored = (folder / ".gitignore").read_text().split()
    assert {"warehouse/", "landing/", "archive/", "outbox/"} <= set(ignored)
    readme = (folder / "README.txt").read_text()
    assert "shopreport doctor" in readme and "shopreport run daily" in readme and "inbox/us_store/" in readme
    config = (folder / "shopreport.toml").read_text()
    assert "# smtp_host = " in config and "SHOPREPORT_SMTP_PASSWORD" in config  # commented, complete
    out = capsys.readouterr().out
    assert "outbox" in out and "shopreport doctor" in out


def test_init_refuses_to_overwrite_a_configuration_without_force(tmp_path, capsys):
    assert init(tmp_path, "--shop", "a_shop") == 0
    before = (tmp_path / "shopreport.toml").read_text()
    assert init(tmp_path, "--shop", "other_shop") == 1
    err = capsys.readouterr().err
    assert "exists already" in err and "--force" in err
    assert (tmp_path / "shopreport.toml").read_text() == before
    assert init(tmp_path, "--shop", "other_shop", "--force") == 0
    assert [s.id for s in load_settings(tmp_path).shops] == ["other_shop"]


def test_init_one_shop_by_flags(tmp_path):
    assert init(tmp_path, "--shop", "jd_main", "--platform", "jd", "--name", "京东自营店",
                "--smtp-host", "smtp.example.com", "--smtp-security", "starttls", "--smtp-user", "bot@example.com") == 0
    settings = load_settings(tmp_path)
    shop = settings.shops[0]
    assert (shop.id, shop.platform, shop.currency, shop.name) == ("jd_main", "jd", "CNY", "京东自营店")
    assert (settings.mail.smtp_host, settings.mail.smtp_port, settings.mail.security, settings.mail.user,
            settings.mail.sender) == ("smtp.example.com", 587, "starttls", "bot@example.com", "bot@example.com")


def test_init_without_flags_outside_a_terminal_takes_the_defaults_and_says_so(tmp_path, capsys, no_terminal):
    assert main(["init", str(tmp_path)]) == 0
    settings = load_settings(tmp_path)
    assert [(s.id, s.platform, s.currency) for s in settings.shops] == [("tmall_flagship", "tmall", "CNY")]
    assert settings.mail.uses_outbox
    out = capsys.readouterr().out
    assert "note: no shop given (--shop)" in out and "note: no SMTP server (--smtp-host)" in out


@pytest.mark.parametrize("flags, message", [
    (["--shop", "bad id"], "letters, digits"),
    (["--shop", "a:amazon"], "unknown platform 'amazon'"),
    (["--shop", "a:tmall:yuan"], "3-letter ISO code"),
    (["--timezone", "Mars/Base"], "unknown time zone"),
    (["--mail-to", "nobody"], "not an e-mail address"),
    (["--smtp-user", "x@example.com"], "need --smtp-host"),
])
def test_init_explains_a_bad_flag_and_writes_nothing(tmp_path, capsys, flags, message):
    assert init(tmp_path / "p", *flags) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def test_init_in_a_terminal_asks_for_what_the_flags_leave_out(tmp_path, monkeypatch, capsys):
    answers = iter([
        "",                                   # time zone [Asia/Shanghai]
        "mall_a", "jd", "", "京东店", "y",       # shop 1: id, platform, currency [CNY], name; another
        "mall_a", "us", "shopify", "", "", "",  # shop 2: a taken id, then us; currency [USD]; name [us]; no more
        "",                                   # all-shops currency [CNY]
        "fr",  "en",                          # language: a wrong answer, then en
        "a@example.com, b@example.com",       # recipients
        "smtp.example.com", "starttls", "", "bot@example.com", "",  # host, security, port [587], login, From
    ])
    prompts = []

    def fake_input(prompt):
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("builtins.input", fake_input)
    assert main(["init", str(tmp_path)]) == 0
    assert next(answers, None) is None  # every answer used
    assert "Time zone of the reports (IANA name) [Asia/Shanghai]: " in prompts
    assert any(p.startswith("Shop 1: currency [CNY]") for p in prompts)
    assert any(p.startswith("Shop 2: currency [USD]") for p in prompts)
    assert any(p.startswith("SMTP port [587]") for p in prompts)
    out = capsys.readouterr().out
    assert "there is a shop 'mall_a' already" in out and "language: choose one of zh-CN, en" in out
    settings = load_settings(tmp_path)
    assert [(s.id, s.name, s.platform, s.currency) for s in settings.shops] == [
        ("mall_a", "京东店", "jd", "CNY"), ("us", "us", "shopify", "USD")]
    assert settings.language == "en" and settings.reporting_currency == "CNY"
    assert settings.mail.recipients == ("a@example.com", "b@example.com")
    assert (settings.mail.smtp_host, settings.mail.security, settings.mail.smtp_port, settings.mail.user,
            settings.mail.sender) == ("smtp.example.com", "starttls", 587, "bot@example.com", "bot@example.com")


# ----------------------------------------------------------------------------------------------
# doctor
# ----------------------------------------------------------------------------------------------

def test_doctor_passes_on_a_new_project_and_speaks_json(tmp_path, capsys):
    assert init(tmp_path, *TWO_SHOPS) == 0
    (tmp_path / "fx_rates.csv").write_text("rate_date,currency,rate_to_reporting\n2026-11-22,USD,7.2000\n")
    capsys.readouterr()
    assert main(["doctor", "--json", "--config", str(tmp_path / "shopreport.toml")]) == 0
    report = json.loads(capsys.readouterr().out)
    statuses = {c["name"]: c["status"] for c in report["checks"]}
    assert report["ok"] and "fail" not in statuses.values(), report
    assert statuses["CJK font"] == statuses["PDF engine"] == statuses["warehouse"] == "ok"
    smtp = next(c for c in report["checks"] if c["name"] == "SMTP")
    assert smtp["status"] == "ok" and "outbox" in smtp["detail"]


def test_doctor_without_a_configuration_points_at_init(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHOPREPORT_CONFIG", raising=False)
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert "✗ config:" in out and "→ fix: run `shopreport init`" in out
    assert "CJK font" in out  # the checks that need no configuration still run


@pytest.fixture
def smtp_project(tmp_path, smtp_server, monkeypatch):
    assert init(tmp_path, "--shop", "a_shop", "--mail-to", "boss@example.com", "--smtp-host", smtp_server.host,
                "--smtp-port", str(smtp_server.port), "--smtp-security", "plain",
                "--smtp-user", smtp_server.user, "--mail-from", "shopreport@example.com") == 0
    monkeypatch.setenv("SHOPREPORT_SMTP_PASSWORD", smtp_server.password)
    return load_settings(tmp_path)


def test_doctor_logs_in_to_a_real_smtp_server_and_sends_nothing(smtp_project, smtp_server):
    check = check_smtp(smtp_project)
    assert check.status == "ok", check
    assert f"logged in as {smtp_server.user}" in check.detail and "nothing sent" in check.detail
    assert smtp_server.logins == [smtp_server.user] and smtp_server.messages == []


def test_doctor_send_test_mails_the_first_recipient(smtp_project, smtp_server):
    check = check_smtp(smtp_project, send_test=True)
    assert check.status == "ok" and "test mail sent to boss@example.com" in check.detail
    assert [m["Subject"] for m in smtp_server.messages] == ["shopreport doctor: test mail"]
    assert smtp_server.envelopes[0][1] == ["boss@example.com"]


def test_doctor_smtp_on_a_wrong_port_fails_with_a_fix(smtp_project):
    from dataclasses import replace

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = replace(smtp_project, mail=replace(smtp_project.mail, smtp_port=port, timeout_seconds=5))
    check = check_smtp(settings)
    assert check.status == "fail" and "connect failed" in check.detail
    assert "mail.smtp_port" in check.fix
    assert smtp_project.mail.password not in check.detail + check.fix


def test_doctor_smtp_without_the_password_names_the_variable(smtp_project, monkeypatch):
    monkeypatch.delenv("SHOPREPORT_SMTP_PASSWORD")
    check = check_smtp(smtp_project)
    assert check.status == "fail" and "SHOPREPORT_SMTP_PASSWORD" in check.detail
    assert "SHOPREPORT_SMTP_PASSWORD" in check.fix


def test_doctor_names_an_unset_webhook_variable_and_never_posts(tmp_path, monkeypatch):
    assert init(tmp_path, "--shop", "a_shop") == 0
    with open(tmp_path / "shopreport.toml", "a", encoding="utf-8") as f:
        f.write('\n[[webhooks]]\nname = "ops-group"\nplatform = "wecom"\nurl_env = "SR_TEST_WECOM_URL"\n')
    settings = load_settings(tmp_path)
    monkeypatch.delenv("SR_TEST_WECOM_URL", raising=False)
    [check] = check_webhooks(settings)
    assert check.status == "fail" and "SR_TEST_WECOM_URL" in check.detail and "SR_TEST_WECOM_URL" in check.fix
    # a URL without the bot key: found without sending anything (port 9 on this machine: nothing listens)
    monkeypatch.setenv("SR_TEST_WECOM_URL", "http://127.0.0.1:9/cgi-bin/webhook/send")
    [check] = check_webhooks(settings)
    assert check.status == "fail" and "key is missing" in check.detail
    monkeypatch.setenv("SR_TEST_WECOM_URL", "http://127.0.0.1:9/cgi-bin/webhook/send?key=abc123")
    [check] = check_webhooks(settings)
    assert check.status == "ok" and "nothing sent" in check.detail and "abc123" not in check.detail


HOLD_DUCKDB = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(60)
"""
HOLD_RUN_LOCK = """
import sys, time
from pathlib import Path
from flows.runlock import run_lock
with run_lock(Path(sys.argv[1]), "shopreport run daily --date 2026-11-22"):
    print("holding", flush=True)
    time.sleep(60)
"""


@pytest.mark.parametrize("holder, expected", [(HOLD_DUCKDB, "in use by another process (process {pid})"),
                                              (HOLD_RUN_LOCK, "another shopreport run is using this warehouse")])
def test_doctor_fails_on_a_warehouse_held_by_another_process(tmp_path, holder, expected):
    assert init(tmp_path, "--shop", "a_shop") == 0
    settings = load_settings(tmp_path)
    with open_warehouse(settings.warehouse_path):
        pass  # a warehouse with its schema, never built
    check = check_warehouse(settings)
    assert check.status == "warn" and "run `shopreport build`" in check.fix

    target = settings.warehouse_path if holder is HOLD_DUCKDB else settings.run_lock_path
    proc = subprocess.Popen([sys.executable, "-c", holder, str(target)], stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert proc.stdout.readline().strip() == "holding"
        check = check_warehouse(settings)
    finally:
        proc.kill()
        proc.wait()
    assert check.status == "fail", check
    assert expected.format(pid=proc.pid) in check.detail
    assert "wait for that process" in check.fix


def test_doctor_warns_about_stray_unrecognised_and_rejected_files(tmp_path):
    assert init(tmp_path, "--shop", "a_shop") == 0
    settings = load_settings(tmp_path)
    shop = tmp_path / "inbox" / "a_shop"
    (shop / "notes.docx").write_bytes(b"not an export")
    (shop / "unknown.csv").write_text("foo,bar,baz\n1,2,3\n", encoding="utf-8")
    (shop / ".~lock.orders.csv#").write_text("ignored")  # hidden: left alone by ingest and doctor
    (tmp_path / "inbox" / "orders.csv").write_text("foo\n")  # not in a shop's folder
    (shop / "_rejected").mkdir()
    (shop / "_rejected" / "old.csv").write_text("x\n")
    (shop / "_rejected" / "old.csv.reason.txt").write_text("unrecognised")
    checks = {c.name: c for c in check_inbox(settings)}
    assert checks["inbox"].status == "warn" and "orders.csv" in checks["inbox"].detail
    files = checks["inbox files"]
    assert files.status == "warn" and files.detail.startswith("2 of 2 file(s)")
    assert "a_shop/notes.docx" in files.detail and "a_shop/unknown.csv" in files.detail
    assert "shopreport inspect" in files.fix
    rejected = checks["rejected files"]
    assert rejected.status == "warn" and rejected.detail.startswith("1 file(s) set aside") and ".reason.txt" in rejected.fix


def test_a_new_user_runs_init_then_doctor_from_an_empty_folder(tmp_path):
    def run(*args):
        return subprocess.run([sys.executable, "-m", "flows", *args], capture_output=True, text=True, cwd=tmp_path,
                              timeout=120, stdin=subprocess.DEVNULL,
                              env={**{k: v for k, v in os.environ.items() if k != "SHOPREPORT_CONFIG"},
                                   "PYTHONPATH": str(ROOT)})

    created = run("init", "--shop", "tmall_flagship:tmall:CNY:天猫旗舰店", "--mail-to", "owner@example.com")
    assert created.returncode == 0, created.stderr
    assert "created" in created.stdout and "inbox/tmall_flagship/" in created.stdout
    doctor = run("doctor")
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert "✓ config:" in doctor.stdout and "0 failed" in doctor.stdout and "Traceback" not in doctor.stderr
