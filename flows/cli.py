"""The ``shopreport`` command (``python -m flows`` is the same).

Every command that touches the warehouse runs as a Prefect flow; with no Prefect server
configured it runs locally on a temporary one (see README, "Running on a schedule").
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import datetime as dt
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.settings import Settings

EXAMPLES = {
    "demo": "example: shopreport demo --dir ./shopreport-demo --fresh",
    "run": ("example: shopreport run daily --date 2026-11-22 --config shopreport.toml\n"
            "         shopreport run weekly --week 2026-W47"),
    "ingest": "example: shopreport ingest ~/Downloads/ExportOrderList_2026-11-22.csv --shop tmall_flagship",
    "build": "example: shopreport build --config shopreport.toml",
    "profiles": "example: shopreport profiles",
    "inspect": "example: shopreport inspect ~/Downloads/orders_export_1.csv",
    "ledger": "example: shopreport ledger --date 2026-11-22",
    "backfill": ("example: shopreport backfill --from 2026-09-01 --to 2026-10-31 ~/old-exports/\n"
                 "         (old-exports/<shop_id>/… like the inbox, or pass --shop; nothing is mailed without --send)"),
    "archive": ("example: shopreport archive --shop tmall_flagship --from 2026-11-01\n"
                "         shopreport archive verify --date 2026-11-22\n"
                "         shopreport archive index"),
    "init": ("example: shopreport init my-shops --shop tmall_flagship:tmall:CNY:天猫旗舰店 "
             "--shop 'us_store:shopify:USD:US Store' --mail-to owner@example.com\n"
             "         shopreport init --shop jd_main --platform jd --name 京东自营店   (one shop: the flags form)\n"
             "         (in a terminal it asks for what the flags leave out; elsewhere it takes defaults)"),
    "doctor": ("example: shopreport doctor --config my-shops/shopreport.toml\n"
               "         shopreport doctor --send-test   (also posts a test message to each webhook and, "
               "with SMTP set, mails mail.admin_to)"),
    "retention": ("example: shopreport retention --dry-run\n"
                  "         ([retention] landing_days = 180 in shopreport.toml; nothing is removed unless configured)"),
}
EXIT_BUSY = 75  # EX_TEMPFAIL: another run holds the warehouse; try again later
DEMO_MARKER = ".shopreport-demo"


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-11-22, got {value!r}") from exc


def _iso_week(value: str) -> dt.date:
    from flows.reports.weekly import parse_iso_week

    try:
        return parse_iso_week(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def build_parser() -> argparse.ArgumentParser:
    from flows.settings import BUILT_IN_LANGUAGES, PLATFORMS, SMTP_SECURITY

    parser = argparse.ArgumentParser(
        prog="shopreport",
        description="Turn the exports an e-commerce team downloads every morning (orders, 生意参谋 "
                    "traffic, ad spend) into a DuckDB warehouse and a daily report by mail.",
        epilog="Start with `shopreport demo`. The configuration is ./shopreport.toml unless --config "
               "or $SHOPREPORT_CONFIG says otherwise.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        return p

    def config_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument("--config", metavar="PATH", help="configuration file (default ./shopreport.toml)")

    p = add("demo", "Generate a demo business (a Tmall and a Shopify shop, 430 days of real-format "
                    "exports), run the whole pipeline and leave the reports in the archive and the "
                    "mails in the outbox.")
    p.add_argument("--dir", default="shopreport-demo", type=Path, help="where to put it (default ./shopreport-demo)")
    p.add_argument("--end-date", type=_date, help="last business day of the demo (default: yesterday, Asia/Shanghai)")
    p.add_argument("--days", type=int, default=430, help="days of history (default 430, at least 400 for year-over-year)")
    p.add_argument("--seed", type=int, default=20261122, help="random seed (same seed, same files)")
    p.add_argument("--fresh", action="store_true", help="delete an earlier demo in --dir first")
    p.add_argument("--no-run", action="store_true", help="only write the files and the configuration")

    p = add("init", "Create a project folder for your own shops: a commented shopreport.toml, "
                    "inbox/<shop_id>/ folders, fx_rates.csv and targets.csv templates, a .gitignore "
                    "and a README.txt saying what to do next.")
    p.add_argument("dir", nargs="?", default=Path("."), type=Path, help="the project folder (default: here)")
    p.add_argument("--shop", action="append", default=[], metavar="ID[:PLATFORM[:CURRENCY[:NAME]]]",
                   help="a shop; repeatable. The id names its inbox folder. Left-out parts come from "
                        "--platform/--currency/--name, else tmall, CNY (USD for shopify) and the id")
    p.add_argument("--name", help="the shop's name in the reports (one --shop only)")
    p.add_argument("--platform", choices=PLATFORMS, help="platform of the shops that do not name one")
    p.add_argument("--currency", metavar="CODE", help="currency of the shops that do not name one (e.g. CNY)")
    p.add_argument("--reporting-currency", metavar="CODE",
                   help="currency of the all-shops report (default: the first shop's)")
    p.add_argument("--language", choices=BUILT_IN_LANGUAGES, help="report language (default zh-CN)")
    p.add_argument("--timezone", metavar="ZONE", help="time zone of the business days (default Asia/Shanghai)")
    p.add_argument("--mail-to", action="append", default=[], metavar="ADDRESS",
                   help="who gets the reports; repeatable or comma-separated")
    p.add_argument("--mail-from", metavar="ADDRESS", help="the sender address")
    p.add_argument("--smtp-host", metavar="HOST", help="SMTP server (default: none, mails go to the outbox folder)")
    p.add_argument("--smtp-port", type=int, metavar="PORT", help="default 465 for ssl, 587 for starttls, 25 for plain")
    p.add_argument("--smtp-security", choices=SMTP_SECURITY, help="default ssl")
    p.add_argument("--smtp-user", metavar="LOGIN",
                   help="SMTP login; the password is read from $SHOPREPORT_SMTP_PASSWORD at send time")
    p.add_argument("--no-input", action="store_true", help="never ask, even in a terminal: take the defaults")
    p.add_argument("--force", action="store_true", help="replace an existing shopreport.toml")

    p = add("doctor", "Check what a run needs (configuration, CJK font, PDF engine, warehouse, inbox, "
                      "fx rates, SMTP, webhooks, Prefect) and say what to fix. Sends nothing unless "
                      "--send-test. Exit code 1 when a check fails.")
    p.add_argument("--send-test", action="store_true",
                   help="post a test message to each webhook and, with SMTP set, mail mail.admin_to "
                        "(else the first recipient)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    config_arg(p)

    p = add("run", "Run a report flow: ingest the inbox, build the warehouse, render and deliver.")
    p.add_argument("kind", choices=["daily", "weekly"], help="which report")
    p.add_argument("--date", type=_date, help="business day to report (default: yesterday in each shop's time zone)")
    p.add_argument("--week", type=_iso_week, help="weekly: the ISO week to report, e.g. 2026-W47 "
                                                  "(default: the last complete week in report.timezone)")
    p.add_argument("--scope", action="append", metavar="SHOP_ID",
                   help="only this shop (or 'all'); repeatable. Default: every shop and all shops together")
    p.add_argument("--no-ingest", action="store_true", help="report on what is already in the warehouse")
    p.add_argument("--resend", action="store_true",
                   help="send the reports again even if the send ledger says they went out already")
    config_arg(p)

    p = add("ingest", "Load exports into the warehouse: the inbox (inbox/<shop_id>/), or the files "
                      "and folders given. Loading a file twice changes nothing.")
    p.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the inbox)")
    p.add_argument("--shop", metavar="SHOP_ID", help="the shop these files belong to (files outside the inbox)")
    config_arg(p)

    p = add("build", "Rebuild every transform layer (staging → intermediate → marts → reports) and run the checks.")
    config_arg(p)
    p.add_argument("--full", action="store_true",
                   help="rebuild every model from all history (default: only what new files touch)")

    p = add("profiles", "List the export formats shopreport recognises (built-in and your own).")
    config_arg(p)

    p = add("inspect", "Show how a file would be read: detected profile, column mapping, first rows as parsed.")
    p.add_argument("file", type=Path)
    p.add_argument("--rows", type=int, default=5, help="how many parsed rows to show")
    config_arg(p)

    p = add("backfill", "Load a folder of old exports and render every daily and weekly report of a "
                        "date range into the archive (not mailed unless --send). Reports already "
                        "archived are skipped, so running it twice does nothing the second time.")
    p.add_argument("paths", nargs="*", type=Path,
                   help="files or folders of old exports (default: the inbox); a folder may hold "
                        "<shop_id>/ sub-folders like the inbox")
    p.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE", help="first business day")
    p.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE", help="last business day")
    p.add_argument("--shop", metavar="SHOP_ID", help="the shop the given files belong to")
    p.add_argument("--scope", action="append", metavar="SHOP_ID",
                   help="only this shop's reports (or 'all'); repeatable. Default: every scope")
    p.add_argument("--send", action="store_true", help="also mail the reports (each once, through the send ledger)")
    p.add_argument("--force", action="store_true", help="render reports again that are archived already")
    p.add_argument("--jobs", type=int, metavar="N",
                   help="worker processes for rendering (default: CPU cores, at most 4)")
    config_arg(p)

    p = add("archive", "List and find archived reports, check that they re-render the same from "
                       "their stored data, or rewrite the archive's index.html.")
    p.add_argument("action", nargs="?", choices=["list", "verify", "index"], default="list",
                   help="list (default), verify (re-render from stored data and compare), index")
    p.add_argument("--kind", choices=["daily", "weekly"], help="only this kind")
    p.add_argument("--shop", action="append", metavar="SCOPE", help="only this shop id (or 'all'); repeatable")
    p.add_argument("--date", type=_date, help="reports covering this day (a day, or the week holding it)")
    p.add_argument("--from", dest="start", type=_date, metavar="DATE", help="reports covering a day from DATE on")
    p.add_argument("--to", dest="end", type=_date, metavar="DATE", help="… up to DATE")
    p.add_argument("--unsent", action="store_true", help="only reports that were not sent")
    config_arg(p)

    p = add("retention", "Apply the configured retention ([retention] landing_days / archive_days): "
                         "remove raw landing files and old reports. --dry-run only lists them.")
    p.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")
    p.add_argument("--today", type=_date, help=argparse.SUPPRESS)
    config_arg(p)

    p = add("ledger", "Show the send ledger: every report and notice sent (or that failed), to whom, "
                      "with its Message-ID, content hash, attempts and last error.")
    p.add_argument("--date", type=_date, help="only this business day")
    config_arg(p)
    return parser


def _prefect_defaults() -> None:
    # offline machines: no telemetry attempts (STACK.md §0)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the temporary server (flows/prefect_server.py) answers in ~4 s on an idle 2-core machine;
    # 20 s (Prefect's default) is too short when the machine is busy
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO")


FLOW_COMMANDS = ("demo", "run", "ingest", "build", "backfill")  # the commands that run Prefect flows
RENDER_COMMANDS = ("demo", "run")  # … and those of them that render reports


def _flow_run_settings(command: str) -> contextlib.AbstractContextManager:
    """The flow runs a command starts send no heartbeats, unless ``PREFECT_FLOWS_HEARTBEAT_FREQUENCY``
    is set: each flow run would wait up to 1 s (0.5-0.75 s measured) at its end for the heartbeat
    thread (STACK.md §1.4). A heartbeat serves a server's automation that marks a run whose process
    died as crashed; a temporary server ends with the process, and a run started by hand has
    someone watching it. Runs that workers start from the deployments do not pass through here
    and keep Prefect's heartbeats."""
    if command not in FLOW_COMMANDS or os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY"):
        return contextlib.nullcontext()
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})


