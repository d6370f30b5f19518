"""How the ``isotrack`` command ends: at once, without freeing its objects one by one.

A command at scale builds millions of small objects. Freeing them one at a time as each function
returns, then again as the interpreter shuts down, takes a few tenths of a second and does
nothing the operating system does not do at once when the process ends. So the console script
(``isotrack.entry.run``) flushes its output and ends with ``os._exit``, and what a write has
finished with is handed to ``keep`` rather than dropped. Anywhere else (the test suite running
commands in-process, isotrack used as a library) ``keep`` keeps nothing.
"""

from __future__ import annotations

import os
import sys
from contextlib import suppress
from typing import NoReturn

_kept: list[object] = []
_ending_at_once = False


def keep(*objects: object) -> None:
    """Hold ``objects`` until the process ends, when the command ends the process at once (a
    command writes once or a few times: what it keeps is what it would have freed)."""
    if _ending_at_once:
        _kept.extend(objects)


def end_at_once() -> None:
    """Say that this process will end through ``end`` (see ``keep``)."""
    global _ending_at_once
    _ending_at_once = True


def end(code: object) -> NoReturn:
    """End the process with ``code`` as ``SystemExit`` would (``None`` is 0, a number is taken
    modulo 256, text is printed and ends with 1), once the output is flushed; without freeing
    anything or running any clean-up of the interpreter's (isotrack registers none: its files
    and lock are closed by the commands themselves)."""
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF
    else:
        _tell(f"{code}\n")
        status = 1
    try:
        if sys.stdout is not None:
            sys.stdout.flush()
    except BrokenPipeError:
        pass  # the reader stopped reading (``| head``): nothing left to tell it
    except (OSError, ValueError) as error:
        _tell(f"error: cannot write the output: {getattr(error, 'strerror', None) or error}\n")
        status = status or 1
    with suppress(Exception):
        if sys.stderr is not None:
            sys.stderr.flush()
    os._exit(status)


def _tell(text: str) -> None:
    with suppress(Exception):  # (stderr gone too: the exit status says it)
        if sys.stderr is not None:
            sys.stderr.write(text)
