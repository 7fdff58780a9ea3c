"""Render a :class:`~flows.reports.context.DailyReportContext`: email (HTML + text + PNG), PDF.

Plain functions, no configuration and no heavy imports at import time: Jinja2, matplotlib and
WeasyPrint are imported inside the functions that need them. Templates live in
``report_templates/`` at the repository root; HTML templates are autoescaped (export texts such
as product titles may hold markup), the plain-text template is not.
"""

from __future__ import annotations

import functools
import importlib

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import jinja2

    from flows.reports.context import DailyReportContext

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATES_DIR = REPO_ROOT / "report_templates"
CID_DOMAIN = "shopreport.local"
EMAIL_CHART_WIDTH = 616  # px: the e-mail column (640) less its padding


@dataclass(frozen=True)
class RenderedEmail:
    """An email body: HTML, its plain-text alternative and the inline images it references.

    ``images`` maps a Content-ID without angle brackets (the HTML says ``src="cid:<that>"``) to
    the PNG bytes.
    """

    html: str
    text: str
    images: dict[str, bytes] = field(default_factory=dict)


RENDER_MODULES = ("matplotlib.figure", "matplotlib.backends.backend_agg", "weasyprint",
                  "openpyxl", "openpyxl.writer.excel")  # the report's workbook: 0.2 s more


def warm_up(modules: tuple[str, ...] = RENDER_MODULES) -> threading.Thread:
    """Import the renderers (matplotlib, WeasyPrint, openpyxl: about 1.6 s) in a background thread while
    the run builds the warehouse, which waits on DuckDB with the GIL released (not during the
    ingest: its pandas work would share the GIL with the imports); with no Prefect server
    configured, the command starts it earlier, while it waits for its temporary server
    (flows/cli.py), and the build then has both cores. The report then finds them imported. An
    import that fails here fails again, with its message, where it is used."""
    def load() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - reported by the render that needs it
                return

    thread = threading.Thread(target=load, name="shopreport-warm-up", daemon=True)
    thread.start()
    return thread


@functools.lru_cache(maxsize=8)
def template_environment(templates_dir: Path = TEMPLATES_DIR) -> "jinja2.Environment":
    """Jinja2 environment for the report templates: autoescape on for .html, strict undefined.

    One per templates folder and process (it keeps the compiled templates, reloading an edited
    one), and compiled templates are kept between processes in Jinja2's bytecode cache (a
    private folder in the temp dir, keyed by each template's source): compiling the report's
    templates took 0.5 s of every run."""
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir)),
        bytecode_cache=jinja2.FileSystemBytecodeCache(),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm", "xml"),
                                            disabled_extensions=("txt",),
                                            default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _email_chart_height(png: bytes, width: int = EMAIL_CHART_WIDTH) -> int:
    """The height attribute for a PNG shown ``width`` px wide (from its IHDR: Outlook needs both)."""
    png_width = int.from_bytes(png[16:20], "big")
    png_height = int.from_bytes(png[20:24], "big")
    return round(width * png_height / png_width)


def daily_chart(ctx: "DailyReportContext"):
    from flows.reports.charts import trend_chart

    return trend_chart(ctx.trend, locale=ctx.locale, currency=ctx.currency)


def render_pdf_html(ctx: "DailyReportContext", templates_dir: Path = TEMPLATES_DIR, *, chart=None) -> str:
    """The PDF's HTML: ``daily_report.html`` with the trend chart as inline SVG (pass ``chart``
    when it is drawn already: the mail uses the same one)."""
    chart = chart or daily_chart(ctx)
    template = template_environment(templates_dir).get_template("daily_report.html")
    return template.render(ctx=ctx, chart_svg=chart.svg, chart_alt=chart.alt)


def render_email(ctx: "DailyReportContext", templates_dir: Path = TEMPLATES_DIR, *, chart=None) -> RenderedEmail:
    """The email body: email-safe HTML, a plain-text version and the trend chart as a PNG."""
    chart = chart or daily_chart(ctx)
    cid = _content_id(chart.name, chart.png)
    env = template_environment(templates_dir)
    html = env.get_template("daily_email.html").render(ctx=ctx, chart_cid=cid, chart_alt=chart.alt,
                                                 chart_width=EMAIL_CHART_WIDTH,
                                                 chart_height=_email_chart_height(chart.png))
    text = env.get_template("daily_email.txt").render(ctx=ctx)
    return RenderedEmail(html=html, text=_tidy_text(text), images={cid: chart.png})


