"""Events and changesets: the only source of truth.

An event is one dated fact about one unit. It never changes once written; corrections are new
events (``undo`` writes a ``changeset.reverted`` event that cancels a whole changeset). Dates are
kept as ISO strings: comparing them is as correct as comparing dates and much cheaper at scale.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import compress, repeat
from operator import contains, itemgetter
from typing import Any, NamedTuple

# Event types. Values are what is stored; never rename one that has been released.
FOUNDED = "unit.founded"
RENAMED = "unit.renamed"
MOVED = "unit.moved"
MERGED = "unit.merged"
SPLIT = "unit.split"
DISSOLVED = "unit.dissolved"
STAGE = "qms.stage"
EDITION = "qms.edition"
AUDIT = "qms.audit"
PROCEDURES = "procedures.set"
REVERTED = "changeset.reverted"
TARGET_SET = "target.set"
TARGET_REMOVED = "target.removed"

# Among events with the same effective date, a unit is founded before anything else happens to
# it, and ends after everything else that day. See ``sort_key``.
TYPE_RANK = {
    FOUNDED: 0,
    RENAMED: 1,
    MOVED: 1,
    STAGE: 2,
    EDITION: 2,
    AUDIT: 2,
    PROCEDURES: 2,
    MERGED: 3,
    SPLIT: 3,
    DISSOLVED: 3,
    TARGET_SET: 4,
    TARGET_REMOVED: 4,
    REVERTED: 4,
}
_RANK_DIGIT = {kind: str(rank) for kind, rank in TYPE_RANK.items()}
# Events that hold for every "as of" date: targets are questions asked of the whole history.
TIMELESS = frozenset({TARGET_SET, TARGET_REMOVED})
EVENT_TYPES = frozenset(TYPE_RANK)
ENDINGS = frozenset({MERGED, SPLIT, DISSOLVED})

STAGES = ("none", "planned", "building", "applying", "announced", "lapsed")
# The forward order of the QMS life; ``lapsed`` sits outside it.
STAGE_ORDER = {"none": 0, "planned": 1, "building": 2, "applying": 3, "announced": 4}
AUDIT_KINDS = ("internal", "review", "inspection")
PROCEDURE_CATEGORIES = ("tthc", "internal", "product")


def new_id() -> str:
    """A globally unique id (random UUID, 32 hex digits)."""
    return uuid.uuid4().hex


class Event(NamedTuple):
    """One dated fact about one unit (``unit`` is empty for changeset-level events).

    A named tuple: the read path builds one per stored record, hundreds of thousands per
    command, and a tuple is several times cheaper to make than a dataclass instance.
    """

    id: str
    unit: str
    type: str
    on: str  # effective date, ISO
    recorded: str  # when it was entered, ISO timestamp (UTC)
    changeset: str
    data: dict[str, Any] = {}  # noqa: RUF012 - never mutated: events are immutable facts

    @property
    def sort_key(self) -> str:
        """Events apply in order of effective date, then type rank, then recorded time, then id.

        The key is a property of the event alone, so folding never depends on the order events
        were stored or merged in: a later-recorded event on the same date wins (a correction),
        and the id settles exact ties.
        """
        return sort_key(self)

    def to_record(self) -> dict[str, Any]:
        """The stored form: every field, always (the fast reader relies on it)."""
        return {
            "id": self.id,
            "unit": self.unit,
            "type": self.type,
            "on": self.on,
            "recorded": self.recorded,
            "changeset": self.changeset,
            "data": self.data,
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Event:
        """An event from its stored form; ``ValueError`` says what is wrong with a bad one."""
        if not isinstance(record, dict):
            raise ValueError("not an object")
        for key in ("id", "type", "on"):
            if not isinstance(record.get(key), str) or not record[key]:
                raise ValueError(f"'{key}' missing or not text")
        on = record["on"]
        if len(on) != 10 or not _is_iso_date(on):
            raise ValueError(f"'on' is not an ISO date: {on!r}")
        for key in ("unit", "recorded", "changeset"):
            if not isinstance(record.get(key, ""), str):
                raise ValueError(f"'{key}' is not text")
        data = record.get("data") or {}
        if not isinstance(data, dict):
            raise ValueError("'data' is not an object")
        return cls(
            id=record["id"],
            unit=record.get("unit", ""),
            type=record["type"],
            on=on,
            recorded=record.get("recorded", ""),
            changeset=record.get("changeset", ""),
            data=data,
        )


def sort_key(event: Event) -> str:
    """See ``Event.sort_key``: (date, rank, recorded, id) as one string, which sorts three times
    faster than the tuple. Dates are always ten characters and ranks one digit; the NUL after
    the recorded time makes the string order exactly the tuple order whatever its length."""
    return f"{event.on}{_RANK_DIGIT.get(event.type, '2')}{event.recorded}\x00{event.id}"


_FIELDS = itemgetter(*Event._fields)


def events_from_records(records: list[dict[str, Any]]) -> list[Event]:
    """Stored records as events, fast: one C-level pass when every record is well formed.

    Raises ``ValueError`` naming the first bad record (1-based) otherwise.
    """
    make = tuple.__new__
    try:
        events = [make(Event, _FIELDS(record)) for record in records]
    except (KeyError, TypeError):
        events = []
    if len(events) == len(records) and _well_formed(events):
        return events
    for number, record in enumerate(records, start=1):  # slow path: find what is wrong
        try:
            event = Event.from_record(record)
        except ValueError as error:
            raise ValueError(f"record {number}: {error}") from None
        if event.type in _STRUCTURAL and (problem := data_problem(event.type, event.data)):
            raise ValueError(f"record {number}: {problem}")
    raise ValueError("a record has fields of the wrong type")  # pragma: no cover


# The types a value of each scalar shape can have (the shape may ask more of the value).
_SHAPE_TYPES: dict[str, set[type]] = {
    "text": {str},
    "code": {str},
    "date": {str},
    "count": {int},
    "number": {int, float},
    "flag": {bool},
}


def _shapes_fit(kind: str, datas: list[dict[str, Any]]) -> bool:
    """Whether ``data_problem`` finds nothing in any of ``datas`` (all of type ``kind``): field
    by field, the types of all values at once, then each distinct value once. Each pass reads
    every event's data, so there are as few as can be."""
    fields, required = _DATA_SHAPES.get(kind, ({}, ()))
    for key in required:
        # A field of a plain shape is checked below: there, missing and null both fail.
        if fields.get(key, "?").endswith("?") and not all(map(contains, datas, repeat(key))):
            return False
    none = type(None)
    for key, shape in fields.items():
        values = list(map(dict.get, datas, repeat(key)))
        base = shape.rstrip("?")
        types = set(map(type, values))
        if none in types and base == shape and key not in required:
            # None stands for a missing field (allowed) and for a null (not): tell them apart.
            values = [data[key] for data in datas if key in data]
            types = set(map(type, values))
        allowed = _SHAPE_TYPES.get(base)
        if allowed is None:  # a list: each is checked
            if not all(_fits(value, shape) for value in values):
                return False
            continue
        if base != shape:
            types.discard(none)
        if not types <= allowed:
            return False
        if base != "text":  # of the allowed types (so 1 and True are not both there)
            distinct = set(values)
            distinct.discard(None)
            if not all(_fits(value, base) for value in distinct):
                return False
    return True


