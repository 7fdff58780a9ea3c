"""A demo-sized report mail for the e-mail checks: the demo business (100 days ending Sunday
2026-11-22) ingested and built without Prefect, its daily and weekly mails rendered in both
languages: zh-CN for the Tmall shop, en for all shops (the longest mail)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

DEMO_END = dt.date(2026, 11, 22)
DEMO_WEEK = dt.date(2026, 11, 16)  # Monday of 2026-W47, the demo's last complete week
MAILS = [("daily", "zh-CN", "tmall_flagship"), ("daily", "en", "all"),
         ("weekly", "zh-CN", "tmall_flagship"), ("weekly", "en", "all")]
MAIL_IDS = [f"{kind}-{language}" for kind, language, _ in MAILS]


@dataclass(frozen=True)
class DemoMail:
    kind: str
    language: str
    ctx: object  # DailyReportContext or WeeklyReportContext
    subject: str
    rendered: object  # flows.reports.render.RenderedEmail
    pdf_name: str


@pytest.fixture(scope="session")
def demo_settings(made_once):
    """The demo's Settings, its warehouse built once for the whole test run (read only)."""
    from flows.demo import generate_demo
    from flows.pipeline import build_warehouse, ingest
    from flows.settings import load_settings

    def make(target):
        generate_demo(target, DEMO_END, days=100, daily_days=7)
        settings = load_settings(target / "shopreport.toml")
        ingest(settings)
        build_warehouse(settings)

    return load_settings(made_once("demo-mail", make) / "shopreport.toml")


@pytest.fixture(scope="session")
def demo_mails(demo_settings) -> dict[str, DemoMail]:
    from flows.delivery.mail import report_subject
    from flows.reports import build_daily_context, render_email, report_file_stem
    from flows.reports.render import render_weekly_email
    from flows.reports.weekly import build_weekly_context, weekly_file_stem, weekly_subject
    from flows.warehouse.db import open_warehouse

    mails = {}
    with open_warehouse(demo_settings.warehouse_path, read_only=True) as con:
        for (kind, language, scope), key in zip(MAILS, MAIL_IDS):
            if kind == "daily":
                ctx = build_daily_context(con, demo_settings, DEMO_END, scope, language)
                mail = DemoMail(kind, language, ctx, report_subject(ctx), render_email(ctx),
                                f"{report_file_stem(ctx)}.pdf")
            else:
                ctx = build_weekly_context(con, demo_settings, DEMO_WEEK, scope, language)
                mail = DemoMail(kind, language, ctx, weekly_subject(ctx), render_weekly_email(ctx),
                                f"{weekly_file_stem(ctx)}.pdf")
            mails[key] = mail
    return mails
