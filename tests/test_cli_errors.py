"""Every error a user can reach from the command line: the exit code, the exact message on stderr,
and the database file left byte-for-byte as it was.

A small organisation is built once per module with the domain API (fast, fixed clock) and copied
into each test's database; the commands under test then run in-process through the ``cli``
fixture. Tests marked ``xfail(strict=True)`` document known bugs: they state the behaviour the
product promises and turn into failures once the bug is fixed, so that the mark is removed.
"""

from __future__ import annotations

import itertools
import json
import unicodedata
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from conftest import TODAY, Run, file_hash
from histories import D2010, Db
from isotrack.tracker import WriteResult

FORMS = "(use 2025-06-14, 14/06/2025, 2030, today or -3m)"
CORRUPT_END = (
    "; restore a backup ('isotrack db backups', 'isotrack db restore') or move the file away to "
    "start a new database"
)


# --------------------------------------------------------------------------------------------
# The organisation every test starts from


def seeder(path: Path, ids: Iterator[str] | None = None) -> Db:
    """Writes through ``Tracker`` with a fixed clock, one second per command (recorded in 2020, so
    every changeset the CLI writes later is newer)."""
    return Db(path, datetime(2020, 1, 1, tzinfo=UTC), command="seed", ids=ids)


def _cs(result: WriteResult) -> str:
    assert result.changeset is not None
    return result.changeset.id


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, dict[str, str]]:
    """The seed database's bytes, and the ids of a few of its changesets."""
    path = tmp_path_factory.mktemp("seed") / "seed.json"
    t = seeder(path)
    ids: dict[str, str] = {}

    def add(code: str, name: str, kind: str, parent: str | None, on: date = D2010) -> str:
        return _cs(t.add(code, name, kind, parent, on))

    ids["add BQP"] = add("BQP", "Bộ Quốc phòng", "ministry", None)
    add("QK2", "Quân khu 2", "military-region", "BQP")
    ids["add QK2-LAOCAI"] = add("QK2-LAOCAI", "Bộ CHQS tỉnh Lào Cai", "provincial-command", "QK2")
    add("LC-BT", "Ban CHQS huyện Bảo Thắng", "district-command", "QK2-LAOCAI")
    ids["add LC-BH"] = add("LC-BH", "Ban CHQS huyện Bắc Hà", "district-command", "QK2-LAOCAI")
    add("LC-SM", "Ban CHQS thị xã Sa Pa", "district-command", "QK2-LAOCAI")
    add(
        "LC-P1",
        "Ban CHPTKV 1 Lào Cai",
        "regional-defence-command",
        "QK2-LAOCAI",
        on=date(2025, 6, 14),
    )
    t.merge(["LC-SM"], "LC-P1", on=date(2025, 6, 14))
    _cs(t.stage("LC-BT", "planned", date(2019, 1, 15)))
    _cs(t.stage("LC-BT", "building", date(2019, 6, 1), edition="2015", no_consultant=True))
    _cs(t.stage("LC-BT", "applying", date(2019, 12, 1)))
    _cs(t.stage("LC-BH", "planned", date(2020, 1, 15)))
    ids["procedures LC-BT"] = _cs(
        t.tracker().set_procedures(
            "LC-BT",
            {"tthc": 4, "internal": 21, "product": None},
            on=date(2021, 1, 10),
            dry_run=False,
        )
    )
    return path.read_bytes(), ids


@pytest.fixture
def db(db_path: Path, seeded: tuple[bytes, dict[str, str]]) -> Path:
    """The test's database, holding the seed organisation."""
    db_path.write_bytes(seeded[0])
    return db_path


@pytest.fixture
def seed_ids(seeded: tuple[bytes, dict[str, str]]) -> dict[str, str]:
    return seeded[1]


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    return tmp_path / "config"  # ISOTRACK_CONFIG_DIR, as set by the cli fixture


Cli = Callable[..., Run]


def refused(cli: Cli, db_path: Path, args: tuple[str, ...] | list[str], code: int) -> str:
    """Run a command that must fail with ``code``, print nothing on stdout and exactly one line on
    stderr, and leave the database file as it was; return that line."""
    before = file_hash(db_path)
    result = cli(*args)
    assert result.exit_code == code, (args, result)
    assert result.stdout == "", (args, result.stdout)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (args, result.stderr)
    assert file_hash(db_path) == before, f"{args} changed the database"
    return lines[0]


def usage_refused(cli: Cli, db_path: Path, args: tuple[str, ...]) -> str:
    """A usage error reported by Click itself: exit 2, the usage text, then ``Error: ...``."""
    before = file_hash(db_path)
    result = cli(*args)
    assert result.exit_code == 2, (args, result)
    assert result.stdout == ""
    assert file_hash(db_path) == before
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def unchanged_ok(cli: Cli, db_path: Path, *args: str) -> Run:
    """Run a command that must succeed without writing anything."""
    before = file_hash(db_path)
    result = cli(*args)
    assert result.exit_code == 0, (args, result)
    assert result.stderr == ""
    assert file_hash(db_path) == before, f"{args} changed the database"
    return result


# --------------------------------------------------------------------------------------------
# Domain errors (exit 1) and contradictory options (exit 2) raised by isotrack itself

NO_LONGER = "LC-SM merged on 2025-06-14: it no longer exists on"
DUPLICATE_BT = (
    "unit LC-BT already exists ('Ban CHQS huyện Bảo Thắng', founded 2010-01-01); "
    "codes are never reused"
)
STAGES = "use none, planned, building, applying, announced, lapsed"
LAOCAI_CHILDREN = "QK2-LAOCAI still has sub-units (LC-BT, LC-BH, LC-P1)"

