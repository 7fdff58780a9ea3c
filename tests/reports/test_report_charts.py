"""The trend chart: PNG for mail, SVG for PDF, CJK-safe, no global matplotlib state."""

import subprocess
import sys
from datetime import date, timedelta

from flows.reports.charts import cjk_font_available, trend_chart
from flows.reports.context import TrendPoint


def points(n=30, gap=(5, 6)):
    start = date(2026, 10, 24)
    out = []
    for i in range(n):
        v = None if i in gap else 90_000.0 + 1_000 * i
        out.append(TrendPoint(day=start + timedelta(days=i), axis_label=f"{10 + (i > 7)}/{i}",
                              gmv=v, net_sales=None if v is None else v * 0.95,
                              refund_amount=None, ad_cost=None if v is None else v * 0.15,
                              visitors=None, paying_buyers=None))
    return out


def test_cjk_font_is_found():
    assert cjk_font_available(), (
        "matplotlib does not find WenQuanYi Micro Hei: install fonts-wqy-microhei and delete the "
        "matplotlib font cache (or set MPLCONFIGDIR to an empty folder)")


def test_png_and_svg(recwarn):
    chart = trend_chart(points(), language="zh-CN", currency="CNY")
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")
    assert chart.svg.startswith("<svg") and "<?xml" not in chart.svg and "<!DOCTYPE" not in chart.svg
    assert "支付金额" in chart.svg and "WenQuanYi Micro Hei" in chart.svg
    assert "¥9万" in chart.svg or "¥10万" in chart.svg  # y axis in 万
    assert not [w for w in recwarn if "Glyph" in str(w.message)]  # no missing CJK glyphs


def test_english_and_empty_chart():
    chart = trend_chart(points(gap=range(30)), language="en", currency="USD")
    assert "Net sales" in chart.svg and chart.png


def test_svg_is_deterministic():
    a = trend_chart(points(), language="en", currency="CNY").svg
    b = trend_chart(points(), language="en", currency="CNY").svg
    assert a == b


def test_no_pyplot_figures_left_and_cheap_package_import():
    code = (
        "import sys, flows.reports, flows.delivery\n"
        "heavy = [m for m in ('matplotlib', 'weasyprint', 'duckdb', 'jinja2') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "from datetime import date\n"
        "from flows.reports.charts import trend_chart\n"
        "from flows.reports.context import TrendPoint\n"
        "trend_chart([TrendPoint(date(2026,11,22), '11/22', 1.0, 1.0, 0.0, 0.1, 1, 1)], language='zh-CN', currency='CNY')\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
        "import matplotlib\n"
        "assert matplotlib.rcParams['svg.fonttype'] != 'none'  # rc_context did not leak\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
