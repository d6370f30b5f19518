"""`isotrack target ...` and `isotrack check`: targets and how far the organisation is from them."""

from __future__ import annotations

from typing import Annotated

import typer

from isotrack.cli.common import (
    GROUPS,
    AsOf,
    DryRun,
    Env,
    Json,
    On,
    echo,
    emit_json,
    env,
    report_write,
)
from isotrack.errors import IsotrackError
from isotrack.text import quoted

app = typer.Typer(help=GROUPS["target"].help, rich_markup_mode=None, no_args_is_help=True)


def parse_share(text: str) -> float:
    """A percentage as typed (``100``, ``100%``, ``87,5``) as a fraction."""
    cleaned = text.strip().removesuffix("%").replace(",", ".").strip()
    try:
        value = float(cleaned)
    except ValueError:
        raise IsotrackError(
            f"--share must be a percentage such as 100 or 87.5%, got {quoted(text)}"
        ) from None
    return value / 100


@app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A short name, e.g. district-2030.")],
    kind: Annotated[
        list[str],
        typer.Option("--kind", help="Kind of unit counted (repeat, or comma-separated; 'all')."),
    ],
    reach: Annotated[str, typer.Option("--reach", help="Minimum stage, e.g. applying.")],
    share: Annotated[str, typer.Option("--share", help="Required share in percent, e.g. 100.")],
    by: Annotated[str, typer.Option("--by", help="Deadline (a bare year means 31 December).")],
    under: Annotated[
        str | None, typer.Option("--under", help="Only units under this one (and it).")
    ] = None,
    units: Annotated[
        list[str] | None, typer.Option("--unit", help="An explicit unit to count (repeat).")
    ] = None,
    edition: Annotated[
        str | None, typer.Option("--edition", help="Minimum edition, e.g. 2015.")
    ] = None,
    no_consultant: Annotated[
        bool, typer.Option("--no-consultant", help="Count only QMS built without a consultant.")
    ] = False,
    with_stage: Annotated[
        str | None,
        typer.Option("--with-stage", help="Count only units whose QMS reached this stage."),
    ] = None,
    successors: Annotated[
        str, typer.Option("--successors", help="When counted units end: follow, freeze or drop.")
    ] = "follow",
    freeze_on: Annotated[
        str | None, typer.Option("--freeze-on", help="With freeze: the population's date.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Legal or meeting source of the target.")
    ] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Add a target: a population, a requirement, a share and a deadline.

    \b
    Example:
        isotrack target add district-2030 --kind district-command --reach applying \\
            --share 100 --by 2030 --successors follow --source "BQP conference 20/04/2023"
    """
    e = env(ctx)
    tracker = e.tracker()
    target = tracker.make_target(
        name,
        kinds=kind,
        reach=reach,
        share=parse_share(share),
        deadline=e.date(by, what="--by", role="deadline"),
        start=e.date(on, what="--on"),
        under=under,
        codes=units,
        edition=edition,
        no_consultant=no_consultant,
        with_stage=with_stage,
        successors=successors,
        freeze_on=e.date(freeze_on, what="--freeze-on") if freeze_on else None,
        source=source,
    )
    result = tracker.add_targets([target], dry_run=dry_run)
    report_write(result, e)


@app.command("install")
def install(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Targets from the catalog (default: all).")
    ] = None,
    dry_run: DryRun = False,
) -> None:
    """Install the reference targets shipped in data/targets.toml (the Ministry's, April 2023).

    \b
    Example:
        isotrack target install
        isotrack target install district-2030
    """
    from isotrack.catalog import load_targets

    e = env(ctx)
    specs = load_targets(e.catalog().config_dir)
    report_write(e.tracker().install_targets(specs, names, dry_run=dry_run), e)


@app.command("list")
def list_targets(ctx: typer.Context, json: Json = False) -> None:
    """List the targets.

    \b
    Example:
        isotrack target list --json
    """
    from isotrack.render.coverage import percent, population_text, requirement

    e = env(ctx)
    tracker = e.tracker()
    targets = tracker.targets()
    labels = {k.code: k.label(e.lang) for k in tracker.catalog.kinds.values()}
    if json:
        emit_json([target.to_data() for target in targets])
        return
    if not targets:
        echo(_t("target.none", e))
        return
    from isotrack.render.terminal import plain_table

    rows = [
        [
            t.name,
            population_text(t, e.lang, labels),
            requirement(t, e.lang),
            percent(t.share),
            e.show_date(t.deadline),
            t.successors,
        ]
        for t in targets
    ]
    headers = [
        _t(k, e)
        for k in (
            "target.name",
            "target.population_def",
            "target.requirement",
            "target.required",
            "target.deadline",
            "target.policy",
        )
    ]
    for line in plain_table(headers, rows):
        echo(line)


@app.command("show")
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The target's name.")],
    as_of: AsOf = "today",
    json: Json = False,
) -> None:
    """Show a target's coverage: who is covered, who is missing, pace and projection.

    \b
    Example:
        isotrack target show district-2030 --as-of 31/12/2024
    """
    from isotrack.render.coverage import coverage_json

    e = env(ctx)
    tracker = e.tracker()
    [coverage] = tracker.coverage(e.date(as_of, what="--as-of"), [name])
    if json:
        emit_json(coverage_json(coverage, e.lang))
        return
    from isotrack.render.report import coverage_detail

    labels = {k.code: k.label(e.lang) for k in tracker.catalog.kinds.values()}
    for line in coverage_detail(coverage, e.lang, labels):
        echo(line)


@app.command("remove")
def remove(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The target's name.")],
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Remove a target (undo brings it back).

    \b
    Example:
        isotrack target remove district-2030
    """
    e = env(ctx)
    report_write(e.tracker().remove_target(name, on=e.date(on, what="--on"), dry_run=dry_run), e)


def check(
    ctx: typer.Context,
    names: Annotated[
        list[str] | None, typer.Argument(help="Targets to check (default: all).")
    ] = None,
    as_of: AsOf = "today",
    json: Json = False,
) -> None:
    """Check targets: exit 0 when every one is met or on track, 3 otherwise.

    \b
    Example:
        isotrack check district-2030 --json
    """
    from isotrack.render.coverage import coverage_json

    e = env(ctx)
    day = e.date(as_of, what="--as-of")
    results = e.tracker().coverage(day, names or None)
    failing = [c for c in results if c.status not in ("met", "on-track")]
    if json:
        emit_json(
            {
                "as_of": day.isoformat(),
                "ok": not failing,
                "targets": [coverage_json(c, e.lang) for c in results],
            }
        )
    else:
        from isotrack.render.report import coverage_line

        if not results:
            echo(_t("target.none", e))
        for coverage in results:
            echo(coverage_line(coverage, e.lang))
    if failing:
        raise typer.Exit(3)


def _t(key: str, e: Env) -> str:
    from isotrack.i18n import t

    return t(key, e.lang)