CASES: list[tuple[str, list[str], int, str]] = [
    # unknown units, with and without a suggestion
    ("unknown-unit", ["qms", "stage", "NOPE", "planned"], 1, "unknown unit 'NOPE'"),
    ("unknown-unit-show", ["unit", "show", "nope"], 1, "unknown unit 'NOPE'"),
    ("unknown-under", ["unit", "list", "--under", "NOPE"], 1, "unknown unit 'NOPE'"),
    ("unknown-log", ["log", "NOPE"], 1, "unknown unit 'NOPE'"),
    (
        "suggest-by-code",
        ["unit", "show", "laocai"],
        1,
        "unknown unit 'LAOCAI'; did you mean QK2-LAOCAI?",
    ),
    (
        "suggest-by-name",
        ["qms", "stage", "bao", "planned"],
        1,
        "unknown unit 'BAO'; did you mean LC-BT?",
    ),
    (
        "unknown-parent",
        ["unit", "add", "X1", "--name", "x", "--kind", "ministry", "--parent", "NOPE"],
        1,
        "unknown unit 'NOPE'",
    ),
    ("unknown-successor", ["unit", "merge", "LC-BT", "--into", "NOPE"], 1, "unknown unit 'NOPE'"),
    # units referenced before they were founded, or after they ended
    (
        "before-founded-as-of",
        ["unit", "show", "QK2", "--as-of", "2009"],
        1,
        "unit QK2 does not exist on 2009-01-01: it was founded on 2010-01-01",
    ),
    (
        "before-founded-under",
        ["unit", "list", "--under", "LC-P1", "--as-of", "2024"],
        1,
        "unit LC-P1 does not exist on 2024-01-01: it was founded on 2025-06-14",
    ),
    ("stage-on-merged", ["qms", "stage", "LC-SM", "planned"], 1, f"{NO_LONGER} {TODAY}"),
    (
        "stage-on-merged-dated",
        ["qms", "stage", "lc-sm", "planned", "--on", "01/07/2025"],
        1,
        f"{NO_LONGER} 2025-07-01",
    ),
    ("edition-on-merged", ["qms", "edition", "LC-SM", "2015"], 1, f"{NO_LONGER} {TODAY}"),
    ("audit-on-merged", ["qms", "audit", "LC-SM"], 1, f"{NO_LONGER} {TODAY}"),
    (
        "procedures-on-merged",
        ["procedures", "set", "LC-SM", "--tthc", "1"],
        1,
        f"{NO_LONGER} {TODAY}",
    ),
    ("rename-merged", ["unit", "rename", "LC-SM", "--name", "x"], 1, f"{NO_LONGER} {TODAY}"),
    ("move-merged", ["unit", "move", "LC-SM", "--parent", "QK2"], 1, f"{NO_LONGER} {TODAY}"),
    (
        "move-under-merged",
        ["unit", "move", "LC-BH", "--parent", "LC-SM"],
        1,
        f"{NO_LONGER} {TODAY}",
    ),
    ("merge-into-merged", ["unit", "merge", "LC-BH", "--into", "LC-SM"], 1, f"{NO_LONGER} {TODAY}"),
    ("merge-merged", ["unit", "merge", "LC-SM", "--into", "LC-BH"], 1, f"{NO_LONGER} {TODAY}"),
    ("dissolve-merged", ["unit", "dissolve", "LC-SM"], 1, f"{NO_LONGER} {TODAY}"),
    (
        "add-under-merged",
        ["unit", "add", "X1", "--name", "x", "--kind", "commune-command", "--parent", "LC-SM"],
        1,
        f"{NO_LONGER} {TODAY}",
    ),
    # duplicate codes
    (
        "duplicate-code",
        ["unit", "add", "LC-BT", "--name", "x", "--kind", "district-command"],
        1,
        DUPLICATE_BT,
    ),
    (
        "duplicate-code-lower",
        ["unit", "add", " lc-bt ", "--name", "x", "--kind", "district-command"],
        1,
        DUPLICATE_BT,
    ),
    (
        "duplicate-ended-code",
        ["unit", "add", "LC-SM", "--name", "x", "--kind", "district-command"],
        1,
        "unit LC-SM already exists ('Ban CHQS thị xã Sa Pa', founded 2010-01-01); "
        "codes are never reused",
    ),
    (
        "successor-exists",
        ["unit", "merge", "LC-BH", "--into", "LC-BT", "--name", "x", "--kind", "district-command"],
        1,
        "LC-BT already exists: drop --name/--kind to merge into it as it is",
    ),
    # stages
    ("unknown-stage", ["qms", "stage", "LC-BT", "Bogus"], 1, f"unknown stage 'Bogus': {STAGES}"),
    (
        "unknown-stage-filter",
        ["unit", "list", "--stage", "bogus"],
        1,
        f"unknown stage 'bogus': {STAGES}",
    ),
    (
        "stage-backwards",
        ["qms", "stage", "LC-BT", "planned", "--on", "2021"],
        1,
        "LC-BT on 2021-01-01: the stage cannot go back from 'applying' to 'planned'",
    ),
    (
        "stage-to-none",
        ["qms", "stage", "LC-BT", "none"],
        1,
        f"LC-BT on {TODAY}: a stage cannot go back to 'none' "
        "(undo the changeset that recorded it instead)",
    ),
    (
        "lapse-from-planned",
        ["qms", "stage", "LC-BH", "lapsed"],
        1,
        f"LC-BH on {TODAY}: only a QMS being built, applied or announced can lapse "
        "(it is 'planned')",
    ),
    (
        "lapse-from-none",
        ["qms", "stage", "QK2", "lapsed"],
        1,
        f"QK2 on {TODAY}: only a QMS being built, applied or announced can lapse (it is 'none')",
    ),
    (
        "stage-retroactive",
        ["qms", "stage", "LC-BT", "announced", "--on", "01/07/2019"],
        1,
        "this change would leave the records inconsistent: LC-BT: on 2019-12-01, "
        "the stage cannot go back from 'announced' to 'applying'",
    ),
    # editions
    (
        "edition-backwards",
        ["qms", "edition", "LC-BT", "2008"],
        1,
        f"LC-BT on {TODAY}: the edition cannot go back from 2015 to 2008",
    ),
    (
        "edition-backwards-with-stage",
        ["qms", "stage", "LC-BT", "announced", "--edition", "ISO 9001:2008"],
        1,
        f"LC-BT on {TODAY}: the edition cannot go back from 2015 to 2008",
    ),
    (
        "edition-retroactive",
        ["qms", "edition", "LC-BT", "2026", "--on", "01/03/2019"],
        1,
        "this change would leave the records inconsistent: LC-BT: on 2019-06-01, edition 2015 "
        "recorded after 2026 (since 2019-03-01) was already its current one",
    ),
    (
        "consultant-and-no-consultant",
        ["qms", "stage", "LC-BT", "announced", "--consultant", "X", "--no-consultant"],
        2,
        "give either --consultant NAME or --no-consultant, not both",
    ),
    # hierarchy
    (
        "move-under-itself",
        ["unit", "move", "QK2", "--parent", "qk2"],
        1,
        "cannot move QK2 under QK2: QK2 is QK2 itself or one of its sub-units "
        "(that would make a cycle)",
    ),
    (
        "move-under-descendant",
        ["unit", "move", "QK2", "--parent", "LC-BT"],
        1,
        "cannot move QK2 under LC-BT: LC-BT is QK2 itself or one of its sub-units "
        "(that would make a cycle)",
    ),
    (
        "move-under-child",
        ["unit", "move", "QK2-LAOCAI", "--parent", "LC-P1"],
        1,
        "cannot move QK2-LAOCAI under LC-P1: LC-P1 is QK2-LAOCAI itself or one of its sub-units "
        "(that would make a cycle)",
    ),
    # lineage
    (
        "merge-into-itself",
        ["unit", "merge", "LC-BT", "--into", "lc-bt"],
        1,
        "cannot merge LC-BT into itself",
    ),
    (
        "merge-into-one-of-them",
        ["unit", "merge", "LC-BT", "LC-BH", "--into", "LC-BH"],
        1,
        "cannot merge LC-BH into itself",
    ),
    (
        "merge-named-twice",
        ["unit", "merge", "LC-BT", "LC-BH", "lc-bt", "--into", "LC-P1"],
        2,
        "LC-BT is named twice",
    ),
    (
        "split-one-successor",
        ["unit", "split", "LC-BT", "--into", "LC-P1"],
        2,
        "a split needs at least two successors (--into A --into B)",
    ),
    (
        "split-named-twice",
        ["unit", "split", "LC-BT", "--into", "LC-P1", "--into", "lc-p1"],
        2,
        "LC-P1 is named twice",
    ),
    (
        "split-into-itself",
        ["unit", "split", "LC-BT", "--into", "LC-BT", "--into", "LC-P1"],
        1,
        "cannot split LC-BT into itself",
    ),
    (
        "split-with-sub-units",
        [
            "unit",
            "split",
            "QK2-LAOCAI",
            "--into",
            "N1",
            "--into",
            "N2",
            "--name",
            "A",
            "--name",
            "B",
            "--kind",
            "provincial-command",
        ],
        1,
        f"{LAOCAI_CHILDREN}: move each under one of the successors first ('unit move')",
    ),
    (
        "dissolve-with-sub-units",
        ["unit", "dissolve", "QK2-LAOCAI"],
        1,
        f"{LAOCAI_CHILDREN}: give --successor to move them there, or move them first",
    ),
    (
        "dissolve-own-successor",
        ["unit", "dissolve", "LC-BT", "--successor", "lc-bt"],
        1,
        "LC-BT cannot be its own successor",
    ),
    (
        "merge-name-without-kind",
        ["unit", "merge", "LC-BT", "--into", "NEW1", "--name", "Ban mới"],
        2,
        "NEW1 does not exist: to create it in the same changeset give both --name and --kind, "
        "or add it first with 'unit add'",
    ),
    (
        "merge-kind-without-name",
        ["unit", "merge", "LC-BT", "--into", "NEW1", "--kind", "district-command"],
        2,
        "NEW1 does not exist: to create it in the same changeset give both --name and --kind, "
        "or add it first with 'unit add'",
    ),
    (
        "split-names-without-kind",
        ["unit", "split", "LC-BT", "--into", "N1", "--into", "N2", "--name", "A", "--name", "B"],
        2,
        "successors that do not exist yet: N1, N2; give one --name for each (got 2) and a "
        "--kind, or add them first with 'unit add'",
    ),
    (
        "split-too-few-names",
        [
            "unit",
            "split",
            "LC-BT",
            "--into",
            "N1",
            "--into",
            "N2",
            "--name",
            "A",
            "--kind",
            "district-command",
        ],
        2,
        "successors that do not exist yet: N1, N2; give one --name for each (got 1) and a --kind, "
        "or add them first with 'unit add'",
    ),
    # counts
    (
        "negative-tthc",
        ["procedures", "set", "LC-BT", "--tthc", "-1"],
        1,
        "--tthc must be between 0 and 1,000,000, got -1",
    ),
    (
        "negative-internal",
        ["procedures", "set", "LC-BT", "--tthc", "3", "--internal", "-5"],
        1,
        "--internal must be between 0 and 1,000,000, got -5",
    ),
    (
        "negative-product",
        ["procedures", "set", "LC-BT", "--product", "-2"],
        1,
        "--product must be between 0 and 1,000,000, got -2",
    ),
    (
        "procedures-no-count",
        ["procedures", "set", "LC-BT"],
        2,
        "give at least one count: --tthc N, --internal N or --product N",
    ),
    (
        "negative-findings",
        ["qms", "audit", "LC-BT", "--findings", "-2"],
        1,
        "--findings must be between 0 and 1,000,000, got -2",
    ),
    (
        "unknown-audit-kind",
        ["qms", "audit", "LC-BT", "--kind", "bogus"],
        2,
        "unknown audit kind 'bogus': use internal, review, inspection",
    ),
    # dates
    (
        "month-first-on",
        ["qms", "stage", "LC-BH", "building", "--on", "12/31/2025"],
        1,
        f"cannot read --on '12/31/2025': month 31 does not exist; dates are read day first {FORMS}",
    ),
    (
        "no-31-february-on",
        ["qms", "stage", "LC-BH", "building", "--on", "31/02/2025"],
        1,
        f"cannot read --on '31/02/2025': day is out of range for month {FORMS}",
    ),
    (
        "garbage-on",
        ["unit", "add", "X1", "--name", "x", "--kind", "ministry", "--on", "garbage"],
        1,
        f"cannot read --on 'garbage': not a date {FORMS}",
    ),
    (
        "empty-on",
        ["unit", "rename", "LC-BT", "--name", "x", "--on", " "],
        1,
        f"cannot read --on '': it is empty {FORMS}",
    ),
    (
        "two-digit-year-on",
        ["qms", "edition", "LC-BH", "2015", "--on", "31/12/25"],
        1,
        f"cannot read --on '31/12/25': a two-digit year is ambiguous; write the year in full "
        f"{FORMS}",
    ),
    (
        "year-out-of-range-on",
        ["unit", "dissolve", "LC-BH", "--on", "1800"],
        1,
        f"cannot read --on '1800': year 1800 is outside 1900..2200 {FORMS}",
    ),
    (
        "offset-out-of-range-on",
        ["unit", "dissolve", "LC-BH", "--on", "-999999y"],
        1,
        f"cannot read --on '-999999y': the result is outside 1900..2200 {FORMS}",
    ),
    (
        "bad-time-on",
        ["unit", "dissolve", "LC-BH", "--on", "2025-06-14T25:00"],
        1,
        f"cannot read --on '2025-06-14T25:00': the time '25:00' is not hh:mm or hh:mm:ss {FORMS}",
    ),
    (
        "month-first-as-of",
        ["unit", "list", "--as-of", "12/31/2025"],
        1,
        f"cannot read --as-of '12/31/2025': month 31 does not exist; dates are read day first "
        f"{FORMS}",
    ),
    (
        "no-31-february-as-of",
        ["unit", "show", "LC-BT", "--as-of", "31/02/2025"],
        1,
        f"cannot read --as-of '31/02/2025': day is out of range for month {FORMS}",
    ),
    (
        "garbage-as-of",
        ["unit", "list", "--as-of", "garbage"],
        1,
        f"cannot read --as-of 'garbage': not a date {FORMS}",
    ),
    (
        "month-13-as-of",
        ["unit", "list", "--as-of", "14/13/2025"],
        1,
        f"cannot read --as-of '14/13/2025': month 13 does not exist; dates are read day first "
        f"{FORMS}",
    ),
    # language
    ("bad-lang-first", ["--lang", "fr", "unit", "list"], 2, "unknown language 'fr': use vi or en"),
    ("bad-lang-last", ["unit", "list", "--lang=de"], 2, "unknown language 'de': use vi or en"),
    # codes and names
    (
        "code-with-space",
        ["unit", "add", "BAD CODE", "--name", "x", "--kind", "ministry"],
        1,
        "invalid unit code 'BAD CODE': use letters A-Z, digits and - _ . / (at most 64)",
    ),
    (
        "code-with-diacritics",
        ["unit", "add", "BẮC", "--name", "x", "--kind", "ministry"],
        1,
        "invalid unit code 'BẮC': use letters A-Z, digits and - _ . / (at most 64)",
    ),
    (
        "empty-code",
        ["unit", "add", "", "--name", "x", "--kind", "ministry"],
        1,
        "invalid unit code '': use letters A-Z, digits and - _ . / (at most 64)",
    ),
    (
        "code-too-long",
        ["unit", "add", "A" * 65, "--name", "x", "--kind", "ministry"],
        1,
        f"invalid unit code '{'A' * 60}…': use letters A-Z, digits and - _ . / (at most 64)",
    ),
    (
        "bad-code-in-query",
        ["unit", "show", "QK2;rm"],
        1,
        "invalid unit code 'QK2;rm': use letters A-Z, digits and - _ . / (at most 64)",
    ),
    (
        "empty-name",
        ["unit", "add", "X1", "--name", "", "--kind", "ministry"],
        1,
        "a unit name cannot be empty",
    ),
    ("blank-name", ["unit", "rename", "LC-BT", "--name", " \t "], 1, "a unit name cannot be empty"),
    (
        "name-too-long",
        ["unit", "add", "X1", "--name", "a" * 301, "--kind", "ministry"],
        1,
        "a unit name can have at most 300 characters (got 301)",
    ),
    (
        "name-control-char",
        ["unit", "add", "X1", "--name", "a\x07b", "--kind", "ministry"],
        1,
        "a unit name cannot contain control characters",
    ),
    (
        "successor-empty-name",
        ["unit", "merge", "LC-BT", "--into", "NEW1", "--name", " ", "--kind", "district-command"],
        1,
        "a unit name cannot be empty",
    ),
    # undo
    ("undo-unknown", ["undo", "nope"], 1, "unknown changeset 'nope' (see 'isotrack log')"),
    ("undo-empty-ref", ["undo", ""], 1, "unknown changeset '' (see 'isotrack log')"),
    # a dry run checks as much as a real run
    (
        "dry-run-still-checks",
        ["unit", "move", "QK2", "--parent", "LC-BT", "--dry-run"],
        1,
        "cannot move QK2 under LC-BT: LC-BT is QK2 itself or one of its sub-units "
        "(that would make a cycle)",
    ),
]


