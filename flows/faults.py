"""Test hooks that let the crash-safety tests kill a run at a named point (inert otherwise).

With ``SHOPREPORT_TEST_PAUSE_AT=<point>`` (``ingest``, ``build``, ``render`` or ``send``; add
``:N`` to pause at the N-th time the point is reached) the process writes its pid to
``$SHOPREPORT_TEST_PAUSE_FILE`` and sleeps there, so that the test can SIGKILL it at exactly that
point. Without the variable :func:`pause_point` returns at once and does nothing.
``SHOPREPORT_TEST_EXIT_AT=<point>`` makes :func:`exit_point` end the process there.
"""

from __future__ import annotations

import os
import time
from collections import Counter

PAUSE_ENV = "SHOPREPORT_TEST_PAUSE_AT"
PAUSE_FILE_ENV = "SHOPREPORT_TEST_PAUSE_FILE"
_reached: Counter[str] = Counter()


def pause_point(name: str) -> None:
    wanted = os.environ.get(PAUSE_ENV)
    if not wanted:
        return
    point, _, nth = wanted.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] != int(nth or 1):
        return
    marker = os.environ.get(PAUSE_FILE_ENV)
    if marker:
        with open(marker, "w", encoding="utf-8") as f:
            f.write(str(os.getpid()))
    time.sleep(3600)


EXIT_ENV = "SHOPREPORT_TEST_EXIT_AT"


def exit_point(name: str) -> None:
    """With ``SHOPREPORT_TEST_EXIT_AT=<name>`` the process ends at once here (``os._exit(70)``):
    the parallel-ingest test kills its reader processes this way (``read_ahead``), the render-ahead
    test its render workers (``render_ahead``). Inert otherwise."""
    if os.environ.get(EXIT_ENV) == name:
        os._exit(70)
