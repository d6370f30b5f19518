"""`isotrack unit ...`: the registry of units and their lineage."""

from __future__ import annotations

from typing import Annotated

import typer

from isotrack.cli.common import (
    GROUPS,
    AsOf,
    DryRun,
    Json,
    On,
    echo,
    emit_json,
    env,
    report_write,
)

app = typer.Typer(help=GROUPS["unit"].help, rich_markup_mode=None, no_args_is_help=True)

Basis = Annotated[str | None, typer.Option("--basis", help="Legal basis, e.g. 2786/QĐ-BQP.")]


@app.command("add")
def add(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="A stable code, e.g. QK2-LAOCAI.")],
    name: Annotated[str, typer.Option("--name", help="The unit's Vietnamese name.")],
    kind: Annotated[str, typer.Option("--kind", help="Kind (echelon), e.g. district-command.")],
    parent: Annotated[str | None, typer.Option("--parent", help="Code of the parent unit.")] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Add a unit to the registry.

    \b
    Example:
        isotrack unit add QK2-LAOCAI --name "Bộ CHQS tỉnh Lào Cai" \\
            --kind provincial-command --parent QK2 --on 01/01/2014
    """
    e = env(ctx)
    result = e.tracker().add_unit(
        code, name=name, kind=kind, parent=parent, on=e.date(on, what="--on"), dry_run=dry_run
    )
    report_write(result, e)


@app.command("list")
def list_units(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only units of this kind.")] = None,
    under: Annotated[
        str | None, typer.Option("--under", help="Only this unit and those below it.")
    ] = None,
    stage: Annotated[str | None, typer.Option("--stage", help="Only units at this stage.")] = None,
    match: Annotated[
        str | None,
        typer.Option("--match", help="Names or codes containing these words (diacritics ignored)."),
    ] = None,
    include_ended: Annotated[
        bool, typer.Option("--all", help="Include units merged, split or dissolved by then.")
    ] = False,
    as_of: AsOf = "today",
    json: Json = False,
) -> None:
    """List units as of a date, in hierarchy order.

    \b
    Example:
        isotrack unit list --kind district-command --as-of 2024-01-01
        isotrack unit list --match "quan khu 2" --json
    """
    e = env(ctx)
    tracker = e.tracker()
    when = e.date(as_of, what="--as-of")
    found = tracker.list_units(
        when,
        kind=kind,
        under=under,
        stage=stage,
        match=match,
        include_ended=include_ended,
    )
    if json:
        emit_json([unit.to_json() for unit in found])
        return
    from isotrack.i18n import t
    from isotrack.render.terminal import plain_table, unit_rows

    shown = {unit.code for unit in found}
    registry_parents = {unit.code: unit.parent for unit in found}
    depth: dict[str, int] = {}
    for unit in found:
        parent = registry_parents.get(unit.code)
        depth[unit.code] = depth.get(parent, -1) + 1 if parent in shown else 0
    headers = [
        t(f"col.{c}", e.lang)
        for c in ("code", "name", "kind", "parent", "stage", "edition", "procedures")
    ]
    for line in plain_table(headers, list(unit_rows(found, tracker.catalog, e.lang, depth))):
        echo(line)
    noun = "unit" if len(found) == 1 and e.lang != "vi" else t("list.count", e.lang)
    echo(f"{len(found)} {noun}, {t('card.as_of', e.lang)} {e.show_date(when.isoformat())}")


@app.command("show")
def show(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The unit's code.")],
    as_of: AsOf = "today",
    json: Json = False,
) -> None:
    """Show one unit's card: identity, lineage, QMS, procedures and timeline.

    \b
    Example:
        isotrack unit show QK2-LAOCAI --as-of 31/12/2023
    """
    e = env(ctx)
    tracker = e.tracker()
    when = e.date(as_of, what="--as-of")
    unit = tracker.unit(code, when)
    if json:
        from isotrack.render.terminal import describe_event

        emit_json(
            {
                **unit.to_json(),
                "as_of": when.isoformat(),
                "timeline": [describe_event(ev, "en") for ev in unit.history],
            }
        )
        return
    from isotrack.render.terminal import unit_card

    echo(unit_card(unit, tracker.registry(when), tracker.catalog, e.lang))


@app.command("rename")
def rename(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The unit's code.")],
    name: Annotated[str, typer.Option("--name", help="The new name.")],
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Rename a unit from a date.

    \b
    Example:
        isotrack unit rename QK2-LAOCAI --name "Bộ CHQS tỉnh Lào Cai (mới)" --on 01/07/2025
    """
    e = env(ctx)
    report_write(
        e.tracker().rename_unit(code, name=name, on=e.date(on, what="--on"), dry_run=dry_run), e
    )


@app.command("move")
def move(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="The unit's code.")],
    parent: Annotated[str, typer.Option("--parent", help="Code of the new parent.")],
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Move a unit under another parent from a date.

    \b
    Example:
        isotrack unit move BP-LAOCAI --parent QK2-LAOCAI --on 01/07/2025
    """
    e = env(ctx)
    report_write(
        e.tracker().move_unit(code, parent=parent, on=e.date(on, what="--on"), dry_run=dry_run), e
    )


@app.command("merge")
def merge(
    ctx: typer.Context,
    codes: Annotated[list[str], typer.Argument(help="Codes of the units merged.")],
    into: Annotated[str, typer.Option("--into", help="Code of the successor.")],
    basis: Basis = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Create the successor with this name.")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Kind of the successor to create.")
    ] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Merge units into one successor; their sub-units move to it.

    The successor must exist, or be created in the same changeset with --name and --kind.

    \b
    Example:
        isotrack unit merge LC-BT LC-BH LC-SM --into LC-PTKV1 --name "Ban CHPTKV 1 Lào Cai" \\
            --kind regional-defence-command --basis 2786/QĐ-BQP --on 14/06/2025
    """
    e = env(ctx)
    result = e.tracker().merge_units(
        codes,
        into=into,
        basis=basis,
        name=name,
        kind=kind,
        on=e.date(on, what="--on"),
        dry_run=dry_run,
    )
    report_write(result, e)


@app.command("split")
def split(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of the unit split.")],
    into: Annotated[list[str], typer.Option("--into", help="A successor's code (repeat).")],
    basis: Basis = None,
    name: Annotated[
        list[str] | None,
        typer.Option("--name", help="Name of a successor to create, in --into order (repeat)."),
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Kind of the successors to create.")
    ] = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Split a unit into several successors.

    \b
    Example:
        isotrack unit split QK2-OLD --into QK2-A --into QK2-B --basis 123/QĐ-BQP --on 2025
    """
    e = env(ctx)
    result = e.tracker().split_unit(
        code,
        into=into,
        basis=basis,
        names=name or [],
        kind=kind,
        on=e.date(on, what="--on"),
        dry_run=dry_run,
    )
    report_write(result, e)


@app.command("dissolve")
def dissolve(
    ctx: typer.Context,
    code: Annotated[str, typer.Argument(help="Code of the unit dissolved.")],
    successor: Annotated[
        str | None, typer.Option("--successor", help="Unit that takes over (and its sub-units).")
    ] = None,
    basis: Basis = None,
    on: On = "today",
    dry_run: DryRun = False,
) -> None:
    """Dissolve a unit, optionally naming a successor.

    \b
    Example:
        isotrack unit dissolve LC-BT --successor LC-PTKV1 --basis 2786/QĐ-BQP --on 14/06/2025
    """
    e = env(ctx)
    result = e.tracker().dissolve_unit(
        code, successor=successor, basis=basis, on=e.date(on, what="--on"), dry_run=dry_run
    )
    report_write(result, e)
