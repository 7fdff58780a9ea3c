"""Progress on long work: a bar on a terminal, a line now and then in a log.

``with progress_bar(total, "backfill") as step: … step("daily tmall 2026-11-22")``. On a
terminal (stderr is a TTY) it draws a Rich progress bar; elsewhere (a Prefect worker's log, CI) it
prints one line at most every ``every_seconds`` and a last line at the end, so logs stay short.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def progress_bar(total: int, description: str, *, every_seconds: float = 10.0,
                 interactive: bool | None = None,
                 echo: Callable[[str], None] = print) -> Iterator[Callable[[str], None]]:
    """Yields ``step(label)``, to call once per finished item."""
    interactive = sys.stderr.isatty() if interactive is None else interactive
    if interactive and total > 0:
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                                   TimeRemainingColumn)

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[label]}"),
                      transient=False) as bar:
            task = bar.add_task(description, total=total, label="")

            def step(label: str = "") -> None:
                bar.update(task, advance=1, label=label)

            yield step
        return

    started = last = time.monotonic()
    done = 0

    def step(label: str = "") -> None:
        nonlocal done, last
        done += 1
        now = time.monotonic()
        if now - last >= every_seconds and done < total:
            last = now
            echo(f"{description}: {done}/{total} ({done / total:.0%}) after {now - started:.0f}s; {label}")

    yield step
    if done:  # nothing done (a build with nothing to do): no line
        echo(f"{description}: {done}/{total} done in {time.monotonic() - started:.1f}s")