@pytest.mark.parametrize(
    ("args", "code", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_refused_with_one_clear_line(
    cli: Cli, db: Path, args: list[str], code: int, message: str
) -> None:
    assert refused(cli, db, args, code) == f"error: {message}"


@pytest.mark.parametrize(
    "args",
    [
        ["unit", "add", "X1", "--name", "x", "--kind", "Bogus"],
        ["unit", "list", "--kind", "bogus"],
        ["unit", "merge", "LC-BT", "--into", "NEW1", "--name", "x", "--kind", "bogus"],
    ],
    ids=["unit-add", "unit-list", "merge-successor"],
)
def test_unknown_kind_lists_the_kinds_and_says_how_to_add_one(
    cli: Cli, db: Path, config_dir: Path, args: list[str]
) -> None:
    line = refused(cli, db, args, 1)
    wrong = args[args.index("--kind") + 1]
    assert line.startswith(f"error: unknown kind '{wrong}'. Known kinds: academy, ")
    assert "district-command, " in line
    assert line.endswith(
        f". To add one, put it in {config_dir / 'kinds.toml'} (see README, 'Catalogs')"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["qms", "edition", "LC-BT", "1999"],
        ["qms", "stage", "LC-BH", "building", "--edition", "ISO 9001:1999"],
    ],
    ids=["edition", "stage-edition"],
)
def test_unknown_edition_lists_the_editions_and_says_how_to_add_one(
    cli: Cli, db: Path, config_dir: Path, args: list[str]
) -> None:
    wrong = args[3] if args[1] == "edition" else args[-1]
    assert refused(cli, db, args, 1) == (
        f"error: unknown edition '{wrong}'. Known editions: 2000, 2008, 2015, 2026. "
        f"To add one, put it in {config_dir / 'editions.toml'} (see README, 'Catalogs')"
    )


LOCK, BACKUPS = "ISOTRACK_LOCK_TIMEOUT", "ISOTRACK_BACKUPS"


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ISOTRACK_LANG", "fr", "unknown language 'fr': use vi or en"),
        ("ISOTRACK_TODAY", "31/12/2025", "ISOTRACK_TODAY must be an ISO date, got '31/12/2025'"),
        *(
            ("ISOTRACK_LOCK_TIMEOUT", value, f"{LOCK} must be a number of seconds, got '{value}'")
            for value in ("soon", "nan", "inf", "-1")  # nan or inf would wait for ever
        ),
        *(
            ("ISOTRACK_BACKUPS", value, f"{BACKUPS} must be a whole number of backups to keep, "
             f"got '{value}'")
            for value in ("x", "1.5", "-2")
        ),
    ],
)  # fmt: skip
def test_bad_environment_is_a_usage_error(
    cli: Cli, db: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(variable, value)
    assert refused(cli, db, ["unit", "add", "X1", "--name", "x", "--kind", "ministry"], 2) == (
        f"error: {message}"
    )


# --------------------------------------------------------------------------------------------
# Usage errors reported by Click (exit 2)


@pytest.mark.parametrize(
    ("args", "last_line"),
    [
        (("unit", "add", "X1", "--name", "x"), "Error: Missing option '--kind'."),
        (("unit", "add", "X1", "--kind", "ministry"), "Error: Missing option '--name'."),
        (("unit", "rename", "LC-BT"), "Error: Missing option '--name'."),
        (("unit", "move", "LC-BT"), "Error: Missing option '--parent'."),
        (("unit", "merge", "LC-BT"), "Error: Missing option '--into'."),
        (("unit", "merge", "--into", "LC-P1"), "Error: Missing argument 'CODES...'."),
        (("unit", "split", "LC-BT"), "Error: Missing option '--into'."),
        (("qms", "stage", "LC-BT"), "Error: Missing argument 'STAGE'."),
        (("qms", "edition", "LC-BT"), "Error: Missing argument 'EDITION'."),
        (
            ("procedures", "set", "LC-BT", "--tthc", "many"),
            "Error: Invalid value for '--tthc': 'many' is not a valid integer.",
        ),
        (
            ("qms", "audit", "LC-BT", "--findings", "abc"),
            "Error: Invalid value for '--findings': 'abc' is not a valid integer.",
        ),
        (
            ("log", "--limit", "0"),
            "Error: Invalid value for '--limit': 0 is not in the range x>=1.",
        ),
        (("unit", "frobnicate"), "Error: No such command 'frobnicate'."),
        (
            # Found by the reliability campaign: --db took the next option as a file name.
            ("db", "backups", "--db", "--json"),
            "Error: Invalid value for '--db' (env var: 'ISOTRACK_DB'): '--json' is an option, "
            "not a database file (for a file whose name begins with '-', write ./--json)",
        ),
    ],
    ids=lambda value: "-".join(value) if isinstance(value, tuple) else None,
)
def test_click_usage_errors(cli: Cli, db: Path, args: tuple[str, ...], last_line: str) -> None:
    assert usage_refused(cli, db, args) == last_line


# --------------------------------------------------------------------------------------------
# Once bugs, now promised behaviour


@pytest.mark.parametrize(
    "args",
    [
        ["qms", "stage", "QK2", "planned", "--on", "01/05/2009"],
        [
            "unit",
            "add",
            "X1",
            "--name",
            "x",
            "--kind",
            "brigade",
            "--parent",
            "QK2",
            "--on",
            "01/05/2009",
        ],
    ],
    ids=["stage", "add-under"],
)
def test_write_before_founding_says_so_plainly(cli: Cli, db: Path, args: list[str]) -> None:
    line = refused(cli, db, args, 1)  # the exit code and the untouched file do hold today
    assert line == "error: unit QK2 does not exist on 2009-05-01: it was founded on 2010-01-01"


def test_write_before_founding_is_refused(cli: Cli, db: Path) -> None:
    """The part of the test above that holds today: refused, exit 1, nothing written."""
    line = refused(cli, db, ["qms", "stage", "QK2", "planned", "--on", "01/05/2009"], 1)
    assert line.startswith("error: unit QK2 ")
    assert "2010-01-01" in line


def test_split_into_existing_units_with_a_stray_name(cli: Cli, db: Path) -> None:
    args = ["unit", "split", "LC-BT", "--into", "LC-BH", "--into", "LC-P1", "--name", "x"]
    line = refused(cli, db, args, 2)
    assert line.startswith("error: ")


def test_split_into_an_existing_and_a_new_successor(cli: Cli, db: Path) -> None:
    result = cli(
        "unit",
        "split",
        "LC-BH",
        "--into",
        "LC-P1",
        "--into",
        "LC-NEW",
        "--name",
        "Ban mới",
        "--kind",
        "regional-defence-command",
        "--on",
        "01/07/2025",
    )
    assert result.exit_code == 0, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["procedures", "set", "LC-BT", "--tthc", str(10**20)],
        ["qms", "audit", "LC-BT", "--findings", str(10**20)],
    ],
    ids=["procedures", "findings"],
)
def test_counts_too_large_to_store(cli: Cli, db: Path, args: list[str]) -> None:
    line = refused(cli, db, args, 1)
    assert line.startswith("error: ")


