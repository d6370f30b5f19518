"""`isotrack qms ...` and `isotrack procedures ...`: a unit's QMS record."""

from __future__ import annotations

from typing import Annotated

import typer

from isotrack.cli.common import GROUPS, Code, DryRun, On, env, report_write

app = typer.Typer(
    help=GROUPS["qms"].help,
    rich_markup_mode=None,
    no_args_is_help=True,
)
procedures_app = typer.Typer(
    help=GROUPS["procedures"].help, rich_markup_mode=None, no_args_is_help=True
)


@app.command("stage")
def stage(
    ctx: typer.Context,
    code: Code,
    stage: Annotated[
        str,
        typer.Argument(help="none, planned, building, applying, announced or lapsed."),
    ],
    edition: Annotated[
        str | None, typer.Option("--edition", help="Edition applied, e.g. 2015.")
    ] = None,
    consultant: Annotated[
        str | None, typer.Option("--consultant", help="Consultant hired to build the QMS.")
    ] = None,
    no_consultant: Annotated[
        bool, typer.Option("--no-consultant", help="The unit built its QMS without a consultant.")
    ] = False,
    model: Annotated[str | None, typer.Option("--model", help="Framework model followed.")] = None,
    decision: Annotated[
        str | None, typer.Option("--decision", help="Announcement decision, e.g. 45/QĐ-BCH.")
    ] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Scope of the QMS.")] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Record that a unit's QMS reached a stage.

    Stages move forward (planned, building, applying, announced); an applied or announced QMS
    can lapse, and a lapsed one can start again.

    \b
    Example:
        isotrack qms stage QK2-LAOCAI applying --edition 2015 --no-consultant --on 15/03/2021
    """
    e = env(ctx)
    result = e.tracker().set_stage(
        code,
        stage,
        edition=edition,
        consultant=consultant,
        no_consultant=no_consultant,
        model=model,
        decision=decision,
        scope=scope,
        on=e.date(on, what="--on"),
        dry_run=dry_run,
    )
    report_write(result, e)


@app.command("edition")
def edition(
    ctx: typer.Context,
    code: Code,
    edition: Annotated[str, typer.Argument(help="The edition moved to, e.g. 2015.")],
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Record an edition transition, e.g. from ISO 9001:2008 to :2015.

    \b
    Example:
        isotrack qms edition QK2-LAOCAI 2015 --on 30/06/2021
    """
    e = env(ctx)
    report_write(
        e.tracker().set_edition(code, edition, on=e.date(on, what="--on"), dry_run=dry_run), e
    )


@app.command("audit")
def audit(
    ctx: typer.Context,
    code: Code,
    kind: Annotated[
        str, typer.Option("--kind", help="internal, review (management review) or inspection.")
    ] = "internal",
    findings: Annotated[int | None, typer.Option("--findings", help="Number of findings.")] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Record an internal audit, a management review or an inspection.

    \b
    Example:
        isotrack qms audit QK2-LAOCAI --kind internal --findings 3 --on 10/11/2024
    """
    e = env(ctx)
    report_write(
        e.tracker().record_audit(
            code, kind=kind, findings=findings, on=e.date(on, what="--on"), dry_run=dry_run
        ),
        e,
    )


@procedures_app.command("set")
def set_procedures(
    ctx: typer.Context,
    code: Code,
    tthc: Annotated[
        int | None, typer.Option("--tthc", help="Administrative-procedure (TTHC) procedures.")
    ] = None,
    internal: Annotated[
        int | None, typer.Option("--internal", help="Internal-work procedures.")
    ] = None,
    product: Annotated[
        int | None, typer.Option("--product", help="Defence-product quality procedures.")
    ] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Set a unit's procedure counts by category (the others stay as they were).

    \b
    Example:
        isotrack procedures set QK2-LAOCAI --tthc 12 --internal 30 --on 31/12/2022
    """
    e = env(ctx)
    counts = {"tthc": tthc, "internal": internal, "product": product}
    report_write(
        e.tracker().set_procedures(code, counts, on=e.date(on, what="--on"), dry_run=dry_run), e
    )