def _import_flow_engine() -> None:
    """Import what a command's first flow run imports: this program's flows (``prefect.main``, which
    sets up Prefect's logging) and Prefect's flow and task engines. A command that started a
    temporary Prefect server does it while that server starts: the command waited 1-1.5 s for it
    with nothing to do, and these imports then came after it. Prefect's settings are still read
    when a flow runs, after ``TemporaryServer.use`` has pointed them at the server."""
    import prefect.flow_engine  # noqa: F401
    import prefect.task_engine  # noqa: F401

    import flows.daily_report  # noqa: F401


def _inbox_read_early(args: argparse.Namespace, settings: Settings | None) -> Iterator[object] | None:
    """For a command whose flow starts with an ingest of the inbox (``run`` without
    ``--no-ingest``, ``ingest`` without paths): the inbox's files read one step at a time, for
    that ingest to take (flows/ingest/parallel.py: ``read_early``); None for the others."""
    inbox = ((args.command == "run" and not args.no_ingest)
             or (args.command == "ingest" and not args.paths))
    if settings is None or not inbox:
        return None
    from flows.ingest.parallel import read_early

    return read_early(settings)


@contextlib.contextmanager
def _prefect(args: argparse.Namespace, settings: Settings | None = None) -> Iterator[None]:
    """Around a command's flow runs, once its arguments are checked: the temporary Prefect server,
    if this command started one, is waited for and used, and the runs send no heartbeats
    (``_flow_run_settings``). While that server starts, the command imports what its flow run
    will, and reads the inbox's files for its ingest (``_inbox_read_early``)."""
    server = getattr(args, "prefect_server", None)
    if server is not None and not server.used:
        _import_flow_engine()  # while the server starts: these imports came after it (0.3-0.4 s)
        server.use(meanwhile=_inbox_read_early(args, settings))
    with _flow_run_settings(args.command):
        yield


