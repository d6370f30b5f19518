"""The domain API (``Tracker``) without the CLI: the write guard, retroactive facts, lineage
(merge, split, dissolve), undo and redo, the per-unit log, one write per command, doctor."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import file_hash
from histories import TODAY, Db
from isotrack import events as ev
from isotrack.errors import ChangesetError, InvalidTransitionError, UnknownUnitError
from isotrack.timeline import UnitState
from isotrack.tracker import Tracker, WriteResult


class Org(Db):
    """A fresh ``Tracker`` per command, as the CLI makes one: ``org()`` is the next command's."""

    def __call__(self) -> Tracker:
        return self.tracker()

    def unit(self, code: str, as_of: date = TODAY) -> UnitState:
        return self().unit(code, as_of)

    def changesets(self) -> list[ev.Changeset]:
        return self().changesets()


@pytest.fixture
def org(tmp_path: Path) -> Org:
    return Org(tmp_path / "db.json")


@pytest.fixture
def province(org: Org) -> Org:
    """P (a province) with districts A, B, S; A has communes A1 (dissolved in 2015) and A2;
    B has commune B1."""
    org.add("BQP", "Bộ Quốc phòng", "ministry")
    org.add("P", "Bộ CHQS tỉnh Lào Cai", "provincial-command", "BQP")
    org.add("A", "Ban CHQS huyện Bảo Thắng", "district-command", "P")
    org.add("B", "Ban CHQS huyện Bắc Hà", "district-command", "P")
    org.add("S", "Ban CHQS thị xã Sa Pa", "district-command", "P")
    org.add("A1", "Ban CHQS xã Phong Niên", "commune-command", "A")
    org.add("A2", "Ban CHQS xã Gia Phú", "commune-command", "A")
    org.add("B1", "Ban CHQS xã Bảo Nhai", "commune-command", "B")
    org().dissolve_unit("A1", successor=None, basis=None, on=date(2015, 1, 1), dry_run=False)
    return org


