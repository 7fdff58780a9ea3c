"""Reports rendered in worker processes beside the flow (flows/reports/ahead.py), on a copy of the
demo after its daily run: the same reports as rendered in the flow's own process, a worker's
error raised where the flow comes to that report, nothing lost when a worker dies, and the
daily flow delivering every report once with a worker rendering some of them."""

from __future__ import annotations

import datetime as dt
import email
import logging
import subprocess
import sys
from email import policy

import pytest

from flows.archive import pdf_text
from flows.daily_report import daily_report
from flows.faults import EXIT_ENV
from flows.ledger import SendLedger
from flows.pipeline import NoDataForDate
from flows.reports.ahead import MIN_REPORTS, RenderAhead, RenderJob, render
from flows.settings import load_settings

pytestmark = pytest.mark.slow  # real renders of the demo's reports, in real processes

DEMO_END = dt.date(2026, 11, 22)
SCOPES = ("tmall_flagship", "shopify_us", "all")


@pytest.fixture(scope="module")
def settings(demo_dir):
    return load_settings(demo_dir / "shopreport.toml")


def jobs(day: dt.date = DEMO_END) -> list[RenderJob]:
    """The demo's three daily reports, the last one partial (what the freshness gate passes on)."""
    cutoff = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)
    return [RenderJob("daily", day, scope) for scope in SCOPES[:-1]] + [
        RenderJob("daily", day, SCOPES[-1], (("shopify_us", "traffic"),), cutoff)]


def shown(report) -> tuple:
    """What a reader gets: subject, mail text and HTML, the PDF's text, the rows behind them."""
    return (report.subject, report.email.text, report.email.html, pdf_text(report.pdf),
            [(t.table, t.sql, t.params, t.data.to_pylist() if t.data is not None else t.error) for t in report.tables])


def test_a_worker_renders_from_the_end_what_the_flow_would_render_itself(settings):
    with RenderAhead(settings, jobs(), workers=1) as ahead:
        taken = [ahead.take(job) for job in jobs()]
    by_worker = [scope for scope, (_, worker) in zip(SCOPES, taken) if worker]
    assert by_worker and by_worker == list(SCOPES[len(SCOPES) - len(by_worker):]), \
        "the worker takes the list from its end"
    assert ahead.by_workers == len(by_worker) and ahead.worker_peak_mib > 100
    assert f"{len(by_worker)} of 3 report(s) rendered by 1 worker process(es)" in ahead.summary()
    for job, (report, _) in zip(jobs(), taken):
        assert shown(report) == shown(render(settings, job)), job.label
    last, _ = taken[-1]
    assert last.partial and last.missing == (("shopify_us", "traffic"),) and last.cutoff == jobs()[-1].cutoff


def test_a_render_that_fails_in_a_worker_fails_where_the_flow_comes_to_it(settings):
    far = DEMO_END - dt.timedelta(days=2000)  # before the demo's first day: no data
    todo = jobs()[:2] + [RenderJob("daily", far, "all")]
    with RenderAhead(settings, todo, workers=1) as ahead:
        taken = [ahead.take(job) for job in todo[:2]]
        with pytest.raises(NoDataForDate) as in_worker:
            ahead.take(todo[2])  # the worker's first report
    with pytest.raises(NoDataForDate) as here:
        render(settings, todo[2])
    assert [report.scope_id for report, _ in taken] == list(SCOPES[:2]), "the other reports are rendered"
    assert ahead.by_workers == sum(worker for _, worker in taken), "a failed report is not counted as rendered"
    assert str(in_worker.value) == str(here.value) and "no data for all on" in str(here.value)


def test_a_worker_that_dies_loses_nothing_the_flow_renders_the_rest(settings, monkeypatch, capsys):
    monkeypatch.setenv(EXIT_ENV, "render_ahead")  # every worker ends at its first report (os._exit)
    with RenderAhead(settings, jobs(), workers=1) as ahead:
        taken = [ahead.take(job) for job in jobs()]
    assert [worker for _, worker in taken] == [False, False, False]
    assert [report.scope_id for report, _ in taken] == list(SCOPES)
    assert all(report.archived.pdf.is_file() for report, _ in taken)
    assert ahead.broken and ahead.by_workers == 0
    out = capsys.readouterr().out
    assert "render: a worker process ended before it finished daily all 2026-11-22" in out
    assert "the flow renders it and the rest itself" in out


def test_few_reports_start_no_worker(settings):
    ahead = RenderAhead(settings, jobs()[:MIN_REPORTS - 1], workers=2)
    assert ahead.workers == 0 and ahead.summary() == ""
    assert RenderAhead(settings, jobs(), workers=0).workers == 0


def test_no_more_workers_than_reports_after_the_first(settings):
    """Three reports and more workers asked for than reports after the first: two start, and
    the flow renders the first at once instead of waiting for a worker to start; the last is a
    worker's (the second goes to whichever comes to it first)."""
    with RenderAhead(settings, jobs(), workers=5) as ahead:
        assert ahead.workers == 2
        taken = [ahead.take(job) for job in jobs()]
    by_worker = [worker for _, worker in taken]
    assert by_worker[0] is False and by_worker[2] is True
    assert ahead.by_workers == sum(by_worker)


def test_the_daily_flow_delivers_each_report_once_with_a_worker_rendering_some(demo_dir, settings, caplog):
    config = (demo_dir / "shopreport.toml").read_text(encoding="utf-8")
    (demo_dir / "workers.toml").write_text(config.replace("\n[report]\n", "\n[report]\nrender_workers = 1\n"),
                                           encoding="utf-8")
    before = set(settings.outbox_dir.glob("*.eml"))
    with caplog.at_level(logging.INFO):
        deliveries = daily_report(config=str(demo_dir / "workers.toml"), report_date=DEMO_END,
                                  ingest=False, resend=True)
    assert len(deliveries) == 3
    new = sorted(set(settings.outbox_dir.glob("*.eml")) - before)
    subjects = [email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"] for p in new]
    assert sorted(s.split(" ")[0] for s in subjects) == sorted(["【日报】天猫旗舰店", "【日报】Shopify", "【日报】全部店铺"])
    log = "\n".join(r.getMessage() for r in caplog.records)
    assert "rendered by 1 worker process(es)" in log and "(by a worker process)" in log
    resent = [e for e in SendLedger(settings.send_ledger_path).entries(kind="daily") if e.forced]
    assert [e.scope for e in resent] == list(SCOPES), "claimed and delivered in the run's order"
    assert [e.status for e in resent] == ["sent"] * 3
    assert sorted(e.sent_at for e in resent) == [e.sent_at for e in resent]


def test_a_process_that_only_renders_does_not_import_pandas(settings):
    """A render worker stays lean (44 MiB and 0.3 s less than with pandas): nothing on the render
    path imports it."""
    code = ("import sys, datetime as dt\nfrom flows.settings import load_settings\n"
            "from flows.reports.ahead import RenderJob, render\n"
            f"settings = load_settings({str(settings.config_path)!r})\n"
            f"report = render(settings, RenderJob('daily', dt.date.fromisoformat({DEMO_END.isoformat()!r}), 'all'))\n"
            "assert report.pdf.startswith(b'%PDF')\nprint(sorted(m for m in sys.modules if m.split('.')[0] == 'pandas')[:3])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
