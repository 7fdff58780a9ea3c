"""The report templates' environment is kept per process (and compiled templates between
processes), and the renderers can be imported ahead of the render."""

from __future__ import annotations

import subprocess
import sys
import time

from flows.reports.render import template_environment, warm_up


def test_the_environment_is_kept_and_an_edited_template_is_read_again(tmp_path):
    (tmp_path / "t.html").write_text("one {{ x }}", encoding="utf-8")
    env = template_environment(tmp_path)
    assert template_environment(tmp_path) is env
    assert env.get_template("t.html").render(x=1) == "one 1"
    time.sleep(0.01)
    (tmp_path / "t.html").write_text("two {{ x }}", encoding="utf-8")
    assert template_environment(tmp_path).get_template("t.html").render(x=2) == "two 2"


def test_warm_up_imports_in_the_background_and_a_missing_module_is_left_to_the_render():
    code = ("import sys; from flows.reports.render import warm_up; "
            "warm_up(('no_such_module_here', 'json')).join(); print('json' in sys.modules); "
            "warm_up(('colorsys',)).join(); print('colorsys' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # the missing module stops that warm-up quietly (the render reports it); others load
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_warm_up_returns_a_daemon_thread():
    thread = warm_up(("json",))
    thread.join(timeout=10)
    assert thread.daemon and not thread.is_alive()
