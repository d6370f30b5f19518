"""`isotrack report`: the progress report in the terminal or as a file."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated

import typer

from isotrack.cli.common import AS_OF_HELP, Env, echo, emit_json, env
from isotrack.errors import UsageError
from isotrack.text import quoted

FORMATS = ("table", "tree", "json", "csv", "md", "html", "xlsx")


def report(
    ctx: typer.Context,
    under: Annotated[
        str | None, typer.Option("--under", help="Only this unit and those below it.")
    ] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="Start of a period view (with --to).")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="End of a period view.")] = None,
    format_: Annotated[
        str, typer.Option("--format", help="table, tree, json, csv, md, html or xlsx.")
    ] = "table",
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write to this file.", dir_okay=False)
    ] = None,
    as_of: Annotated[str, typer.Option("--as-of", help=AS_OF_HELP)] = "today",
    json: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
) -> None:
    """Print the progress report: totals, targets, the hierarchy, a period view.

    Every report states its as-of date, the database's content hash and the command that
    makes it again.

    \b
    Example:
        isotrack report
        isotrack report --under QK2 --from 01/01/2025 --to 31/12/2025
        isotrack report --format html -o report.html --lang vi
    """
    e = env(ctx)
    fmt = "json" if json else format_.strip().lower()
    if fmt not in FORMATS:
        raise UsageError(f"unknown format {quoted(format_)}: use {', '.join(FORMATS)}")
    if (start is None) != (end is None):
        raise UsageError("a period view needs both --from and --to")
    if fmt == "xlsx" and output is None:
        raise UsageError("--format xlsx writes a file: give -o FILE.xlsx")
    if output is not None:
        e.output(output)
    day = e.date(as_of, what="--as-of")
    period = None
    if start is not None and end is not None:
        period = (e.date(start, what="--from"), e.date(end, what="--to", role="deadline"))
        if period[0] > period[1]:
            raise UsageError("--from must be on or before --to")
        if as_of == "today":
            day = period[1]
    from isotrack.report import build_report

    tracker = e.tracker()
    built = build_report(
        tracker.events(),
        tracker.changesets(),
        tracker.targets(),
        as_of=day,
        under=tracker.unit(under, day).code if under else None,
        period=period,
        content_hash=tracker.snapshot().content_hash,
        command=_again(e, day),
        history=fmt == "html",
        kind_labels={k.code: k.label(e.lang) for k in tracker.catalog.kinds.values()},
    )
    text: str
    if fmt == "xlsx":
        from isotrack.render.xlsx import write_xlsx

        assert output is not None
        write_xlsx(built, e.lang, output)
        echo(f"wrote {output}")
        return
    from isotrack.render import report as render

    if fmt == "json":
        if output is None:
            emit_json(render.report_json(built, e.lang))
            return
        import orjson

        text = (
            orjson.dumps(
                render.report_json(built, e.lang), option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2
            ).decode()
            + "\n"
        )
    elif fmt == "csv":
        text = render.csv_text(built, e.lang)
    elif fmt == "md":
        text = render.markdown(built, e.lang)
    elif fmt == "html":
        from isotrack.render.html import render_html

        text = render_html(built, e.lang)
    elif fmt == "tree":
        text = "\n".join(render.tree_lines(built, e.lang)) + "\n"
    else:
        text = "\n".join(render.dashboard(built, e.lang)) + "\n"
    if output is None:
        echo(text.rstrip("\n"))
    else:
        # Excel opens UTF-8 CSV correctly only with a byte-order mark.
        encoding = "utf-8-sig" if fmt == "csv" else "utf-8"
        output.write_text(text, encoding=encoding)
        echo(f"wrote {output}")


def _again(e: Env, day: object) -> str:
    """The command that makes this report again: the same arguments, with the date and language
    made explicit so that it does not depend on when or where it runs."""
    argv = list(e.argv)
    if "--as-of" not in argv and not any(a.startswith("--as-of=") for a in argv):
        argv += ["--as-of", str(day)]
    if "--lang" not in argv and not any(a.startswith("--lang=") for a in argv):
        argv += ["--lang", e.lang]
    return shlex.join(["isotrack", *argv])