def cmd_demo(args: argparse.Namespace) -> int:
    from flows.demo import generate_demo

    target: Path = args.dir.resolve()
    if args.days < 2:
        raise SystemExit("error: --days must be at least 2")
    if args.fresh and target.exists():
        if not (target / DEMO_MARKER).exists():
            raise SystemExit(f"error: {target} exists and is not a shopreport demo folder; "
                             f"not deleting it (choose another --dir)")
        shutil.rmtree(target)
    target.mkdir(parents=True, exist_ok=True)
    (target / DEMO_MARKER).write_text("created by `shopreport demo`\n", encoding="utf-8")
    end_date = args.end_date or _yesterday_shanghai()
    started = time.perf_counter()
    print(f"shopreport demo: writing {args.days} days of exports ending {end_date} into {target}")
    manifest = generate_demo(target, end_date, days=args.days, seed=args.seed, progress=print)
    print(f"  {len(manifest.files)} export files written in {time.perf_counter() - started:.1f}s")
    config = target / "shopreport.toml"
    if args.no_run:
        print(f"configuration: {config}")
        return 0
    from flows.daily_report import daily_report
    from flows.settings import load_settings

    print("running the pipeline (ingest → build → render → deliver) as a Prefect flow …")
    started = time.perf_counter()
    with _prefect(args):
        deliveries = daily_report(config=str(config), report_date=end_date)
    settings = load_settings(config)
    print(f"\ndaily reports done in {time.perf_counter() - started:.1f}s.")
    print(f"  configuration: {config}")
    print(f"  warehouse:     {settings.warehouse_path}")
    print(f"  reports:       {settings.archive_dir / 'daily'}")
    for pdf in sorted((settings.archive_dir / "daily").glob(f"*/{end_date.isoformat()}/*.pdf")):
        print(f"                 {pdf}")
    print(f"  mails:         {settings.outbox_dir}")
    for where in deliveries:
        print(f"                 {where}")

    from flows.daily_report import weekly_report
    from flows.reports.weekly import iso_week_label, last_complete_week

    week = last_complete_week(end_date + dt.timedelta(days=1))  # the week ending on end_date, if a Sunday
    print(f"\nrendering the weekly report for {iso_week_label(week)} …")
    with _prefect(args):
        weekly = weekly_report(config=str(config), week_start=week, ingest=False)
    print(f"  weekly reports: {settings.archive_dir / 'weekly'}")
    for pdf in sorted((settings.archive_dir / "weekly").glob(f"*/{iso_week_label(week)}/*.pdf")):
        print(f"                 {pdf}")
    for where in weekly:
        print(f"                 {where}")
    print(f"  archive index: {settings.archive_dir / 'index.html'} (every report: PDF, HTML, Excel, its data)")
    print(f"\ndone in {time.perf_counter() - started:.1f}s (pipeline, daily and weekly).")
    return 0


