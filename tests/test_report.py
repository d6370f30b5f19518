"""`isotrack report` in every format, on a small organisation built through the CLI."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from conftest import Run
from histories import DAYS, OPS, Db, Op, apply, base
from orgs import add_units, target_add


@pytest.fixture
def org(ok: Callable[..., Run]) -> Callable[..., Run]:
    ok("init")
    add_units(
        ok,
        ("BQP", "Bộ Quốc phòng", "ministry", None),
        ("QK2", "Quân khu 2", "military-region", "BQP"),
        ("LC", "Bộ CHQS tỉnh Lào Cai", "provincial-command", "QK2"),
        ("LC-A", "Ban CHQS LC-A", "district-command", "LC"),
        ("LC-B", "Ban CHQS LC-B", "district-command", "LC"),
        ("EVIL", '=HYPERLINK("x")', "agency", "BQP"),
    )
    ok("qms", "stage", "LC-A", "applying", "--edition", "2008", "--on", "2019-05-01")
    ok("qms", "edition", "LC-A", "2015", "--on", "2020-10-01")
    ok("qms", "stage", "QK2", "announced", "--edition", "2015", "--on", "2021-03-01")
    ok("procedures", "set", "LC-A", "--tthc", "3", "--internal", "12", "--on", "2021-01-01")
    ok("procedures", "set", "QK2", "--internal", "40", "--on", "2021-03-01")
    ok(*target_add("district-2030", "--on", "2019-01-01"))
    return ok


def test_dashboard_states_date_hash_and_command(org: Callable[..., Run], db_path: Path) -> None:
    out = org("report", "--as-of", "2024-01-01").stdout
    assert "As of: 2024-01-01" in out
    assert "Command to make this report again: isotrack report --as-of 2024-01-01 --lang en" in out
    import hashlib

    assert hashlib.sha256(db_path.read_bytes()).hexdigest()[:16] in out
    assert "district-2030  [##########..........]  1/2 50.0% / 100.0%" in out
    assert "Units still missing: LC-B" in out
    assert (
        "Procedures: administrative procedures 3, internal 52, product quality 0, total 55" in out
    )
    assert "ILLUSTRATIVE" not in out


def test_vietnamese_report_reads_dates_day_first(org: Callable[..., Run]) -> None:
    out = org("--lang", "vi", "report", "--as-of", "2024-01-01").stdout
    assert "Tính đến ngày: 01/01/2024" in out
    assert "Thời hạn 31/12/2030" in out


def test_tree_rolls_coverage_up(org: Callable[..., Run]) -> None:
    out = org("report", "--format", "tree", "--as-of", "2024-01-01").stdout
    rows = {
        line.split()[0]: line.split()
        for line in out.splitlines()
        if line[:1] == " " or line.startswith("BQP")
    }
    assert rows["BQP"][-3:] == ["2/6", "33.3%", "55"]
    assert "1/3" in out.split("LC ")[1].splitlines()[0]  # LC, LC-A, LC-B: one applying


def test_period_view_lists_what_changed(org: Callable[..., Run]) -> None:
    data = json.loads(org("report", "--from", "2020-01-01", "--to", "2021-12-31", "--json").stdout)
    period = data["period"]
    assert period["reached"]["announced"] == ["QK2"]
    assert period["editions"] == [
        {"unit": "LC-A", "from": "2008", "to": "2015"},
        {"unit": "QK2", "from": None, "to": "2015"},
    ]
    assert period["procedures_added"]["total"] == 55
    assert data["as_of"] == "2021-12-31"


def test_csv_neutralises_formulas(org: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "r.csv"
    org("report", "--format", "csv", "-o", str(out), "--as-of", "2024-01-01")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel needs the BOM to read UTF-8
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    evil = next(r for r in rows if r["code"] == "EVIL")
    assert evil["name"] == '\'=HYPERLINK("x")'
    assert next(r for r in rows if r["code"] == "LC-B")["district-2030"] == "missing"


def test_markdown(org: Callable[..., Run]) -> None:
    out = org("report", "--format", "md", "--as-of", "2024-01-01").stdout
    assert out.startswith("# TCVN ISO 9001 adoption report")
    assert "| district-2030 | 1 | 2 | 50.0% | 100.0% | 2030-12-31 | behind |" in out


def test_html_is_self_contained_and_printable(org: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    org("report", "--format", "html", "-o", str(out), "--as-of", "2024-01-01")
    page = out.read_text(encoding="utf-8")
    assert "<script" not in page.lower()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.IGNORECASE)
    assert "@import" not in page
    assert not re.search(r"url\((?!#)", page)  # only in-page references (SVG clip paths)
    assert "@page { size: A4" in page
    assert "<svg" in page
    assert "Coverage over time" in page
    assert "isotrack report --format html" in page
    assert "LC-B" in page


def test_html_is_reproducible(org: Callable[..., Run], tmp_path: Path) -> None:
    first, second = tmp_path / "a.html", tmp_path / "b.html"
    org("report", "--format", "html", "-o", str(first), "--as-of", "2024-01-01")
    org("report", "--format", "html", "-o", str(second), "--as-of", "2024-01-01")
    assert first.read_text(encoding="utf-8").replace("a.html", "b.html") == second.read_text(
        encoding="utf-8"
    )


def test_xlsx_has_a_sheet_per_view(org: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "r.xlsx"
    org("report", "--format", "xlsx", "-o", str(out), "--from", "2020", "--to", "2021")
    book = load_workbook(out)
    assert book.sheetnames == ["Totals", "Targets", "By organisation", "Changes in the period"]
    targets = list(book["Targets"].values)
    assert targets[1][:4] == ("district-2030", 1, 2, 0.5)
    names = [row[1] for row in book["By organisation"].values]
    assert '\'=HYPERLINK("x")' in names


def test_sample_reports_say_the_data_is_illustrative(ok: Callable[..., Run]) -> None:
    ok("init", "--sample")
    assert "ILLUSTRATIVE DATA" in ok("report").stdout
    assert json.loads(ok("report", "--json").stdout)["illustrative"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--format", "pdf"),
            "error: unknown format 'pdf': use table, tree, json, csv, md, html, xlsx",
        ),
        (("--from", "2020"), "error: a period view needs both --from and --to"),
        (("--format", "xlsx"), "error: --format xlsx writes a file: give -o FILE.xlsx"),
        (("--from", "2022", "--to", "2021"), "error: --from must be on or before --to"),
        (("--under", "NOPE"), "error: unknown unit 'NOPE'"),
    ],
)
def test_report_usage_errors(
    org: Callable[..., Run], cli: Callable[..., Run], args: tuple[str, ...], message: str
) -> None:
    result = cli("report", *args)
    assert result.stderr.strip() == message
    assert result.exit_code in (1, 2)


# The tree's rolled-up counts, against a plain recursive walk of the same registry


def _registry_of(parents: list[int | None], stages: list[str], counts: list[int]) -> Any:
    """Units U0, U1, ... each under the unit its entry of ``parents`` names (an earlier one, so
    no cycle; ``None``: a root), at ``stages`` with ``counts`` procedures."""
    from isotrack import events as ev
    from isotrack.events import Event
    from isotrack.timeline import fold

    made = []
    for i, (parent, stage, tthc) in enumerate(zip(parents, stages, counts, strict=True)):
        facts = [
            (ev.FOUNDED, {"name": f"N{i}", "kind": "agency", "parent": _code(parent)}),
            (ev.STAGE, {"stage": stage}),
            (ev.PROCEDURES, {"tthc": tthc}),
        ]
        for type_, data in facts:
            made.append(
                Event(f"{len(made):032x}", f"U{i}", type_, "2020-01-01", f"{i:06d}", "c", data)
            )
    return fold(made)


def _code(index: int | None) -> str | None:
    return None if index is None else f"U{index}"


def _walk(registry: Any, code: str, depth: int, rows: list[tuple[Any, ...]]) -> tuple[int, ...]:
    unit = registry.units[code]
    at = len(rows)
    rows.append(())
    totals = [1, int(unit.stage in ("applying", "announced")), unit.procedures_total]
    for child in sorted(u.code for u in registry.live() if u.parent == code):
        for i, n in enumerate(_walk(registry, child, depth + 1, rows)):
            totals[i] += n
    rows[at] = (code, depth, *totals)
    return tuple(totals)


@given(
    st.lists(
        st.tuples(
            st.integers(0, 30),  # the parent: 1 + the index of a unit before it; else none
            st.sampled_from(["none", "building", "applying", "announced"]),
            st.integers(0, 5),
        ),
        max_size=25,
    ),
    st.integers(0, 30),
)
def test_tree_rolls_up_each_subtree_in_code_order(
    units: list[tuple[int, str, int]], under_index: int
) -> None:
    from isotrack.report import tree

    parents = [pick - 1 if 1 <= pick <= i else None for i, (pick, _, _) in enumerate(units)]
    registry = _registry_of(parents, [u[1] for u in units], [u[2] for u in units])
    under = f"U{under_index}" if under_index < len(units) else None
    expected: list[tuple[Any, ...]] = []
    roots = [under] if under else sorted(u.code for u in registry.live() if u.parent is None)
    for root in roots:
        _walk(registry, root, 0, expected)
    got = [(r.code, r.depth, r.units, r.with_qms, r.procedures) for r in tree(registry, under)]
    assert got == expected


def test_a_deep_chain_of_units_makes_a_tree_without_recursion() -> None:
    from isotrack.report import tree

    depth = 3000  # deeper than Python's recursion limit
    registry = _registry_of([None, *range(depth - 1)], ["applying"] * depth, [1] * depth)
    rows = tree(registry, None)
    assert [r.depth for r in rows] == list(range(depth))
    assert (rows[0].units, rows[0].with_qms, rows[0].procedures) == (depth, depth, depth)
    assert (rows[-1].units, rows[-1].procedures) == (1, 1)


@given(
    st.integers(1, 4).flatmap(
        lambda n: st.lists(
            st.lists(st.text("ab {}éđ-", max_size=6), min_size=n, max_size=n), min_size=1
        )
    )
)
def test_a_plain_table_lines_its_columns_up(table: list[list[str]]) -> None:
    from isotrack.render.terminal import plain_table

    headers, *rows = table
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = list(plain_table(headers, rows))
    assert lines[1] == "  ".join("-" * w for w in widths).rstrip()
    for line, row in zip([lines[0], *lines[2:]], table, strict=True):
        # Each cell but the last padded to its column's width, two spaces between; the line
        # ends with its last non-space.
        padded = [cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=False)]
        assert line == "  ".join([*padded, row[-1]]).rstrip(" ")


def test_a_plain_tables_short_row_ends_with_blank_cells_and_a_long_one_is_refused() -> None:
    from isotrack.render.terminal import plain_table

    lines = list(plain_table(["code", "name", "kind"], [["A1", "Đơn vị"], ["B", "X", "agency"]]))
    assert lines == [
        "code  name    kind",
        "----  ------  ------",
        "A1    Đơn vị",
        "B     X       agency",
    ]
    with pytest.raises(ValueError, match="a row of 2 cells under 1 headers"):
        list(plain_table(["code"], [["A", "B"]]))


def test_a_unit_recorded_as_its_own_parent_still_makes_a_tree() -> None:
    """A hand-edited file can found a unit under itself (the fold flags it and keeps it)."""
    from isotrack import events as ev
    from isotrack.events import Event
    from isotrack.report import tree
    from isotrack.timeline import fold

    made = [
        Event("1" * 32, "A", ev.FOUNDED, "2020-01-01", "1", "c", {"name": "A", "kind": "agency",
                                                                   "parent": "A"}),
        Event("2" * 32, "B", ev.FOUNDED, "2020-01-02", "2", "c", {"name": "B", "kind": "agency",
                                                                   "parent": "A"}),
    ]  # fmt: skip
    registry = fold(made)
    assert registry.units["A"].parent == "A"
    rows = tree(registry, "A")
    assert [(r.code, r.depth, r.units) for r in rows] == [("A", 0, 2), ("B", 1, 1)]


# The period view reads the registry at both ends of the period from one pass over the history


PERIOD_CASE = [  # a unit founded before the period, whose stage, edition and counts move in it
    Op("add", 1, 0, DAYS[0], "Đơn vị 1", "planned", 0),
    Op("stage", 1, 0, DAYS[1], "", "planned", 0),
    Op("stage", 1, 0, DAYS[7], "", "applying", 0),
    Op("edition", 1, 0, DAYS[8], "", "planned", 0),
    Op("procedures", 1, 0, DAYS[8], "", "planned", 7),
]


@settings(max_examples=15)
@given(st.lists(OPS, max_size=20), st.sampled_from(DAYS[:6]), st.sampled_from(DAYS[6:]))
@example(PERIOD_CASE, DAYS[3], DAYS[9])
def test_the_period_view_of_one_pass_is_that_of_two_folds(
    tmp_path_factory: pytest.TempPathFactory, ops: list[Op], start: Any, end: Any
) -> None:
    from isotrack import report
    from isotrack.timeline import fold

    db = Db(tmp_path_factory.mktemp("period") / "db.json")
    base(db)
    apply(db, ops, "U", "R")
    events = db.tracker().events()

    def two_folds(events: Any, dates: list[str]) -> Any:  # each registry its own
        return ((day, fold(events, day)) for day in dates)

    for root in (None, "R"):
        one_pass = report.period_view(events, start, end, root)
        if ops == PERIOD_CASE and root is None:  # (the example: something to compare)
            assert one_pass.reached["applying"] == ["U1"]
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(report, "fold_series", two_folds)
            assert report.period_view(events, start, end, root) == one_pass
