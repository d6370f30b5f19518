"""Imports: snapshot rows become events for what changed only; event files merge as a union;
every bad row is reported and nothing is written; one import is one changeset, undone whole."""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from random import Random

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import Run, file_hash
from fixtures.sheet_text import EN_HEADER
from histories import OPS, TODAY, Db, Op, apply, base
from isotrack import events as ev
from isotrack.errors import ImportRowError, IsotrackError
from isotrack.eventfile import export_events
from isotrack.importer import bulk_ids
from isotrack.text import has_control

FIXTURES = Path(__file__).parent / "fixtures"
# The reference is libreoffice-nfd.csv: for it, the test checks re-reading, not equality.
GOOD = ("excel-csv-utf8-semicolon.csv", "excel-unicode-text.txt", "libreoffice-nfd.csv",
        "units-report.xlsx")  # fmt: skip
HEADER = EN_HEADER
Cli = Callable[..., Run]


def sheet(path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture
def db(tmp_path: Path) -> Db:
    return Db(tmp_path / "db.json")


@pytest.fixture
def org(db: Db) -> Db:
    """The fixtures' organisation, imported from the Excel CSV (undated facts: 1 January 2024)."""
    db.imp(FIXTURES / "excel-csv-utf8-semicolon.csv", on=date(2024, 1, 1))
    return db


# --------------------------------------------------------------------------------------------
# Snapshot sheets


@pytest.mark.parametrize("name", GOOD)
def test_each_real_world_file_builds_the_same_organisation(tmp_path: Path, name: str) -> None:
    reference = Db(tmp_path / "ref.json")
    reference.imp(FIXTURES / "libreoffice-nfd.csv")
    db = Db(tmp_path / "db.json")
    result = db.imp(FIXTURES / name)
    assert (result.rows, result.new_units, result.changed_units) == (5, 5, 0)
    assert db.units() == reference.units()
    again = db.imp(FIXTURES / "libreoffice-nfd.csv")  # the same facts, in another file
    assert again.write.changeset is None
    assert again.write.note == "the 5 rows of libreoffice-nfd.csv already match the database"
    assert again.unchanged_units == 5


def test_what_the_rows_became(org: Db) -> None:
    units = {u["code"]: u for u in org.units()}
    laocai = units["QK2-LAOCAI"]
    assert (laocai["stage"], laocai["stage_since"], laocai["edition"]) == (
        "applying",
        "2020-06-01",
        "2015",
    )
    assert laocai["consultant"] == "Công ty Vinacontrol, chi nhánh Hà Nội"
    assert units["QK2"]["consultant_used"] is False  # "không"
    assert units["QK2"]["procedures"] == {"tthc": 0, "internal": 12, "product": 0, "total": 12}
    assert units["LC-BACHA"]["parent"] == "QK2-LAOCAI"  # defined on a later row
    assert (units["LC-BACHA"]["stage"], units["LC-BACHA"]["stage_since"]) == (
        "planned",
        "2022-01-01",
    )
    # Foundings: the earliest date a row gives, and a parent no later than its sub-units.
    assert units["LC-BACHA"]["founded"] == "2022-01-01"
    assert units["QK2-LAOCAI"]["founded"] == "2020-06-01"
    assert units["QK2"]["founded"] == units["BQP"]["founded"] == "2019-03-15"
    events = org.tracker().events()
    stage = next(e for e in events if e.unit == "QK2" and e.type == ev.STAGE)
    assert stage.data == {"stage": "announced", "edition": "2015", "consultant": ""}
    assert len({e.changeset for e in events}) == 1  # one import, one changeset


def test_only_what_changed_becomes_events(org: Db, tmp_path: Path) -> None:
    path = sheet(
        tmp_path / "update.csv",
        [
            ["QK2", "Quân khu 2", "", "BQP", "announced", "", "", "", "", "12", ""],
            ["QK2-LAOCAI", "Bộ Chỉ huy Quân sự tỉnh Lào Cai", "", "", "announced", "05/05/2024",
             "", "", "4", "", ""],
            ["LC-BATHANG", "", "", "QK2", "applying", "", "2026", "none", "", "", ""],
            ["LC-BACHA", "", "", "", "", "", "", "", "", "", ""],
        ],
        HEADER,
    )  # fmt: skip
    result = org.imp(path, on=date(2025, 7, 1))
    assert (result.new_units, result.changed_units, result.unchanged_units) == (0, 2, 2)
    written = sorted(
        (e.unit, e.type, e.on, json.dumps(e.data, ensure_ascii=False)) for e in result.write.events
    )
    assert written == [
        ("LC-BATHANG", "qms.stage", "2025-07-01",
         '{"stage": "applying", "consultant": "", "edition": "2026"}'),
        ("LC-BATHANG", "unit.moved", "2025-07-01", '{"parent": "QK2"}'),
        ("QK2-LAOCAI", "procedures.set", "2025-07-01", '{"tthc": 4}'),
        ("QK2-LAOCAI", "qms.stage", "2024-05-05", '{"stage": "announced"}'),
        ("QK2-LAOCAI", "unit.renamed", "2025-07-01", '{"name": "Bộ Chỉ huy Quân sự tỉnh Lào Cai"}'),
    ]  # fmt: skip
    assert org.imp(path, on=date(2025, 7, 1)).write.changeset is None


def test_a_date_column_dates_the_row_and_edition_date_the_edition(org: Db, tmp_path: Path) -> None:
    path = sheet(
        tmp_path / "dated.csv",
        [["LC-BATHANG", "Ban CHQS huyện Bảo Thắng (mới)", "applying", "", "2026", "01/02/2026",
          "7", "15/08/2025"]],
        ["code", "name", "stage", "stage_date", "edition", "edition_date", "tthc",
         "Ngày báo cáo"],
    )  # fmt: skip
    events = {e.type: e.on for e in org.imp(path).write.events}
    assert events == {
        ev.RENAMED: "2025-08-15",
        ev.STAGE: "2025-08-15",
        ev.EDITION: "2026-02-01",
        ev.PROCEDURES: "2025-08-15",
    }


def test_a_correction_to_an_earlier_date_is_written_and_then_stable(
    org: Db, tmp_path: Path
) -> None:
    org.tracker().set_stage(
        "QK2-LAOCAI", "announced", edition=None, consultant=None, no_consultant=False,
        model=None, decision=None, on=date(2023, 1, 1), dry_run=False,
    )  # fmt: skip
    path = sheet(tmp_path / "c.csv", [["QK2-LAOCAI", "announced", "01/06/2022"]],
                 ["code", "stage", "stage_date"])  # fmt: skip
    assert len(org.imp(path).write.events) == 1
    assert {u["code"]: u for u in org.units()}["QK2-LAOCAI"]["stage_since"] == "2022-06-01"
    assert org.imp(path).write.changeset is None


def test_a_unit_founded_before_its_parent_was_moved_there(db: Db, tmp_path: Path) -> None:
    path = sheet(
        tmp_path / "moved.csv",
        [["P", "Ban CHPTKV 1", "regional-defence-command", "", "14/06/2025"],
         ["C", "Đồn cũ", "district-command", "P", "01/01/2012"]],
        ["code", "name", "kind", "parent", "founded"],
    )  # fmt: skip
    db.imp(path)
    units = {u["code"]: u for u in db.units()}
    assert (units["C"]["founded"], units["C"]["parent"]) == ("2012-01-01", "P")
    assert {u["code"]: u["parent"] for u in db.units(date(2020, 1, 1))} == {"C": None}
    assert db.imp(path).write.changeset is None


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=7),  # the parent, by index (itself or later: none)
            st.integers(min_value=0, max_value=40),  # a month after 2010
            st.booleans(),  # the date is the founding itself, not a stage's
        ),
        min_size=1,
        max_size=8,
    ),
    st.randoms(use_true_random=False),
)
def test_new_units_are_founded_no_later_than_the_units_below_them(
    units: list[tuple[int, int, bool]], rng: Random
) -> None:
    """A new unit is founded on its own date, moved back to the earliest founding below it in
    the sheet; a unit whose founding the sheet gives stays as given."""
    parents = [f"U{p}" if p < i else "" for i, (p, _, _) in enumerate(units)]
    days = [date(2010 + months // 12, months % 12 + 1, 1) for _, months, _ in units]
    rows = [
        [f"U{i}", f"Đơn vị {i}", "district-command", parent]
        + ([day.strftime("%d/%m/%Y"), "", ""] if explicit else ["", "building", f"{day:%d/%m/%Y}"])
        for i, (parent, day, (_, _, explicit)) in enumerate(zip(parents, days, units, strict=True))
    ]
    rng.shuffle(rows)  # the sheet's order of rows does not matter

    def founded(i: int) -> date:
        if units[i][2]:
            return days[i]
        below = [founded(c) for c, parent in enumerate(parents) if parent == f"U{i}"]
        return min([days[i], *below])

    with tempfile.TemporaryDirectory() as folder:
        header = ["code", "name", "kind", "parent", "founded", "stage", "stage_date"]
        path = sheet(Path(folder) / "new.csv", rows, header)
        db = Db(Path(folder) / "db.json")
        db.imp(path)
        got = {u["code"]: u["founded"] for u in db.units()}
    assert got == {f"U{i}": founded(i).isoformat() for i in range(len(units))}


def test_a_json_units_counts_keep_its_own_order_of_keys(db: Db, tmp_path: Path) -> None:
    """Objects may name their keys in any order: each unit's counts are stored in its own,
    and its first count names the key of a problem."""
    units = [
        {"code": "A", "name": "a", "kind": "ministry", "tthc": 5, "internal": 6},
        {"code": "B", "name": "b", "kind": "ministry", "internal": 3, "tthc": 4},
    ]
    path = tmp_path / "units.json"
    path.write_bytes(orjson.dumps(units))
    db.imp(path, on=date(2024, 1, 1))
    stored = orjson.loads(db.bytes())["events"].values()
    counts = {e["unit"]: list(e["data"]) for e in stored if e["type"] == ev.PROCEDURES}
    assert counts == {"A": ["tthc", "internal"], "B": ["internal", "tthc"]}
    late = [{"code": "B", "internal": 7, "tthc": 8, "date": "2010-01-01"}]
    path.write_bytes(orjson.dumps(late))
    with pytest.raises(ImportRowError) as info:
        db.imp(path)
    assert "unit 1, key internal: B" in str(info.value)
    flag = [{"code": "B", "tthc": True}]
    path.write_bytes(orjson.dumps(flag))
    with pytest.raises(ImportRowError) as info:
        db.imp(path)
    assert info.value.problems == [  # (as JSON writes it: a user saw Python's 'True')
        ("unit 1, key tthc", "'true' is not a count: write a whole number from 0 to 1,000,000")
    ]


def test_a_new_unit_reported_as_lapsed(db: Db, tmp_path: Path) -> None:
    path = sheet(tmp_path / "l.csv", [["A", "Đơn vị A", "district-command", "ngừng duy trì",
                                       "01/03/2024"]],
                 ["code", "name", "kind", "stage", "stage_date"])  # fmt: skip
    db.imp(path)
    unit = db.units()[0]
    assert (unit["stage"], unit["stage_since"]) == ("lapsed", "2024-03-01")
    assert [e.data["stage"] for e in db.tracker().unit("A", TODAY).history[1:]] == [
        "building",
        "lapsed",
    ]


# C0, DEL, C1, and two that str.split() takes for spaces (so they are looked for first)
@pytest.mark.parametrize("control", ["\x07", "\x7f", "\x9c", "\x85", "\x1f"])
def test_a_name_with_a_control_character_is_refused_by_the_cli_and_by_an_import(
    db: Db, tmp_path: Path, control: str
) -> None:
    name = f"Đơn vị{control}A"
    message = "a unit name cannot contain control characters"
    with pytest.raises(IsotrackError, match=message):
        db.tracker().add_unit("A", name=name, kind="agency", parent=None, on=TODAY, dry_run=False)
    # Inside a name, and at its end (where white space is trimmed, but not these).
    path = sheet(tmp_path / "c.csv", [["A", name, "agency"], ["B", "Đơn vị B" + control,
                                                              "agency"]],
                 ["code", "name", "kind"])  # fmt: skip
    with pytest.raises(ImportRowError) as raised:
        db.imp(path)
    assert f"row 2, column name: {message}" in str(raised.value)
    assert f"row 3, column name: {message}" in str(raised.value)


def test_tabs_and_line_breaks_in_a_name_become_spaces(db: Db, tmp_path: Path) -> None:
    """A cell with Alt+Enter, or a manual line break pasted from Word (U+000B), is one name."""
    db.tracker().add_unit(
        "A", name="Đơn vị\x0bA\tmột", kind="agency", parent=None, on=TODAY, dry_run=False
    )
    path = sheet(tmp_path / "n.csv", [["B", "Đơn vị\r\nB\x0c", "agency"]],
                 ["code", "name", "kind"])  # fmt: skip
    db.imp(path)
    assert [u["name"] for u in db.units()] == ["Đơn vị A một", "Đơn vị B"]


def test_an_import_is_undone_whole(org: Db, tmp_path: Path) -> None:
    before = org.units()
    path = sheet(tmp_path / "u.csv", [["QK2", "Quân khu 2 (mới)", "", "", "", "", "", "", "9",
                                       "", ""],
                                      ["NEW", "Đơn vị mới", "district-command", "QK2", "", "",
                                       "", "", "", "", ""]])  # fmt: skip
    changeset = org.imp(path).write.changeset
    assert changeset is not None
    org.tracker().undo(None, dry_run=False)
    assert org.units() == before


def test_a_dry_run_writes_nothing(org: Db, tmp_path: Path) -> None:
    before = org.bytes()
    path = sheet(tmp_path / "d.csv", [["NEW", "Mới", "district-command", "QK2", "building", "",
                                       "", "", "", "", ""]])  # fmt: skip
    result = org.imp(path, dry_run=True)
    assert result.write.dry_run
    assert [e.type for e in result.write.events] == [ev.FOUNDED, ev.STAGE]
    assert org.bytes() == before
    # Into a database that does not exist (a mistyped --db): no file, no lock, no folder.
    missing = Db(tmp_path / "no" / "such" / "db.json")
    result = missing.imp(FIXTURES / "excel-csv-utf8-semicolon.csv", dry_run=True)
    assert len(result.write.events) == 12
    assert not (tmp_path / "no").exists()
    # Nor the migration of a database of an older schema (here a plain TinyDB file).
    older = Db(tmp_path / "older.json")
    older.path.write_text('{"_default": {}}', encoding="utf-8")
    result = older.imp(FIXTURES / "excel-csv-utf8-semicolon.csv", dry_run=True)
    assert len(result.write.events) == 12
    assert older.path.read_text(encoding="utf-8") == '{"_default": {}}'


def test_a_csv_cell_longer_than_the_csv_modules_limit_is_a_problem_of_its_row(
    org: Db, tmp_path: Path
) -> None:
    """Found trying the tool as a new user: a cell of 200,000 characters stopped the reading
    (Python's csv module stops at 131,072) with a message naming no row and telling to save
    the file as UTF-8, which it was."""
    long = "x" * 200_000
    path = sheet(tmp_path / "long.csv", [["QK2", "Quân khu 2", long]], ["code", "name", "scope"])
    before = org.bytes()
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    assert caught.value.problems == [
        ("row 2, column scope", "the text can have at most 500 characters (got 200000)")
    ]
    assert org.bytes() == before


def test_a_stage_that_cannot_go_back_is_reported_once_beside_a_consultant(
    org: Db, tmp_path: Path
) -> None:
    """Found trying the tool as a new user: the row's consultant was written with the stage it
    gave, which the history check refused again, on the row's other column."""
    path = sheet(
        tmp_path / "back.csv",
        [["QK2", "building", "01/06/2024", "Vinacontrol"]],
        ["code", "stage", "stage_date", "consultant"],
    )
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    assert [where for where, _ in caught.value.problems] == ["row 2, column stage"]
    assert "the stage cannot go back from 'announced' to 'building'" in str(caught.value)


def test_new_units_whose_parents_make_a_cycle_are_reported_as_a_cycle(
    org: Db, tmp_path: Path
) -> None:
    """Found trying the tool as a new user: the history check refused such a sheet, saying a
    parent 'does not exist'. A unit below one of them waits for them (nothing is imported)."""
    path = sheet(
        tmp_path / "cycle.csv",
        [
            ["A1", "Đơn vị A1", "agency", "QK2"],
            ["A2", "Đơn vị A2", "agency", "A3"],
            ["A3", "Đơn vị A3", "agency", "A4"],
            ["A4", "Đơn vị A4", "agency", "A2"],
            ["A6", "Đơn vị A6", "agency", "A3"],
            ["A7", "Đơn vị A7", "agency", "A7"],
            ["B5", "Đơn vị B5", "agency", "B2"],  # below a cycle, listed before it
            ["B2", "Đơn vị B2", "", "B3"],  # in a cycle, and bad for another reason too
            ["B3", "Đơn vị B3", "agency", "B2"],
        ],
        ["code", "name", "kind", "parent"],
    )
    before = org.bytes()
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    ring = "a unit cannot stand below itself"
    assert caught.value.problems == [
        ("row 3, column parent", f"its parents make a cycle (A2 → A3 → A4 → A2): {ring}"),
        ("row 4, column parent", f"its parents make a cycle (A3 → A4 → A2 → A3): {ring}"),
        ("row 5, column parent", f"its parents make a cycle (A4 → A2 → A3 → A4): {ring}"),
        ("row 7, column parent", "a unit cannot be its own parent"),
        ("row 9, column kind", "B2 is not in the database: a new unit needs a kind"),
        ("row 9, column parent", f"its parents make a cycle (B2 → B3 → B2): {ring}"),
        ("row 10, column parent", f"its parents make a cycle (B3 → B2 → B3): {ring}"),
    ]
    assert org.bytes() == before


def test_every_bad_row_is_reported_and_nothing_written(org: Db) -> None:
    before = org.bytes()
    with pytest.raises(ImportRowError) as caught:
        org.imp(FIXTURES / "bad-rows.csv")
    assert org.bytes() == before
    assert caught.value.problems == BAD_ROWS
    assert str(caught.value).splitlines()[0] == (
        "bad-rows.csv: nothing was imported: 18 problems in 17 rows"
    )


KINDS = (
    "academy, agency, arm, border-guard-command, brigade, command, commune-command, corps, "
    "department, district-command, division, enterprise, factory, hospital, institute, "
    "military-region, ministry, provincial-command, regional-defence-command, school, service, "
    "strategic-agency"
)
FORMS = "(use 2025-06-14, 14/06/2025, 2030, today or -3m)"
BAD_ROWS = [
    ("row 2, column parent", "unknown unit 'QK8': it is neither in the database nor in this file"),
    ("row 3, column stage_date",
     f"cannot read date '31/02/2025': day is out of range for month {FORMS}"),
    ("row 4, column tthc", "the count -3 is negative (a count is 0 to 1,000,000)"),
    ("row 5, column stage",
     "unknown stage 'đang làm': use none, planned, building, applying, announced, lapsed"),
    ("row 6, column kind", f"unknown kind 'huyện': known kinds are {KINDS}"),
    ("row 7, column edition", "unknown edition '2009': known editions are 2000, 2008, 2015, 2026"),
    ("row 8, column code", "LC-X1 is already on row 2"),
    ("row 9, column stage",
     "QK2 is at stage 'announced' since 2019-03-15 (on 2026-11-22): the stage cannot go back "
     "from 'announced' to 'building'"),
    ("row 10, column code", "the code is empty (delete the row if it is a total or a note)"),
    ("row 11, column stage_date",
     f"cannot read date '12/31/2024': month 31 does not exist; dates are read day first {FORMS}"),
    ("row 12, column name", "LC-X8 is not in the database: a new unit needs a name"),
    ("row 12, column kind", "LC-X8 is not in the database: a new unit needs a kind"),
    ("row 13, column edition",
     "QK2-LAOCAI is on edition 2015 (since 2020-06-01): the edition cannot go back to 2008"),
    ("row 14, column kind",
     "LC-BATHANG is a district-command: a unit's kind cannot change (found a new unit and merge "
     "this one into it)"),
    ("row 15, column tthc", "'mười' is not a whole number (a count is 0 to 1,000,000)"),
    ("row 16, column code",
     "invalid unit code 'LC X10': use letters A-Z, digits and - _ . / (at most 64)"),
    ("row 17, column parent", "a unit cannot be its own parent"),
    ("row 18, column stage_date",
     "LC-BACHA: stage on 2021-01-01, but the unit does not exist then"),
]  # fmt: skip


def test_a_retroactive_conflict_is_reported_on_its_row(org: Db, tmp_path: Path) -> None:
    org.tracker().set_stage(
        "LC-BATHANG", "applying", edition=None, consultant=None, no_consultant=False, model=None,
        decision=None, on=date(2023, 1, 1), dry_run=False,
    )  # fmt: skip
    # Announced in 2022 would put "applying" (2023) after "announced": a stage going back.
    path = sheet(tmp_path / "r.csv", [["LC-BATHANG", "announced", "01/06/2022"]],
                 ["code", "stage", "stage_date"])  # fmt: skip
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    assert caught.value.problems == [
        (
            "row 2, column stage",
            "LC-BATHANG: on 2023-01-01, the stage cannot go back from 'announced' to 'applying'",
        )
    ]


@pytest.mark.parametrize("first", ["product", "tthc"])
def test_a_count_problem_names_the_first_count_column_of_the_sheet(
    org: Db, tmp_path: Path, first: str
) -> None:
    """Counts dated before the unit exists: the problem is put on the row's first count cell,
    in the sheet's own order of columns."""
    second = "tthc" if first == "product" else "product"
    path = sheet(tmp_path / "counts.csv",
                 [["X1", "Unit X", "brigade", "01/06/2025", "3", "2", "01/01/2025"]],
                 ["code", "name", "kind", "founded", first, second, "date"])  # fmt: skip
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    [(where, what)] = caught.value.problems
    assert where == f"row 2, column {first}"
    assert what.startswith("X1: ")


def test_moves_that_make_a_cycle(org: Db, tmp_path: Path) -> None:
    path = sheet(tmp_path / "cycle.csv", [["QK2", "LC-BATHANG"]], ["code", "parent"])
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    assert caught.value.problems == [
        ("row 2, column parent", "QK2: moving under LC-BATHANG on 2026-11-22 makes a cycle")
    ]


def test_an_old_row_fills_history_in_and_then_changes_nothing(org: Db, tmp_path: Path) -> None:
    path = sheet(tmp_path / "old.csv", [["QK2", "Quân khu II", "99", "01/06/2019"]],
                 ["code", "name", "internal", "date"])  # fmt: skip
    written = org.imp(path).write.events
    assert sorted((e.type, e.on) for e in written) == [
        (ev.PROCEDURES, "2019-06-01"),
        (ev.RENAMED, "2019-06-01"),
    ]
    qk2 = {u["code"]: u for u in org.units()}["QK2"]
    # The counts of 2024 still hold; no later name was recorded, so the 2019 one stands.
    assert (qk2["name"], qk2["procedures"]["internal"]) == ("Quân khu II", 12)
    then = {u["code"]: u for u in org.units(date(2020, 1, 1))}["QK2"]
    assert (then["name"], then["procedures"]["internal"]) == ("Quân khu II", 99)
    assert org.imp(path).write.changeset is None


def test_an_old_row_is_compared_with_the_past_the_fold_made(db: Db, tmp_path: Path) -> None:
    """A hand-edited file holds a move under a unit that never existed: the fold refuses it
    (and flags it), so on 2018 the unit was still under P. A row of 2018 saying so matches."""
    db.add("P", "P", "ministry")
    db.add("U", "U", "agency", "P", on=date(2015, 1, 1))
    db.stage("U", "planned", date(2020, 1, 1))  # later than the row: its past is replayed
    doc = orjson.loads(db.path.read_bytes())
    cs = next(iter(doc["changesets"].values()))["id"]
    moved = {"id": "f" * 32, "unit": "U", "type": ev.MOVED, "on": "2016-06-01",
             "recorded": "2026-01-01T00:00:00.000000+00:00", "changeset": cs,
             "data": {"parent": "X"}}  # fmt: skip
    doc["events"][str(len(doc["events"]) + 1)] = moved
    db.path.write_bytes(orjson.dumps(doc))
    path = sheet(tmp_path / "2018.csv", [["U", "P", "01/01/2018"]], ["code", "parent", "date"])
    assert db.imp(path).write.changeset is None


def test_an_old_export_changes_nothing_in_its_own_database(org: Db, tmp_path: Path) -> None:
    from isotrack.sheets import export_snapshot

    path = tmp_path / "2021.csv"
    export_snapshot(org.tracker(), path, "csv", as_of=date(2021, 12, 31), under=None, lang="en")
    org.tracker().set_stage(
        "LC-BATHANG", "applying", edition=None, consultant="Vinacontrol", no_consultant=False,
        model=None, decision=None, on=date(2023, 1, 1), dry_run=False,
    )  # fmt: skip
    assert org.imp(path).write.changeset is None


def test_a_row_for_a_unit_that_has_ended(db: Db, tmp_path: Path) -> None:
    base(db)
    db.tracker().add_unit("A", name="A", kind="district-command", parent="R",
                          on=date(2012, 1, 1), dry_run=False)  # fmt: skip
    db.tracker().dissolve_unit("A", successor=None, basis=None, on=date(2020, 1, 1),
                               dry_run=False)  # fmt: skip
    same = sheet(tmp_path / "same.csv", [["A", "A"]], ["code", "name"])
    assert db.imp(same).write.changeset is None  # an old row that changes nothing is fine
    changed = sheet(tmp_path / "changed.csv", [["A", "A2"]], ["code", "name"])
    with pytest.raises(ImportRowError) as caught:
        db.imp(changed)
    assert caught.value.problems == [
        ("row 2, column code", "A dissolved on 2020-01-01: it no longer exists, and this row "
         "would change it after that"),
    ]  # fmt: skip


def test_rows_below_a_bad_new_parent_are_not_blamed_for_it(db: Db, tmp_path: Path) -> None:
    path = sheet(
        tmp_path / "tree.csv",
        [["P", "", "ministry", ""], ["C", "Con", "district-command", "P"],
         ["G", "Cháu", "district-command", "C"]],
        ["code", "name", "kind", "parent"],
    )  # fmt: skip
    with pytest.raises(ImportRowError) as caught:
        db.imp(path)
    assert caught.value.problems == [
        ("row 2, column name", "P is not in the database: a new unit needs a name")
    ]


def test_header_only_and_blank_sheets(db: Db, tmp_path: Path) -> None:
    path = sheet(tmp_path / "empty.csv", [["", ""], []], ["Mã đơn vị", "Tên đơn vị"])
    result = db.imp(path)
    assert result.write.note == "empty.csv has no rows below its header: nothing to import"
    assert not db.path.exists()
    units = tmp_path / "units.json"
    units.write_text("[]", encoding="utf-8")
    assert db.imp(units).write.note == "units.json has no units: nothing to import"
    events = tmp_path / "events.jsonl"
    events.write_bytes(b"")
    assert db.imp(events).write.note == "events.jsonl holds no events: nothing to import"
    one = sheet(tmp_path / "one.csv", [["QK2", "Quân khu 2", "military-region"]])
    db.imp(one)
    assert db.imp(one).write.note == "the 1 row of one.csv already matches the database"


@settings(max_examples=25)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["none", "planned", "building", "applying", "announced", "lapsed", ""]),
            st.sampled_from(["", "01/03/2018", "2020", "15.06.2021"]),
            st.sampled_from(["", "2008", "2015"]),
            st.sampled_from(["", "không", "Vinacontrol"]),
            st.sampled_from(["", "0", "7"]),
            st.integers(0, 5),
        ),
        min_size=1,
        max_size=8,
    )
)
def test_importing_a_sheet_twice_writes_nothing_the_second_time(
    tmp_path_factory: pytest.TempPathFactory, cells: list[tuple[str, str, str, str, str, int]]
) -> None:
    folder = tmp_path_factory.mktemp("twice")
    rows = [
        [f"U{i}", f"Đơn vị {i}", "district-command", f"U{parent}" if parent < i else "", stage,
         day, edition, consultant, count, "", ""]
        for i, (stage, day, edition, consultant, count, parent) in enumerate(cells)
    ]  # fmt: skip
    db = Db(folder / "db.json")
    path = sheet(folder / "s.csv", rows)
    first = db.imp(path)
    assert first.write.changeset is not None
    assert first.new_units == len(rows)
    again = db.imp(path)
    assert again.write.changeset is None
    assert again.unchanged_units == len(rows)