def _yesterday_shanghai() -> dt.date:
    from zoneinfo import ZoneInfo
    return (dt.datetime.now(ZoneInfo("Asia/Shanghai")) - dt.timedelta(days=1)).date()


def _config(args: argparse.Namespace) -> str:
    """Check the configuration and the shops named on the command line before a flow starts
    (fast, clean errors); returns the configuration's absolute path."""
    from flows.pipeline import ALL_SHOPS
    from flows.settings import load_settings

    settings = load_settings(args.config)
    for shop_id in [getattr(args, "shop", None), *(getattr(args, "scope", None) or [])]:
        if shop_id and shop_id != ALL_SHOPS:
            settings.shop(shop_id)  # raises ConfigError naming the configured shops
    return str(settings.config_path)


@contextlib.contextmanager
def _exclusive(config: str, args: argparse.Namespace) -> Iterator[None]:
    """Hold the run lock from before the flow starts, after checking that no other process holds
    the warehouse: a second run stops at once with a clean message instead of a flow traceback.
    The flow takes the same lock again (re-entrant), which covers runs started by a worker."""
    from flows.runlock import run_lock
    from flows.settings import load_settings
    from flows.warehouse.db import open_warehouse

    settings = load_settings(config)
    with run_lock(settings.run_lock_path, "shopreport " + " ".join(getattr(args, "argv", []))):
        if settings.warehouse_path.exists():
            with open_warehouse(settings.warehouse_path, read_only=True):
                pass  # WarehouseBusy when another process (not a shopreport run) holds the file
        with _prefect(args, settings):
            yield