@pytest.fixture
def replaces(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files atomically renamed into place (one per storage write)."""
    calls: list[str] = []
    real = os.replace

    def counting(src: Any, dst: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(str(dst))
        real(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", counting)
    return calls


def children(org: Org, code: str, as_of: date = TODAY) -> list[str]:
    return sorted(u.code for u in org().registry(as_of).children(code))


# --------------------------------------------------------------------------------------------
# The write guard


def test_a_write_that_would_add_an_anomaly_is_refused(province: Org) -> None:
    province().dissolve_unit("S", successor=None, basis=None, on=date(2020, 1, 1), dry_run=False)
    before = file_hash(province.path)
    # On 2015 S is alive, so the request itself is fine; but the new unit would outlive its
    # parent, which the guard sees only by folding the whole history with the new event.
    for dry_run in (False, True):
        with pytest.raises(InvalidTransitionError) as refused:
            province().add_unit(
                "S9",
                name="Ban CHQS xã 9",
                kind="commune-command",
                parent="S",
                on=date(2015, 1, 1),
                dry_run=dry_run,
            )
        assert str(refused.value) == (
            "this change would leave the records inconsistent: "
            "S9: its parent S dissolved on 2020-01-01; move it under a live unit"
        )
    assert file_hash(province.path) == before


def test_a_retroactive_ending_before_later_facts_is_refused(province: Org) -> None:
    province.stage("B", "planned", date(2021, 3, 1))
    before = file_hash(province.path)
    with pytest.raises(InvalidTransitionError) as refused:
        province.merge(["B"], "S", on=date(2020, 1, 1))
    assert str(refused.value) == (
        "this change would leave the records inconsistent: "
        "B: stage on 2021-03-01, after the unit merged on 2020-01-01"
    )
    assert file_hash(province.path) == before


def test_anomalies_already_recorded_do_not_block_other_writes(org: Org) -> None:
    org.add("A", "Đơn vị A", "ministry")
    ghost = ev.Event(
        id="e" * 32,
        unit="GHOST",
        type=ev.STAGE,
        on="2012-01-01",
        recorded="2012-01-01T00:00:00.000000+00:00",
        changeset="c" * 32,
        data={"stage": "planned"},
    )
    ghost_changeset = ev.Changeset("c" * 32, ghost.recorded, "elsewhere", 1)
    with org.store.transaction() as tx:  # as an imported event file might bring it
        tx.insert("events", [ghost.to_record()])
        tx.insert("changesets", [ghost_changeset.to_record()])
    message = "GHOST: stage on 2012-01-01, but the unit does not exist then"
    assert [(f.severity, f.message) for f in org().doctor()] == [("error", message)]

    result = org.add("B", "Đơn vị B", "ministry")
    assert result.changeset is not None
    assert org.unit("B").name == "Đơn vị B"
    assert [f.message for f in org().doctor()] == [message]


# --------------------------------------------------------------------------------------------
# Retroactive facts


def test_stage_recorded_in_the_past_before_a_later_lower_one_is_refused(org: Org) -> None:
    org.add("A", "Đơn vị A", "district-command")
    org.stage("A", "applying", date(2020, 3, 1))
    before = file_hash(org.path)
    with pytest.raises(InvalidTransitionError) as refused:
        org.stage("A", "announced", date(2019, 6, 1))
    assert str(refused.value) == (
        "this change would leave the records inconsistent: "
        "A: on 2020-03-01, the stage cannot go back from 'announced' to 'applying'"
    )
    assert file_hash(org.path) == before

    # An earlier, lower stage fits the history and is accepted.
    org.stage("A", "planned", date(2019, 6, 1))
    assert org.unit("A", date(2019, 12, 31)).stage == "planned"
    assert org.unit("A").stage == "applying"
    assert org.unit("A").stage_since == "2020-03-01"


def test_edition_recorded_in_the_past_above_a_later_one_is_refused(org: Org) -> None:
    org.add("A", "Đơn vị A", "district-command")
    org.stage("A", "building", date(2016, 1, 1), edition="2008")
    org().set_edition("A", "2015", on=date(2020, 1, 1), dry_run=False)
    with pytest.raises(InvalidTransitionError) as refused:
        org().set_edition("A", "2015", on=date(2015, 12, 1), dry_run=False)
    assert str(refused.value) == (
        "this change would leave the records inconsistent: A: on 2016-01-01, edition 2008 "
        "recorded after 2015 (since 2015-12-01) was already its current one"
    )
    org().set_edition("A", "2008", on=date(2015, 12, 1), dry_run=False)  # the same: fits
    assert org.unit("A").edition == "2015"
    assert org.unit("A", date(2019, 1, 1)).edition == "2008"


# --------------------------------------------------------------------------------------------
# Lineage


def test_merge_moves_the_merged_units_live_sub_units_to_the_successor(province: Org) -> None:
    on = date(2025, 6, 14)
    result = province.merge(
        ["A", "B"], "C", on=on, name="Ban CHPTKV 1", kind="regional-defence-command"
    )
    assert result.changeset is not None
    assert [(e.type, e.unit) for e in result.events] == [
        (ev.FOUNDED, "C"),
        (ev.MOVED, "A2"),
        (ev.MOVED, "B1"),
        (ev.MERGED, "A"),
        (ev.MERGED, "B"),
    ]
    assert {e.changeset for e in result.events} == {result.changeset.id}

    c = province.unit("C")
    assert (c.name, c.kind, c.parent, c.founded) == (
        "Ban CHPTKV 1",
        "regional-defence-command",
        "P",
        "2025-06-14",
    )
    assert sorted(link.code for link in c.predecessors) == ["A", "B"]
    assert children(province, "C") == ["A2", "B1"]
    assert children(province, "P") == ["C", "S"]
    for code in ("A", "B"):
        ended = province.unit(code)
        assert (ended.ended, ended.end_reason, ended.end_basis) == (
            "2025-06-14",
            "merged",
            "2786/QĐ-BQP",
        )
        assert [link.code for link in ended.successors] == ["C"]
    assert province.unit("A1").parent == "A"  # ended before: stays where it was
    # The day before, nothing had changed.
    assert children(province, "A", date(2025, 6, 13)) == ["A2"]
    assert province().doctor() == []


def test_merge_of_a_unit_with_its_own_sub_unit(province: Org) -> None:
    result = province.merge(["A", "A2"], "B", on=date(2025, 6, 14))
    assert [(e.type, e.unit) for e in result.events] == [(ev.MERGED, "A"), (ev.MERGED, "A2")]
    assert children(province, "B") == ["B1"]
    assert province.unit("A2").successors[0].code == "B"
    assert province().doctor() == []


def test_dissolve_with_a_successor_moves_the_sub_units(province: Org) -> None:
    result = province().dissolve_unit(
        "A", successor="S", basis="12/QĐ-BQP", on=date(2024, 7, 1), dry_run=False
    )
    assert [(e.type, e.unit, e.data.get("parent")) for e in result.events] == [
        (ev.MOVED, "A2", "S"),
        (ev.DISSOLVED, "A", None),
    ]
    assert children(province, "S") == ["A2"]
    assert children(province, "A", date(2024, 6, 30)) == ["A2"]
    a = province.unit("A")
    assert (a.ended, a.end_reason, [link.code for link in a.successors]) == (
        "2024-07-01",
        "dissolved",
        ["S"],
    )
    assert [link.code for link in province.unit("S").predecessors] == ["A"]


def test_split_creates_named_successors(province: Org) -> None:
    nfd = "Ban CHQS thi\u0323 xa\u0303 Sa Pa 1"  # NFD from a copy-paste
    result = province().split_unit(
        "S",
        into=["S1", "s2"],
        basis="99/QĐ-BQP",
        names=[nfd, "Ban CHQS thị xã Sa Pa 2"],
        kind="district-command",
        on=date(2023, 1, 1),
        dry_run=False,
    )
    assert [(e.type, e.unit) for e in result.events] == [
        (ev.FOUNDED, "S1"),
        (ev.FOUNDED, "S2"),
        (ev.SPLIT, "S"),
    ]
    s1, s2 = province.unit("S1"), province.unit("S2")
    assert (s1.name, s1.kind, s1.parent) == ("Ban CHQS thị xã Sa Pa 1", "district-command", "P")
    assert (s2.name, s2.founded) == ("Ban CHQS thị xã Sa Pa 2", "2023-01-01")
    assert [link.code for link in s1.predecessors] == ["S"]
    s = province.unit("S")
    assert (s.end_reason, [link.code for link in s.successors]) == ("split", ["S1", "S2"])
    with pytest.raises(UnknownUnitError):
        province.unit("S1", date(2022, 12, 31))
    assert province().doctor() == []


# --------------------------------------------------------------------------------------------
# Undo


def test_undo_of_an_undo_restores_what_it_cancelled(org: Org) -> None:
    org.add("A", "Đơn vị A", "district-command")
    stage = org.stage("A", "planned", date(2020, 1, 1)).changeset
    assert stage is not None

    undo = org().undo(None, dry_run=False)
    assert undo.changeset is not None
    assert undo.changeset.undoes == stage.id
    assert [e.type for e in undo.events] == [ev.REVERTED]
    assert undo.events[0].on == TODAY.isoformat()
    assert org.unit("A").stage == "none"

    redo = org().undo(undo.changeset.id[:8], dry_run=False)
    assert redo.changeset is not None
    assert redo.changeset.undoes == undo.changeset.id
    assert org.unit("A").stage == "planned"
    undone_by = {row["id"]: row["undone_by"] for row in org().log()}
    assert undone_by == {
        redo.changeset.id: None,
        undo.changeset.id: redo.changeset.id,
        stage.id: None,
        org.changesets()[0].id: None,
    }

    with pytest.raises(ChangesetError) as refused:
        org().undo(undo.changeset.id, dry_run=False)
    assert str(refused.value) == (
        f"changeset {undo.changeset.id[:8]} is already undone (by {redo.changeset.id[:8]}); "
        f"undo {redo.changeset.id[:8]} to restore it"
    )
    # Without an id, undo takes the latest changeset in force that is not itself an undo.
    again = org().undo(None, dry_run=False)
    assert again.changeset is not None
    assert again.changeset.undoes == stage.id
    assert org.unit("A").stage == "none"
    # Undoing the redo cancels the changes again too.
    org().undo(again.changeset.id, dry_run=False)
    org().undo(redo.changeset.id, dry_run=False)
    assert org.unit("A").stage == "none"


def test_undo_by_an_ambiguous_prefix(tmp_path: Path) -> None:
    ids = iter(["ab1" + "0" * 29, "e1" + "0" * 30, "ab2" + "0" * 29, "e2" + "0" * 30])
    org = Org(tmp_path / "db.json", ids=ids)
    for code in ("A", "B"):
        org.add(code, code, "ministry")
    with pytest.raises(ChangesetError) as refused:
        org().undo("AB", dry_run=False)
    assert str(refused.value) == (
        "changeset 'AB' is ambiguous: it matches ab1000000000, ab2000000000"
    )


# --------------------------------------------------------------------------------------------
# The log of one unit


def test_log_of_a_unit_lists_only_changesets_touching_it(province: Org) -> None:
    def ids(code: str) -> set[str]:
        return {row["id"] for row in province().log(code)}

    def cs(result: WriteResult) -> str:
        assert result.changeset is not None
        return result.changeset.id

    assert len(province().log()) == 9  # eight units added, one dissolved
    s_before = ids("S")
    stage_b = cs(province.stage("B", "planned", date(2021, 1, 1)))
    stage_s = cs(province.stage("S", "planned", date(2021, 1, 1)))
    merge = cs(province.merge(["A"], "S", on=date(2025, 6, 14)))

    assert len(s_before) == 1  # its founding
    assert ids("S") == s_before | {stage_s, merge}  # the merge into it is listed
    assert stage_b not in ids("S")
    assert merge in ids("A")
    assert merge in ids("A2")  # moved to S by the merge
    assert merge not in ids("B")
    assert stage_s not in ids("B")
    assert stage_b in ids("B")
    rows = province().log("S")
    assert [row["recorded"] for row in rows] == sorted(
        (row["recorded"] for row in rows), reverse=True
    )
    assert province().log("S", limit=1)[0]["id"] == merge
    with pytest.raises(UnknownUnitError, match=r"^unknown unit 'NOPE'$"):
        province().log("nope")


# --------------------------------------------------------------------------------------------
# One changeset, one storage write


def test_each_write_is_one_changeset_and_one_storage_write(
    province: Org, replaces: list[str]
) -> None:
    replaces.clear()

    def counts() -> tuple[int, int]:
        snapshot = province.store.load()
        return len(snapshot.table("events")), len(snapshot.table("changesets"))

    events, changesets = counts()
    result = province.merge(
        ["A", "B"],
        "C",
        on=date(2025, 6, 14),
        name="Ban CHPTKV 1",
        kind="regional-defence-command",
    )
    assert result.changeset is not None
    assert len(result.events) == 5
    assert len(replaces) == 1
    assert counts() == (events + 5, changesets + 1)
    stored = province.changesets()[-1]
    assert stored == result.changeset
    assert (stored.events, stored.command) == (5, "test")
    assert {r["changeset"] for r in province.store.load().table("events")[-5:]} == {stored.id}

    province().undo(None, dry_run=False)
    assert len(replaces) == 2
    assert counts() == (events + 6, changesets + 2)


@pytest.mark.parametrize("outcome", ["dry-run", "refused", "nothing-to-change"])
def test_writes_that_write_nothing_do_not_touch_the_file(
    province: Org, replaces: list[str], outcome: str
) -> None:
    replaces.clear()
    before = file_hash(province.path)
    if outcome == "dry-run":
        result = province.merge(
            ["A", "B"],
            "C",
            on=date(2025, 6, 14),
            name="C",
            kind="regional-defence-command",
            dry_run=True,
        )
        assert result.dry_run
        assert len(result.events) == 5
        assert result.changeset is not None
    elif outcome == "refused":
        with pytest.raises(InvalidTransitionError):
            province().move_unit("P", parent="A2", on=TODAY, dry_run=False)
    else:
        result = province().rename_unit(
            "A", name=" Ban CHQS  huyện Bảo Thắng", on=TODAY, dry_run=False
        )
        assert result.changeset is None
        assert result.events == []
        assert result.note == "A is already named 'Ban CHQS huyện Bảo Thắng'"
    assert replaces == []
    assert file_hash(province.path) == before


# --------------------------------------------------------------------------------------------
# doctor


def test_doctor_finds_near_duplicate_names(org: Org) -> None:
    org.add("BQP", "Bộ Quốc phòng", "ministry")
    org.add("A", "Ban CHQS huyện Bảo Thắng", "district-command", "BQP")
    org.add("B", "BAN CHQS HUYEN BAO THANG", "district-command", "BQP")  # no diacritics
    org.add("C", "Ban CHQS huyện Bảo Thanh", "district-command", "BQP")  # one letter: not flagged
    org.add("R1", "Trung đoàn 101", "brigade", "BQP")
    org.add("R2", "Trung đoàn 102", "brigade", "BQP")  # another number: another unit
    org.add("OLD", "Ban CHQS huyện Bảo Thắng", "district-command", "BQP")
    org().dissolve_unit("OLD", successor=None, basis=None, on=date(2015, 1, 1), dry_run=False)

    findings = org().doctor()
    assert all(f.severity == "warning" for f in findings)
    assert [(f.unit, f.message) for f in findings] == [
        (
            "A",
            "A and B have nearly the same name: "
            "'Ban CHQS huyện Bảo Thắng' / 'BAN CHQS HUYEN BAO THANG'",
        ),
    ]
    assert findings[0].to_json() == {
        "severity": "warning",
        "unit": "A",
        "message": findings[0].message,
    }

    # Renaming one away removes its findings.
    org().rename_unit("C", name="Ban CHQS huyện Bát Xát", on=TODAY, dry_run=False)
    assert [f.message.split(" have")[0] for f in org().doctor()] == ["A and B"]


def test_doctor_on_a_clean_history_finds_nothing(province: Org) -> None:
    assert province().doctor() == []


# --------------------------------------------------------------------------------------------
# Hierarchy order (unit list, snapshot export)


def _path_key(catalog: Any, registry: Any, unit: UnitState) -> tuple[Any, ...]:
    """The order as a key per unit: the (kind order, code) of each unit on its path down."""

    def rank(code: str) -> tuple[int, str]:
        found = registry.get(code)
        kind = catalog.kinds.get(found.kind) if found else None
        return (kind.order if kind else 1000, code)

    return tuple(rank(c) for c in [*reversed(registry.ancestors(unit.code)), unit.code])


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["ministry", "military-region", "district-command", "alien"]),
            st.integers(-3, 12),  # an earlier unit, else a root or one of two missing parents
            st.booleans(),  # ended
        ),
        max_size=14,
    )
)
def test_units_are_listed_as_a_tree_walked_in_kind_then_code_order(
    units: list[tuple[str, int, bool]],
) -> None:
    from types import SimpleNamespace

    from isotrack.catalog import load_catalog
    from isotrack.timeline import fold

    made = []
    for i, (kind, pick, ended) in enumerate(units):
        code = f"U{(i * 7) % 11}{i}"  # codes not in founding order
        parent = made[pick][1] if 0 <= pick < len(made) else {-1: "GONE1", -2: "GONE2"}.get(pick)
        made.append((ev.FOUNDED, code, {"name": code, "kind": kind, "parent": parent}))
        if ended:
            made.append((ev.DISSOLVED, code, {"successor": None}))
    events = [
        ev.Event(f"{n:032x}", code, type_, "2020-01-01", f"{n:06d}", "c", data)
        for n, (type_, code, data) in enumerate(made)
    ]
    registry = fold(events)
    catalog = load_catalog()
    position = Tracker._tree_positions(SimpleNamespace(catalog=catalog), registry)  # type: ignore[arg-type]
    units_ = list(registry.units.values())
    by_position = sorted(units_, key=lambda u: position[u.code])
    by_path = sorted(units_, key=lambda u: _path_key(catalog, registry, u))
    assert [u.code for u in by_position] == [u.code for u in by_path]
