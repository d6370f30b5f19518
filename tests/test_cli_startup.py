"""Start-up: the command groups are built only when used (benchmarks/ measures the time)."""

from __future__ import annotations

import click
import typer

from isotrack.cli import GROUPS, _Deferred, app


def built_groups(root: click.Group) -> set[str]:
    return {name for name in GROUPS if not isinstance(root.commands[name], _Deferred)}


def test_the_root_help_lists_every_group_without_building_one() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    with click.Context(root, info_name="isotrack") as ctx:
        text = root.get_help(ctx)
    for name, group in GROUPS.items():
        assert f"  {name}" in text
        assert group.help in text
    assert built_groups(root) == set()


def test_a_command_builds_only_its_own_group() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, click.Group)
    root.main(["unit", "list", "--help"], prog_name="isotrack", standalone_mode=False)
    assert built_groups(root) == {"unit"}
    unit = root.commands["unit"]
    assert isinstance(unit, click.Group)
    assert "list" in unit.commands
    assert unit.help == GROUPS["unit"].help
