"""The foundation's acceptance scenario, end to end through the CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import Run, file_hash
from orgs import add_units

DISTRICT_NAMES = {
    "LC-BT": "Ban CHQS huyện Bảo Thắng",
    "LC-BH": "Ban CHQS huyện Bắc Hà",
    "LC-SM": "Ban CHQS thị xã Sa Pa",
}
DISTRICTS = list(DISTRICT_NAMES)


def build_scenario(ok: Callable[..., Run]) -> None:
    ok("init")
    add_units(
        ok,
        ("BQP", "Bộ Quốc phòng", "ministry", None),
        ("QK2", "Quân khu 2", "military-region", "BQP"),
        ("QK2-LAOCAI", "Bộ Chỉ huy quân sự tỉnh Lào Cai", "provincial-command", "QK2"),
        *((code, name, "district-command", "QK2-LAOCAI") for code, name in DISTRICT_NAMES.items()),
    )
    for code, year in (("LC-BT", 2019), ("LC-BH", 2020)):
        ok("qms", "stage", code, "planned", "--on", f"15/01/{year}")
        ok(
            "qms",
            "stage",
            code,
            "building",
            "--edition",
            "2008",
            "--no-consultant",
            "--on",
            f"01/06/{year}",
        )
        ok("qms", "stage", code, "applying", "--on", f"01/12/{year}")
        ok(
            "qms",
            "stage",
            code,
            "announced",
            "--decision",
            "12/QĐ-BCH",
            "--on",
            f"01/06/{year + 2}",
        )
    for code in ("LC-BT", "LC-BH"):
        ok("qms", "edition", code, "2015", "--on", "30/09/2020")
    ok("procedures", "set", "LC-BT", "--tthc", "4", "--internal", "21", "--on", "2021-01-10")
    ok("procedures", "set", "LC-BH", "--internal", "17", "--on", "2021-02-10")
    add_units(
        ok,
        ("LC-PTKV1", "Ban CHPTKV 1 Lào Cai", "regional-defence-command", "QK2-LAOCAI"),
        on="14/06/2025",
    )


def merge_the_districts(ok: Callable[..., Run]) -> None:
    """The 2025 reorganisation: the three district commands merge into LC-PTKV1."""
    ok(
        "unit",
        "merge",
        *DISTRICTS,
        "--into",
        "LC-PTKV1",
        "--basis",
        "2786/QĐ-BQP",
        "--on",
        "14/06/2025",
    )


def districts(ok: Callable[..., Run], as_of: str) -> list[dict[str, object]]:
    out = ok("unit", "list", "--as-of", as_of, "--kind", "district-command", "--json")
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_merge_of_district_commands_and_its_undo(ok: Callable[..., Run], db_path: Path) -> None:
    build_scenario(ok)
    before_merge = ok("unit", "list", "--as-of", "2025-07-01", "--json").stdout

    merge_the_districts(ok)

    live_2024 = districts(ok, "2024-01-01")
    assert [u["code"] for u in live_2024] == sorted(DISTRICTS)
    stages = {u["code"]: (u["stage"], u["edition"]) for u in live_2024}
    assert stages == {
        "LC-BT": ("announced", "2015"),
        "LC-BH": ("announced", "2015"),
        "LC-SM": ("none", None),
    }
    assert next(u for u in live_2024 if u["code"] == "LC-BT")["procedures"] == {
        "tthc": 4,
        "internal": 21,
        "product": 0,
        "total": 25,
    }

    assert districts(ok, "2025-07-01") == []
    regional = json.loads(ok("unit", "show", "LC-PTKV1", "--as-of", "2025-07-01", "--json").stdout)
    assert sorted(regional["predecessors"]) == sorted(DISTRICTS)
    ended = json.loads(ok("unit", "show", "LC-BT", "--as-of", "2025-07-01", "--json").stdout)
    assert ended["alive"] is False
    assert ended["successors"] == ["LC-PTKV1"]
    assert ended["end_reason"] == "merged"

    undone = ok("undo")
    assert "undo changeset" in undone.stdout
    assert ok("unit", "list", "--as-of", "2025-07-01", "--json").stdout == before_merge
    assert len(districts(ok, "2025-07-01")) == 3

    # Undoing the undo brings the merge back.
    log = json.loads(ok("log", "--json", "--limit", "1").stdout)
    ok("undo", log[0]["id"])
    assert districts(ok, "2025-07-01") == []

    hash_before = file_hash(db_path)
    assert ok("doctor").stdout.strip().endswith("0 error(s), 0 warning(s)")
    assert file_hash(db_path) == hash_before


def test_the_card_tells_the_units_story(ok: Callable[..., Run]) -> None:
    build_scenario(ok)
    merge_the_districts(ok)
    card = ok("unit", "show", "lc-bt").stdout
    assert "Ban CHQS huyện Bảo Thắng" in card
    assert "Ended: 2025-06-14, merged into LC-PTKV1 (basis 2786/QĐ-BQP)" in card
    assert "2019-12-01 LC-BT: stage -> applying" in card
    assert "2020-09-30 LC-BT: edition -> 2015" in card
    vi_card = ok("--lang", "vi", "unit", "show", "LC-PTKV1").stdout
    assert "sáp nhập từ LC-BT" in vi_card
    assert "14/06/2025" in vi_card


def test_list_all_under_a_unit_includes_the_units_that_ended_there(ok: Callable[..., Run]) -> None:
    build_scenario(ok)
    ok("unit", "merge", *DISTRICTS, "--into", "LC-PTKV1", "--on", "14/06/2025")
    args = ("unit", "list", "--under", "QK2-LAOCAI", "--as-of", "2025-07-01", "--json")
    live = [u["code"] for u in json.loads(ok(*args).stdout)]
    everything = [u["code"] for u in json.loads(ok(*args, "--all").stdout)]
    assert live == ["QK2-LAOCAI", "LC-PTKV1"]
    assert sorted(everything) == sorted([*live, *DISTRICTS])


def test_log_as_of_shows_what_had_been_recorded_by_then(ok: Callable[..., Run]) -> None:
    build_scenario(ok)
    rows = json.loads(ok("log", "--json", "--limit", "100").stdout)
    day = rows[0]["recorded"][:10]
    assert json.loads(ok("log", "--json", "--limit", "100", "--as-of", day).stdout) == rows
    assert json.loads(ok("log", "--json", "--as-of", "2000-01-01").stdout) == []