def test_progress_is_reported_on_long_imports(db: Db, tmp_path: Path) -> None:
    rows = [[f"U{i}", f"Đơn vị {i}", "district-command"] for i in range(4500)]
    path = sheet(tmp_path / "long.csv", rows, ["code", "name", "kind"])
    calls: list[tuple[str, int, int]] = []
    from isotrack.importer import import_file

    import_file(db.tracker(), path, fmt=None, on=TODAY, dry_run=True,
                progress=lambda *call: calls.append(call))  # fmt: skip
    assert ("checking rows", 0, 4500) in calls
    assert calls[-1] == ("checking rows", 4500, 4500)


def test_bulk_ids_are_random_uuids() -> None:
    import uuid

    ids = bulk_ids(1000)
    assert len(set(ids)) == 1000
    assert all(uuid.UUID(hex=i).version == 4 and uuid.UUID(hex=i).hex == i for i in ids)
    assert bulk_ids(0) == []
    assert [len(i) for i in bulk_ids(1)] == [32]


# --------------------------------------------------------------------------------------------
# Event files


def office(tmp_path: Path, name: str, base_db: Db, ops: list[Op]) -> Path:
    """An office's database (a copy of the shared base), its own writes, and its export."""
    path = tmp_path / f"{name}.json"
    shutil.copy(base_db.path, path)
    db = Db(path, start=base_db.now)
    apply(db, ops, f"{name}-", name)
    out = tmp_path / f"{name}.jsonl"
    export_events(db.tracker(), out, as_of=None, under=None)
    return out


