"""`isotrack target ...` and `isotrack check` through the CLI: wiring, output, errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import Run, file_hash
from orgs import add_units, target_add


@pytest.fixture
def org(ok: Callable[..., Run]) -> Callable[..., Run]:
    ok("init")
    add_units(
        ok,
        ("P", "Bộ CHQS tỉnh", "provincial-command", None),
        ("D1", "Ban CHQS D1", "district-command", "P"),
        ("D2", "Ban CHQS D2", "district-command", "P"),
    )
    ok("qms", "stage", "D1", "applying", "--no-consultant", "--on", "2022-05-01")
    return ok


def test_add_list_show_remove_and_undo(org: Callable[..., Run]) -> None:
    added = org(*target_add("d", "--on", "2022-01-01", share="100%"))
    assert "target d: 100% reaching 'applying' by 2030-12-31" in added.stdout
    listed = json.loads(org("target", "list", "--json").stdout)
    assert listed == [
        {
            "name": "d",
            "kinds": ["district-command"],
            "reach": "applying",
            "share": 1.0,
            "deadline": "2030-12-31",
            "start": "2022-01-01",
            "under": None,
            "codes": [],
            "edition": None,
            "no_consultant": False,
            "with_stage": None,
            "successors": "follow",
            "freeze_on": None,
            "source": None,
        }
    ]
    text = org("target", "list").stdout
    assert "District military command" in text
    shown = org("target", "show", "d", "--as-of", "2023-01-01").stdout
    assert "d  [##########..........]  1/2 50.0% / 100.0%" in shown
    assert "Units still missing (1):\n  D2" in shown
    org("target", "remove", "d")
    assert json.loads(org("target", "list", "--json").stdout) == []
    org("undo")
    assert [t["name"] for t in json.loads(org("target", "list", "--json").stdout)] == ["d"]


def test_install_adds_the_ministry_targets_once(org: Callable[..., Run]) -> None:
    first = org("target", "install")
    assert first.stdout.count("target ") == 3
    assert org("target", "install").stdout.startswith("nothing to change: already installed")
    names = [t["name"] for t in json.loads(org("target", "list", "--json").stdout)]
    assert names == ["conform-2015", "district-2030", "no-consultant"]


def test_check_exit_codes_and_named_targets(
    org: Callable[..., Run], cli: Callable[..., Run]
) -> None:
    org(*target_add("half", "--on", "2020", share="50"))
    org(*target_add("all", "--on", "2020", by="2022"))
    assert cli("check", "half", "--as-of", "2023-01-01").exit_code == 0
    result = cli("check", "--as-of", "2023-01-01", "--json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert {t["name"]: t["status"] for t in data["targets"]} == {"all": "missed", "half": "met"}
    line = cli("check", "all", "--as-of", "2023-01-01").stdout
    assert line.startswith("all  [##########..........]  1/2 50.0% / 100.0%")
    assert "missed" in line


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            target_add("x", share="abc"),
            1,
            "--share must be a percentage such as 100 or 87.5%, got 'abc'",
        ),
        (
            target_add("x", share="120"),
            1,
            "a target's share must be above 0% and at most 100%, got 120%",
        ),
        (
            target_add("x y"),
            1,
            "invalid target name 'x y': use letters, digits and - _ . (at most 64)",
        ),
        (
            target_add("x", reach="none"),
            1,
            "a target cannot require stage 'none': use planned, building, applying or announced",
        ),
        (
            target_add("x", "--successors", "keep"),
            1,
            "unknown successor policy 'keep': use follow, freeze, drop",
        ),
        (
            target_add("x", "--freeze-on", "2024"),
            2,
            "--freeze-on goes with --successors freeze",
        ),
        (
            target_add("x", "--under", "NOPE"),
            1,
            "unknown unit 'NOPE'",
        ),
        (
            target_add("x", by="31/02/2030"),
            1,
            "cannot read --by '31/02/2030': day is out of range for month (use 2025-06-14, "
            "14/06/2025, 2030, today or -3m)",
        ),
        (["target", "show", "nope"], 1, "unknown target 'nope'. Targets: none yet ('target add')"),
        (
            ["target", "remove", "nope"],
            1,
            "unknown target 'nope'. Targets: none yet ('target add')",
        ),
        (["check", "nope"], 1, "unknown target 'nope'. Targets: none yet ('target add')"),
        (
            ["target", "install", "nope"],
            1,
            "not in the targets catalog: 'nope' (known: district-2030, no-consultant, "
            "conform-2015)",
        ),
    ],
)
def test_target_errors_change_nothing(
    org: Callable[..., Run],
    cli: Callable[..., Run],
    db_path: Path,
    args: list[str],
    code: int,
    message: str,
) -> None:
    before = file_hash(db_path)
    result = cli(*args)
    assert (result.exit_code, result.stderr.strip()) == (code, f"error: {message}")
    assert file_hash(db_path) == before


def test_a_target_name_is_taken_once(org: Callable[..., Run], cli: Callable[..., Run]) -> None:
    args = target_add("d")
    org(*args)
    result = cli(*args)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "error: target 'd' already exists: remove it first ('isotrack target remove d')"
    )
