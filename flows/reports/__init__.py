"""The daily report: context from ``rpt_*`` tables, charts, HTML (mail) and PDF.

- :mod:`flows.reports.context`   ``build_daily_context`` → ``DailyReportContext`` (typed, formatted)
- :mod:`flows.reports.i18n`      languages: texts and number/date rules from ``locales/*.toml``
- :mod:`flows.reports.glossary`  glossary entries from the model ``.yml`` files
- :mod:`flows.reports.charts`    the 30-day trend chart (PNG for mail, SVG for PDF)
- :mod:`flows.reports.render`    ``render_email``, ``render_pdf``, ``report_file_stem``
- :mod:`flows.reports.xlsx`      ``daily_workbook``, ``weekly_workbook`` → the report as ``.xlsx`` bytes

Importing this package is cheap: matplotlib, WeasyPrint, Jinja2 and DuckDB are imported by the
functions that use them.
"""

from flows.reports.context import DailyReportContext, ReportDataError, build_daily_context
from flows.reports.render import RenderedEmail, render_email, render_pdf, report_file_stem

__all__ = [
    "DailyReportContext",
    "RenderedEmail",
    "ReportDataError",
    "build_daily_context",
    "render_email",
    "render_pdf",
    "report_file_stem",
]