@pytest.mark.parametrize(
    "args",
    [
        ["unit", "merge", "QK2-LAOCAI", "--into", "LC-BT"],
        ["unit", "dissolve", "QK2-LAOCAI", "--successor", "LC-BT"],
    ],
    ids=["merge", "dissolve"],
)
def test_successor_below_the_ended_unit(cli: Cli, db: Path, args: list[str]) -> None:
    # Either it is allowed (the successor takes the ended unit's place), or the message speaks
    # of what the user asked; today it says "LC-BT: moving under LC-BT ... makes a cycle".
    result = cli(*args)
    assert result.exit_code == 0 or "moving under LC-BT" not in result.stderr, result.stderr


# --------------------------------------------------------------------------------------------
# Undo


def test_undo_unit_add_that_later_events_depend_on(
    cli: Cli, db: Path, seed_ids: dict[str, str]
) -> None:
    line = refused(cli, db, ["undo", seed_ids["add LC-BH"][:8]], 1)
    assert line == (
        "error: undo would leave the records inconsistent: "
        "LC-BH: stage on 2020-01-15, but the unit does not exist then"
    )
    line = refused(cli, db, ["undo", seed_ids["add BQP"]], 1)
    assert line == (
        "error: undo would leave the records inconsistent: "
        "QK2: parent BQP does not exist on 2010-01-01"
    )
    line = refused(cli, db, ["undo", seed_ids["add QK2-LAOCAI"][:10].upper()], 1)
    assert line == (
        "error: undo would leave the records inconsistent: "
        "LC-BT: parent QK2-LAOCAI does not exist on 2010-01-01 (and 3 more)"
    )


