"""Fold events into the organisation as it stood on a date.

``fold(events, as_of)`` is a pure function: the same set of events gives the same registry whatever
order they come in (see ``Event.sort_key``). While folding it records anomalies, facts that do not
fit (a stage recorded before the unit existed, a parent that does not exist, a cycle...): ``doctor``
reports them, and every write is refused if it would add one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import compress
from operator import attrgetter, methodcaller
from typing import Any

from isotrack.events import (
    AUDIT,
    DISSOLVED,
    EDITION,
    FOUNDED,
    MERGED,
    MOVED,
    PROCEDURE_CATEGORIES,
    PROCEDURES,
    RENAMED,
    REVERTED,
    SPLIT,
    STAGE,
    STAGE_ORDER,
    TARGET_REMOVED,
    TARGET_SET,
    TIMELESS,
    Event,
    sort_key,
)
from isotrack.text import quoted

ENDING_NAMES = {MERGED: "merged", SPLIT: "split", DISSOLVED: "dissolved"}
_effective = attrgetter("on")  # an event's effective date: what ``as_of`` cuts at
_type = attrgetter("type")
# A new unit's procedure counts; each unit gets its own copy (a bound ``copy`` is a cheaper
# default factory than a lambda, and the fold makes one per unit).
_NO_PROCEDURES = dict.fromkeys(PROCEDURE_CATEGORIES, 0)


@dataclass(frozen=True, slots=True)
class Link:
    """One lineage link: ``code`` is the other unit, ``how`` merged, split or dissolved."""

    code: str
    on: str
    how: str
    basis: str | None = None


@dataclass(frozen=True, slots=True)
class Anomaly:
    unit: str
    message: str
    severity: str = "error"  # "error" or "warning"
    event: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.unit, self.message)


@dataclass(slots=True)
class UnitState:
    """A unit as it stood on the registry's date."""

    code: str
    name: str
    kind: str
    parent: str | None
    founded: str
    ended: str | None = None
    end_reason: str | None = None
    end_basis: str | None = None
    # Few units have links, and they are added only when a unit ends: tuples, so that the
    # other units share one empty default (no list made per unit).
    predecessors: tuple[Link, ...] = ()
    successors: tuple[Link, ...] = ()
    stage: str = "none"
    stage_since: str | None = None
    edition: str | None = None
    edition_since: str | None = None
    consultant: str | None = None
    consultant_used: bool | None = None
    model: str | None = None
    decision: str | None = None
    scope: str | None = None
    procedures: dict[str, int] = field(default_factory=_NO_PROCEDURES.copy)
    procedures_since: str | None = None
    audits: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[Event] = field(default_factory=list)

    @property
    def alive(self) -> bool:
        return self.ended is None

    @property
    def procedures_total(self) -> int:
        return sum(self.procedures.values())

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape of a unit (``unit list --json``, ``unit show --json``)."""
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "parent": self.parent,
            "founded": self.founded,
            "ended": self.ended,
            "end_reason": self.end_reason,
            "alive": self.alive,
            "predecessors": [link.code for link in self.predecessors],
            "successors": [link.code for link in self.successors],
            "stage": self.stage,
            "stage_since": self.stage_since,
            "edition": self.edition,
            "edition_since": self.edition_since,
            "consultant": self.consultant,
            "consultant_used": self.consultant_used,
            "model": self.model,
            "decision": self.decision,
            "procedures": {**self.procedures, "total": self.procedures_total},
            "audits": self.audits,
        }


@dataclass
class Registry:
    """Every unit founded on or before ``as_of`` (``None``: all events), live or ended."""

    as_of: str | None
    units: dict[str, UnitState]
    anomalies: list[Anomaly]
    reverted: dict[str, str]  # changeset id -> id of the changeset that reverted it
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> target data
    # A registry of every event keeps the fold that made it, and the sort key of its last
    # dated event, so that ``fold_onwards`` can go on from it.
    _folder: _Folder | None = field(default=None, repr=False, compare=False)
    _last: str = field(default="", repr=False, compare=False)

    def get(self, code: str) -> UnitState | None:
        return self.units.get(code)

    def live(self) -> list[UnitState]:
        return [unit for unit in self.units.values() if unit.alive]

    def children(self, code: str) -> list[UnitState]:
        return [u for u in self.units.values() if u.alive and u.parent == code]

    def subtree(self, code: str, *, include_ended: bool = False) -> set[str]:
        """``code`` and every live unit below it; with ``include_ended``, also the units that
        were below it when they ended."""
        below: dict[str, list[str]] = {}
        for unit in self.units.values():
            if (include_ended or unit.alive) and unit.parent:
                below.setdefault(unit.parent, []).append(unit.code)
        found, todo = {code}, [code]
        while todo:
            for child in below.get(todo.pop(), ()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
        return found

    def ancestors(self, code: str) -> list[str]:
        """Parents of ``code`` from the nearest up, stopping at a cycle."""
        chain: list[str] = []
        seen = {code}
        unit = self.units.get(code)
        while unit is not None and unit.parent and unit.parent not in seen:
            chain.append(unit.parent)
            seen.add(unit.parent)
            unit = self.units.get(unit.parent)
        return chain


def reverted_changesets(events: Iterable[Event]) -> dict[str, str]:
    """Changesets cancelled by ``undo``, mapped to the changeset that cancelled them.

    An undo can itself be undone (a redo). Reverts are resolved from the latest recorded back:
    whether a revert is in force depends only on reverts recorded after it.
    """
    reverts = sorted(
        (e for e in events if e.type == REVERTED),
        key=lambda e: (e.recorded, e.id),
        reverse=True,
    )
    cancelled: dict[str, str] = {}
    for revert in reverts:
        if revert.changeset in cancelled:
            continue
        target = str(revert.data.get("changeset", ""))
        cancelled.setdefault(target, revert.changeset)
    return cancelled


def fold(events: Iterable[Event], as_of: str | None = None) -> Registry:
    """The registry as it stood at the end of ``as_of`` (an ISO date; ``None``: every event)."""
    for _, registry in fold_series(events, [as_of]):
        return registry
    raise AssertionError("fold_series yields once per date")  # pragma: no cover


def fold_onwards(registry: Registry, events: list[Event]) -> Registry | None:
    """``registry`` (of every event) with ``events`` applied after it: the registry a fold of
    all the events together would give, without folding the history again. Only when every
    new event sorts after every event already folded (a write dated today, recorded now: the
    usual case) and none is a target or an undo, which act on the whole history; ``None``
    otherwise, and then the caller folds everything.

    ``registry`` is used up: its units move on with the new events.
    """
    folder = registry._folder
    if folder is None or _undo_or_target(set(map(_type, events))):
        return None
    if not _goes_on_after(registry, events):
        return None
    new_ids = _new_ids(folder, events)
    if new_ids is None:
        return None
    ordered = sorted(events, key=sort_key)
    registry._folder = None
    folder.ids |= new_ids
    folder.apply_all(ordered)
    return Registry(
        as_of=None,
        units=folder.units,
        anomalies=[*folder.anomalies, *folder.finish()],
        reverted=registry.reverted,
        targets=folder.targets,
    )


# The event types whose fold reads no unit but their own, except a founding, which reads whether
# its parent is there (founded, not ended): a batch of only these can be folded in parts.
_OWN_UNIT = frozenset({FOUNDED, RENAMED, STAGE, EDITION, AUDIT, PROCEDURES})
_unit = attrgetter("unit")
_data = attrgetter("data")


def onwards_parts(
    registry: Registry, events: list[Event], share: float
) -> tuple[list[Event], list[Event]] | None:
    """``events`` in two parts that ``registry`` can go on with apart (``fold_onwards``, each
    part from its own copy of it), flagging together what going on with them all flags.

    The events are cut between two units' events, about ``share`` of them first. Each part holds
    every event of its units, and the foundings among ``events`` of their ancestors (a
    founding asks whether its parent is there; the parent's other events, which cannot end or
    move it, stay in their own part). ``None`` if the registry cannot go on with ``events``
    (see ``fold_onwards``: the caller checks their ids, with ``onwards_ids_fit``) or they
    cannot be parted so: an event reads another unit (a move, an ending, a target, an undo), a
    unit has events on both sides of the cut, a unit is founded twice, a parent is not a code,
    or there are too few events. Each step is a pass in C: this runs before a large write's
    check.
    """
    kinds = list(map(_type, events))
    if not set(kinds) <= _OWN_UNIT or not _goes_on_after(registry, events):
        return None
    codes = list(map(_unit, events))
    cut = max(1, round(len(events) * share))
    while cut < len(codes) and codes[cut] == codes[cut - 1]:
        cut += 1
    own = (set(codes[:cut]), set(codes[cut:]))
    if cut >= len(codes) or not own[0].isdisjoint(own[1]):
        return None
    is_founding = list(map(FOUNDED.__eq__, kinds))
    foundings = list(compress(events, is_founding))
    founding = dict(zip(compress(codes, is_founding), foundings, strict=True))
    parents = list(map(_parent, map(_data, foundings)))  # (``or None`` below: see ``_founding``)
    if len(founding) != len(foundings) or not set(map(type, parents)) <= {str, type(None)}:
        return None
    first_foundings = sum(is_founding[:cut])
    parts = (events[:cut], events[cut:])
    for part, units, above in zip(
        parts, own, (set(parents[:first_foundings]), set(parents[first_foundings:])), strict=True
    ):
        # The foundings of the new ancestors of the part's units, from their parents up.
        seen: set[str | None] = set(units)
        while above:
            code = above.pop()
            if not code or code in seen or code not in founding:
                continue
            seen.add(code)
            part.append(founding[code])
            above.add(founding[code].data.get("parent"))
    return parts


_parent = methodcaller("get", "parent")


def _goes_on_after(registry: Registry, events: list[Event]) -> bool:
    """Whether ``registry`` holds every event and ``events`` all sort after its last one and
    belong to no changeset undone: with their ids (``_new_ids``), what going on with them
    needs (``fold_onwards``, ``onwards_parts``). Without sorting them: only the events of
    the first day are looked at."""
    if registry._folder is None or registry.as_of is not None:
        return False
    if registry.reverted and not registry.reverted.keys().isdisjoint(map(_changeset, events)):
        return False  # (an event of a changeset undone: a fold leaves it out)
    if not registry._last or not events:
        return True  # (no history, or nothing to go on with)
    first: str = min(map(_effective, events))
    last = registry._last[:10]
    if first != last:
        return first > last
    on_first = compress(events, map(first.__eq__, map(_effective, events)))
    return min(map(sort_key, on_first)) > registry._last


def onwards_ids_fit(registry: Registry, events: list[Event]) -> bool:
    """Whether ``events`` hold no id twice and none ``registry`` has folded: what going on
    with their parts (``onwards_parts``) needs beyond what going on with each part checks."""
    folder = registry._folder
    return folder is not None and _new_ids(folder, events) is not None


def _new_ids(folder: _Folder, events: list[Event]) -> set[str] | None:
    """The ids of ``events``, if none is given twice or already folded (a fold counts each id
    once: going on would apply it again)."""
    ids = set(map(_id, events))
    return ids if len(ids) == len(events) and ids.isdisjoint(folder.ids) else None


_id = attrgetter("id")
_changeset = attrgetter("changeset")


def fold_series(
    events: Iterable[Event], dates: list[str | None]
) -> Iterator[tuple[str | None, Registry]]:
    """The registry at each of ``dates`` (ISO, ascending; ``None`` last means every event), in
    one pass over the sorted events.

    The registries yielded share their units: use each before asking for the next.
    """
    all_events = events if isinstance(events, list) else list(events)
    ids = {e.id for e in all_events}
    if len(ids) != len(all_events):
        # An event is its id: one stored twice (a hand-merged file) counts once.
        all_events = list({e.id: e for e in reversed(all_events)}.values())[::-1]
    # The types present, in one pass in C: most histories have no undo and no target, and
    # then every event is dated and none is left out (no pass in Python to sort them out).
    kinds = set(map(_type, all_events))
    reverted = reverted_changesets(all_events) if REVERTED in kinds else {}
    folder = _Folder()
    folder.ids = ids
    dated: list[Event] = []
    timeless: list[Event] = []
    if _undo_or_target(kinds):
        for event in all_events:
            kind = event.type
            if kind == REVERTED or (reverted and event.changeset in reverted):
                continue
            (timeless if kind in TIMELESS else dated).append(event)
    else:
        dated = all_events.copy()
    timeless.sort(key=sort_key)
    for event in timeless:  # targets hold at every date: apply them first
        folder.apply(event)
    dated.sort(key=sort_key)
    index = 0
    for as_of in dates:
        stop = len(dated) if as_of is None else bisect_right(dated, as_of, lo=index, key=_effective)
        folder.apply_all(dated[index:stop])
        index = stop
        anomalies = [*folder.anomalies, *folder.finish()]
        yield (
            as_of,
            Registry(
                as_of=as_of,
                units=folder.units,
                anomalies=anomalies,
                reverted=reverted,
                targets=folder.targets,
                _folder=folder if as_of is None else None,
                _last=sort_key(dated[-1]) if dated else "",
            ),
        )


def replay(unit: UnitState, until: str, flagged: set[str]) -> UnitState:
    """``unit`` as it stood at the end of ``until`` (an ISO date), from its own history (in
    fold order, its founding first) replayed by the fold's rules: its name, parent, QMS record,
    counts, audits, end and history as a fold up to that date gives them. A move also depends
    on other units (is the new parent there then, would it make a cycle?), which a replay of
    one unit cannot see: the fold has decided it, and ``flagged`` holds the ids of the events
    the fold flagged (a flagged move is one it did not apply: see ``_Folder._move``). Its
    links to other units (predecessors, successors) are not replayed. Before its founding,
    the unit has no facts yet (its code for a name). When nothing of it is later than
    ``until`` (the usual case), the unit itself: nothing to replay."""
    history = unit.history
    if not history or history[-1].on <= until:
        return unit
    upto = history[: bisect_right(history, until, key=_effective)]
    if not upto:
        return UnitState(unit.code, unit.code, unit.kind, None, unit.founded)
    then = _founding(upto[0])
    folder = _Folder()
    folder.units[unit.code] = then
    # No other fact reads the parent: the moves the fold applied are applied last, in order.
    folder.apply_all([event for event in upto[1:] if event.type != MOVED])
    for event in upto:
        if event.type == MOVED and event.id not in flagged:
            then.parent = event.data.get("parent") or None
    then.history = upto
    return then


def _founding(event: Event) -> UnitState:
    """A unit as its founding makes it (positional arguments: the first five fields, in order,
    are cheaper than keywords, and a fold makes one per unit)."""
    data = event.data
    name, kind = str(data.get("name", event.unit)), str(data.get("kind", ""))
    return UnitState(event.unit, name, kind, data.get("parent") or None, event.on)


def _undo_or_target(kinds: set[str]) -> bool:
    """Whether events of these types include an undo or a target, which act on the whole
    history rather than on a date."""
    return REVERTED in kinds or not kinds.isdisjoint(TIMELESS)


def stage_change_problem(current: str, new: str) -> str | None:
    """Why a unit at stage ``current`` cannot move to ``new`` (``None`` when it can)."""
    if new == current:
        return None
    if new == "none":
        return "a stage cannot go back to 'none' (undo the changeset that recorded it instead)"
    if new == "lapsed":
        if current in ("building", "applying", "announced"):
            return None
        return f"only a QMS being built, applied or announced can lapse (it is '{current}')"
    if current == "lapsed":
        return None
    if STAGE_ORDER[new] < STAGE_ORDER[current]:
        return f"the stage cannot go back from '{current}' to '{new}'"
    return None


def edition_rank(code: str | None) -> int:
    """An edition's year, to order editions (0 if it has none). isdecimal, not isdigit: int()
    refuses digits such as '²', and a hand-edited event holding one must not crash the fold."""
    return int(code) if code and code.isdecimal() else 0


class _Folder:
    """Applies sorted events one by one to a dict of units."""

    def __init__(self) -> None:
        self.ids: set[str] = set()  # of every event folded (``fold_onwards`` checks new ones)
        self.units: dict[str, UnitState] = {}
        self.anomalies: list[Anomaly] = []
        self.targets: dict[str, dict[str, Any]] = {}

    def flag(self, event: Event, message: str, severity: str = "error") -> None:
        self.anomalies.append(Anomaly(event.unit, message, severity, event.id))

    def live_at(self, code: str | None) -> bool:
        unit = self.units.get(code) if code else None
        return unit is not None and unit.alive

    def apply(self, event: Event) -> None:
        kind = event.type
        handler = _HANDLERS.get(kind)
        if kind in _UNIT_FREE:
            handler(self, None, event)  # type: ignore[misc]
            return
        unit = self.units.get(event.unit)
        if unit is None or unit.ended is not None:
            self._misplaced(event, unit)
            return
        if handler is None:
            self.flag(event, f"{event.unit}: unknown event type {quoted(kind)}", "warning")
            return
        handler(self, unit, event)
        unit.history.append(event)

    def apply_all(self, events: list[Event]) -> None:
        """``apply`` each event, in order: the same steps with the common cases inlined (this
        loop runs once per stored event in every command)."""
        units, handlers, found, apply = self.units, _UNIT_HANDLERS, self._found, self.apply
        for event in events:
            kind = event.type
            if kind == FOUNDED:  # one per unit, and needs no unit: no detour through ``apply``
                found(None, event)
                continue
            handler = handlers.get(kind)
            unit = units.get(event.unit)
            if handler is None or unit is None or unit.ended is not None:
                apply(event)  # a target, or says what is wrong
                continue
            handler(self, unit, event)
            unit.history.append(event)

    def _misplaced(self, event: Event, unit: UnitState | None) -> None:
        what = event.type.split(".")[-1]
        if unit is None:
            self.flag(
                event, f"{event.unit}: {what} on {event.on}, but the unit does not exist then"
            )
        else:
            self.flag(
                event,
                f"{event.unit}: {what} on {event.on}, after the unit {unit.end_reason} on "
                f"{unit.ended}",
            )

    def _target(self, _: None, event: Event) -> None:
        name = str(event.data.get("name"))
        if event.type == TARGET_SET:
            self.targets[name] = dict(event.data)
        else:
            self.targets.pop(name, None)

    def _found(self, _: None, event: Event) -> None:
        code, units = event.unit, self.units
        if code in units:
            self.flag(event, f"{code}: founded again on {event.on} (code already used)")
            return
        unit = _founding(event)
        parent = unit.parent
        if parent is not None:
            above = units.get(parent)  # (``live_at``, inlined: this runs once per unit)
            if above is None or above.ended is not None:
                self.flag(event, f"{code}: parent {parent} does not exist on {event.on}")
        unit.history.append(event)
        units[code] = unit

    def _rename(self, unit: UnitState, event: Event) -> None:
        unit.name = str(event.data.get("name", unit.name))

    def _move(self, unit: UnitState, event: Event) -> None:
        """A move is applied, or flagged and not applied: never both (``replay`` relies on it)."""
        parent = event.data.get("parent") or None
        if parent is not None:
            if not self.live_at(parent):
                self.flag(event, f"{unit.code}: parent {parent} does not exist on {event.on}")
                return
            chain, cursor = {unit.code}, self.units.get(parent)
            while cursor is not None:
                if cursor.code in chain:
                    self.flag(
                        event, f"{unit.code}: moving under {parent} on {event.on} makes a cycle"
                    )
                    return
                chain.add(cursor.code)
                cursor = self.units.get(cursor.parent) if cursor.parent else None
        unit.parent = parent

    def _end(self, unit: UnitState, event: Event) -> None:
        how = ENDING_NAMES[event.type]
        data = event.data
        basis = data.get("basis") or None
        if event.type == MERGED:
            successors = [data.get("into")]
        elif event.type == SPLIT:
            successors = list(data.get("into") or [])
        else:
            successors = [data.get("successor")] if data.get("successor") else []
        unit.ended, unit.end_reason, unit.end_basis = event.on, how, basis
        for code in successors:
            if not code:
                continue
            if code == unit.code:
                self.flag(event, f"{unit.code}: {how} into itself on {event.on}")
                continue
            successor = self.units.get(code)
            if successor is None or not successor.alive:
                self.flag(event, f"{unit.code}: successor {code} does not exist on {event.on}")
                continue
            unit.successors += (Link(code, event.on, how, basis),)
            successor.predecessors += (Link(unit.code, event.on, how, basis),)

    def _stage(self, unit: UnitState, event: Event) -> None:
        data = event.data
        current = unit.stage
        stage = str(data.get("stage", current))
        if stage != current:  # staying at a stage is never a problem
            if stage not in STAGE_ORDER and stage != "lapsed":
                self.flag(event, f"{unit.code}: unknown stage {quoted(stage)} on {event.on}")
                return
            problem = stage_change_problem(current, stage)
            if problem:
                self.flag(event, f"{unit.code}: on {event.on}, {problem}")
            unit.stage, unit.stage_since = stage, event.on
        edition = data.get("edition")
        if edition:
            self._set_edition(unit, event, str(edition))
        if "consultant" in data:
            consultant = data["consultant"]
            unit.consultant = consultant or None
            unit.consultant_used = bool(consultant)
        if model := data.get("model"):
            unit.model = str(model)
        if decision := data.get("decision"):
            unit.decision = str(decision)
        if scope := data.get("scope"):
            unit.scope = str(scope)

    def _edition(self, unit: UnitState, event: Event) -> None:
        self._set_edition(unit, event, str(event.data.get("edition", "")))

    def _set_edition(self, unit: UnitState, event: Event, edition: str) -> None:
        current = unit.edition
        if edition == current:
            return
        if current is not None and edition_rank(edition) < edition_rank(current):
            self.flag(
                event,
                f"{unit.code}: on {event.on}, edition {edition} recorded after {current} "
                f"(since {unit.edition_since}) was already its current one",
            )
        unit.edition, unit.edition_since = edition, event.on

    def _audit(self, unit: UnitState, event: Event) -> None:
        kind = str(event.data.get("kind", "internal"))
        unit.audits[kind] = {"on": event.on, "findings": event.data.get("findings")}

    def _procedures(self, unit: UnitState, event: Event) -> None:
        procedures = unit.procedures
        for category, value in event.data.items():
            if category not in procedures:
                continue
            if type(value) is not int or value < 0:  # bool is not a count either
                self.flag(event, f"{unit.code}: {category} count {value!r} on {event.on}")
                continue
            procedures[category] = value
        unit.procedures_since = event.on

    def finish(self) -> list[Anomaly]:
        """Anomalies of the state reached so far (not of single events)."""
        units, found = self.units, []
        for unit in units.values():
            # ``ended is None`` is ``alive`` without a property call: this runs once per unit
            if unit.ended is None and unit.parent:
                parent = units.get(unit.parent)
                if parent is not None and parent.ended is not None:
                    found.append(
                        Anomaly(
                            unit.code,
                            f"{unit.code}: its parent {parent.code} {parent.end_reason} on "
                            f"{parent.ended}; move it under a live unit",
                        )
                    )
        return found


_UNIT_FREE = frozenset({FOUNDED, TARGET_SET, TARGET_REMOVED})
_HANDLERS: dict[str, Callable[[_Folder, Any, Event], None]] = {
    FOUNDED: _Folder._found,
    TARGET_SET: _Folder._target,
    TARGET_REMOVED: _Folder._target,
    RENAMED: _Folder._rename,
    MOVED: _Folder._move,
    MERGED: _Folder._end,
    SPLIT: _Folder._end,
    DISSOLVED: _Folder._end,
    STAGE: _Folder._stage,
    EDITION: _Folder._edition,
    AUDIT: _Folder._audit,
    PROCEDURES: _Folder._procedures,
}
# The handlers of events about an existing unit (``apply_all``'s fast path).
_UNIT_HANDLERS = {kind: handler for kind, handler in _HANDLERS.items() if kind not in _UNIT_FREE}
