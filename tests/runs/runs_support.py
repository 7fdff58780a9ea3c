"""Helpers shared by the tests in tests/runs/ (imported by its conftest and test modules)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from flows.prefect_server import free_port

DEMO_END = dt.date(2026, 11, 22)
SMTP_USER, SMTP_PASSWORD = "reporter", "s3cret-Pa55!"  # the smtp_server fixture's login
ADMIN = "admin@shop.example"


def copy_project(source: Path, target: Path, mail: str = "", report: str = "") -> Path:
    """Copy a demo folder; ``mail`` / ``report`` lines are added to its [mail] / [report] tables."""
    shutil.copytree(source, target)
    config = target / "shopreport.toml"
    text = config.read_text(encoding="utf-8")
    if mail:
        text = text.replace("\n[mail]\n", f"\n[mail]\n{mail.strip()}\n")
    if report:
        text = text.replace("\n[report]\n", f"\n[report]\n{report.strip()}\n")
    config.write_text(text, encoding="utf-8")
    return config


def smtp_config(server, *, password_env: str = "SHOPREPORT_SMTP_PASSWORD", admin: bool = True,
                delays: str = "[0.2, 0.4]") -> str:
    """[mail] lines that send through ``server`` with login, short retry delays and an admin."""
    lines = [f'smtp_host = "{server.host}"', f"smtp_port = {server.port}", 'smtp_security = "plain"',
             f'smtp_user = "{SMTP_USER}"', f'password_env = "{password_env}"', f"retry_delays = {delays}",
             "timeout_seconds = 5"]
    if admin:
        lines.append(f'admin_to = ["{ADMIN}"]')
    return "\n".join(lines)


@dataclass
class ScriptedSmtp:
    host: str
    port: int
    replies: list = field(default_factory=list)  # next replies to DATA; "250 OK" once empty
    reject_for: dict = field(default_factory=dict)  # recipient → reply to DATA, every time
    messages: list = field(default_factory=list)  # email.message.EmailMessage as accepted
    refused: list = field(default_factory=list)  # (reply, rcpt_tos) of every refused DATA
    logins: list = field(default_factory=list)

    def received_by(self, address: str) -> list:
        return [m for m in self.messages if address in str(m["To"])]


def start_scripted_smtp():
    from email import message_from_bytes, policy

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    server = ScriptedSmtp(host="127.0.0.1", port=free_port())

    class Handler:
        async def handle_DATA(self, smtp, session, envelope):
            reply = next((server.reject_for[r] for r in envelope.rcpt_tos if r in server.reject_for), None)
            if reply is None and server.replies:
                reply = server.replies.pop(0)
            if reply and not reply.startswith("250"):
                server.refused.append((reply, list(envelope.rcpt_tos)))
                return reply
            server.messages.append(message_from_bytes(envelope.original_content or envelope.content,
                                                      policy=policy.default))
            return "250 OK"

    def authenticator(smtp, session, envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == SMTP_USER and auth_data.password.decode() == SMTP_PASSWORD
        if ok:
            server.logins.append(SMTP_USER)
        return AuthResult(success=ok, handled=False)

    controller = Controller(Handler(), hostname=server.host, port=server.port,
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    return server, controller


# ----------------------------------------------------------------------------------------------
# real subprocesses, paused at a named point and killed there (flows/faults.py)
# ----------------------------------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]
HOSTILE_TITLE = "=HYPERLINK(1)<script>alert(1)</script><img src=x onerror=alert(2)>House Blend"


def cli(config: Path, *args: str) -> list[str]:
    import sys

    return [sys.executable, "-m", "flows", *args, "--config", str(config)]


def start(cmd: list[str], env: dict, log: Path, pause_at: str | None = None, marker: Path | None = None):
    import subprocess

    env = dict(env)
    if pause_at:
        env.update({"SHOPREPORT_TEST_PAUSE_AT": pause_at, "SHOPREPORT_TEST_PAUSE_FILE": str(marker)})
    with open(log, "wb") as out:
        return subprocess.Popen(cmd, env=env, cwd=log.parent, stdout=out, stderr=subprocess.STDOUT)


def wait_for_pause(proc, marker: Path, log: Path, timeout: float = 300) -> None:
    import time

    deadline = time.monotonic() + timeout
    while not marker.exists() or not marker.read_text():
        if proc.poll() is not None:
            raise AssertionError(f"the run ended ({proc.returncode}) before pausing:\n{log.read_text()[-4000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"the run did not reach its pause point:\n{log.read_text()[-4000:]}")
        time.sleep(0.05)
    assert int(marker.read_text()) == proc.pid


def run_processes(marker: Path) -> list[int]:
    """The live processes of a paused run: the run and any worker it started (they inherit its
    ``SHOPREPORT_TEST_PAUSE_FILE``); zombies are not counted."""
    import os

    wanted = f"SHOPREPORT_TEST_PAUSE_FILE={marker}".encode()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/environ", "rb") as f:
                if wanted not in f.read().split(b"\0"):
                    continue
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                    continue
        except OSError:
            continue
        found.append(int(entry.name))
    return sorted(found)


def gone_after(marker: Path, seconds: float = 5.0) -> list[int]:
    """The run's processes still alive ``seconds`` after its kill (none, when its workers end
    with it)."""
    import time

    deadline = time.monotonic() + seconds
    while (left := run_processes(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def kill(proc) -> None:
    """SIGKILL, for real: no cleanup runs in the killed process."""
    import signal

    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL


def sha256(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Snapshot:
    """What a run left behind: files, warehouse rows, ledger rows, mails."""

    inbox: dict  # sha256 → path of every file still in the inbox
    landing: dict  # sha256 → path of every file in landing/
    partial_files: list  # temp files (*.partial, .*.tmp) left anywhere
    source_files: list  # (sha256, status, entity, rows_loaded, raw rows found)
    tables: set
    ledger: list  # flows.ledger.LedgerEntry
    mails: int
    archive: list  # relative paths


def snapshot(settings, mails: int) -> Snapshot:
    from flows.ingest.profiles import CANONICAL
    from flows.ledger import SendLedger
    from flows.warehouse.db import open_warehouse

    root = settings.base_dir
    inbox = {sha256(p): p for p in settings.inbox_dir.rglob("*") if p.is_file() and "_rejected" not in p.parts}
    landing = {sha256(p): p for p in settings.landing_dir.rglob("*") if p.is_file()} \
        if settings.landing_dir.exists() else {}
    partial = [str(p.relative_to(root)) for p in root.rglob("*")
               if p.name.endswith((".partial", ".tmp")) and p.is_file()]
    rows, tables = [], set()
    if settings.warehouse_path.exists():
        with open_warehouse(settings.warehouse_path, read_only=True) as con:
            tables = {r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()}
            counts = {}
            for entity in CANONICAL:
                for file_id, n in con.execute(f"select source_file_id, count(*) from raw_{entity} group by 1").fetchall():
                    counts[file_id] = counts.get(file_id, 0) + n
            for file_id, sha, status, entity, loaded in con.execute(
                    "select source_file_id, sha256, status, entity, rows_loaded from source_files").fetchall():
                rows.append((sha, status, entity, loaded, counts.get(file_id, 0)))
    archive = sorted(str(p.relative_to(settings.archive_dir)) for p in settings.archive_dir.rglob("*")
                     if p.is_file()) if settings.archive_dir.exists() else []
    return Snapshot(inbox=inbox, landing=landing, partial_files=partial, source_files=rows, tables=tables,
                    ledger=SendLedger(settings.send_ledger_path).entries(), mails=mails, archive=archive)


@dataclass
class CrashRun:
    """What the ``crash_run`` fixture kept (tests/runs/conftest.py)."""

    config: Path
    settings: object  # flows.settings.Settings
    env: dict  # the environment the subprocesses ran with
    exports: Path  # a copy of the inbox as it was before the first run
    originals: dict  # sha256 → file name of every export dropped in the inbox
    after: dict  # kill point → Snapshot right after the kill
    final: Snapshot  # after the run that followed the kills
    logs: dict  # kill point / "final" → everything the process printed
    second_runs: dict  # command → CompletedProcess of a run started while another was paused
    paused_pid: int  # the process that held the warehouse meanwhile
    smtp: ScriptedSmtp
    processes: dict = None  # kill point → (the run's processes before the kill, those alive after it)
