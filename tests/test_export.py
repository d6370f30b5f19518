"""Exports: snapshots (csv, xlsx, json) with the columns import reads, event files (jsonl) with
their changesets; --under and --as-of; formulas neutralised; everything round-trips."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import orjson
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from conftest import Run, file_hash
from histories import DAYS, OPS, TODAY, Db, Op, apply, base
from isotrack.eventfile import export_events
from isotrack.sheets import EXPORT_COLUMNS, export_snapshot

FIXTURES = Path(__file__).parent / "fixtures"
Cli = Callable[..., Run]


@pytest.fixture
def org(cli: Cli) -> Cli:
    """The fixtures' organisation in the CLI's database, plus a unit whose texts look like
    formulas to a spreadsheet."""
    assert cli("import", str(FIXTURES / "excel-csv-utf8-semicolon.csv")).exit_code == 0
    added = cli(
        "unit", "add", "EVIL", "--name", "=HYPERLINK(\"http://x\",\"Bấm\")",
        "--kind", "district-command", "--parent", "QK2-LAOCAI", "--on", "01/01/2024",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr
    staged = cli(
        "qms", "stage", "EVIL", "planned", "--consultant", "@evil", "--decision", "-1/QĐ",
        "--on", "02/01/2024",
    )  # fmt: skip
    assert staged.exit_code == 0, staged.stderr
    return cli


def read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel needs the byte-order mark for UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"))))


def test_csv_snapshot(org: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    result = org("export", str(path))
    assert result.stdout == f"wrote 6 units to {path} (as of 2026-11-22)\n"
    rows = read_csv(path)
    assert rows[0] == list(EXPORT_COLUMNS)
    assert rows[0] == [
        "code", "name", "kind", "parent", "founded", "stage", "stage_date", "edition",
        "edition_date", "consultant", "model", "scope", "decision", "tthc", "internal",
        "product", "procedures_date", "date",
    ]  # fmt: skip
    by_code = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == [
        "BQP",
        "QK2",
        "QK2-LAOCAI",
        "EVIL",
        "LC-BACHA",
        "LC-BATHANG",
    ]  # fmt: skip  (hierarchy order: a parent before its sub-units)
    assert by_code["QK2"] == {
        "code": "QK2", "name": "Quân khu 2", "kind": "military-region", "parent": "BQP",
        "founded": "2019-03-15", "stage": "announced", "stage_date": "2019-03-15",
        "edition": "2015", "edition_date": "2019-03-15", "consultant": "none", "model": "",
        "scope": "", "decision": "", "tthc": "0", "internal": "12", "product": "0",
        "procedures_date": "2026-11-22", "date": "2026-11-22",
    }  # fmt: skip
    evil = by_code["EVIL"]
    assert evil["name"] == '\'=HYPERLINK("http://x","Bấm")'
    assert (evil["consultant"], evil["decision"]) == ("'@evil", "'-1/QĐ")


def test_vietnamese_headers(org: Cli, tmp_path: Path) -> None:
    path = tmp_path / "don-vi.csv"
    assert org("export", str(path), "--lang", "vi").exit_code == 0
    assert read_csv(path)[0][:6] == [
        "mã đơn vị", "tên đơn vị", "loại", "đơn vị cấp trên", "ngày thành lập", "giai đoạn",
    ]  # fmt: skip


def test_xlsx_snapshot_cells_are_typed_and_never_formulas(org: Cli, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "units.xlsx"
    assert org("export", str(path)).exit_code == 0
    sheet = load_workbook(path).worksheets[0]
    header = [c.value for c in sheet[1]]
    assert header == list(EXPORT_COLUMNS)
    rows = {
        row[0].value: {h: c for h, c in zip(header, row, strict=True)}
        for row in sheet.iter_rows(min_row=2)
    }
    evil = rows["EVIL"]
    assert evil["name"].value == '\'=HYPERLINK("http://x","Bấm")'
    assert all(cell.data_type != "f" for row in rows.values() for cell in row.values())
    qk2 = rows["QK2"]
    assert qk2["stage_date"].is_date
    assert qk2["stage_date"].value.date() == date(2019, 3, 15)
    assert qk2["internal"].value == 12


def test_json_snapshot(org: Cli, tmp_path: Path) -> None:
    path = tmp_path / "units.json"
    assert org("export", str(path)).exit_code == 0
    data = json.loads(path.read_text())
    evil = next(u for u in data if u["code"] == "EVIL")
    assert evil["name"] == '=HYPERLINK("http://x","Bấm")'  # JSON is not a spreadsheet
    assert list(evil) == sorted(EXPORT_COLUMNS)
    assert (evil["tthc"], evil["edition"]) == (0, None)


@pytest.mark.parametrize("suffix", ["csv", "xlsx", "json"])
def test_neutralised_cells_import_back_exactly(org: Cli, tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"units.{suffix}"
    assert org("export", str(path)).exit_code == 0
    result = org("--db", str(tmp_path / "copy.json"), "import", str(path))
    assert result.exit_code == 0, result.stderr
    evil = json.loads(
        org("--db", str(tmp_path / "copy.json"), "unit", "show", "EVIL", "--json").stdout
    )
    assert evil["name"] == '=HYPERLINK("http://x","Bấm")'
    assert (evil["consultant"], evil["decision"]) == ("@evil", "-1/QĐ")
    again = org("import", str(path))  # into the database it came from: nothing to change
    assert again.lines[-1].startswith("nothing to change:")


def test_under_and_as_of(org: Cli, tmp_path: Path) -> None:
    path = tmp_path / "laocai.csv"
    result = org("export", str(path), "--under", "qk2-laocai", "--as-of", "31/12/2021")
    assert result.stdout == f"wrote 2 units to {path} (as of 2021-12-31)\n"
    rows = read_csv(path)
    assert [(row[0], row[3]) for row in rows[1:]] == [
        ("QK2-LAOCAI", ""),
        ("LC-BATHANG", "QK2-LAOCAI"),
    ]
    # The root's parent is left blank: it is not in the file. Imported into an empty database,
    # the subtree stands on its own; into one that has the parent, nothing changes.
    alone = tmp_path / "alone.json"
    assert org("--db", str(alone), "import", str(path)).exit_code == 0
    assert org("import", str(path)).lines[-1].startswith("nothing to change:")


def test_an_export_under_a_unit_that_has_ended_says_so(
    org: Cli, db_path: Path, tmp_path: Path
) -> None:
    """Found trying the tool as a new user: a snapshot under a unit that had ended was an empty
    sheet, and said nothing. Its history is still there to export, and so is the snapshot
    of a day when it existed."""
    merged = org("unit", "merge", "EVIL", "--into", "QK2-LAOCAI", "--on", "01/06/2025")
    assert merged.exit_code == 0, merged.stderr
    before = file_hash(db_path)
    path = tmp_path / "evil.csv"
    result = org("export", str(path), "--under", "evil")
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        "error: EVIL merged on 2025-06-01 (into QK2-LAOCAI): a snapshot holds the units that "
        "exist on 2026-11-22; export it with an --as-of before that date, or its history with "
        "--events\n"
    )
    assert not path.exists()
    assert file_hash(db_path) == before
    result = org("export", str(path), "--under", "evil", "--as-of", "31/05/2025")
    assert result.stdout == f"wrote 1 unit to {path} (as of 2025-05-31)\n"  # (one unit)
    events = tmp_path / "evil.jsonl"
    result = org("export", str(events), "--under", "evil")
    assert result.stdout == f"wrote 3 events in 3 changesets to {events}\n"


def test_event_file_export(org: Cli, tmp_path: Path) -> None:
    path = tmp_path / "all.jsonl"
    result = org("export", str(path), "--events")
    assert result.stdout == f"wrote 14 events in 3 changesets to {path}\n"
    records = [orjson.loads(line) for line in path.read_bytes().splitlines()]
    assert [r["record"] for r in records[:3]] == ["changeset"] * 3
    assert {r["record"] for r in records[3:]} == {"event"}
    assert list(records[3]) == sorted(records[3])
    subtree = tmp_path / "evil.jsonl"
    assert org("export", str(subtree), "--under", "EVIL").exit_code == 0
    lines = [orjson.loads(line) for line in subtree.read_bytes().splitlines()]
    assert {r["unit"] for r in lines if r["record"] == "event"} == {"EVIL"}
    assert sum(r["record"] == "changeset" for r in lines) == 2
    bare = tmp_path / "qk2-history"
    assert org("export", str(bare), "--events").exit_code == 0
    assert bare.read_bytes() == path.read_bytes()
    early = tmp_path / "early.jsonl"
    assert org("export", str(early), "--as-of", "2020").exit_code == 0
    early_events = [
        r for r in map(orjson.loads, early.read_bytes().splitlines()) if r["record"] == "event"
    ]
    all_events = [r for r in map(orjson.loads, path.read_bytes().splitlines()) if "type" in r]
    assert 0 < len(early_events) < len(all_events)  # some history, not all of it
    assert all(r["on"] <= "2020-01-01" for r in early_events)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["export", "units.pdf"], 2,
         "error: cannot tell the format of units.pdf from its extension: give --format csv, "
         "xlsx, json, jsonl"),
        (["export", "units.csv", "--events"], 2,
         "error: --events writes JSON lines: name the file .jsonl, not csv"),
        (["export", "units.csv", "--format", "ods"], 2,
         "error: unknown format 'ods': use csv, xlsx, json, jsonl"),
        (["export", "units.csv", "--under", "NOPE"], 1, "error: unknown unit 'NOPE'"),
        (["export", "units.csv", "--as-of", "31/31/2020"], 1,
         "error: cannot read --as-of '31/31/2020': month 31 does not exist; dates are read day "
         "first (use 2025-06-14, 14/06/2025, 2030, today or -3m)"),
        (["export", "no/such/folder/units.csv"], 1,
         "error: cannot write no/such/folder/units.csv: No such file or directory"),
    ],
)  # fmt: skip
def test_export_errors(
    org: Cli, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    args: list[str], code: int, message: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    before = file_hash(db_path)
    result = org(*args)
    assert (result.exit_code, result.stdout, result.stderr) == (code, "", message + "\n")
    assert file_hash(db_path) == before
    assert not (tmp_path / "units.csv").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["export", "{db}"],
        ["export", "{db}", "--format", "csv"],
        ["export", "{db}", "--format", "jsonl"],
        ["export", "{db}.lock", "--format", "xlsx"],
        ["export", "{db}.backups/old.json"],
        ["export", "{link}"],
        ["report", "--format", "json", "-o", "{db}"],
        ["report", "--format", "html", "-o", "{link}"],
    ],
)
def test_an_export_or_report_never_writes_over_the_database(
    org: Cli, db_path: Path, tmp_path: Path, args: list[str]
) -> None:
    """Found trying the tool as a new user: `export` given the database's own name replaced
    the history with a sheet."""
    link = tmp_path / "the-same.json"
    link.hardlink_to(db_path)
    before = file_hash(db_path)
    result = org(*(arg.format(db=db_path, link=link) for arg in args))
    named = args[-1] if args[-1].startswith("{") else args[1]
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"error: {named.format(db=db_path, link=link)} is the database (or one of its "
        "files): write the export or report to another file\n"
    )
    assert file_hash(db_path) == before


def test_a_failed_export_leaves_no_file_behind(
    org: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "units.xlsx"
    path.write_text("the previous export")

    def broken(*_: object, **__: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("isotrack.sheets.os.replace", broken)  # the file is written, then lost
    result = org("export", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"error: cannot write {path}: No space left on device\n",
    )
    assert path.read_text() == "the previous export"
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".units.xlsx")]


# --------------------------------------------------------------------------------------------
# Round trips


# Found by CI: a stage recorded again later with another model. The sheet gives today's model
# dated with the stage: re-importing it wrote the model again.
MODEL_CHANGED = [
    Op("add", 3, 0, date(2015, 1, 1), "Đơn vị", "planned", 0),
    Op("stage", 3, 0, date(2015, 1, 1), "ISO cũ", "planned", 0),
    Op("stage", 3, 0, date(2015, 5, 1), "ISO mới", "planned", 0),
]


@settings(max_examples=20)
@given(st.lists(OPS, max_size=25))
@example(MODEL_CHANGED)
def test_export_then_import_reproduces_the_state(
    tmp_path_factory: pytest.TempPathFactory, ops: list[Op]
) -> None:
    folder = tmp_path_factory.mktemp("roundtrip")
    db = Db(folder / "db.json")
    base(db)
    apply(db, ops, "U", "R")
    dates = (DAYS[3], DAYS[8], TODAY)
    for when in dates:
        # XLSX shares the cell reading of CSV: once per history is enough (it is slow to write).
        for fmt in ("csv", "json", *(("xlsx",) if when == TODAY else ())):
            path = folder / f"{when}.{fmt}"
            export_snapshot(db.tracker(), path, fmt, as_of=when, under=None, lang="vi")
            copy = Db(folder / f"{when}-{fmt}.json")
            copy.imp(path)
            assert copy.snapshot(when) == db.snapshot(when), (fmt, when)
            assert db.imp(path).write.changeset is None  # and it changes nothing at home
        dated = folder / f"{when}.jsonl"
        export_events(db.tracker(), dated, as_of=when, under=None)
        copy = Db(folder / f"{when}-events.json")
        copy.imp(dated)
        assert copy.units(when) == db.units(when)
    events = folder / "all.jsonl"
    export_events(db.tracker(), events, as_of=None, under=None)
    copy = Db(folder / "events.json")
    copy.imp(events)
    for when in (*dates, date(2012, 1, 1)):
        assert copy.units(when) == db.units(when)


def test_the_sample_round_trips(tmp_path: Path) -> None:
    from isotrack.catalog import data_dir

    db = Db(tmp_path / "sample.json")
    db.imp(data_dir() / "sample" / "sample.jsonl")
    for when, fmt in ((date(2016, 6, 30), "csv"), (date(2023, 4, 20), "xlsx"), (TODAY, "csv")):
        path = tmp_path / f"sample-{when}.{fmt}"
        export_snapshot(db.tracker(), path, fmt, as_of=when, under=None, lang="en")
        copy = Db(tmp_path / f"copy-{when}-{fmt}.json")
        copy.imp(path)
        assert copy.snapshot(when) == db.snapshot(when)
