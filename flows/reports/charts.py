"""Report charts with matplotlib, each drawn twice: PNG for the mail, SVG for the PDF.

Mail clients strip SVG, so the mail gets a PNG attached as a ``cid:`` image; the PDF gets the
SVG inline (crisp and small). Charts are drawn on a ``Figure`` with the Agg canvas, never
through ``pyplot``, and the font settings are applied with ``rc_context``, so nothing leaks
into global matplotlib state. Chinese labels need the WenQuanYi Micro Hei font
(``fonts-wqy-microhei``); if matplotlib's font cache predates the font, delete the cache (or point
``MPLCONFIGDIR`` at an empty folder).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.reports.context import TrendPoint
    from flows.reports.i18n import Locale

CJK_FONT = "WenQuanYi Micro Hei"
CHART_RC = {
    "font.family": "sans-serif",
    "font.sans-serif": [CJK_FONT, "DejaVu Sans"],
    "svg.fonttype": "none",  # text stays text: smaller SVG, the PDF embeds the font once
    "axes.unicode_minus": False,  # the CJK font has no U+2212 minus
    "font.size": 9,
}
COLOURS = {"gmv": "#9ec5e8", "net_sales": "#1f4e79", "ad_cost": "#e07b39", "text": "#374151",
           "grid": "#e5e7eb"}
PNG_DPI = 144
SIZE_INCHES = (7.0, 2.6)  # 504 pt wide: fits the A4 text width of the PDF


@dataclass(frozen=True)
class Chart:
    """One chart in both forms. ``svg`` has no XML prolog, ready to inline in HTML."""

    name: str  # also the stem of the PNG's file name in the mail
    png: bytes
    svg: str
    alt: str


def cjk_font_available() -> bool:
    """True when matplotlib finds the CJK font (a stale font cache hides a new font)."""
    from matplotlib import font_manager

    try:
        font_manager.findfont(CJK_FONT, fallback_to_default=False)
    except ValueError:
        return False
    return True


def _strip_prolog(svg: str) -> str:
    """Drop the ``<?xml …?>`` prolog, the DOCTYPE and comments; inline SVG in HTML can't have them."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    return svg.strip()


def _axis_money(text: str, decimal_separator: str = ".") -> str:
    """Axis ticks need no trailing ``.0``: ``¥12.0万`` → ``¥12万``, ``¥900.0K`` → ``¥900K``."""
    return re.sub(re.escape(decimal_separator) + r"0+(?=\D*$)", "", text)


def trend_chart(points: Sequence["TrendPoint"], *, currency: str, language: str | None = None,
                locale: "Locale | None" = None, tick_every: int = 7, alt_key: str = "chart.alt") -> Chart:
    """The 30-day trend: GMV as bars, net sales and ad cost as lines, money on the y axis.

    Days without data are gaps (no bar, a break in the lines), not zeros. The last point and
    every ``tick_every``-th before it get an axis label (7: the same weekday; the weekly report's
    12-week trend passes 1). ``alt_key`` is the label key of the chart's alt text. Labels and
    numbers are in ``locale`` (a report context's), else in the built-in ``language``.
    """
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    from flows.reports.i18n import get_locale

    loc = locale or get_locale(language)

    def series(attr: str) -> list[float]:
        return [math.nan if getattr(p, attr) is None else getattr(p, attr) for p in points]

    x = list(range(len(points)))
    with matplotlib.rc_context({**CHART_RC, "svg.hashsalt": "shopreport-trend"}):
        fig = Figure(figsize=SIZE_INCHES, layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        gmv = series("gmv")
        ax.bar([i for i, v in zip(x, gmv) if not math.isnan(v)], [v for v in gmv if not math.isnan(v)],
               width=0.7, color=COLOURS["gmv"], label=loc.t("chart.gmv"), zorder=2)
        ax.plot(x, series("net_sales"), color=COLOURS["net_sales"], linewidth=1.8,
                marker="o", markersize=2.5, label=loc.t("chart.net_sales"), zorder=3)
        ax.plot(x, series("ad_cost"), color=COLOURS["ad_cost"], linewidth=1.5,
                marker="o", markersize=2.5, label=loc.t("chart.ad_cost"), zorder=3)
        # label the report day and every 7th day before it (same weekday)
        last = len(points) - 1
        ticks = [i for i in x if (last - i) % tick_every == 0]
        ax.set_xticks(ticks, [points[i].axis_label for i in ticks])
        ax.set_xlim(-0.6, last + 0.6)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5, min_n_ticks=3))
        ax.yaxis.set_major_formatter(FuncFormatter(
            lambda v, _pos: _axis_money(loc.money(v, currency, compact=True, decimals=0),
                                        loc.fmt["decimal_separator"])))
        ax.grid(axis="y", color=COLOURS["grid"], linewidth=0.8, zorder=0)
        ax.tick_params(colors=COLOURS["text"], length=0)
        for side in ("top", "right", "left"):
            ax.spines[side].set_visible(False)
        ax.spines["bottom"].set_color(COLOURS["grid"])
        handles, labels = ax.get_legend_handles_labels()
        order = sorted(range(len(labels)), key=lambda i: labels[i] != loc.t("chart.gmv"))  # bars first
        ax.legend([handles[i] for i in order], [labels[i] for i in order], loc="upper left", bbox_to_anchor=(0, 1.16), ncols=3, frameon=False,
                  handlelength=1.4, fontsize=8.5)

        png = io.BytesIO()
        fig.savefig(png, format="png", dpi=PNG_DPI, facecolor="white", metadata={"Software": None})
        svg = io.StringIO()
        fig.savefig(svg, format="svg", facecolor="white", metadata={"Date": None, "Creator": None})
    return Chart(name="trend", png=png.getvalue(), svg=_strip_prolog(svg.getvalue()),
                 alt=loc.t(alt_key))
