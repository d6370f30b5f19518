"""The fold: order independence, as-of cut-off, reverts, anomalies."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from isotrack import events as ev
from isotrack.events import Event
from isotrack.timeline import (
    UnitState,
    edition_rank,
    fold,
    fold_onwards,
    onwards_ids_fit,
    onwards_parts,
    replay,
    reverted_changesets,
    stage_change_problem,
)

_counter = iter(range(10**9))


def event(
    unit: str,
    type_: str,
    on: str,
    data: dict[str, Any] | None = None,
    changeset: str = "cs",
    recorded: str | None = None,
) -> Event:
    n = next(_counter)
    return Event(
        id=f"e{n:09d}",
        unit=unit,
        type=type_,
        on=on,
        recorded=recorded or f"2026-01-01T00:00:00.{n % 1000000:06d}",
        changeset=changeset,
        data=data or {},
    )


def base_events() -> list[Event]:
    return [
        event("M", ev.FOUNDED, "2010-01-01", {"name": "Bộ", "kind": "ministry", "parent": None}),
        event(
            "A", ev.FOUNDED, "2010-01-01", {"name": "A", "kind": "district-command", "parent": "M"}
        ),
        event(
            "B", ev.FOUNDED, "2010-01-01", {"name": "B", "kind": "district-command", "parent": "M"}
        ),
        event("A", ev.STAGE, "2019-03-01", {"stage": "planned"}),
        event("A", ev.STAGE, "2020-03-01", {"stage": "applying", "edition": "2008"}),
        event("A", ev.EDITION, "2021-01-01", {"edition": "2015"}),
        event("B", ev.PROCEDURES, "2021-05-01", {"tthc": 3, "internal": 9}),
        event(
            "R",
            ev.FOUNDED,
            "2025-06-14",
            {"name": "R", "kind": "regional-defence-command", "parent": "M"},
        ),
        event("A", ev.MERGED, "2025-06-14", {"into": "R"}),
        event("B", ev.MERGED, "2025-06-14", {"into": "R"}),
    ]


def snapshot(events: list[Event], as_of: str | None) -> dict[str, Any]:
    registry = fold(events, as_of)
    return {
        "units": {code: unit.to_json() for code, unit in registry.units.items()},
        "anomalies": sorted(a.key for a in registry.anomalies),
    }


@given(
    st.permutations(base_events()),
    st.sampled_from([None, "2019-12-31", "2021-06-01", "2025-06-14", "2030-01-01"]),
)
def test_folding_does_not_depend_on_the_order_events_come_in(
    shuffled: list[Event], as_of: str | None
) -> None:
    assert snapshot(shuffled, as_of) == snapshot(base_events(), as_of)


@given(st.dates().map(lambda d: d.isoformat()))
def test_the_registry_as_of_a_date_ignores_later_events(as_of: str) -> None:
    events = base_events()
    earlier = [e for e in events if e.on <= as_of]
    assert snapshot(events, as_of) == snapshot(earlier, as_of)


def test_merge_ends_the_units_and_links_the_successor() -> None:
    registry = fold(base_events(), "2025-07-01")
    assert [u.code for u in registry.live()] == ["M", "R"]
    a = registry.units["A"]
    assert (a.ended, a.end_reason, [s.code for s in a.successors]) == (
        "2025-06-14",
        "merged",
        ["R"],
    )
    assert [p.code for p in registry.units["R"].predecessors] == ["A", "B"]
    before = fold(base_events(), "2025-06-13")
    assert {u.code for u in before.live()} == {"M", "A", "B"}


def test_same_day_events_later_recorded_wins() -> None:
    events = [
        *base_events()[:3],
        event("A", ev.PROCEDURES, "2021-01-01", {"internal": 5}, recorded="2026-01-02T00:00:00"),
        event("A", ev.PROCEDURES, "2021-01-01", {"internal": 7}, recorded="2026-01-01T00:00:00"),
    ]
    assert fold(events).units["A"].procedures["internal"] == 5


def test_a_reverted_changeset_vanishes_and_a_reverted_revert_restores_it() -> None:
    events = base_events()
    merge_cs = "merge"
    events = [
        e
        if e.type != ev.MERGED
        else Event(e.id, e.unit, e.type, e.on, e.recorded, merge_cs, e.data)
        for e in events
    ]
    undo = event(
        "",
        ev.REVERTED,
        "2026-01-01",
        {"changeset": merge_cs},
        changeset="undo1",
        recorded="2026-02-01T00:00:00",
    )
    assert reverted_changesets([*events, undo]) == {merge_cs: "undo1"}
    assert {u.code for u in fold([*events, undo]).live()} == {"M", "A", "B", "R"}
    redo = event(
        "",
        ev.REVERTED,
        "2026-01-02",
        {"changeset": "undo1"},
        changeset="undo2",
        recorded="2026-03-01T00:00:00",
    )
    assert reverted_changesets([*events, undo, redo]) == {"undo1": "undo2"}
    assert {u.code for u in fold([*events, undo, redo]).live()} == {"M", "R"}


def test_anomalies_are_recorded_not_raised() -> None:
    events = [
        *base_events(),
        event("A", ev.STAGE, "2026-01-01", {"stage": "announced"}),  # after A merged
        event("Z", ev.STAGE, "2020-01-01", {"stage": "planned"}),  # unknown unit
        event("B", ev.STAGE, "2009-01-01", {"stage": "planned"}),  # before B existed
        event("M", ev.MOVED, "2011-01-01", {"parent": "A"}),  # A is under M: a cycle
        event("A", ev.EDITION, "2022-01-01", {"edition": "2008"}),  # going back
        event("B", ev.PROCEDURES, "2022-01-01", {"tthc": -1}),
    ]
    messages = [a.message for a in fold(events).anomalies]
    assert messages == [
        "B: stage on 2009-01-01, but the unit does not exist then",
        "M: moving under A on 2011-01-01 makes a cycle",
        "Z: stage on 2020-01-01, but the unit does not exist then",
        "A: on 2022-01-01, edition 2008 recorded after 2015 (since 2021-01-01) was already its "
        "current one",
        "B: tthc count -1 on 2022-01-01",
        "A: stage on 2026-01-01, after the unit merged on 2025-06-14",
    ]


def test_stage_rules() -> None:
    assert stage_change_problem("none", "applying") is None  # skipping ahead is allowed
    assert stage_change_problem("announced", "lapsed") is None
    assert stage_change_problem("lapsed", "building") is None
    assert stage_change_problem("applying", "building") is not None
    assert stage_change_problem("planned", "lapsed") is not None
    assert stage_change_problem("applying", "none") is not None


BASE = base_events()


@given(st.lists(st.sampled_from(BASE), max_size=6), st.permutations(BASE))
def test_an_event_stored_twice_counts_once(extra: list[Event], shuffled: list[Event]) -> None:
    assert snapshot([*shuffled, *extra], None) == snapshot(BASE, None)


# The shapes of event data (checked on import, and for structural events on every read)


@pytest.mark.parametrize(
    ("type_", "data", "problem"),
    [
        (ev.FOUNDED, {"name": "X", "kind": "agency", "parent": None}, None),
        (ev.FOUNDED, {"name": "X"}, "its data has no 'kind'"),
        (ev.FOUNDED, {"name": "X", "kind": "agency", "parent": ""}, "'parent' is ''"),
        (ev.SPLIT, {"into": ["A", "B"], "basis": None}, None),
        (ev.SPLIT, {"into": "A"}, "'into' is 'A', not a list of unit codes"),
        (ev.MERGED, {"into": ["A"]}, "'into' is ['A'], not a unit code"),
        (ev.PROCEDURES, {"tthc": 3, "internal": True}, "'internal' is True, not a whole number"),
        (ev.PROCEDURES, {"tthc": -1}, "'tthc' is -1"),
        (ev.AUDIT, {"kind": "internal", "findings": None}, None),
        (ev.TARGET_SET, {"name": "t", "deadline": "2030-12-31", "share": 1}, None),
        (ev.TARGET_SET, {"name": "t", "deadline": "31/12/2030"}, "'deadline' is '31/12/2030'"),
        (ev.TARGET_SET, {"name": "t", "deadline": "2030-12-31", "no_consultant": 1}, "'no_cons"),
        (ev.STAGE, {"stage": "applying", "later": {"kept": True}}, None),  # unknown keys pass
        ("unit.exploded", {"anything": []}, None),
    ],
)
def test_data_problem(type_: str, data: dict[str, Any], problem: str | None) -> None:
    found = ev.data_problem(type_, data)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_a_stored_structural_event_with_bad_data_is_refused_on_read() -> None:
    good = event("A", ev.FOUNDED, "2020-01-01", {"name": "A", "kind": "agency", "parent": None})
    bad = event("B", ev.MOVED, "2020-01-02", {"parent": {"code": "A"}})
    assert ev.events_from_records([good.to_record()]) == [good]
    with pytest.raises(ValueError, match=r"record 2: its data 'parent' is \{'code': 'A'\}"):
        ev.events_from_records([good.to_record(), bad.to_record()])


# Values of every JSON kind, the ones the shapes tell apart among them (1, 1.0, True; '' and
# codes; ISO dates and others; lists of codes and of other things).
_JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 3),
    st.sampled_from([1.0, 2.5, float("nan")]),
    st.sampled_from(["", "A", "B1", "é", "a b", "2030-12-31", "31/12/2030", "2030-02-30"]),
    st.lists(st.sampled_from(["A", "", 1, None]), max_size=2),
    st.just({"code": "A"}),
)


# Values that fit each shape.
_FITTING = {
    "text": st.sampled_from(["", "A", "é"]),
    "code": st.sampled_from(["A", "B1"]),
    "date": st.just("2030-12-31"),
    "count": st.integers(0, 3),
    "number": st.sampled_from([1, 2.5]),
    "flag": st.booleans(),
    "codes": st.lists(st.sampled_from(["A", "B"]), max_size=2),
    "texts": st.lists(st.sampled_from(["a", "b"]), max_size=2),
}


@st.composite
def _event_data(draw: st.DrawFn, type_: str) -> dict[str, Any]:
    """Data for ``type_``: each field there or not (required ones mostly there), its value
    mostly one that fits, else null or a value of any kind."""
    fields, required = ev._DATA_SHAPES[type_]
    data: dict[str, Any] = {}
    for key, shape in [*fields.items(), ("later", "text")]:
        if not draw(st.integers(0, 9)) if key in required else draw(st.booleans()):
            continue
        how = draw(st.sampled_from("fffffffnj"))
        fitting = _FITTING[shape.rstrip("?")]
        data[key] = draw(fitting if how == "f" else st.none() if how == "n" else _JSON_VALUES)
    return data


@pytest.mark.parametrize("type_", sorted(ev._DATA_SHAPES))
@given(data=st.data())
def test_the_column_check_of_shapes_agrees_with_each_events_check(
    type_: str, data: st.DataObject
) -> None:
    datas = data.draw(st.lists(_event_data(type_), max_size=5))
    expected = all(ev.data_problem(type_, data) is None for data in datas)
    assert ev._shapes_fit(type_, datas) is expected


# Going on from a registry (a write's check, without folding the history again)

LATER = [
    event("R", ev.STAGE, "2026-01-05", {"stage": "planned"}),
    event("R", ev.STAGE, "2026-02-01", {"stage": "announced"}),  # skipping stages is allowed
    event("A", ev.STAGE, "2026-02-01", {"stage": "building"}),  # A has ended: an anomaly
    event("R", ev.STAGE, "2026-03-01", {"stage": "planned"}),  # backwards: an anomaly
    event("C", ev.FOUNDED, "2026-03-01", {"name": "C", "kind": "agency", "parent": "R"}),
    event("R", ev.DISSOLVED, "2026-04-01", {"successor": None}),  # leaves C orphaned
    event("M", ev.PROCEDURES, "2026-05-01", {"tthc": 4}),
    event("", ev.TARGET_SET, "2026-05-01", {"name": "t", "deadline": "2030-12-31"}),
]


def registry_json(registry: Any) -> dict[str, Any]:
    return {
        "units": {code: unit.to_json() for code, unit in registry.units.items()},
        "histories": {code: unit.history for code, unit in registry.units.items()},
        "anomalies": sorted(a.key for a in registry.anomalies),
        "targets": registry.targets,
    }


@given(st.lists(st.sampled_from(LATER), unique_by=lambda e: e.id), st.sampled_from(BASE))
def test_going_on_from_a_registry_is_folding_everything(new: list[Event], old: Event) -> None:
    """When the new events all come after the history, going on gives what folding all of
    them gives; otherwise (one dated inside the history, or a target) it declines."""
    going_on = fold_onwards(fold(BASE), new)
    if any(e.type == ev.TARGET_SET for e in new):
        assert going_on is None
    else:
        assert going_on is not None
        assert registry_json(going_on) == registry_json(fold([*BASE, *new]))
    inside = old._replace(id=f"{old.id}-again", on="2011-06-01")  # inside the history
    assert fold_onwards(fold(BASE), [*new, inside]) is None


def test_a_registry_goes_on_once_and_only_when_it_holds_every_event() -> None:
    registry = fold(BASE)
    assert fold_onwards(fold(BASE, "2024-01-01"), LATER[:1]) is None
    assert fold_onwards(registry, LATER[:1]) is not None
    assert fold_onwards(registry, LATER[1:2]) is None  # used up


def test_going_on_declines_what_a_fold_would_count_differently() -> None:
    """An id already folded (or given twice) counts once in a fold, and an event of a
    changeset undone is left out: going on would apply them, so it declines."""
    later = LATER[0]
    again = BASE[0]._replace(on="2026-06-01", data={"name": "Z", "kind": "ministry"})
    assert fold_onwards(fold(BASE), [again]) is None
    assert fold_onwards(fold(BASE), [later, later]) is None
    undo = event("", ev.REVERTED, "2026-01-01", {"changeset": "gone"}, changeset="undo")
    undone = later._replace(id="e-undone", changeset="gone")
    assert fold_onwards(fold([*BASE, undo]), [undone]) is None
    assert fold_onwards(fold([*BASE, undo]), [later]) is not None


@given(st.one_of(st.none(), st.text(max_size=6)))
@example("²")  # a digit int() refuses
@example("2015")
def test_edition_rank_is_a_year_or_zero_for_any_text(code: str | None) -> None:
    rank = edition_rank(code)
    assert rank >= 0
    if code and code.isascii() and code.isdigit():
        assert rank == int(code)


def test_targets_hold_at_every_date_in_a_history_without_undo() -> None:
    """A target is timeless, whatever day it was set: a fold as of any date holds it, and
    removing it ends it at every date too (no undo in the history: the fold's quick path)."""
    founded = event("R", ev.FOUNDED, "2010-01-01", {"name": "R", "kind": "agency"})
    target = {"name": "t", "deadline": "2030-12-31"}
    history = [founded, event("", ev.TARGET_SET, "2026-05-01", target)]
    assert fold(history, "2015-01-01").targets == {"t": target}
    removed = [*history, event("", ev.TARGET_REMOVED, "2026-06-01", {"name": "t"})]
    assert fold(removed, "2015-01-01").targets == {}
    assert fold(removed).units["R"].history == [founded]  # (targets are no unit's history)


# A unit as it stood on a day, from its own history (what an import compares a dated row with)

_UNIT_FACTS = (ev.STAGE, ev.EDITION, ev.PROCEDURES, ev.RENAMED, ev.MOVED, ev.MOVED, ev.MOVED)
_DAYS = [
    "2012-01-01", "2015-01-01", "2016-06-01", "2018-01-01", "2018-01-02", "2020-12-31", "2022-03-01"
]  # fmt: skip


def _founded(code: str, on: str, parent: str | None = None) -> Event:
    return event(code, ev.FOUNDED, on, {"name": code, "kind": "agency", "parent": parent})


@st.composite
def _unit_history(draw: st.DrawFn) -> list[Event]:
    """Unit U, founded in 2015 under P, beside Q (founded early or late, perhaps dissolved),
    then facts of U on random days, moves above all (to P, Q, U itself, a unit that never
    existed, or to no parent), perhaps its end, the data mostly fitting but sometimes not (a
    stage that does not exist, a count that is a flag)."""
    history = [
        _founded("P", "2010-01-01"),
        _founded("Q", draw(st.sampled_from(["2010-01-01", "2016-06-01", "2019-01-01"]))),
        _founded("U", "2015-01-01", "P"),
    ]
    if draw(st.booleans()):
        history.append(event("Q", ev.DISSOLVED, draw(st.sampled_from(_DAYS)), {}))
    for _ in range(draw(st.integers(0, 8))):
        type_ = draw(st.sampled_from(_UNIT_FACTS))
        data = draw(_event_data(type_))
        if type_ == ev.STAGE and draw(st.booleans()):
            data["stage"] = draw(st.sampled_from([*ev.STAGES, "bogus"]))
        if type_ == ev.MOVED:
            data["parent"] = draw(st.sampled_from(["P", "Q", "Q", "U", "X", None]))
        history.append(event("U", type_, draw(st.sampled_from(_DAYS)), data))
    if draw(st.integers(0, 3)) == 0:
        ending = draw(st.sampled_from([(ev.MERGED, {"into": "P"}), (ev.DISSOLVED, {})]))
        history.append(event("U", ending[0], draw(st.sampled_from(_DAYS)), ending[1]))
    return history


_TWO_MOVES = [
    _founded("P", "2010-01-01"),
    _founded("Q", "2010-01-01"),
    _founded("U", "2015-01-01", "P"),
    event("U", ev.MOVED, "2016-06-01", {"parent": "Q"}),
    event("U", ev.MOVED, "2018-01-01", {"parent": "P"}),
    event("U", ev.STAGE, "2022-03-01", {"stage": "planned"}),
]


@given(_unit_history(), st.sampled_from(_DAYS))
@example(_TWO_MOVES, "2016-06-01")
@example(_TWO_MOVES, "2020-12-31")
@example([*_TWO_MOVES[:3], event("U", ev.MOVED, "2016-06-01", {"parent": "X"}), _TWO_MOVES[-1]],
         "2018-01-01")  # a move the fold refused (X never existed)  # fmt: skip
def test_a_replayed_unit_is_what_the_fold_gives_on_that_day(history: list[Event], day: str) -> None:
    """``replay`` (what an import compares a dated row with) gives the facts, the end and the
    history of a fold of every event up to that day."""
    full = fold(history)
    flagged = {a.event for a in full.anomalies if a.event is not None}
    then = replay(full.units["U"], day, flagged)
    # Before its founding, a unit has no facts yet.
    expected = fold(history, day).units.get("U") or UnitState("U", "U", "agency", None, "")
    fields = ("name", "parent", "stage", "stage_since", "edition", "edition_since", "ended")
    more = ("end_reason", "consultant", "consultant_used", "model", "decision", "scope")
    facts = (*fields, *more, "procedures", "audits", "history")
    assert {f: getattr(then, f) for f in facts} == {f: getattr(expected, f) for f in facts}


def test_a_unit_founded_under_a_parent_that_has_ended_is_flagged() -> None:
    history = [
        _founded("P", "2010-01-01"),
        event("P", ev.DISSOLVED, "2012-01-01", {}),
        _founded("U", "2015-01-01", "P"),
    ]
    messages = [a.message for a in fold(history).anomalies]
    assert "U: parent P does not exist on 2015-01-01" in messages


# A write's check in two parts, one per process (see ``onwards_parts``)

_CODES = ("M", "A", "B", "C", "D", "E")
_PARENTS = st.sampled_from([*_CODES, "Z", "", None])  # Z never exists
_OLD_DAYS = st.sampled_from(["2010-01-01", "2012-06-01", "2015-01-01", "2019-12-31"])
_NEW_DAYS = st.sampled_from(["2020-01-01", "2020-06-01", "2021-01-01"])
_OLD_FACTS = (ev.STAGE, ev.PROCEDURES, ev.MOVED, ev.DISSOLVED, ev.MERGED, ev.RENAMED)
_NEW_FACTS = (ev.STAGE, ev.STAGE, ev.EDITION, ev.PROCEDURES, ev.RENAMED, ev.AUDIT)


@st.composite
def _fact(draw: st.DrawFn, types: tuple[str, ...], days: st.SearchStrategy[str]) -> Event:
    """A fact of one of ``types`` about a unit that may not exist, its data of the shapes the
    fold is given (``data_problem``: what a database or an event file holds) but odd values
    where those allow them (a stage that does not exist, a count that is a flag)."""
    type_ = draw(st.sampled_from(types))
    data = draw(_event_data(type_).filter(lambda data: ev.data_problem(type_, data) is None))
    if type_ in (ev.MOVED, ev.MERGED):
        data["parent" if type_ == ev.MOVED else "into"] = draw(_PARENTS) or None
    if type_ == ev.STAGE and draw(st.booleans()):
        data["stage"] = draw(st.sampled_from([*ev.STAGES, "bogus"]))
    return event(draw(st.sampled_from(_CODES)), type_, draw(days), data)


def _founding(code: str, on: str, parent: str | None) -> Event:
    return event(code, ev.FOUNDED, on, {"name": code, "kind": "agency", "parent": parent})


@st.composite
def _history_and_batch(draw: st.DrawFn) -> tuple[list[Event], list[Event]]:
    """A history (units founded under any parent, some that never exist, facts of every kind,
    moves and ends among them), then a batch after it, grouped by unit: units founded under
    old units, new ones (above or below them, or in a cycle), ended ones and ones that never
    exist, foundings of codes already used, and facts of every kind a batch can be parted
    with, some of units that do not exist."""
    history = [
        _founding(code, draw(_OLD_DAYS), draw(_PARENTS))
        for code in draw(st.lists(st.sampled_from(_CODES), unique=True, max_size=4))
    ]
    history += draw(st.lists(_fact(_OLD_FACTS, _OLD_DAYS), max_size=6))
    founded = draw(st.lists(st.sampled_from(_CODES), unique=True, max_size=5))
    batch = [_founding(code, draw(_NEW_DAYS), draw(_PARENTS)) for code in founded]
    batch += draw(st.lists(_fact(_NEW_FACTS, _NEW_DAYS), max_size=10))
    order = {code: at for at, code in enumerate(draw(st.permutations(_CODES)))}
    return history, sorted(batch, key=lambda e: order[e.unit])


def _added(history: list[Event], batch: list[Event]) -> set[Any]:
    """The errors going on from the history with ``batch`` adds (``added_anomalies``)."""
    full = fold(history)
    before = {a.key for a in full.anomalies}
    after = fold_onwards(full, batch)
    assert after is not None
    return {a for a in after.anomalies if a.key not in before and a.severity == "error"}


@given(_history_and_batch(), st.floats(0.05, 0.95))
@example(
    ([_founding("M", "2010-01-01", None)],
     [_founding("A", "2020-01-01", "B"), _founding("B", "2020-01-01", "A")]),
    0.5,
)  # a cycle among the new units: each part holds both foundings  # fmt: skip
@example(
    ([_founding("M", "2010-01-01", None), event("M", ev.DISSOLVED, "2012-06-01", {})],
     [_founding("A", "2020-01-01", "M"), _founding("B", "2020-01-01", "A"),
      event("B", ev.STAGE, "2020-06-01", {"stage": "planned"})]),
    0.5,
)  # B's part needs A's founding, A's part finds A under an ended unit  # fmt: skip
@example(
    ([_founding("M", "2010-01-01", None)],
     [_founding("A", "2020-01-01", "M"), _founding("B", "2020-06-01", "A"),
      _founding("C", "2021-01-01", "B")]),
    0.6,
)  # C's part needs B's founding, and A's above it  # fmt: skip
@example(
    ([_founding("M", "2010-01-01", None)],
     [_founding("A", "2020-06-01", "B"), _founding("B", "2020-01-01", "M"),
      event("B", ev.STAGE, "2020-06-01", {"stage": "planned"})]),
    0.3,
)  # the first part ends with a founding whose parent is founded in the second  # fmt: skip
def test_going_on_in_parts_finds_what_going_on_at_once_finds(
    history_and_batch: tuple[list[Event], list[Event]], share: float
) -> None:
    history, batch = history_and_batch
    parts = onwards_parts(fold(history), batch, share)
    if parts is None:
        return
    first, second = parts

    def cut_at(cut: int) -> bool:
        """The batch cut in two there, between two units, and foundings of other units of
        the batch added to each part."""
        if batch[cut - 1].unit == batch[cut].unit:
            return False
        own = (batch[:cut], batch[cut:])
        if first[:cut] != own[0] or second[: len(own[1])] != own[1]:
            return False
        added = zip(own, (first[cut:], second[len(own[1]) :]), strict=True)
        return all(e.type == ev.FOUNDED and e in batch and e not in o for o, a in added for e in a)

    assert any(map(cut_at, range(1, len(batch))))
    assert _added(history, first) | _added(history, second) == _added(history, batch)


def test_a_batch_is_parted_only_when_going_on_with_its_parts_can_be_trusted() -> None:
    history = [_founding("M", "2010-01-01", None), _founding("A", "2012-06-01", "M")]
    batch = [
        _founding("B", "2020-01-01", "M"),
        event("B", ev.STAGE, "2020-06-01", {"stage": "planned"}),
        _founding("C", "2020-01-01", "B"),
        event("A", ev.PROCEDURES, "2020-01-01", {"tthc": 2}),
    ]
    parts = onwards_parts(fold(history), batch, 0.5)
    assert parts == (batch[:2], [*batch[2:], batch[0]])  # C's part holds B's founding
    assert onwards_parts(fold(history), batch, 0.99) is None  # one part would be empty
    for other in (
        event("A", ev.MOVED, "2020-01-01", {"parent": "B"}),  # reads B
        event("A", ev.DISSOLVED, "2020-01-01", {"successor": "B"}),  # so does an ending
        event("", ev.TARGET_SET, "2020-01-01", {"name": "t"}),
        event("A", ev.STAGE, "2011-01-01", {"stage": "planned"}),  # inside the history
        _founding("B", "2021-01-01", "M"),  # B founded twice
    ):
        assert onwards_parts(fold(history), [*batch, other], 0.5) is None
    again = _founding("B", "2021-01-01", "M")  # B founded twice, its events side by side
    assert onwards_parts(fold(history), [*batch[:2], again, *batch[2:]], 0.5) is None
    assert onwards_parts(fold(history), [batch[1], *batch[2:], batch[0]], 0.5) is None  # B apart
    odd = _founding("D", "2020-01-01", None)._replace(data={"parent": ["M"]})
    assert onwards_parts(fold(history), [*batch, odd], 0.5) is None  # a parent not a code
    assert onwards_parts(fold(history, "2015-01-01"), batch, 0.5) is None  # not every event
    assert onwards_ids_fit(fold(history), batch)
    assert not onwards_ids_fit(fold(history), [*batch, batch[0]])
    assert not onwards_ids_fit(fold(history), [*batch, history[1]])