def cmd_run(args: argparse.Namespace) -> int:
    config = _config(args)
    if args.kind == "daily" and args.week:
        raise SystemExit("error: --week is for `run weekly`; `run daily` takes --date")
    if args.kind == "weekly" and args.date:
        raise SystemExit("error: `run weekly` takes --week (e.g. 2026-W47), not --date")
    with _exclusive(config, args):  # before importing Prefect: a second run stops at once
        if args.kind == "weekly":
            from flows.daily_report import weekly_report

            deliveries = weekly_report(config=config, week_start=args.week, scopes=args.scope,
                                       ingest=not args.no_ingest, resend=args.resend)
        else:
            from flows.daily_report import daily_report

            deliveries = daily_report(config=config, report_date=args.date, scopes=args.scope,
                                      ingest=not args.no_ingest, resend=args.resend)
    for where in deliveries:
        print(f"delivered: {where}")
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise SystemExit(f"error: no such file or folder: {missing[0]}")
    config = _config(args)
    with _exclusive(config, args):
        from flows.daily_report import ingest_files

        report = ingest_files(config=config, paths=[str(p.resolve()) for p in args.paths] or None,
                              shop_id=args.shop)
    bad = report.count("refused") + report.count("unrecognised")
    return 1 if bad else 0


def cmd_build(args: argparse.Namespace) -> int:
    config = _config(args)
    with _exclusive(config, args):
        from flows.daily_report import build_only

        build_only(config=config, full=args.full)
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from flows.init import InitError, InitOptions, check_target, choose_project, write_project

    options = InitOptions(shops=args.shop, name=args.name, platform=args.platform, currency=args.currency,
                          reporting_currency=args.reporting_currency, language=args.language,
                          timezone=args.timezone, mail_to=args.mail_to, mail_from=args.mail_from,
                          smtp_host=args.smtp_host, smtp_port=args.smtp_port,
                          smtp_security=args.smtp_security, smtp_user=args.smtp_user)
    target: Path = args.dir
    interactive = not args.no_input and sys.stdin.isatty()
    try:
        check_target(target, force=args.force)  # before asking anything
        project = choose_project(options, ask=_ask if interactive else None,
                                 say=lambda text: print(f"note: {text}"))
        written = write_project(target, project, force=args.force)
    except InitError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except (EOFError, KeyboardInterrupt):
        print("\ninterrupted: nothing written", file=sys.stderr)
        return 130
    shown = target.resolve()
    print(f"created {shown}:")
    for path in written:
        print(f"  {path.relative_to(target)}{'/' if path.is_dir() else ''}")
    where = "" if shown == Path.cwd() else f"cd {target} && "
    print(f"next: {where}shopreport doctor, then drop exports into inbox/<shop_id>/ and run "
          f"`shopreport run daily` (see README.txt)")
    return 0


