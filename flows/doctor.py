"""``shopreport doctor``: check what a run needs, and say what to fix.

:func:`run_checks` returns one :class:`Check` per thing looked at: the configuration, the CJK
font, the PDF engine, poppler, the warehouse, the inbox, SMTP, each webhook and Prefect. Nothing
is sent (unless ``send_test``), nothing is loaded, and the warehouse is opened read-only. With no
configuration, :func:`run_checks` with ``settings=None`` checks only what needs none (fonts, PDF
engine, poppler, Prefect).
"""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

from flows.settings import Settings

Status = Literal["ok", "warn", "fail"]
MARKS = {"ok": "✓", "warn": "!", "fail": "✗"}
REPORT_FONT = "WenQuanYi Micro Hei"  # report_templates/print.css
FONT_FIX = "install a CJK font: sudo apt-get install fonts-wqy-microhei (or `make setup`)"
MAX_INBOX_FILES = 200  # files read per check run to tell recognised from unrecognised ones
PDF_SAMPLE = (f'<html style="font-family: \'{REPORT_FONT}\', sans-serif"><body>'
              f"<p>门店日报 支付金额 ¥12.3万 shopreport doctor</p></body></html>")


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""  # what to do, for warn and fail

    def lines(self) -> list[str]:
        out = [f"{MARKS[self.status]} {self.name}: {self.detail}"]
        if self.fix and self.status != "ok":
            out.append(f"  → fix: {self.fix}")
        return out


def format_checks(checks: list[Check]) -> str:
    fails = sum(c.status == "fail" for c in checks)
    warns = sum(c.status == "warn" for c in checks)
    lines = [line for c in checks for line in c.lines()]
    lines.append(f"{len(checks)} checks: {len(checks) - fails - warns} ok, {warns} warning(s), {fails} failed")
    return "\n".join(lines)


def checks_json(checks: list[Check]) -> str:
    return json.dumps({"ok": not any(c.status == "fail" for c in checks),
                       "checks": [asdict(c) for c in checks]}, ensure_ascii=False, indent=2)


def run_checks(settings: Settings | None, *, send_test: bool = False) -> list[Check]:
    """Every check; with ``settings=None`` only those that need no configuration."""
    checks = [check_cjk_font(), check_pdf_engine(), check_poppler()]
    if settings is not None:
        checks += [check_warehouse(settings), *check_inbox(settings), check_fx_rates(settings),
                   check_smtp(settings, send_test=send_test), *check_webhooks(settings, send_test=send_test)]
    checks.append(check_prefect())
    return checks


def check_config(path: str | None) -> tuple[Check, Settings | None]:
    from flows.settings import ConfigError, find_config, load_settings

    try:
        find_config(path)
    except ConfigError as exc:
        return Check("config", "fail", str(exc),
                     "run `shopreport init` to create a project here, or pass --config PATH"), None
    try:
        settings = load_settings(path)
    except ConfigError as exc:
        return Check("config", "fail", str(exc), "correct the key named above (the comments in "
                     "shopreport.toml explain each setting), then run `shopreport doctor` again"), None
    shops = ", ".join(s.id for s in settings.shops)
    return Check("config", "ok", f"{settings.config_path} ({len(settings.shops)} shop(s): {shops})"), settings


# ----------------------------------------------------------------------------------------------
# fonts and the PDF engine
# ----------------------------------------------------------------------------------------------

def cjk_fonts() -> list[str]:
    """The font families fontconfig offers for Chinese (empty when none, or no fontconfig)."""
    if not shutil.which("fc-list"):
        return sorted({p.stem for d in ("/usr/share/fonts", "/usr/local/share/fonts", "~/.fonts")
                       for p in Path(d).expanduser().rglob("*")
                       if p.suffix.lower() in (".ttf", ".ttc", ".otf") and ("wqy" in p.name.lower()
                                                                           or "cjk" in p.name.lower())})
    result = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    return sorted({line.split(",")[0].strip() for line in result.stdout.splitlines() if line.strip()})


