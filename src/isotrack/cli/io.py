"""`isotrack import` and `isotrack export`: snapshot sheets and event files."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from isotrack.cli.common import DRY_RUN_HELP, JSON_HELP, ON_HELP, echo, emit_json, env
from isotrack.text import counted

if TYPE_CHECKING:
    from isotrack.importer import ImportResult

PROGRESS_MIN_ROWS = 5000  # a bar only for imports and exports that take a noticeable time

Format = Annotated[
    str | None,
    typer.Option("--format", help="csv, xlsx, json or jsonl (default: from the extension)."),
]


def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Sheet (csv, xlsx, json) or event file (jsonl).")],
    format_: Format = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=DRY_RUN_HELP)] = False,
    json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    on: Annotated[
        str, typer.Option("--on", help="Date of facts a row does not date. " + ON_HELP)
    ] = "today",
) -> None:
    """Import a snapshot sheet or an event file, all or nothing, as one changeset.

    A sheet row becomes events only for what differs from the unit's state; an event file's
    events keep their ids and those already present are skipped. Any bad row: every one is
    listed and nothing is written. 'isotrack undo' takes a whole import back.

    \b
    Example:
        isotrack import bao-cao-qk2.xlsx --dry-run
        isotrack import units.csv --on 30/06/2025
        isotrack import qk2-events.jsonl
    """
    e = env(ctx)
    from isotrack.errors import (
        CatalogError,
        DatabaseError,
        ImportRowError,
        IsotrackError,
        UsageError,
    )
    from isotrack.importer import import_file

    day = e.date(on, what="--on")
    try:
        with progress_bar(enabled=not json) as progress:
            result = import_file(
                e.tracker(), file, fmt=format_, on=day, dry_run=dry_run, progress=progress
            )
    except ImportRowError as error:
        if json:
            emit_json(error.to_json())
        raise
    except UsageError:
        raise
    except IsotrackError as error:
        if json:  # (the file as a whole: unreadable, in another encoding, missing; or the
            # database or the catalog the import needs)
            where = (
                "database"
                if isinstance(error, DatabaseError)
                else "catalog"
                if isinstance(error, CatalogError)
                else "file"
            )
            problem = {"where": where, "message": str(error)}
            emit_json({"source": file.name, "imported": False, "problems": [problem]})
        raise
    if json:
        emit_json(result.to_json())
    else:
        for line in import_summary(result):
            echo(line)


def export(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="File to write (its extension names the format).")],
    format_: Format = None,
    events: Annotated[
        bool, typer.Option("--events", help="Write the event history (JSON lines), not a snapshot.")
    ] = False,
    under: Annotated[
        str | None, typer.Option("--under", help="Only this unit and those below it.")
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="A snapshot as the units stood on this date (default: today); events up to "
            "this date (default: all).",
        ),
    ] = None,
) -> None:
    """Export a snapshot sheet (csv, xlsx, json) or the event history (jsonl).

    A snapshot has the columns 'import' reads, so it imports back unchanged; an event file
    merges into another database with 'import'.

    \b
    Example:
        isotrack export units.xlsx --under QK2 --as-of 31/12/2024
        isotrack export qk2-events.jsonl --under QK2
    """
    e = env(ctx)
    from isotrack.errors import UsageError
    from isotrack.sheets import SUFFIXES, guess_format

    if events and format_ is None and file.suffix.lower() not in SUFFIXES:
        format_ = "jsonl"  # --events says what the extension does not
    fmt = guess_format(file, format_)
    if events and fmt != "jsonl":
        raise UsageError(f"--events writes JSON lines: name the file .jsonl, not {fmt}")
    e.output(file)
    tracker = e.tracker()
    with progress_bar(enabled=True) as progress:
        if fmt == "jsonl":
            from isotrack.eventfile import export_events

            when = e.date(as_of, what="--as-of") if as_of else None
            written = export_events(tracker, file, as_of=when, under=under, progress=progress)
            echo(
                f"wrote {counted(len(written.events), 'event')} in "
                f"{counted(len(written.changesets), 'changeset')} to {file}"
            )
            return
        from isotrack.sheets import export_snapshot

        day = e.date(as_of or "today", what="--as-of")
        sheet = export_snapshot(
            tracker, file, fmt, as_of=day, under=under, lang=e.lang, progress=progress
        )
    echo(f"wrote {counted(sheet.rows, 'unit')} to {file} (as of {day.isoformat()})")


def import_summary(result: ImportResult) -> Iterator[str]:
    """What an import read, and what it wrote or would write, in a few lines."""
    written = result.write
    if result.format == "jsonl":
        yield (
            f"read {counted(result.rows, 'event')} from {result.source}: "
            f"{result.rows - result.present} new, {result.present} already here"
        )
    else:
        yield (
            f"read {counted(result.rows, 'row')} from {result.source} ({result.described}): "
            f"{counted(result.new_units, 'new unit')}, {result.changed_units} changed, "
            f"{result.unchanged_units} unchanged"
        )
        if result.ignored:
            yield "ignored columns: " + ", ".join(result.ignored)
    if written.changeset is None:
        yield f"nothing to change: {written.note}"
        return
    yield "events: " + ", ".join(f"{n} {kind}" for kind, n in result.by_type().items())
    count = len(written.events)
    if written.dry_run:
        yield f"dry run: nothing written ({count} event(s) not recorded)"
    else:
        short = written.changeset.id[:8]
        yield (
            f"changeset {short}: {count} event(s) recorded; 'isotrack undo {short}' takes "
            "the whole import back"
        )


@contextmanager
def progress_bar(*, enabled: bool) -> Iterator[Callable[[str, int, int], None] | None]:
    """A Rich progress bar on stderr for long imports and exports: only on a terminal (stdout and
    stderr), only past a few thousand rows, never with --json (the callback is ``None``
    otherwise)."""
    if not enabled or not (sys.stderr.isatty() and sys.stdout.isatty()):
        yield None
        return
    state: dict[str, Any] = {}

    def update(what: str, done: int, total: int) -> None:
        if total < PROGRESS_MIN_ROWS:
            return
        bar = state.get("bar")
        if bar is None:
            from rich.console import Console
            from rich.progress import Progress

            # Redrawn at each update, by this thread: with no thread of its own, a large
            # write can still have a child process write its file (isotrack.forked).
            bar = Progress(console=Console(stderr=True), transient=True, auto_refresh=False)
            state["bar"] = bar
            bar.start()
        if state.get("what") != what:
            state["what"], state["task"] = what, bar.add_task(what, total=total)
        bar.update(state["task"], completed=done, refresh=True)

    try:
        yield update
    finally:
        if "bar" in state:
            state["bar"].stop()


def register(app: typer.Typer) -> None:
    app.command("import")(import_)
    app.command("export")(export)