def merged(tmp_path: Path, name: str, base_db: Db, files: list[Path]) -> Db:
    path = tmp_path / f"hq-{name}.json"
    shutil.copy(base_db.path, path)
    hq = Db(path, start=base_db.now + timedelta(days=1))  # HQ merges after the offices wrote
    for file in files:
        hq.imp(file)
    return hq


def history(db: Db) -> set[str]:
    """The events of a database, without the changesets its own imports recorded."""
    return {e.id for e in db.tracker().events()}


@settings(max_examples=20)
@given(st.lists(OPS, max_size=10), st.lists(OPS, max_size=10))
def test_merging_offices_is_commutative_and_idempotent(
    tmp_path_factory: pytest.TempPathFactory, ops_a: list[Op], ops_b: list[Op]
) -> None:
    folder = tmp_path_factory.mktemp("merge")
    shared = Db(folder / "base.json")
    base(shared, "A", "B")
    a, b = office(folder, "A", shared, ops_a), office(folder, "B", shared, ops_b)
    one = merged(folder, "ab", shared, [a, b])
    two = merged(folder, "ba", shared, [b, a])
    many = merged(folder, "abab", shared, [a, b, a, b, b])
    assert history(one) == history(two) == history(many)
    for day in (date(2016, 1, 1), date(2019, 6, 1), TODAY):
        assert one.units(day) == two.units(day) == many.units(day)
    assert one.imp(a).write.changeset is None


