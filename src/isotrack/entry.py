"""The ``isotrack`` command's entry point.

``isotrack --version`` is answered before the command line is imported: Typer and Click cost
most of a command's start-up, and scripts call ``--version`` to check what is installed.
"""

from __future__ import annotations

import sys
from typing import NoReturn


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from isotrack import __version__

        sys.stdout.write(f"isotrack {__version__}\n")
        return
    from isotrack.cli import main as cli_main

    cli_main()


def run() -> NoReturn:
    """The console script: ``main``, then the process ends at once (see ``isotrack.lifetime``)."""
    from isotrack import lifetime

    lifetime.end_at_once()
    try:
        main()
    except SystemExit as stop:  # how a command always ends; its traceback holds what it built
        lifetime.end(stop.code)
    lifetime.end(0)
