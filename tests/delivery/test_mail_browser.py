"""The demo-sized report mails as a reader sees them: rendered by headless Chromium (Debian's
package, installed by `bash scripts/bootstrap.sh test`) at a phone's width (375 px) and a
desktop's (1024 px), daily and weekly, zh-CN and en.

Checked on each: the page is no wider than the screen (a wide table may scroll sideways inside
its own box, the page never does), nothing sticks out past the right edge, the chart PNG loaded
from its cid: part, the text is not tiny, and the screenshot is not blank. The screenshots are
kept under pytest's temp folder (the path is printed with -s).
"""

from __future__ import annotations

import pytest

from flows.delivery.preview import ChromiumMissing, find_chromium, screenshot_email
from tests.delivery.conftest import MAIL_IDS

WIDTHS = {"phone": 375, "desktop": 1024}


@pytest.fixture(scope="session")
def chromium():
    try:
        return find_chromium()
    except ChromiumMissing as missing:
        pytest.fail(str(missing), pytrace=False)  # CI installs it: a missing browser is a failure


@pytest.mark.parametrize("device", WIDTHS)
@pytest.mark.parametrize("mail_id", MAIL_IDS)
def test_the_mail_fits_the_screen_and_shows_its_chart(mail_id, device, demo_mails, chromium, tmp_path_factory):
    from PIL import Image

    mail = demo_mails[mail_id]
    width = WIDTHS[device]
    out = tmp_path_factory.mktemp("mail_shots") / f"{mail_id}_{width}.png"
    # without_style_blocks: the mail must read as Gmail shows it when it drops <style>
    shot = screenshot_email(mail.rendered.html, mail.rendered.images, width, out,
                            without_style_blocks=True, chromium=chromium)
    print(f"{out}: {shot.scroll_width}×{shot.scroll_height}, swipe: {shot.scrolls_sideways}")

    assert shot.viewport_width == width
    assert not shot.overflows, (shot.scroll_width, shot.sticking_out)
    assert shot.sticking_out == ()
    assert [i.src for i in shot.images] == [f"cid:{cid}" for cid in mail.rendered.images]
    for image in shot.images:
        assert image.natural_width > 0, f"{image.src} did not load"
        assert 0 < image.width <= width
    assert shot.min_font_px >= 11

    with Image.open(shot.png) as png:
        assert png.size == (width, min(shot.scroll_height, 20_000))
        colours = png.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 50, "the screenshot is (nearly) blank"