@pytest.fixture
def offices(tmp_path: Path) -> tuple[Db, Path]:
    """HQ holding the base, and office A's file: two units, a stage, an undo."""
    shared = Db(tmp_path / "base.json")
    base(shared, "A")
    ops = [
        Op("add", 1, 0, date(2015, 1, 1), "Đơn vị 1", "planned", 0),
        Op("add", 2, 1, date(2015, 1, 1), "Đơn vị 2", "planned", 0),
        Op("stage", 1, 0, date(2016, 1, 1), "", "building", 1),
        Op("procedures", 2, 0, date(2016, 1, 1), "", "planned", 5),
        Op("undo", 0, 0, date(2016, 1, 1), "", "planned", 0),
    ]
    return shared, office(tmp_path, "A", shared, ops)


@pytest.fixture
def hq_and_lines(tmp_path: Path, offices: tuple[Db, Path]) -> tuple[Db, list[bytes]]:
    """HQ with the base only, and the lines of office A's file (to make bad files of)."""
    shared, file = offices
    return merged(tmp_path, "hq", shared, []), file.read_bytes().splitlines()


def test_an_event_file_merges_with_ids_kept(tmp_path: Path, offices: tuple[Db, Path]) -> None:
    shared, file = offices
    hq = merged(tmp_path, "hq", shared, [])
    result = hq.imp(file)
    lines = [orjson.loads(line) for line in file.read_bytes().splitlines()]
    in_file = {r["id"] for r in lines if r["record"] == "event"}
    assert in_file <= history(hq)
    assert result.present == 2  # the base's two foundings were already here
    assert result.rows - result.present == len(result.write.events)
    assert [u["code"] for u in hq.units()] == ["R", "A", "A-1", "A-2"]
    changeset = result.write.changeset
    assert changeset is not None
    assert set(changeset.imports) == {
        r["id"] for r in lines if r["record"] == "changeset" and r["command"] == "test"
    } - {c.id for c in shared.tracker().changesets()}