def check_cjk_font() -> Check:
    try:
        families = cjk_fonts()
    except (OSError, subprocess.SubprocessError) as exc:
        return Check("CJK font", "fail", f"cannot list the fonts: {exc}", FONT_FIX)
    if not families:
        return Check("CJK font", "fail", "no font with Chinese glyphs found: the PDF would show empty boxes",
                     FONT_FIX)
    if REPORT_FONT not in families:
        return Check("CJK font", "warn", f"{REPORT_FONT} (the report's font) is missing; the PDF falls back "
                     f"to {families[0]}", FONT_FIX)
    return Check("CJK font", "ok", f"{REPORT_FONT} ({len(families)} Chinese font families installed)")


def check_pdf_engine() -> Check:
    fix = ("sudo apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 "
           "(or `make setup`)")
    started = time.perf_counter()
    try:
        import weasyprint

        pdf = weasyprint.HTML(string=PDF_SAMPLE).write_pdf()
    except Exception as exc:  # noqa: BLE001 - OSError for a missing Pango, anything from the engine
        return Check("PDF engine", "fail", f"WeasyPrint cannot render a PDF: {type(exc).__name__}: {exc}", fix)
    seconds = time.perf_counter() - started
    fonts = embedded_fonts(pdf)
    version = f"WeasyPrint {weasyprint.__version__}, {seconds:.1f}s for a test page"
    cjk = [f for f in fonts if any(k in f.lower() for k in ("wenquanyi", "cjk", "hei", "song", "ming", "kai"))]
    if not cjk:
        return Check("PDF engine", "fail", f"{version}, but no CJK font is embedded in it "
                     f"(embedded: {', '.join(fonts) or 'none'}): Chinese text would show as boxes", FONT_FIX)
    if not ctypes.util.find_library("harfbuzz-subset"):
        return Check("PDF engine", "warn", f"{version}, Chinese font embedded ({cjk[0]}), but "
                     f"libharfbuzz-subset0 is missing: font subsetting is slow (seconds per report)",
                     "sudo apt-get install libharfbuzz-subset0")
    return Check("PDF engine", "ok", f"{version}; Chinese font embedded ({cjk[0]})")


def embedded_fonts(pdf: bytes) -> list[str]:
    """The fonts embedded in ``pdf``: pdffonts when installed, else the /FontName entries."""
    if shutil.which("pdffonts"):
        with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
            f.write(pdf)
            f.flush()
            out = subprocess.run(["pdffonts", f.name], capture_output=True, text=True, timeout=30).stdout
        # name type encoding emb sub uni object ID; keep the embedded ones
        rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
        return [r[0].split("+")[-1] for r in rows if len(r) >= 7 and r[-5] == "yes"]
    import re

    return sorted({m.decode("latin-1").split("+")[-1] for m in re.findall(rb"/FontName\s*/([^\s/<>\[\]]+)", pdf)})


def check_poppler() -> Check:
    missing = [tool for tool in ("pdftotext", "pdffonts") if not shutil.which(tool)]
    if missing:
        return Check("poppler tools", "warn", f"{', '.join(missing)} not found (only the tests and "
                     f"`shopreport doctor`'s font check use them)", "sudo apt-get install poppler-utils")
    return Check("poppler tools", "ok", "pdftotext and pdffonts found")


# ----------------------------------------------------------------------------------------------
# warehouse, inbox, fx rates
# ----------------------------------------------------------------------------------------------

