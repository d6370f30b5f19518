"""Small organisations built through the command line: the ``unit add`` and ``target add`` lines
the CLI tests' fixtures share, so that each fixture lists only its own units and targets."""

from __future__ import annotations

from collections.abc import Callable

from conftest import Run

# code, name, kind, parent (None for a root)
Unit = tuple[str, str, str, str | None]


def add_units(run: Callable[..., Run], *units: Unit, on: str = "2010") -> None:
    """``isotrack unit add CODE --name NAME --kind KIND [--parent PARENT] --on ON``, one command
    per unit, in the order given (a parent before its sub-units)."""
    for code, name, kind, parent in units:
        parent_option = ["--parent", parent] if parent is not None else []
        run("unit", "add", code, "--name", name, "--kind", kind, *parent_option, "--on", on)


def target_add(
    name: str,
    *options: str,
    kind: str = "district-command",
    reach: str = "applying",
    share: str = "100",
    by: str = "2030",
) -> list[str]:
    """The arguments of ``isotrack target add NAME --kind KIND --reach STAGE --share SHARE
    --by DEADLINE``, then ``options`` as given."""
    return [
        "target",
        "add",
        name,
        "--kind",
        kind,
        "--reach",
        reach,
        "--share",
        share,
        "--by",
        by,
        *options,
    ]