def test_undo_of_an_event_file_import_reverts_what_it_brought(
    tmp_path: Path, offices: tuple[Db, Path]
) -> None:
    shared, file = offices
    hq = merged(tmp_path, "hq", shared, [])
    before = hq.units()
    imported = hq.imp(file).write.changeset
    assert imported is not None
    after = hq.units()
    undo = hq.tracker().undo(None, dry_run=False)  # the latest changeset: the import
    assert undo.changeset is not None
    assert undo.changeset.undoes == imported.id
    assert hq.units() == before
    log = {row["id"]: row for row in hq.tracker().log()}
    assert log[imported.id]["undone_by"] == undo.changeset.id
    assert all(log[c]["undone_by"] == undo.changeset.id for c in imported.imports)
    # The events are still there (undo erases nothing): importing again adds nothing, and
    # says how to bring them back.
    again = hq.imp(file)
    assert again.write.changeset is None
    assert again.write.note == (
        f"all 7 events of A.jsonl are already in the database (5 of them in changesets undone "
        f"here: 'isotrack undo {undo.changeset.id[:8]}' brings them back)"
    )
    hq.tracker().undo(undo.changeset.id, dry_run=False)  # redo
    assert hq.units() == after


def test_an_office_undo_travels_in_its_file(tmp_path: Path, offices: tuple[Db, Path]) -> None:
    shared, file = offices
    hq = merged(tmp_path, "hq", shared, [file])
    office_db = Db(tmp_path / "A.json")
    assert hq.units() == office_db.units()  # the procedures the office undid are undone here


