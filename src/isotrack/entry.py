"""The ``isotrack`` command's entry point.

``isotrack --version`` is answered before the command line is imported: Typer and Click cost
most of a command's start-up, and scripts call ``--version`` to check what is installed.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from isotrack import __version__

        sys.stdout.write(f"isotrack {__version__}\n")
        return
    from isotrack.cli import main as cli_main

    cli_main()