def render_pdf(ctx: "DailyReportContext", templates_dir: Path = TEMPLATES_DIR, *,
               html: str | None = None) -> bytes:
    """The report as PDF bytes (WeasyPrint; the CJK font is embedded, the chart is vector).

    Pass ``html`` when :func:`render_pdf_html` already made it (the archive keeps it too).
    """
    import logging

    from weasyprint import HTML

    if html is None:
        html = render_pdf_html(ctx, templates_dir)
    # matplotlib's SVG carries presentation properties (fill, stroke…) in style attributes, which
    # WeasyPrint's CSS parser reports one warning at a time although the SVG renders correctly
    css_logger = logging.getLogger("weasyprint")
    quiet = _DropUnknownSvgProperties()
    css_logger.addFilter(quiet)
    try:
        return HTML(string=html, base_url=str(templates_dir)).write_pdf()
    finally:
        css_logger.removeFilter(quiet)


class _DropUnknownSvgProperties:
    """A logging filter for WeasyPrint's "Ignored `fill: …`, unknown property" messages."""

    def filter(self, record) -> bool:
        return not str(record.msg).startswith("Ignored `")


_UNSAFE_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\s]+')


def safe_file_name(text: str, max_bytes: int = 150) -> str:
    """``text`` usable as a file name on every OS: unsafe characters become ``_``, UTF-8 length capped."""
    name = _UNSAFE_IN_FILE_NAMES.sub("_", text).strip("._") or "report"
    while len(name.encode("utf-8")) > max_bytes:
        name = name[:-1]
    return name


def report_file_stem(ctx: "DailyReportContext") -> str:
    """``日报_天猫旗舰店_2026-11-22`` (zh-CN) / ``daily_report_all_2026-11-22`` (en)."""
    stem = ctx.labels["file_stem"].format(scope_name=ctx.scope_name, scope_id=ctx.scope_id,
                                          date=ctx.business_date.isoformat())
    return safe_file_name(stem)


def render_ads_email(ctx, templates_dir: Path = TEMPLATES_DIR) -> RenderedEmail | None:
    """The ad team's mail body (the ad-payback section alone) for a daily or weekly context; None
    when the report has no ad campaigns (an empty slice: nothing to send)."""
    if not any(group.rows for group in ctx.ad_campaigns):
        return None
    env = template_environment(templates_dir)
    html = env.get_template("ads_email.html").render(ctx=ctx)
    text = env.get_template("ads_email.txt").render(ctx=ctx)
    return RenderedEmail(html=html, text=_tidy_text(text))


def _content_id(name: str, data: bytes) -> str:
    """A Content-ID made from the image's bytes: unique within a mail, and the same mail body
    when the same report is rendered again (the archive's re-render check relies on it)."""
    import hashlib

    return f"{name}.{hashlib.sha256(data).hexdigest()[:20]}@{CID_DOMAIN}"


def _tidy_text(text: str) -> str:
    """Collapse runs of blank lines the plain-text template leaves between sections."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


# ----------------------------------------------------------------------------------------------
# the weekly report (flows.reports.weekly.WeeklyReportContext)
# ----------------------------------------------------------------------------------------------

def weekly_chart(ctx):
    from flows.reports.charts import trend_chart

    return trend_chart(ctx.trend, locale=ctx.locale, currency=ctx.currency, tick_every=1,
                       alt_key="weekly.chart.alt")


def render_weekly_pdf_html(ctx, templates_dir: Path = TEMPLATES_DIR, *, chart=None) -> str:
    """The weekly PDF's HTML: ``weekly_report.html`` with the 12-week trend as inline SVG."""
    chart = chart or weekly_chart(ctx)
    template = template_environment(templates_dir).get_template("weekly_report.html")
    return template.render(ctx=ctx, chart_svg=chart.svg, chart_alt=chart.alt)


def render_weekly_email(ctx, templates_dir: Path = TEMPLATES_DIR, *, chart=None) -> RenderedEmail:
    """The weekly email body: email-safe HTML, plain text and the 12-week trend as a PNG."""
    chart = chart or weekly_chart(ctx)
    cid = _content_id(chart.name, chart.png)
    env = template_environment(templates_dir)
    html = env.get_template("weekly_email.html").render(ctx=ctx, chart_cid=cid, chart_alt=chart.alt,
                                                 chart_width=EMAIL_CHART_WIDTH,
                                                 chart_height=_email_chart_height(chart.png))
    text = env.get_template("weekly_email.txt").render(ctx=ctx)
    return RenderedEmail(html=html, text=_tidy_text(text), images={cid: chart.png})