def test_an_event_file_with_control_characters_in_a_name_is_refused(
    tmp_path: Path, hq_and_lines: tuple[Db, list[bytes]]
) -> None:
    """A name that would reach a terminal: refused as a typed or imported name is."""
    hq, lines = hq_and_lines
    founding = next(r for r in map(orjson.loads, lines) if r.get("type") == "unit.founded")
    data = {**founding["data"], "name": "A\x1b[31mred\x07"}
    path = tmp_path / "controls.jsonl"
    path.write_bytes(b"\n".join([*lines, orjson.dumps({**founding, "id": "c1", "data": data})]))
    assert hq.refused(path) == [
        (f"line {len(lines) + 1}", "not a valid event: its data 'name' holds a control character")
    ]


def test_a_command_with_control_characters_is_recorded_and_merged_on_one_line(
    tmp_path: Path, ok: Callable[..., Run], db_path: Path
) -> None:
    """A file name can hold them; the changeset keeps the command, each shown escaped."""
    name = tmp_path / "units\x1b[1m.csv"
    shutil.copy(FIXTURES / "excel-csv-utf8-semicolon.csv", name)
    ok("import", str(name))
    [row] = json.loads(ok("log", "--json").stdout)
    assert "units\\x1b[1m.csv" in row["command"]
    assert not has_control(row["command"])
    exported = tmp_path / "all.jsonl"
    ok("export", str(exported))
    records = [orjson.loads(line) for line in exported.read_bytes().splitlines()]
    head = next(r for r in records if r.get("record") == "changeset")
    head["command"] = "isotrack\x9b2J import\nx"  # as a hand-edited or older file may hold
    exported.write_bytes(b"\n".join(map(orjson.dumps, records)))
    other = Db(tmp_path / "other.json")
    other.imp(exported)
    [merged_head] = [c for c in other.tracker().changesets() if c.id == head["id"]]
    assert merged_head.command == "isotrack\\x9b2J import\\nx"