def test_undo_already_undone(cli: Cli, ok: Cli, db: Path, seed_ids: dict[str, str]) -> None:
    target = seed_ids["procedures LC-BT"]
    ok("undo", target[:8])
    undo_id = json.loads(ok("log", "--json", "--limit", "1").stdout)[0]["id"]
    line = refused(cli, db, ["undo", target], 1)
    assert line == (
        f"error: changeset {target[:8]} is already undone (by {undo_id[:8]}); "
        f"undo {undo_id[:8]} to restore it"
    )


def test_undo_ambiguous_prefix(cli: Cli, db_path: Path) -> None:
    ids = iter(["abc1" + "0" * 28, "e1" + "0" * 30, "abc2" + "0" * 28, "e2" + "0" * 30])
    t = seeder(db_path, ids)
    for code in ("A1", "A2"):
        t.add(code, code, "ministry")
    for ref in ("abc", "ABC", "a"):
        assert refused(cli, db_path, ["undo", ref], 1) == (
            f"error: changeset '{ref}' is ambiguous: it matches abc100000000, abc200000000"
        )
    assert refused(cli, db_path, ["undo", "e1"], 1) == (
        "error: unknown changeset 'e1' (see 'isotrack log')"  # an event's id is no changeset's
    )


def test_nothing_to_undo(cli: Cli, ok: Cli, db_path: Path) -> None:
    assert refused(cli, db_path, ["undo"], 1) == (
        f"error: no isotrack database at {db_path}; create it with 'isotrack init', "
        "or check --db or ISOTRACK_DB"
    )
    assert not db_path.exists()
    ok("init")
    assert refused(cli, db_path, ["undo"], 1) == (
        "error: nothing to undo: the database has no changesets"
    )
    ok("unit", "add", "A1", "--name", "Đơn vị A", "--kind", "ministry")
    ok("undo")
    assert refused(cli, db_path, ["undo"], 1) == (
        "error: nothing to undo: every changeset is already undone"
    )


