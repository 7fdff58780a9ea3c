"""Look at a report mail the way a reader does: rendered by headless Chromium (Debian's package).

:func:`screenshot_email` writes a *preview copy* of the mail into a temporary folder, with its
``cid:`` images as files beside it, opens it in ``chromium --headless`` and drives the browser
over the DevTools protocol on a pipe (``--remote-debugging-pipe``: stdlib only, no port, no
websocket). The viewport is set exactly (a plain ``--window-size`` can't go below 500 px, wider
than a phone), the page is measured after its load event by a script evaluated in the page (the
mail itself is never changed), and a PNG of the full page height is saved.

Nothing is fetched from the network: Chromium runs with its background networking off and the
mail has only ``cid:`` images. Used by ``tests/delivery/test_mail_browser.py`` and by hand::

    from flows.delivery.preview import screenshot_email
    shot = screenshot_email(rendered.html, rendered.images, 375, Path("/tmp/phone.png"))
    shot.overflows, shot.sticking_out   # wider than the phone? which elements?

Chromium is a test tool here, not a runtime dependency: ``bash scripts/bootstrap.sh test``
installs it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe",
)
MAX_HEIGHT = 20_000  # px; a screenshot taller than this is cut (the measurements are not)

# Evaluated in the page after its load event; returns plain JSON.
_MEASURE = """
(() => {
  const doc = document.documentElement, vw = doc.clientWidth, sticking = [];
  let minFont = 1000;
  const scrollsSideways = el => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const inScroller = el => { for (let a = el.parentElement; a; a = a.parentElement) {
                               if (scrollsSideways(a)) return true; } return false; };
  const sticksOut = el => { const box = el.getBoundingClientRect();
                            return box.width > 0 && box.right > vw + 0.5 && !inScroller(el); };
  const swipe = [];
  for (const el of document.querySelectorAll("body *")) {
    // the innermost tables and images past the right edge (their containers only follow them)
    if ((el.tagName === "TABLE" || el.tagName === "IMG") && sticksOut(el) &&
        !Array.from(el.querySelectorAll("table, img")).some(sticksOut) && sticking.length < 20) {
      const section = el.closest("[id]");
      sticking.push((section ? "#" + section.id + " " : "") + el.tagName.toLowerCase() +
                    " right=" + Math.round(el.getBoundingClientRect().right) + " \\"" +
                    (el.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 60) + "\\"");
    }
    if (el !== doc && el !== document.body && scrollsSideways(el) && el.scrollWidth > el.clientWidth + 0.5) {
      const section = el.closest("[id]");
      swipe.push((section ? "#" + section.id + " " : "") + "scrolls " + (el.scrollWidth - el.clientWidth) + " px");
    }
    for (let n = el.firstChild; n; n = n.nextSibling) {
      if (n.nodeType === 3 && n.nodeValue.trim()) {
        minFont = Math.min(minFont, parseFloat(getComputedStyle(el).fontSize));
        break;
      }
    }
  }
  return {
    viewport_width: vw,
    scroll_width: Math.max(doc.scrollWidth, document.body.scrollWidth),
    scroll_height: Math.max(doc.scrollHeight, document.body.scrollHeight),
    min_font_px: minFont,
    images: Array.from(document.images, img => ({
      src: img.getAttribute("data-cid") || img.getAttribute("src"),
      natural_width: img.naturalWidth, width: img.getBoundingClientRect().width})),
    sticking_out: sticking,
    scrolls_sideways: swipe,
  };
})()
"""


class ChromiumMissing(RuntimeError):
    """No Chromium on this machine: ``bash scripts/bootstrap.sh test`` installs Debian's package."""


@dataclass(frozen=True)
class PreviewImage:
    src: str  # the cid: the mail referenced
    natural_width: int  # 0 when the image did not load
    width: float  # as laid out, in CSS px


@dataclass(frozen=True)
class ScreenshotResult:
    """What Chromium showed at one viewport width.

    ``scroll_width`` > ``viewport_width`` means the reader has to scroll sideways;
    ``sticking_out`` names the innermost tables and images whose right edge passes the
    viewport's, with the id of the section they are in.
    """

    viewport_width: int
    scroll_width: int
    scroll_height: int
    min_font_px: float  # the smallest font size of any element holding text
    images: tuple[PreviewImage, ...]
    sticking_out: tuple[str, ...]
    scrolls_sideways: tuple[str, ...]  # boxes (a wide table) the reader swipes inside the page
    png: Path

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.viewport_width


def find_chromium() -> str:
    """The Chromium executable, or :class:`ChromiumMissing` saying how to install it."""
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise ChromiumMissing("Chromium is not installed: run `bash scripts/bootstrap.sh test` "
                          "(it installs Debian's chromium package for the browser tests)")


def preview_html(html: str, images: dict[str, bytes], folder: Path, *,
                 without_style_blocks: bool = False) -> Path:
    """Write a preview copy of the mail into ``folder``: ``cid:`` images become files beside it.

    ``without_style_blocks`` drops every ``<style>`` block, as Gmail does in some clients, to
    check that the mail still reads without them.
    """
    for i, (cid, data) in enumerate(images.items(), start=1):
        name = f"image{i}.png"
        (folder / name).write_bytes(data)
        html = html.replace(f'src="cid:{cid}"', f'src="{name}" data-cid="cid:{cid}"')
    if without_style_blocks:
        html = re.sub(r"<style\b.*?</style>", "", html, flags=re.S | re.I)
    path = folder / "mail.html"
    path.write_text(html, encoding="utf-8")
    return path


class _DevTools:
    """The DevTools protocol over Chromium's pipe: JSON messages ended by NUL, fds 3 (in) and 4 (out).

    bash (not sh: dash takes one-digit fds only) moves our pipe ends onto fds 3 and 4.
    """

    def __init__(self, chromium: str, profile: Path, timeout: float):
        self.timeout = timeout
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        args = [*CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"]
        self.process = subprocess.Popen(
            ["/bin/bash", "-c", f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w}', chromium, *args],
            pass_fds=(to_browser_r, from_browser_w), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("chromium did not answer in time")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe: "
                                       + self.process.stderr.read().decode("utf-8", "replace")[-2000:])
                self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + self.timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"chromium: {method} failed: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, method: str) -> dict:
        deadline = time.monotonic() + self.timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)
        self.process.stderr.close()


def screenshot_email(html: str, images: dict[str, bytes], width: int, out_png: Path, *,
                     without_style_blocks: bool = False, chromium: str | None = None,
                     timeout: float = 60) -> ScreenshotResult:
    """Render the mail in a viewport ``width`` CSS px wide; save a full-height PNG to ``out_png``.

    ``images`` maps Content-IDs (without ``<>``) to PNG bytes, as in
    :class:`flows.reports.render.RenderedEmail`.
    """
    chromium = chromium or find_chromium()
    out_png = Path(out_png)
    out_png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="shopreport-preview-") as tmp:
        folder = Path(tmp) / "page"
        folder.mkdir()
        page = preview_html(html, images, folder, without_style_blocks=without_style_blocks)
        browser = _DevTools(chromium, Path(tmp) / "profile", timeout)
        try:
            target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
            viewport = {"width": width, "height": 800, "deviceScaleFactor": 1, "mobile": False}
            browser.send("Emulation.setDeviceMetricsOverride", viewport, session)
            browser.send("Page.enable", session=session)
            browser.send("Page.navigate", {"url": page.as_uri()}, session)
            browser.wait_for("Page.loadEventFired")
            evaluated = browser.send("Runtime.evaluate", {"expression": _MEASURE, "returnByValue": True},
                                     session)
            if "exceptionDetails" in evaluated:
                raise RuntimeError(f"measuring the page failed: {evaluated['exceptionDetails']}")
            measured = evaluated["result"]["value"]
            height = max(200, min(int(measured["scroll_height"]), MAX_HEIGHT))
            browser.send("Emulation.setDeviceMetricsOverride", {**viewport, "height": height}, session)
            shot = browser.send("Page.captureScreenshot", {"format": "png"}, session)
        finally:
            browser.close()
    out_png.write_bytes(base64.b64decode(shot["data"]))
    return ScreenshotResult(
        viewport_width=int(measured["viewport_width"]),
        scroll_width=int(measured["scroll_width"]),
        scroll_height=int(measured["scroll_height"]),
        min_font_px=float(measured["min_font_px"]),
        images=tuple(PreviewImage(src=i["src"], natural_width=int(i["natural_width"]),
                                  width=float(i["width"])) for i in measured["images"]),
        sticking_out=tuple(measured["sticking_out"]),
        scrolls_sideways=tuple(measured["scrolls_sideways"]),
        png=out_png,
    )
