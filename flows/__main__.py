"""``python -m flows`` is the same as the ``shopreport`` command."""

from flows.cli import run

run()