# --------------------------------------------------------------------------------------------
# Missing and damaged database files


@pytest.mark.parametrize(
    "args",
    [
        ["unit", "list"],
        ["unit", "show", "QK2"],
        ["log"],
        ["doctor"],
        ["unit", "list", "--as-of", "2020", "--json"],
    ],
)
def test_reading_before_init(cli: Cli, db_path: Path, args: list[str]) -> None:
    line = refused(cli, db_path, args, 1)
    assert line == (
        f"error: no isotrack database at {db_path}; create it with 'isotrack init', "
        "or check --db or ISOTRACK_DB"
    )
    assert not db_path.exists()


GARBAGE = b"\x00garbage{not: json]\n"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (GARBAGE, None),
        (b"", "(the file is empty)"),
        (b"  \n", "(the file is empty)"),
        (b"[1, 2]", "(the top level is a JSON list, not an object)"),
        (b'{"events": [1]}', "(table 'events' is not a JSON object)"),
    ],
    ids=["garbage", "empty", "blank", "list", "bad-table"],
)
@pytest.mark.parametrize(
    "args",
    [
        ["unit", "list"],
        ["unit", "add", "X1", "--name", "x", "--kind", "ministry"],
        ["undo"],
        ["log"],
    ],
    ids=["list", "add", "undo", "log"],
)
def test_damaged_database(
    cli: Cli, db_path: Path, content: bytes, reason: str | None, args: list[str]
) -> None:
    db_path.write_bytes(content)
    line = refused(cli, db_path, args, 1)
    start = f"error: the database {db_path} is damaged or is not an isotrack database "
    assert line.startswith(start)
    assert line.endswith(CORRUPT_END)
    if reason is not None:
        assert line == start + reason + CORRUPT_END
    assert db_path.read_bytes() == content