def test_conflicts_and_broken_lines_are_all_reported(
    tmp_path: Path, offices: tuple[Db, Path], hq_and_lines: tuple[Db, list[bytes]]
) -> None:
    shared, _ = offices
    hq, lines = hq_and_lines
    event_line = next(i for i, line in enumerate(lines) if b'"unit.founded"' in line
                      and b'"A-1"' in line)  # fmt: skip
    record = orjson.loads(lines[event_line])
    existing = next(e for e in shared.tracker().events() if e.unit == "A")
    changed_existing = {"record": "event", **existing.to_record(), "on": "2011-01-01"}
    bad = [
        *lines,
        b"not json",
        b"[1, 2]",
        orjson.dumps({**record, "data": {**record["data"], "name": "other"}}),  # same id
        orjson.dumps(changed_existing),
        orjson.dumps({**record, "id": "x1", "changeset": "nowhere"}),
        orjson.dumps({**record, "id": "x2", "type": "unit.exploded"}),
        orjson.dumps({**record, "id": "x3", "unit": "a-9"}),
        orjson.dumps({**record, "id": "x4", "on": "14/06/2025"}),
        orjson.dumps({"record": "note", "id": "x5"}),
        orjson.dumps({**record, "id": "x6", "recorded": ""}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(bad) + b"\n")
    problems = hq.refused(path)
    n = len(lines)
    short = record["id"][:12]
    assert problems == [
        (f"line {n + 1}", "not JSON (invalid literal, expected 'null': line 1 column 1 (char 0))"),
        (f"line {n + 2}", "expected a JSON object"),
        (f"line {n + 3}", f"event {short} is also on line {event_line + 1}, differently"),
        (f"line {n + 4}", f"event {existing.id[:12]} is already in the database with other "
                          "content"),
        (f"line {n + 5}", "its changeset nowhere is neither in this file nor in the database"),
        (f"line {n + 6}", "not a valid event: unknown event type 'unit.exploded'"),
        (f"line {n + 7}", "not a valid event: unit code 'a-9' is not upper-case"),
        (f"line {n + 8}", "not a valid event: 'on' is not an ISO date: '14/06/2025'"),
        (f"line {n + 9}", "unknown record 'note'"),
        (f"line {n + 10}", "not a valid event: 'recorded' is missing (an event file carries "
                           "complete events)"),
    ]  # fmt: skip


def test_a_sheet_named_as_an_event_file_is_one_error_not_one_per_line(
    org: Db, tmp_path: Path
) -> None:
    """Found trying the tool as a new user: a CSV sheet named .jsonl listed a 'not JSON'
    problem for each of its lines."""
    before = org.bytes()
    for name, data in (
        ("sheet.jsonl", (FIXTURES / "bad-rows.csv").read_bytes()),
        ("units.jsonl", b'[{"code": "QK2"}]\n[{"code": "QK3"}]\n'),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(IsotrackError) as caught:
            org.imp(path)
        assert not isinstance(caught.value, ImportRowError)
        message = str(caught.value)
        assert message.startswith(
            f"{name} is not an event file: not one of its lines is an event or a changeset "
            "(line 1: "
        )
        assert message.endswith(
            "; an event file holds JSON lines, as 'isotrack export --events' writes them; "
            "import a sheet as .csv, .xlsx or .json, or give --format"
        )
        assert "\n" not in message
    assert org.bytes() == before


def test_an_event_file_of_objects_that_are_not_events_lists_each_line(
    org: Db, tmp_path: Path
) -> None:
    """JSON lines, but not events: each line's problem (the file is one, only when not one
    of its lines is JSON)."""
    path = tmp_path / "odd.jsonl"
    path.write_bytes(b'{"record": "unit", "code": "QK2"}\n{"record": "unit", "code": "QK3"}\n')
    with pytest.raises(ImportRowError) as caught:
        org.imp(path)
    assert caught.value.problems == [
        ("line 1", "unknown record 'unit'"),
        ("line 2", "unknown record 'unit'"),
    ]


def test_an_event_file_that_would_break_the_history(tmp_path: Path) -> None:
    orphan = {"record": "event", "id": "e1", "unit": "X", "type": "unit.founded",
              "on": "2020-01-01", "recorded": "2020-01-01T00:00:00.000000+00:00",
              "changeset": "c1", "data": {"name": "X", "kind": "district-command",
                                          "parent": "NOWHERE"}}  # fmt: skip
    changeset = {"record": "changeset", "id": "c1", "recorded": orphan["recorded"],
                 "command": "x", "events": 1, "undoes": None}  # fmt: skip
    path = tmp_path / "orphan.jsonl"
    path.write_bytes(orjson.dumps(changeset) + b"\n" + orjson.dumps(orphan) + b"\n")
    db = Db(tmp_path / "db.json")
    with pytest.raises(ImportRowError) as caught:
        db.imp(path)
    assert caught.value.problems == [("line 2", "X: parent NOWHERE does not exist on 2020-01-01")]
    assert not db.path.exists()


# --------------------------------------------------------------------------------------------
# The command line


def test_cli_import_summary_and_second_run(cli: Cli, db_path: Path) -> None:
    first = cli("import", str(FIXTURES / "excel-csv-utf8-semicolon.csv"))
    assert first.exit_code == 0, first.stderr
    lines = first.lines
    assert lines[:3] == [
        "read 5 rows from excel-csv-utf8-semicolon.csv (CSV, UTF-8 with BOM, separator ';'): "
        "5 new units, 0 changed, 0 unchanged",
        "ignored columns: STT",
        "events: 5 unit.founded, 3 procedures.set, 4 qms.stage",
    ]
    changeset = lines[3].split()[1].rstrip(":")
    assert lines[3] == (
        f"changeset {changeset}: 12 event(s) recorded; 'isotrack undo {changeset}' takes the "
        "whole import back"
    )
    before = file_hash(db_path)
    second = cli("import", str(FIXTURES / "units-report.xlsx"))
    assert second.lines[-1] == (
        "nothing to change: the 5 rows of units-report.xlsx already match the database"
    )
    assert file_hash(db_path) == before
    log = json.loads(cli("log", "--json").stdout)
    assert [row["command"].split()[:2] for row in log] == [["isotrack", "import"]]


def test_cli_dry_run_json_prints_every_event(cli: Cli, db_path: Path) -> None:
    result = cli("import", str(FIXTURES / "libreoffice-nfd.csv"), "--dry-run", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["dry_run"] is True
    assert data["units"] == {"new": 5, "changed": 0, "unchanged": 0}
    assert len(data["events"]) == 12
    assert list(data["events_by_type"].items()) == [
        ("procedures.set", 3),
        ("qms.stage", 4),
        ("unit.founded", 5),
    ]  # sorted keys, as every --json
    assert not db_path.exists()
    text = cli("import", str(FIXTURES / "libreoffice-nfd.csv"), "--dry-run")
    assert text.lines[-1] == "dry run: nothing written (12 event(s) not recorded)"
    assert not db_path.exists()


def test_cli_bad_rows_exact_message_and_database_unchanged(cli: Cli, db_path: Path) -> None:
    assert cli("import", str(FIXTURES / "excel-csv-utf8-semicolon.csv")).exit_code == 0
    before = file_hash(db_path)
    result = cli("import", str(FIXTURES / "bad-rows.csv"))
    assert result.exit_code == 1
    assert result.stdout == ""
    expected = ["error: bad-rows.csv: nothing was imported: 18 problems in 17 rows"]
    expected += [f"  {where}: {what}" for where, what in BAD_ROWS]
    assert result.stderr.splitlines() == expected
    assert file_hash(db_path) == before
    as_json = cli("import", str(FIXTURES / "bad-rows.csv"), "--json")
    assert as_json.exit_code == 1
    problems = json.loads(as_json.stdout)
    assert problems["imported"] is False
    assert [(p["where"], p["message"]) for p in problems["problems"]] == BAD_ROWS
    assert file_hash(db_path) == before


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("ansi.csv", (FIXTURES / "excel-ansi-cp1258.csv").read_bytes(),
         "error: cannot read ansi.csv: it is not UTF-8 text (byte 0xf2 at offset 87; probably "
         "saved in a Windows code page or an old Vietnamese font encoding); save it as CSV UTF-8 "
         "(Excel: File > Save As > 'CSV UTF-8 (Comma delimited)'; LibreOffice: Save As > Text "
         "CSV, character set 'Unicode (UTF-8)') or as .xlsx"),
        ("nothing.csv", b"", "error: nothing.csv: no header row with a 'code' (mã đơn vị) column "
         "in its first 10 rows; the first row should name the columns, e.g. code, name, kind, "
         "parent, stage, stage_date, edition (see README, 'Import and export')"),
        ("x.xlsx", b"hello", "error: x.xlsx is not an XLSX workbook (an .xlsx file is a zip "
         "archive): give --format csv if it is a CSV file"),
    ],
)  # fmt: skip
def test_cli_unreadable_files(
    cli: Cli, db_path: Path, tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    assert cli("import", str(FIXTURES / "libreoffice-nfd.csv")).exit_code == 0
    before = file_hash(db_path)
    path = tmp_path / name
    path.write_bytes(data)
    result = cli("import", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message + "\n")
    assert file_hash(db_path) == before
    # With --json, the same refusal on stdout, as a problem of the file as a whole.
    as_json = cli("import", str(path), "--json")
    assert (as_json.exit_code, as_json.stderr) == (1, message + "\n")
    assert json.loads(as_json.stdout) == {
        "imported": False,
        "problems": [{"where": "file", "message": message.removeprefix("error: ")}],
        "source": name,
    }
    assert file_hash(db_path) == before


def test_cli_missing_file_and_bad_format(cli: Cli, tmp_path: Path) -> None:
    missing = cli("import", str(tmp_path / "nope.csv"))
    assert (missing.exit_code, missing.stderr) == (1, f"error: no file {tmp_path}/nope.csv\n")
    path = tmp_path / "a.csv"
    path.write_text("code\nA\n")
    usage = cli("import", str(path), "--format", "ods")
    assert (usage.exit_code, usage.stderr) == (
        2,
        "error: unknown format 'ods': use csv, xlsx, json, jsonl\n",
    )
    usage = cli("import", str(path), "--format", "ods", "--json")  # (a usage error: no JSON)
    assert (usage.exit_code, usage.stdout) == (2, "")
    bad_date = cli("import", str(path), "--on", "31/02/2024", "--json")  # (nor an option's)
    assert (bad_date.exit_code, bad_date.stdout) == (1, "")
    damaged = tmp_path / "damaged.json"
    damaged.write_bytes(b"[1, 2]")
    refused = cli("--db", str(damaged), "import", str(path), "--json")
    assert refused.exit_code == 1
    assert [p["where"] for p in json.loads(refused.stdout)["problems"]] == ["database"]
    assert damaged.read_bytes() == b"[1, 2]"


def test_cli_undo_takes_the_whole_import_back(cli: Cli) -> None:
    assert cli("import", str(FIXTURES / "excel-unicode-text.txt")).exit_code == 0
    undone = cli("undo")
    assert undone.exit_code == 0
    assert cli("unit", "list", "--json").stdout == "[]\n"


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from isotrack.cli.io import progress_bar

    with progress_bar(enabled=True) as progress:
        assert progress is None  # the test's stderr is not a terminal
    with progress_bar(enabled=False) as progress:
        assert progress is None

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    monkeypatch.setattr("sys.stdout", Terminal())
    from isotrack.forked import can_fork

    forkable = can_fork()
    with progress_bar(enabled=True) as progress:
        assert progress is not None
        progress("checking rows", 10, 100)  # short: no bar
        assert screen.getvalue() == ""
        for done in range(0, 6001, 3000):
            progress("checking rows", done, 6000)
        assert can_fork() == forkable  # the bar runs no thread: a large write may still fork
    assert "checking rows" in screen.getvalue()


def test_cli_merges_an_event_file(cli: Cli, db_path: Path, offices: tuple[Db, Path]) -> None:
    _, file = offices
    result = cli("import", str(file), "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert (data["events_read"], data["already_present"], len(data["events"])) == (7, 0, 7)
    assert data["changesets_merged"] == 7  # the base's three and the office's four
    text = cli("import", str(file))
    assert text.lines == [
        "read 7 events from A.jsonl: 0 new, 7 already here",
        "nothing to change: all 7 events of A.jsonl are already in the database (1 of them in "
        f"changesets undone here: 'isotrack undo {undo_of(db_path)[:8]}' brings them back)",
    ]


def undo_of(db_path: Path) -> str:
    """The id of the one undo changeset in a database."""
    changesets = orjson.loads(db_path.read_bytes())["changesets"].values()
    return next(c["id"] for c in changesets if c.get("undoes"))


def test_an_event_file_in_any_line_order_merges_the_same(
    tmp_path: Path, offices: tuple[Db, Path]
) -> None:
    shared, file = offices
    lines = file.read_bytes().splitlines()
    for number in range(3):
        order = lines[:]
        Random(number).shuffle(order)  # events before their changesets, too
        assert order != lines
        shuffled = tmp_path / f"shuffled-{number}.jsonl"
        shuffled.write_bytes(b"\n".join(order) + b"\n")
        hq = merged(tmp_path, f"p{number}", shared, [shuffled])
        assert hq.units() == Db(tmp_path / "A.json").units()