def _well_formed(events: list[Event]) -> bool:
    """Every field of every event has its type, and the data of the events that shape the
    organisation and its targets is as isotrack writes it: the fold relies on it (counts and
    texts of the other events are checked where they are used). Checked column by column, in
    C loops: a database founds every unit once, so a third of its events can be structural."""
    if not events:
        return True
    ids, units, types, ons, recorded, changesets, data = zip(*events, strict=True)
    if any(
        set(map(type, column)) != {str} for column in (ids, units, types, ons, recorded, changesets)
    ):
        return False
    if set(map(type, data)) != {dict} or not all(ids) or set(map(len, ons)) != {10}:
        return False
    if not all(_is_iso_date(on) for on in set(ons)):
        return False
    return all(
        _shapes_fit(kind, list(compress(data, map(kind.__eq__, types))))
        for kind in _STRUCTURAL.intersection(types)
    )


def _is_iso_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def is_timestamp(text: str) -> bool:
    """Whether ``text`` is an ISO date and time (as ``recorded`` times are)."""
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


# What each event type's data holds, as isotrack writes it: field -> shape, and the fields that
# must be there. Fields not listed are kept and ignored (a later version may add some).
# Shapes: "text", "code" (a unit code), "date" (ISO), "count" (whole, 0 or more), "number",
# "flag", "codes"/"texts" (lists); a trailing "?" also allows null.
_DATA_SHAPES: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    FOUNDED: ({"name": "text", "kind": "text", "parent": "code?"}, ("name", "kind")),
    RENAMED: ({"name": "text"}, ("name",)),
    MOVED: ({"parent": "code?"}, ("parent",)),
    MERGED: ({"into": "code", "basis": "text?"}, ("into",)),
    SPLIT: ({"into": "codes", "basis": "text?"}, ("into",)),
    DISSOLVED: ({"successor": "code?", "basis": "text?"}, ()),
    STAGE: (
        {
            "stage": "text",
            "edition": "text?",
            "consultant": "text?",
            "model": "text?",
            "decision": "text?",
            "scope": "text?",
        },
        ("stage",),
    ),
    EDITION: ({"edition": "text"}, ("edition",)),
    AUDIT: ({"kind": "text", "findings": "count?"}, ("kind",)),
    PROCEDURES: ({category: "count" for category in PROCEDURE_CATEGORIES}, ()),
    REVERTED: ({"changeset": "text"}, ("changeset",)),
    TARGET_SET: (
        {
            "name": "text",
            "kinds": "texts",
            "reach": "text",
            "share": "number",
            "deadline": "date",
            "start": "date",
            "under": "code?",
            "codes": "codes",
            "edition": "text?",
            "no_consultant": "flag",
            "with_stage": "text?",
            "successors": "text",
            "freeze_on": "date?",
            "source": "text?",
        },
        ("name", "deadline"),
    ),
    TARGET_REMOVED: ({"name": "text"}, ("name",)),
}

