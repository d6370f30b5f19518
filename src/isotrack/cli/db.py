"""`isotrack db ...`: the database file itself: where it is, its backups, restoring one."""

from __future__ import annotations

from typing import Annotated

import typer

from isotrack.cli.common import GROUPS, JSON_HELP, echo, emit_json, env
from isotrack.errors import IsotrackError

app = typer.Typer(
    help=GROUPS["db"].help,
    rich_markup_mode=None,
    no_args_is_help=True,
)


@app.command("backups")
def backups(
    ctx: typer.Context,
    json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
) -> None:
    """List the automatic backups of the database, newest first.

    Every write keeps the file it replaces (the last ISOTRACK_BACKUPS, default 10).

    \b
    Example:
        isotrack db backups
    """
    e = env(ctx)
    store = e.store()
    rows = [
        {
            "number": n,
            "file": str(path),
            "bytes": path.stat().st_size,
            "taken": store.backup_taken(path),
        }
        for n, path in enumerate(store.backups(), start=1)
    ]
    if json:
        emit_json(rows)
        return
    if not rows:
        echo(f"no backups of {e.db} yet (one is kept at every write)")
        return
    from isotrack.render.terminal import plain_table

    table = [[str(r["number"]), str(r["taken"]), f"{r['bytes']:,}", str(r["file"])] for r in rows]
    for line in plain_table(["#", "taken (UTC)", "bytes", "file"], table):
        echo(line)


@app.command("restore")
def restore(
    ctx: typer.Context,
    backup: Annotated[
        str, typer.Argument(help="A number from 'db backups' (1 = newest) or a backup file.")
    ] = "1",
) -> None:
    """Make a backup the database again; the file it replaces is backed up in turn.

    \b
    Example:
        isotrack db restore        # the newest backup
        isotrack db restore 3
    """
    from pathlib import Path

    e = env(ctx)
    store = e.store()
    kept = store.backups()
    if backup.isdigit():
        number = int(backup)
        if not 1 <= number <= len(kept):
            raise IsotrackError(
                f"no backup number {number}: there are {len(kept)} (see 'isotrack db backups')"
            )
        chosen = kept[number - 1]
    else:
        chosen = Path(backup)
    store.restore(chosen)
    echo(f"restored {e.db} from {chosen}")
