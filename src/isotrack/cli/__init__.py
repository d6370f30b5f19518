"""The command line: one Typer sub-app per noun, joined here. Commands parse, call, render."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from typer.core import TyperGroup

from isotrack import __version__
from isotrack.cli import admin, io, targets
from isotrack.cli.common import GROUPS, Group, make_env
from isotrack.cli.report import report
from isotrack.errors import IsotrackError


class _Deferred(click.Command):
    """A command group named in the root help, built when it is used."""

    def __init__(self, name: str, group: Group) -> None:
        super().__init__(name, help=group.help)
        self.group = group

    def load(self) -> click.Command:
        from importlib import import_module

        app = getattr(import_module(self.group.module), self.group.attribute)
        built = typer.main.get_group(app)
        built.name = self.name
        return built


class IsotrackGroup(TyperGroup):
    """Keeps the raw arguments (for changeset records) and turns user errors into one line.

    The command groups (``unit``, ``qms``...) are built only when one is used: ``isotrack unit
    list`` does not pay for building ``target`` and the rest, nor does the root help.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, group in GROUPS.items():
            self.add_command(_Deferred(name, group))
        self._listing = False

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if isinstance(command, _Deferred) and not self._listing:
            command = self.commands[cmd_name] = command.load()
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True  # the one-line helps are known without building the groups
        try:
            super().format_commands(ctx, formatter)
        finally:
            self._listing = False

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        argv = list(args)
        if parent is None:
            args = _globals_first(argv)
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except click.ClickException as error:
            raise _escaped_click_error(error) from None
        ctx.meta["isotrack.argv"] = argv
        return ctx

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.ClickException as error:  # a sub-command's usage error
            raise _escaped_click_error(error) from None
        except IsotrackError as error:
            fail(str(error), error.exit_code)
        except OSError as error:
            if isinstance(error, BrokenPipeError):
                raise SystemExit(0) from None
            where = f" ({error.filename})" if error.filename else ""
            fail(f"{error.strerror or error}{where}", 1)
        except KeyboardInterrupt:
            fail("interrupted", 130)


def _escaped_click_error(error: click.ClickException) -> click.ClickException:
    """Click quotes the offending argument raw ("unexpected extra argument (...)"): escape what
    is unprintable in it (a newline too: Click's messages are one line, except the help it
    shows for a group given no command, which is ours and left alone)."""
    from click.exceptions import NoArgsIsHelpError

    from isotrack.text import escaped

    if not isinstance(error, NoArgsIsHelpError):
        error.message = escaped(error.message)  # type: ignore[misc]  # Final in the stubs only
    return error


def _printable(message: str) -> str:
    from isotrack.text import escaped

    return "\n".join(escaped(line) for line in message.split("\n"))


GLOBAL_OPTIONS = ("--db", "--lang")


def _globals_first(argv: list[str]) -> list[str]:
    """Let global options stand anywhere (``isotrack unit list --lang vi``) by moving them
    before the command, as Click expects."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(argv):
        arg = argv[index]
        if arg == "--":
            rest.extend(argv[index:])
            break
        if arg in GLOBAL_OPTIONS and index + 1 < len(argv):
            front.extend(argv[index : index + 2])
            index += 2
            continue
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS and "=" in arg:
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


def fail(message: str, code: int) -> None:
    """Print one plain line on stderr and end with ``code``.

    Messages quote user values through ``isotrack.text.quoted``; as a last guard, anything
    unprintable left in a line (a terminal escape, a stray byte) is shown escaped. Newlines
    stay: an import's list of problems follows its first line."""
    click.secho(f"error: {_printable(message)}", err=True, fg="red", color=_colour_stderr())
    raise SystemExit(code)


def _colour_stderr() -> bool:
    import os

    return sys.stderr.isatty() and "NO_COLOR" not in os.environ


app = typer.Typer(
    cls=IsotrackGroup,
    name="isotrack",
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    no_args_is_help=True,
    add_completion=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"isotrack {__version__}")
        raise typer.Exit()


def _db_path(value: Path | None) -> Path | None:
    """``--db --json`` would otherwise name a database file '--json' and quietly use it."""
    if value is not None and str(value).startswith("--"):
        from isotrack.text import escaped, quoted

        raise typer.BadParameter(
            f"{quoted(str(value))} is an option, not a database file (for a file whose name "
            f"begins with '-', write ./{escaped(str(value))})"
        )
    return value


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            envvar="ISOTRACK_DB",
            help="Database file (default: isotrack.json in the user's data folder).",
            dir_okay=False,
            callback=_db_path,
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(
            "--lang",
            envvar="ISOTRACK_LANG",
            help="Output language: vi or en (default: from the locale).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Track TCVN ISO 9001 quality-management-system adoption across an organisation's units.

    \b
    Example:
        isotrack init --sample
        isotrack unit list --match "quan khu 2"
    """
    ctx.obj = make_env(db, lang, ctx.meta.get("isotrack.argv", []))


admin.register(app)  # the command groups are added by IsotrackGroup
io.register(app)
app.command("check")(targets.check)
app.command("report")(report)


def main() -> None:
    """Console-script entry point."""
    import gc

    # A command lives for a second and builds hundreds of thousands of small objects that are
    # never cyclic garbage; the cyclic collector would traverse them again and again (a third
    # of the run time at 150,000 events). Memory is returned when the process ends.
    gc.disable()
    app(prog_name="isotrack")