def _ask(question: str, default: str) -> str:
    return input(f"{question} [{default}]: ")


def cmd_doctor(args: argparse.Namespace) -> int:
    from flows.doctor import check_config, checks_json, format_checks, run_checks

    config_check, settings = check_config(args.config)
    checks = [config_check, *run_checks(settings, send_test=args.send_test)]
    print(checks_json(checks) if args.json else format_checks(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0


def cmd_profiles(args: argparse.Namespace) -> int:
    from flows.ingest.profiles import load_profiles
    from flows.settings import ConfigError, load_settings

    user_dir = None
    try:
        user_dir = load_settings(args.config).profiles_dir
    except ConfigError:
        pass  # no configuration: built-ins only
    for p in load_profiles(user_dir):
        origin = "user" if p.user_defined else "built-in"
        print(f"{p.name:28} {p.entity:9} {origin:8} {p.title}")
        print(f"{'':28} recognised by: {', '.join(p.signature)}")
    return 0


def cmd_inspect(args: argparse.Namespace) -> int:
    from flows.ingest.inspect import inspect_file
    from flows.settings import ConfigError, load_settings

    settings = None
    try:
        settings = load_settings(args.config)
    except ConfigError:
        pass
    print(inspect_file(args.file, settings, rows=args.rows))
    return 0


def cmd_ledger(args: argparse.Namespace) -> int:
    from flows.ledger import SendLedger
    from flows.settings import load_settings

    settings = load_settings(args.config)
    entries = SendLedger(settings.send_ledger_path).entries(period=args.date.isoformat() if args.date else None)
    if not entries:
        print(f"nothing in the send ledger {settings.send_ledger_path}"
              + (f" for {args.date}" if args.date else ""))
    for e in entries:
        print(e.line())
        print(f"    to {', '.join(e.recipients) or '-'} via {e.method or '-'} → {e.delivered_to or '-'}; "
              f"subject {e.subject!r}; sha256 {(e.content_sha256 or '-')[:16]}; "
              f"created {e.created_at}, sent {e.sent_at or '-'}")
    return 0


def cmd_backfill(args: argparse.Namespace) -> int:
    missing = [p for p in args.paths if not p.exists()]
    if missing:
        raise SystemExit(f"error: no such file or folder: {missing[0]}")
    if args.end < args.start:
        raise SystemExit(f"error: --to {args.end} is before --from {args.start}")
    if args.jobs is not None and args.jobs < 1:
        raise SystemExit("error: --jobs must be 1 or more")
    config = _config(args)
    with _exclusive(config, args):
        from flows.daily_report import backfill

        backfill(config=config, start=args.start, end=args.end,
                 paths=[str(p.resolve()) for p in args.paths] or None, shop_id=args.shop,
                 scopes=args.scope, send=args.send, force=args.force, jobs=args.jobs)
    return 0


def cmd_archive(args: argparse.Namespace) -> int:
    from flows.archive import KINDS, list_reports, write_index
    from flows.settings import load_settings

    settings = load_settings(args.config)
    if args.action == "index":
        print(f"wrote {write_index(settings.archive_dir)}")
        return 0
    start, end = (args.date, args.date) if args.date else (args.start, args.end)
    entries = list_reports(settings.archive_dir, kinds=[args.kind] if args.kind else KINDS, scopes=args.shop,
                           start=start, end=end, sent=False if args.unsent else None)
    if not entries:
        print(f"no archived report matches in {settings.archive_dir}")
        return 0 if args.action == "list" else 1
    if args.action == "list":
        for entry in entries:
            print(entry.line())
        print(f"{len(entries)} report(s); index: {settings.archive_dir / 'index.html'}")
        return 0
    from flows.archive import verify_report

    bad = 0
    for entry in entries:
        check = verify_report(entry.folder)
        bad += not check.same
        print(f"{'same     ' if check.same else 'DIFFERENT'} {entry.kind} {entry.scope_id} {entry.period}: {check.detail}")
    print(f"{len(entries) - bad} of {len(entries)} report(s) re-render the same from their stored data")
    return 1 if bad else 0


def cmd_retention(args: argparse.Namespace) -> int:
    from flows.retention import apply_retention, plan_retention
    from flows.settings import load_settings

    settings = load_settings(args.config)
    if settings.retention.landing_days is None and settings.retention.archive_days is None:
        print(f"no retention configured in {settings.config_path}: raw landing files and reports are kept "
              f"forever. Set [retention] landing_days = 180 (and/or archive_days) to remove old ones.")
        return 0
    removals = plan_retention(settings, args.today)
    size = sum(r.bytes for r in removals) / 1024 / 1024
    for removal in removals:
        print(("would remove " if args.dry_run else "removing ") + removal.line())
    if args.dry_run:
        print(f"dry run: {len(removals)} item(s), {size:.1f} MB would be removed; nothing was removed")
        return 0
    with _exclusive(str(settings.config_path), args):
        apply_retention(settings, removals)
    print(f"removed {len(removals)} item(s), {size:.1f} MB; each is recorded in the warehouse table retention_log")
    return 0


COMMANDS = {"demo": cmd_demo, "init": cmd_init, "doctor": cmd_doctor, "run": cmd_run, "ingest": cmd_ingest, "build": cmd_build,
            "profiles": cmd_profiles, "inspect": cmd_inspect, "ledger": cmd_ledger,
            "backfill": cmd_backfill, "archive": cmd_archive, "retention": cmd_retention}


def main(argv: list[str] | None = None, temporary_server: bool = False) -> int:
    """The command named in ``argv``; its exit code. ``temporary_server`` (the program, ``run``):
    with no Prefect server configured, a flow command starts Prefect's temporary server at once,
    so that it comes up while the command imports and checks its arguments
    (flows/prefect_server.py). Called in a process that lives on (tests), Prefect starts its own
    at the first flow, as usual."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    args.argv = argv  # what the run lock file says about this run
    if not args.command:
        parser.print_help()
        return 2
    _prefect_defaults()
    from flows import prefect_server

    args.prefect_server = (prefect_server.TemporaryServer.start()
                           if temporary_server and args.command in FLOW_COMMANDS
                           and prefect_server.wanted(os.environ) else None)
    from flows.delivery.mail import DeliveryError
    from flows.freshness import SourcesLate
    from flows.ingest.profiles import ProfileError
    from flows.pipeline import NoDataForDate, RunIncomplete
    from flows.settings import ConfigError
    from flows.warehouse.build import BuildFailed, ModelError
    from flows.warehouse.db import WarehouseBusy

    if args.prefect_server is not None and args.command in RENDER_COMMANDS:
        from flows.reports.render import warm_up

        warm_up()  # the renderers import while the temporary server starts, not during the build
    try:
        return COMMANDS[args.command](args)
    except WarehouseBusy as exc:  # another run (RunInProgress) or another process holds the warehouse
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except (ConfigError, ProfileError, ModelError, NoDataForDate, BuildFailed, RunIncomplete,
            DeliveryError, SourcesLate, prefect_server.ServerNotStarted) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def run() -> None:
    """The program's entry point (the ``shopreport`` script, ``python -m flows``): ``main``, then
    an exit that skips the interpreter's teardown.

    Tearing down the modules and objects of a run (Prefect, pandas, DuckDB, WeasyPrint) took
    0.6-1.3 s after every run's work was done. Once ``main`` has returned and the exit handlers
    registered after this one have run (the temporary Prefect server stops there; the warehouse
    connections are closed by then), logging is shut down (which flushes Prefect's API log
    handler: the run's log lines reach the server before the exit, tests/scaleout) and the
    process leaves with ``os._exit``. When
    ``main`` raises, the interpreter exits the usual way, with the traceback; when the program
    reading the output went away (a pipe into ``head``), quietly with status 1."""
    finished: list[int] = []

    def leave() -> None:  # registered first, so it runs after every other exit handler
        if not finished:
            return
        import logging

        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(finished[0])

    atexit.register(leave)
    try:
        code = main(temporary_server=True)
    except BrokenPipeError:  # the program reading the output went away (`shopreport ledger | head`)
        # no traceback; what is still buffered goes nowhere (the advice of Python's `signal` docs)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
    if isinstance(code, int):
        finished.append(code)
    raise SystemExit(code)


if __name__ == "__main__":
    run()