def test_database_from_a_newer_isotrack(cli: Cli, db_path: Path) -> None:
    content = b'{"_meta": {"1": {"schema": 99}}, "events": {}, "changesets": {}}'
    db_path.write_bytes(content)
    for args in (["unit", "list"], ["unit", "add", "X1", "--name", "x", "--kind", "ministry"]):
        assert refused(cli, db_path, args, 1) == (
            f"error: the database {db_path} was written by a newer isotrack (schema version 99; "
            "this isotrack reads up to 1); upgrade isotrack to use it"
        )
    assert db_path.read_bytes() == content


EVENT_WITHOUT_ID = b'{"events": {"1": {"nope": 1}}}'
DATE_NOT_A_STRING = b'{"events": {"1": {"id": "a", "type": "unit.founded", "on": 5}}}'
CHANGESET_WITHOUT_ID = b'{"changesets": {"1": {"recorded": "x"}}}'
ADD = ["unit", "add", "X1", "--name", "x", "--kind", "ministry"]


@pytest.mark.parametrize(
    ("content", "args"),
    [
        (EVENT_WITHOUT_ID, ["unit", "list"]),
        (EVENT_WITHOUT_ID, ADD),
        (EVENT_WITHOUT_ID, ["log"]),
        (EVENT_WITHOUT_ID, ["doctor", "--fix"]),
        (DATE_NOT_A_STRING, ["unit", "list"]),
        (DATE_NOT_A_STRING, ADD),
        (CHANGESET_WITHOUT_ID, ADD),
        (CHANGESET_WITHOUT_ID, ["log"]),
    ],
    ids=[
        "event-without-id-list",
        "event-without-id-add",
        "event-without-id-log",
        "event-without-id-doctor-fix",
        "date-not-a-string-list",
        "date-not-a-string-add",
        "changeset-without-id-add",
        "changeset-without-id-log",
    ],
)
def test_malformed_records(cli: Cli, db_path: Path, content: bytes, args: list[str]) -> None:
    db_path.write_bytes(content)
    line = refused(cli, db_path, args, 1)
    assert line.startswith(f"error: the database {db_path} ")
    assert db_path.read_bytes() == content


def test_init_on_a_damaged_database(cli: Cli, db_path: Path) -> None:
    db_path.write_bytes(GARBAGE)
    line = refused(cli, db_path, ["init"], 1)
    assert line.startswith(f"error: the database {db_path} is damaged")


# --------------------------------------------------------------------------------------------
# Dry runs and writes that change nothing


def test_dry_run_prints_what_a_real_run_records(cli: Cli, ok: Cli, db: Path) -> None:
    args = [
        "unit",
        "merge",
        "LC-BT",
        "LC-BH",
        "--into",
        "LC-P2",
        "--name",
        "Ban CHPTKV 2 Lào Cai",
        "--kind",
        "regional-defence-command",
        "--basis",
        "2786/QĐ-BQP",
        "--on",
        "14/06/2025",
    ]
    expected = [
        "2025-06-14 LC-P2: founded 'Ban CHPTKV 2 Lào Cai' (regional-defence-command) "
        "under QK2-LAOCAI",
        "2025-06-14 LC-BT: merged into LC-P2 (basis 2786/QĐ-BQP)",
        "2025-06-14 LC-BH: merged into LC-P2 (basis 2786/QĐ-BQP)",
    ]
    dry = unchanged_ok(cli, db, *args, "--dry-run")
    assert dry.lines == [
        *(f"would record {line}" for line in expected),
        "dry run: nothing written (3 event(s) not recorded)",
    ]
    before = file_hash(db)
    real = ok(*args)
    assert file_hash(db) != before
    assert real.lines[:-1] == expected
    assert real.lines[-1].endswith(": 3 event(s) recorded")


