"""Top-level commands: init, log, undo, doctor."""

from __future__ import annotations

from typing import Annotated

import typer

from isotrack.cli.common import DRY_RUN_HELP, JSON_HELP, echo, emit_json, env, report_write


def init(
    ctx: typer.Context,
    sample: Annotated[
        bool, typer.Option("--sample", help="Load the shipped sample organisation.")
    ] = False,
) -> None:
    """Create the database; --sample loads the shipped sample organisation.

    \b
    Example:
        isotrack init --sample
        isotrack --db ./hq.json init
    """
    e = env(ctx)
    tracker = e.tracker()
    created = tracker.initialise()
    echo(f"{'created' if created else 'using existing'} database {e.db}")
    if sample:
        from isotrack.catalog import data_dir
        from isotrack.eventfile import read_event_file

        events, changesets = read_event_file(data_dir() / "sample" / "sample.jsonl")
        count = tracker.load_events(events, changesets)
        if count:
            echo(f"loaded the sample organisation (illustrative data): {count} events")
        else:
            echo("the sample organisation is already loaded")


def log(
    ctx: typer.Context,
    code: Annotated[str | None, typer.Argument(help="Only changesets touching this unit.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many.")] = 20,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Only changesets recorded by the end of this date."),
    ] = None,
    json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List changesets, newest first.

    \b
    Example:
        isotrack log QK2-LAOCAI --limit 5
    """
    e = env(ctx)
    until = e.date(as_of, what="--as-of") if as_of else None
    rows = e.tracker().log(code, limit, recorded_by=until)
    if json:
        emit_json(rows)
        return
    from isotrack.render.terminal import plain_table
    from isotrack.text import one_line

    table = [
        [
            row["id"][:8],
            e.show_date(row["recorded"]) + " " + row["recorded"][11:16],
            str(row["events"]),
            ("[undone by " + row["undone_by"][:8] + "] " if row["undone_by"] else "")
            + one_line(row["command"]),  # (recorded by an older isotrack, it may hold any)
        ]
        for row in rows
    ]
    for line in plain_table(["changeset", "recorded (UTC)", "events", "command"], table):
        echo(line)


def undo(
    ctx: typer.Context,
    changeset: Annotated[
        str | None, typer.Argument(help="Changeset id or prefix (default: the latest).")
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help=DRY_RUN_HELP)] = False,
) -> None:
    """Reverse one whole changeset by recording an undo (history is kept).

    Without an id, undoes the latest changeset still in force. Undoing an undo restores what
    it cancelled.

    \b
    Example:
        isotrack undo
        isotrack undo 3f2a9c1e
    """
    e = env(ctx)
    result = e.tracker().undo(changeset, dry_run=dry_run)
    report_write(result, e)


def doctor(
    ctx: typer.Context,
    fix: Annotated[
        bool, typer.Option("--fix", help="Fix what can be fixed without guessing, then check.")
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --fix: say what it would fix.")
    ] = False,
    json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """Check integrity and data quality; exit 1 if any error is found.

    --fix keeps events stored twice once, restores missing changeset records, corrects
    event counts and makes the files owner-only; it never guesses about units.

    \b
    Example:
        isotrack doctor --json
        isotrack doctor --fix
    """
    e = env(ctx)
    tracker = e.tracker()
    fixed = tracker.repair(dry_run=dry_run) if fix else []
    if fixed and not json:
        for line in fixed:
            echo(f"fixed: {line}" if not dry_run else line)
    findings = tracker.doctor()
    errors = sum(1 for f in findings if f.severity == "error")
    if json:
        emit_json(
            {
                "errors": errors,
                "warnings": len(findings) - errors,
                "findings": [f.to_json() for f in findings],
                "fixed": fixed,
            }
        )
    else:
        for finding in findings:
            echo(f"{finding.severity}: {finding.message}")
        echo(f"{errors} error(s), {len(findings) - errors} warning(s)")
    if errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    for command in (init, log, undo, doctor):
        app.command(command.__name__)(command)