# Event types whose data the fold relies on to link units and targets: checked on every read.
_STRUCTURAL = frozenset({FOUNDED, MOVED, MERGED, SPLIT, DISSOLVED, REVERTED, *TIMELESS})

_SHAPE_NAMES = {
    "text": "text",
    "code": "a unit code",
    "date": "an ISO date",
    "count": "a whole number of 0 or more",
    "number": "a number",
    "flag": "true or false",
    "codes": "a list of unit codes",
    "texts": "a list of texts",
}


def _fits(value: Any, shape: str) -> bool:
    if shape.endswith("?"):
        return value is None or _fits(value, shape[:-1])
    if shape in ("codes", "texts"):
        return isinstance(value, list) and all(_fits(item, shape[:-1]) for item in value)
    if shape == "count":
        return type(value) is int and value >= 0
    if shape == "number":
        return type(value) in (int, float)
    if shape == "flag":
        return type(value) is bool
    if not isinstance(value, str):
        return False
    if shape == "code":
        return bool(value) and value.isascii() and value.isprintable()
    if shape == "date":
        return len(value) == 10 and _is_iso_date(value)
    return True


def data_problem(kind: str, data: dict[str, Any]) -> str | None:
    """What is wrong with an event's data for its type (``None``: nothing). The fold trusts
    these shapes, so data from outside (an event file) is checked against them first."""
    fields, required = _DATA_SHAPES.get(kind, ({}, ()))
    for key in required:
        if key not in data:
            return f"its data has no '{key}'"
    for key, value in data.items():
        shape = fields.get(key)
        if shape is not None and not _fits(value, shape):
            want = _SHAPE_NAMES[shape.rstrip("?")] + (" or null" if shape.endswith("?") else "")
            shown = repr(value)
            shown = shown if len(shown) <= 40 else shown[:40] + "…"
            return f"its data '{key}' is {shown}, not {want}"
    return None


@dataclass(frozen=True, slots=True)
class Draft:
    """An event before it is stamped with an id, a changeset and a recorded time."""

    unit: str
    type: str
    on: date
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Changeset:
    """The events one command or one import wrote together."""

    id: str
    recorded: str
    command: str
    events: int
    undoes: str | None = None
    sample: bool = False  # written by the shipped sample: reports say the data is illustrative
    # An event-file import: the changesets whose events it merged in (they keep their own ids,
    # so undoing the import reverts them).
    imports: tuple[str, ...] = ()

    def to_record(self) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": self.id,
            "recorded": self.recorded,
            "command": self.command,
            "events": self.events,
            "undoes": self.undoes,
        }
        if self.sample:
            record["sample"] = True
        if self.imports:
            record["imports"] = list(self.imports)
        return record

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Changeset:
        """A changeset from its stored form; ``ValueError`` says what is wrong with a bad one."""
        if not isinstance(record, dict):
            raise ValueError("not an object")
        if not isinstance(record.get("id"), str) or not record["id"]:
            raise ValueError("'id' missing or not text")
        for key in ("recorded", "command"):
            if not isinstance(record.get(key, ""), str):
                raise ValueError(f"'{key}' is not text")
        recorded = record.get("recorded", "")
        if recorded and not is_timestamp(recorded):
            raise ValueError(f"'recorded' is not an ISO timestamp: {recorded[:40]!r}")
        events = record.get("events", 0)
        if not isinstance(events, int):
            raise ValueError("'events' is not a number")
        undoes = record.get("undoes")
        if undoes is not None and not isinstance(undoes, str):
            raise ValueError("'undoes' is not text")
        imports = record.get("imports") or []
        if not isinstance(imports, list) or not all(isinstance(i, str) for i in imports):
            raise ValueError("'imports' is not a list of changeset ids")
        return cls(
            id=record["id"],
            recorded=record.get("recorded", ""),
            command=record.get("command", ""),
            events=events,
            undoes=undoes,
            sample=bool(record.get("sample", False)),
            imports=tuple(imports),
        )


def stamp(
    drafts: list[Draft],
    *,
    changeset: str,
    recorded: datetime,
    ids: Callable[[], str] = new_id,
) -> list[Event]:
    """Give drafts their ids, changeset and recorded time; order within a changeset is kept by
    giving each a distinct recorded time (microseconds apart)."""
    base = recorded.isoformat(timespec="microseconds")
    events = []
    for index, draft in enumerate(drafts):
        stamp_time = base if index == 0 else _plus_micros(recorded, index)
        events.append(
            Event(
                id=ids(),
                unit=draft.unit,
                type=draft.type,
                on=draft.on.isoformat(),
                recorded=stamp_time,
                changeset=changeset,
                data=draft.data,
            )
        )
    return events


def _plus_micros(moment: datetime, micros: int) -> str:
    return (moment + timedelta(microseconds=micros)).isoformat(timespec="microseconds")
