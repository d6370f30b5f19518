"""Start-up: the command groups are built only when used (benchmarks/ measures the time)."""

from __future__ import annotations

import sys

import click
import pytest
import typer

from isotrack import __version__
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


def test_the_entry_point_answers_version_as_the_command_line_does(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from isotrack.entry import main

    monkeypatch.setattr(sys, "argv", ["isotrack", "--version"])
    main()
    fast = capsys.readouterr().out
    with pytest.raises(SystemExit) as done:
        app(["--version"], prog_name="isotrack")
    assert done.value.code == 0
    assert capsys.readouterr().out == fast == f"isotrack {__version__}\n"


def test_the_entry_point_runs_the_command_line_for_anything_else(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from isotrack.entry import main

    monkeypatch.setattr(sys, "argv", ["isotrack", "--help"])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 0
    assert "Usage: isotrack" in capsys.readouterr().out
