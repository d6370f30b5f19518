"""What every command shares: the global options, dates from the command line, output helpers."""

from __future__ import annotations

import math
import os
import shlex
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NamedTuple

import typer

from isotrack.errors import UsageError
from isotrack.text import quoted

if TYPE_CHECKING:
    from isotrack.catalog import Catalog
    from isotrack.storage import Store
    from isotrack.tracker import Tracker, WriteResult


@dataclass
class Env:
    """Global options and the clock, read once per command by the root callback."""

    db: Path
    lang: str
    today: date
    now: datetime
    argv: list[str]
    lock_timeout: float
    backups: int

    @property
    def command(self) -> str:
        # Arguments that were not UTF-8 reach Python as lone surrogates, which JSON cannot hold;
        # control characters (a file name can hold them) would reach a terminal in `log`.
        from isotrack.text import one_line

        args = [arg.encode("utf-8", "backslashreplace").decode("utf-8") for arg in self.argv]
        return one_line(shlex.join(["isotrack", *args]))

    def catalog(self) -> Catalog:
        from isotrack.catalog import load_catalog

        config = os.environ.get("ISOTRACK_CONFIG_DIR")
        if config:
            return load_catalog(Path(config))
        import platformdirs

        return load_catalog(Path(platformdirs.user_config_dir("isotrack")))

    def store(self) -> Store:
        from isotrack.storage import Store

        return Store(self.db, lock_timeout=self.lock_timeout, backups=self.backups)

    def output(self, path: Path) -> Path:
        """``path``, a file a command is to write, unless it is the database or one of its own
        files: writing there would replace the history with a sheet or a report."""
        if self.store().owns(path):
            from isotrack.errors import IsotrackError

            raise IsotrackError(
                f"{path} is the database (or one of its files): write the "
                "export or report to another file"
            )
        return path

    def tracker(self) -> Tracker:
        from isotrack.tracker import Tracker

        store = self.store()
        return Tracker(store, self.catalog(), today=self.today, now=self.now, command=self.command)

    def date(self, text: str, *, what: str, role: str = "fact") -> date:
        from isotrack.dates import parse_date

        return parse_date(text, today=self.today, role=role, what=what)  # type: ignore[arg-type]

    def show_date(self, iso_text: str | None) -> str:
        if not iso_text:
            return "—"
        from isotrack.dates import format_date

        return format_date(date.fromisoformat(iso_text[:10]), self.lang)


def make_env(db: Path | None, lang: str | None, argv: list[str]) -> Env:
    if lang is not None and lang not in ("vi", "en"):
        raise UsageError(f"unknown language {quoted(lang)}: use vi or en")
    if lang is None:
        from isotrack.i18n import default_lang

        lang = default_lang()
    if db is None:
        from isotrack.storage import default_db_path

        db = default_db_path()
    now = datetime.now(UTC)
    today_text = os.environ.get("ISOTRACK_TODAY")
    if today_text:
        try:
            today = date.fromisoformat(today_text)
        except ValueError:
            raise UsageError(
                f"ISOTRACK_TODAY must be an ISO date, got {quoted(today_text)}"
            ) from None
    else:
        today = date.today()
    from isotrack.storage import DEFAULT_BACKUPS, DEFAULT_LOCK_TIMEOUT

    timeout = _setting("ISOTRACK_LOCK_TIMEOUT", DEFAULT_LOCK_TIMEOUT, "a number of seconds")
    backups = _setting("ISOTRACK_BACKUPS", DEFAULT_BACKUPS, "a whole number of backups to keep")
    return Env(
        db=db,
        lang=lang,
        today=today,
        now=now,
        argv=argv,
        lock_timeout=float(timeout),
        backups=int(backups),
    )


def env(ctx: typer.Context) -> Env:
    root = ctx.find_root()
    found = root.obj
    if not isinstance(found, Env):  # pragma: no cover - the root callback always sets it
        raise RuntimeError("isotrack's root callback did not run")
    return found


def emit_json(value: Any) -> None:
    """Stable JSON on stdout: sorted keys, ISO dates, UTF-8."""
    import orjson

    try:
        text = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2).decode()
    except orjson.JSONEncodeError:  # text holding bytes that were not UTF-8 (a file name)
        import json

        text = json.dumps(value, sort_keys=True, indent=2, default=str)  # escapes them
    sys.stdout.write(text + "\n")


def _setting(name: str, default: float, what: str) -> float:
    """A number from the environment variable ``name`` (unset or blank: ``default``): finite
    and not negative, whole when ``default`` is. Anything else is a usage error."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text) if isinstance(default, int) else float(text)
    except ValueError:
        value = -1
    if not 0 <= value < math.inf:  # also refuses nan
        raise UsageError(f"{name} must be {what}, got {quoted(text)}")
    return value


def echo(line: str = "") -> None:
    try:
        sys.stdout.write(line + "\n")
    except UnicodeEncodeError:  # a file name that is not UTF-8, or a terminal that is not
        encoding = sys.stdout.encoding or "utf-8"
        sys.stdout.write(line.encode(encoding, "backslashreplace").decode(encoding) + "\n")


def report_write(result: WriteResult, e: Env) -> None:
    """One line per event written (or that would be), then the changeset id."""
    from isotrack.render.terminal import describe_event

    if result.changeset is None:
        echo(f"nothing to change: {result.note}")
        return
    for event in result.events:
        echo(("would record " if result.dry_run else "") + describe_event(event, e.lang))
    if result.dry_run:
        echo(f"dry run: nothing written ({len(result.events)} event(s) not recorded)")
    else:
        echo(f"changeset {result.changeset.id[:8]}: {len(result.events)} event(s) recorded")


class Group(NamedTuple):
    """A command group: where its Typer app is, and its one-line help."""

    module: str
    attribute: str
    help: str


# The command groups, in the order the root help lists them. The root command builds a group
# only when it is used: building them all cost a third of every command's start-up.
GROUPS = {
    "unit": Group("isotrack.cli.units", "app", "Add, list, show and reorganise units."),
    "qms": Group("isotrack.cli.qms", "app", "Record QMS stages, edition transitions and audits."),
    "procedures": Group("isotrack.cli.qms", "procedures_app", "Record procedure counts."),
    "target": Group("isotrack.cli.targets", "app", "Add, list, show and remove targets."),
    "db": Group("isotrack.cli.db", "app", "The database file: its backups, and restoring one."),
}


# Option and argument declarations shared by several commands.
ON_HELP = "Effective date: 2025-06-14, 14/06/2025, 2025, today, -3m (default: today)."
AS_OF_HELP = "Show the organisation as it stood on this date (default: today)."
DRY_RUN_HELP = "Show what would be recorded, and record nothing."
JSON_HELP = "Print JSON (sorted keys, ISO dates) instead of text."

On = Annotated[str, typer.Option("--on", help=ON_HELP)]
AsOf = Annotated[str, typer.Option("--as-of", help=AS_OF_HELP)]
DryRun = Annotated[bool, typer.Option("--dry-run", help=DRY_RUN_HELP)]
Json = Annotated[bool, typer.Option("--json", help=JSON_HELP)]
Code = Annotated[str, typer.Argument(help="The unit's code.")]