def _existing_parent(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_warehouse(settings: Settings) -> Check:
    import duckdb

    from flows.runlock import run_lock
    from flows.warehouse.db import WarehouseBusy, open_warehouse

    path = settings.warehouse_path
    engine = f"DuckDB {duckdb.__version__}"
    if not path.exists():
        parent = _existing_parent(path.parent)
        if not os.access(parent, os.W_OK):
            return Check("warehouse", "fail", f"{path} cannot be created: {parent} is not writable",
                         f"make {parent} writable for this user, or set paths.warehouse to another folder")
        return Check("warehouse", "ok", f"{path} not created yet; the first `shopreport run daily` "
                     f"(or `ingest`) creates it ({engine})")
    if not os.access(path, os.W_OK) or not os.access(path.parent, os.W_OK):
        return Check("warehouse", "fail", f"{path} is not writable (a run writes it and a WAL file beside it)",
                     f"make {path} and its folder writable for this user")
    try:
        with run_lock(settings.run_lock_path, "shopreport doctor"), open_warehouse(path, read_only=True) as con:
            tables = {r[0] for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'main'").fetchall()}
            built = (con.execute("select max(built_at) from build_state").fetchall()[0][0]
                     if "build_state" in tables else None)
            loaded = (con.execute("select count(*) from source_files where status = 'loaded'").fetchall()[0][0]
                      if "source_files" in tables else 0)
    except WarehouseBusy as exc:
        return Check("warehouse", "fail", str(exc),
                     "wait for that process to finish (or stop it), then run `shopreport doctor` again")
    except duckdb.Error as exc:
        return Check("warehouse", "fail", f"{path} cannot be opened: {exc}",
                     "if it is not a DuckDB 2.x file, move it away; the next run creates a new one "
                     "(reload the exports from landing/ with `shopreport ingest landing`)")
    missing = [t for t in ("source_files", "raw_orders", "raw_traffic", "raw_ad_spend") if t not in tables]
    if missing:
        return Check("warehouse", "fail", f"{path} has no {', '.join(missing)} table: not a shopreport warehouse",
                     "point paths.warehouse at the right file, or move this one away")
    if built is None:
        return Check("warehouse", "warn", f"{path}: {loaded} file(s) loaded, never built ({engine})",
                     "run `shopreport build` (or `shopreport run daily`)")
    return Check("warehouse", "ok", f"{path}: {loaded} file(s) loaded, last built {built:%Y-%m-%d %H:%M %Z} "
                 f"({engine}, not locked)")


def check_inbox(settings: Settings) -> list[Check]:
    """The inbox folders, files in it that ingest would not recognise, and files set aside."""
    from flows.ingest.load import REJECTED_DIR, SUPPORTED_SUFFIXES, _ignored, recognise
    from flows.ingest.profiles import NoMatch, ProfileError, load_profiles
    from flows.ingest.readers import UnreadableFile, read_table

    inbox = settings.inbox_dir
    if not inbox.is_dir():
        return [Check("inbox", "fail", f"{inbox} does not exist",
                      f"mkdir -p {' '.join(str(inbox / s.id) for s in settings.shops)}")]
    ids = {s.id for s in settings.shops}
    missing = [s.id for s in settings.shops if not (inbox / s.id).is_dir()]
    strays = sorted(p.name for p in inbox.iterdir() if not _ignored(p) and (p.is_file() or p.name not in ids))
    waiting = [p for s in settings.shops if (inbox / s.id).is_dir()
               for p in sorted((inbox / s.id).iterdir()) if p.is_file() and not _ignored(p)]
    rejected = [p for s in settings.shops for p in sorted((inbox / s.id / REJECTED_DIR).glob("*"))
                if p.is_file() and not p.name.endswith(".reason.txt") and not _ignored(p)]
    checks = []
    if missing or strays:
        detail = "; ".join(filter(None, [
            f"no folder for shop(s) {', '.join(missing)}" if missing else "",
            f"{len(strays)} item(s) outside any shop's folder, never loaded: {', '.join(strays[:5])}" if strays else ""]))
        fix = "; ".join(filter(None, [
            f"mkdir -p {' '.join(str(inbox / m) for m in missing)}" if missing else "",
            f"move them into inbox/<shop_id>/ ({', '.join(sorted(ids))})" if strays else ""]))
        checks.append(Check("inbox", "warn", f"{inbox}: {detail}", fix))
    else:
        checks.append(Check("inbox", "ok", f"{inbox}: a folder for each of the {len(ids)} shop(s)"))

    try:
        profiles = load_profiles(settings.profiles_dir)
    except ProfileError as exc:
        checks.append(Check("inbox files", "fail", f"your export profiles do not load: {exc}",
                            "fix the profile named above (see flows/ingest/profiles.py for the format)"))
        return checks
    unrecognised = []
    for path in waiting[:MAX_INBOX_FILES]:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            unrecognised.append(path)
            continue
        try:
            _, match = recognise(read_table(path), profiles)
        except (UnreadableFile, OSError, ValueError):
            unrecognised.append(path)
            continue
        if isinstance(match, NoMatch):
            unrecognised.append(path)
    rel = [str(p.relative_to(inbox)) for p in unrecognised]
    if unrecognised:
        checks.append(Check("inbox files", "warn", f"{len(unrecognised)} of {len(waiting)} file(s) waiting in "
                            f"the inbox are not recognised exports: {', '.join(rel[:5])}"
                            + (" …" if len(rel) > 5 else "") + " (the next run moves them to _rejected/)",
                            "`shopreport inspect FILE` shows why; remove them, or add a profile for the format"))
    else:
        checks.append(Check("inbox files", "ok", f"{len(waiting)} file(s) waiting to be loaded"
                            + (f" (first {MAX_INBOX_FILES} looked at)" if len(waiting) > MAX_INBOX_FILES else "")))
    if rejected:
        rel = [str(p.relative_to(inbox)) for p in rejected]
        checks.append(Check("rejected files", "warn", f"{len(rejected)} file(s) set aside in "
                            f"inbox/<shop>/{REJECTED_DIR}/: {', '.join(rel[:5])}" + (" …" if len(rel) > 5 else ""),
                            "read the .reason.txt beside each; fix the file and put it back in the shop's "
                            "folder, or delete it"))
    return checks


def check_fx_rates(settings: Settings) -> Check:
    """Shops in another currency than the report's need rates for the all-shops report."""
    other = sorted({s.currency for s in settings.shops} - {settings.reporting_currency})
    if not other:
        return Check("fx rates", "ok", f"every shop reports in {settings.reporting_currency}; no rates needed")
    path = settings.fx_rates_path
    if path is None or not path.is_file():
        return Check("fx rates", "fail", f"shops in {', '.join(other)} need rates to {settings.reporting_currency}, "
                     f"but paths.fx_rates {'is not set' if path is None else f'({path}) does not exist'}",
                     "create fx_rates.csv with the header rate_date,currency,rate_to_reporting and set "
                     "paths.fx_rates")
    import csv

    with open(path, encoding="utf-8-sig", newline="") as f:
        have = {row.get("currency", "") for row in csv.DictReader(f)}
    lacking = [c for c in other if c not in have]
    if lacking:
        return Check("fx rates", "warn", f"{path} has no rate for {', '.join(lacking)}: the all-shops report "
                     f"cannot convert those shops", f"add daily rows like 2026-11-22,{lacking[0]},7.2000")
    return Check("fx rates", "ok", f"{path} has rates for {', '.join(other)}")


# ----------------------------------------------------------------------------------------------
# SMTP, webhooks, Prefect
# ----------------------------------------------------------------------------------------------

def mail_test_recipients(settings: Settings) -> tuple[str, ...]:
    """Who gets ``--send-test``'s mail: mail.admin_to, else the first recipient."""
    everyone = list(settings.mail.recipients) + [r.email for r in settings.recipients]
    return settings.mail.admin_recipients or tuple(everyone[:1])


def check_smtp(settings: Settings, *, send_test: bool = False) -> Check:
    from flows.delivery.mail import _describe, open_smtp, scrub

    mail = settings.mail
    if mail.uses_outbox:
        return Check("SMTP", "ok", f"no mail.smtp_host: mail goes to the outbox folder {settings.outbox_dir} "
                     f"as .eml files")
    where = f"{mail.smtp_host}:{mail.smtp_port} ({mail.security})"
    password = mail.password if mail.user else ""
    if mail.user and not password:
        return Check("SMTP", "fail", f"{where}: mail.smtp_user is {mail.user!r} but the environment variable "
                     f"{mail.password_env} is not set", f"set {mail.password_env} (export {mail.password_env}=…) "
                     f"in the environment that runs shopreport")
    steps: list[str] = []
    try:
        with open_smtp(mail, password, steps) as server:
            steps.append("EHLO")
            code, greeting = server.ehlo()
            if not 200 <= code < 300:
                raise smtplib.SMTPResponseException(code, greeting)
            name = greeting.decode("utf-8", "replace").splitlines()[0] if greeting else mail.smtp_host
            if send_test:
                steps.append("send a test mail")
                to = mail_test_recipients(settings)
                if not to:
                    return Check("SMTP", "warn", f"{where}: connected, but nobody to send the test mail to",
                                 "set mail.to or mail.admin_to")
                server.send_message(_test_mail(settings, to), from_addr=mail.sender, to_addrs=list(to))
    except (smtplib.SMTPException, OSError) as exc:
        detail = scrub(_describe(exc), password)
        return Check("SMTP", "fail", f"{where}: {steps[-1] if steps else 'connect'} failed: {detail}",
                     _smtp_fix(exc, steps[-1] if steps else "connect", mail))
    logged_in = f", logged in as {mail.user}" if mail.user else ", no login"
    sent = f"; test mail sent to {', '.join(mail_test_recipients(settings))}" if send_test else ""
    if not mail.recipients and not settings.recipients:
        return Check("SMTP", "warn", f"{where}: connected to {name}{logged_in}, but no recipients are "
                     f"configured", "add addresses to [mail] to (or [[recipients]])")
    return Check("SMTP", "ok", f"{where}: connected to {name}{logged_in}, EHLO ok"
                 + (sent if send_test else ", nothing sent"))


def _smtp_fix(exc: BaseException, step: str, mail) -> str:
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"check mail.smtp_user and the password in {mail.password_env}"
    if isinstance(exc, ssl.SSLError) or step == "STARTTLS":
        return ("check mail.smtp_security: port 465 is usually ssl, 587 starttls, 25 plain "
                f"(now {mail.security} on {mail.smtp_port})")
    if isinstance(exc, socket.gaierror):
        return f"check mail.smtp_host ({mail.smtp_host!r} does not resolve)"
    if isinstance(exc, (ConnectionRefusedError, TimeoutError, socket.timeout, OSError)) and step == "connect":
        return (f"check mail.smtp_host and mail.smtp_port (nothing answered on {mail.smtp_host}:{mail.smtp_port}) "
                f"and that this machine may reach it")
    return "check the [mail] settings against what your mail provider documents"


def _test_mail(settings: Settings, to: tuple[str, ...]):
    from flows.delivery.mail import build_notice_message

    return build_notice_message(settings.mail, "shopreport doctor: test mail",
                                f"This is a test mail from `shopreport doctor` ({settings.config_path}).\n"
                                f"SMTP works; the reports will come from {settings.mail.sender}.\n", to)


def check_webhooks(settings: Settings, *, send_test: bool = False) -> list[Check]:
    from flows.delivery.mail import DeliveryError
    from flows.delivery.webhooks import ChatSummary, check_webhook, send_webhook

    if not settings.webhooks:
        return [Check("webhooks", "ok", "none configured ([[webhooks]] posts a summary to a chat group)")]
    checks = []
    for ws in settings.webhooks:
        name = f"webhook {ws.name}"
        unset = [env for env in (ws.url_env, ws.secret_env) if env and not os.environ.get(env, "").strip()]
        if unset:
            checks.append(Check(name, "fail", f"environment variable {' and '.join(unset)} not set",
                                f"export {unset[0]}=… ({'the bot URL' if unset[0] == ws.url_env else 'the signing secret'} "
                                f"from the {ws.platform} group's bot settings) where shopreport runs"))
            continue
        hook = ws.webhook()
        problem = check_webhook(hook)
        if problem:
            checks.append(Check(name, "fail", f"{hook.where}: {problem}",
                                f"fix the value of {ws.url_env}" + (f" / {ws.secret_env}" if ws.secret_env else "")))
            continue
        if not send_test:
            checks.append(Check(name, "ok", f"{hook.where}: configuration looks right (nothing sent; "
                                "--send-test posts a test message)"))
            continue
        summary = ChatSummary(title="shopreport doctor: test message", lines=("The webhook works.",),
                              movement=None, link=None, link_text="", language=hook.language or settings.language)
        try:
            result = send_webhook(hook, summary)
        except DeliveryError as exc:
            checks.append(Check(name, "fail", str(exc), f"check {ws.url_env} and the bot's settings in the group"))
            continue
        checks.append(Check(name, "ok", f"{hook.where}: test message {result}"))
    return checks


def check_prefect() -> Check:
    url = os.environ.get("PREFECT_API_URL", "")
    if url:
        return Check("Prefect", "ok", f"PREFECT_API_URL={url}: flows report to that server (schedules work)")
    return Check("Prefect", "ok", "PREFECT_API_URL not set: each command runs its flow on a temporary local "
                 "server (fine by hand; schedules need `prefect server start`, see README)")