@pytest.mark.parametrize(
    ("args", "lines"),
    [
        (
            [
                "unit",
                "add",
                "LC-X",
                "--name",
                "Ban  CHQS huyện X",
                "--kind",
                "district-command",
                "--parent",
                "qk2-laocai",
                "--on",
                "2020",
            ],
            [
                "would record 2020-01-01 LC-X: founded 'Ban CHQS huyện X' (district-command) "
                "under QK2-LAOCAI"
            ],
        ),
        (
            ["qms", "stage", "LC-BH", "building", "--edition", "2015", "--consultant", "Công ty A"],
            [f"would record {TODAY} LC-BH: stage -> building, edition 2015, consultant Công ty A"],
        ),
        (
            ["unit", "dissolve", "QK2-LAOCAI", "--successor", "QK2", "--on", "01/07/2025"],
            [
                "would record 2025-07-01 LC-BT: moved under QK2",
                "would record 2025-07-01 LC-BH: moved under QK2",
                "would record 2025-07-01 LC-P1: moved under QK2",
                "would record 2025-07-01 QK2-LAOCAI: dissolved, successor QK2",
            ],
        ),
        (["undo", "--dry-run"], ["would record undo changeset {procedures}"]),
        (
            ["procedures", "set", "LC-BT", "--product", "2"],
            [f"would record {TODAY} LC-BT: procedures product=2"],
        ),
    ],
    ids=["add", "stage", "dissolve", "undo", "procedures"],
)
def test_dry_run_writes_nothing(
    cli: Cli, db: Path, seed_ids: dict[str, str], args: list[str], lines: list[str]
) -> None:
    if "--dry-run" not in args:
        args = [*args, "--dry-run"]
    result = unchanged_ok(cli, db, *args)
    expected = [line.format(procedures=seed_ids["procedures LC-BT"][:8]) for line in lines]
    assert result.lines == [
        *expected,
        f"dry run: nothing written ({len(expected)} event(s) not recorded)",
    ]


def test_dry_run_on_a_missing_database_creates_nothing(cli: Cli, db_path: Path) -> None:
    result = unchanged_ok(
        cli, db_path, "unit", "add", "A1", "--name", "A", "--kind", "ministry", "--dry-run"
    )
    assert result.lines[-1] == "dry run: nothing written (1 event(s) not recorded)"
    assert not db_path.exists()


NFD_NAME = unicodedata.normalize("NFD", "  Ban CHQS   huyện Bảo Thắng ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["qms", "stage", "LC-BT", "applying"],
            "LC-BT is already at stage 'applying' (since 2019-12-01)",
        ),
        (
            ["qms", "stage", "lc-bt", "APPLYING", "--on", "2024"],
            "LC-BT is already at stage 'applying' (since 2019-12-01)",
        ),
        (
            ["qms", "edition", "LC-BT", "9001:2015"],
            "LC-BT is already on edition 2015 (since 2019-06-01)",
        ),
        (
            ["unit", "rename", "LC-BT", "--name", "Ban CHQS huyện Bảo Thắng"],
            "LC-BT is already named 'Ban CHQS huyện Bảo Thắng'",
        ),
        (
            ["unit", "rename", "LC-BT", "--name", NFD_NAME],
            "LC-BT is already named 'Ban CHQS huyện Bảo Thắng'",
        ),
        (
            ["qms", "stage", "LC-BT", "applying", "--edition", "2015"],
            "LC-BT is already at stage 'applying' (since 2019-12-01)",
        ),
        (["unit", "move", "LC-BT", "--parent", "qk2-laocai"], "LC-BT is already under QK2-LAOCAI"),
        (["procedures", "set", "LC-BT", "--tthc", "4"], "LC-BT already has these procedure counts"),
        (
            ["procedures", "set", "LC-BT", "--internal", "21", "--product", "0"],
            "LC-BT already has these procedure counts",
        ),
    ],
    ids=[
        "stage",
        "stage-case",
        "edition",
        "stage-same-edition",
        "name",
        "name-nfd",
        "parent",
        "tthc",
        "two-counts",
    ],
)
def test_no_op_writes_write_nothing(cli: Cli, db: Path, args: list[str], message: str) -> None:
    result = unchanged_ok(cli, db, *args)
    assert result.lines == [f"nothing to change: {message}"]


def test_init_twice_writes_nothing(cli: Cli, db: Path) -> None:
    result = unchanged_ok(cli, db, "init")
    assert result.lines == [f"using existing database {db}"]


@pytest.mark.parametrize(
    "args",
    [
        ["qms", "stage", "LC-BT", "applying", "--no-consultant"],
        ["qms", "stage", "LC-BT", "applying", "--model", "  "],
    ],
    ids=["no-consultant-again", "blank-model"],
)
def test_stage_again_with_nothing_new_writes_nothing(cli: Cli, db: Path, args: list[str]) -> None:
    result = unchanged_ok(cli, db, *args)
    assert result.lines[0].startswith("nothing to change: ")


def test_undo_by_the_shortest_unique_prefix_in_upper_case(
    cli: Cli, ok: Cli, db: Path, seed_ids: dict[str, str]
) -> None:
    """The shortest prefix naming one changeset is enough, and case does not matter."""
    target = seed_ids["procedures LC-BT"]
    rows = json.loads(ok("log", "--json", "--limit", "100").stdout)
    unique = next(
        n
        for n in itertools.count(1)
        if sum(1 for row in rows if row["id"].startswith(target[:n])) == 1
    )
    result = ok("undo", target[:unique].upper())
    assert result.lines[0] == f"undo changeset {target[:8]}"
