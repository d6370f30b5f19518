"""Event files: JSON lines, one changeset or event per line, ids kept.

A line is either a changeset, ``{"record": "changeset", "id": ..., "recorded": ..., "command": ...,
"events": N}``, or an event, ``{"record": "event", "id": ..., "unit": ..., "type": ..., "on": ...,
"recorded": ..., "changeset": ..., "data": {...}}``. The shipped sample is such a file, and so is
``export --events``: offices exchange their logs this way, and because events never change and
their ids are unique, merging files is a union (``isotrack.importer``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from isotrack import events as ev
from isotrack.errors import IsotrackError
from isotrack.events import Changeset, Event
from isotrack.text import InvalidCodeError, has_control, normalise_code, one_line, quoted

if TYPE_CHECKING:
    from isotrack.tracker import Tracker

Progress = Callable[[str, int, int], None]


def read_event_file(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The events and changesets of an event file, as storage records."""
    events: list[dict[str, Any]] = []
    changesets: list[dict[str, Any]] = []
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise IsotrackError(f"cannot read {path}: {error.strerror}") from None
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            raise IsotrackError(f"{path}, line {number}: not JSON ({error})") from None
        if not isinstance(record, dict):
            raise IsotrackError(f"{path}, line {number}: expected a JSON object")
        kind = record.pop("record", "event")
        if kind == "changeset":
            changesets.append(record)
        elif kind == "event":
            events.append(record)
        else:
            raise IsotrackError(f"{path}, line {number}: unknown record {quoted(kind)}")
    return events, changesets


def write_event_file(
    path: Path, events: list[dict[str, Any]], changesets: list[dict[str, Any]]
) -> None:
    """Write changesets then events, one JSON object per line, keys sorted."""
    option = orjson.OPT_SORT_KEYS
    with path.open("wb") as out:
        for changeset in changesets:
            out.write(orjson.dumps({"record": "changeset", **changeset}, option=option) + b"\n")
        for event in events:
            out.write(orjson.dumps({"record": "event", **event}, option=option) + b"\n")


# --------------------------------------------------------------------------------------------
# Importing: every line checked, every bad one reported


@dataclass
class EventFile:
    """An event file as read for an import: each event and changeset with its line number, and
    the lines that are not valid records."""

    events: list[tuple[int, Event]] = field(default_factory=list)
    changesets: list[tuple[int, Changeset]] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def parse_event_file(data: bytes, progress: Progress | None = None) -> EventFile:
    """Read every line; a bad one is recorded as a problem, not raised, so all are reported."""
    found = EventFile()
    lines = data.removeprefix(b"\xef\xbb\xbf").splitlines()
    for number, line in enumerate(lines, start=1):
        if progress is not None and number % 5000 == 0:
            progress("reading events", number, len(lines))
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as error:
            found.problems.append((number, f"not JSON ({error})"))
            continue
        if not isinstance(record, dict):
            found.problems.append((number, "expected a JSON object"))
            continue
        kind = record.get("record", "event")
        try:
            if kind == "changeset":
                changeset = Changeset.from_record(record)
                # Its command is a record of one line: kept, with any control shown escaped.
                changeset = replace(changeset, command=one_line(changeset.command))
                found.changesets.append((number, changeset))
            elif kind == "event":
                found.events.append((number, _event(record)))
            else:
                found.problems.append((number, f"unknown record {_short(kind)}"))
        except ValueError as error:
            found.problems.append((number, f"not a valid {kind}: {error}"))
    return found


def _event(record: dict[str, Any]) -> Event:
    """An event from another database: complete, of a known type, about a valid unit code."""
    event = Event.from_record(record)
    if event.type not in ev.EVENT_TYPES:
        raise ValueError(f"unknown event type {_short(event.type)}")
    for key in ("changeset", "recorded"):
        if not getattr(event, key):
            raise ValueError(f"'{key}' is missing (an event file carries complete events)")
    if not ev.is_timestamp(event.recorded):
        raise ValueError(f"'recorded' is not an ISO timestamp: {quoted(event.recorded)}")
    unit_less = event.type in ev.TIMELESS or event.type == ev.REVERTED
    if not unit_less:
        try:
            code = normalise_code(event.unit)
        except InvalidCodeError as error:
            raise ValueError(str(error)) from None
        if code != event.unit:
            raise ValueError(f"unit code {quoted(event.unit)} is not upper-case")
    problem = ev.data_problem(event.type, event.data)
    if problem:
        raise ValueError(problem)
    for key, value in event.data.items():  # names and texts, as typed ones are checked
        if isinstance(value, str) and has_control(value):
            raise ValueError(f"its data '{key}' holds a control character")
    return event


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


# --------------------------------------------------------------------------------------------
# Exporting


@dataclass(frozen=True)
class EventExport:
    events: list[Event]
    changesets: list[Changeset]


def select_events(
    events: list[Event],
    changesets: list[Changeset],
    *,
    as_of: date | None,
    scope: set[str] | None,
) -> EventExport:
    """The events to export: those dated on or before ``as_of`` about units in ``scope`` (all
    when ``None``); undos of the changesets exported, and undos of those undos, whatever their
    date (an undo holds at every date); targets unless a scope is given. Changesets: those the
    events belong to, or every one when nothing is filtered (imports' own records included)."""
    cut = as_of.isoformat() if as_of else None
    chosen: list[Event] = []
    reverts: list[Event] = []
    for event in events:
        if event.type == ev.REVERTED:
            reverts.append(event)
        elif event.type in ev.TIMELESS:
            if scope is None:
                chosen.append(event)
        elif (cut is None or event.on <= cut) and (scope is None or event.unit in scope):
            chosen.append(event)
    if as_of is None and scope is None:
        chosen.extend(reverts)
    else:
        included = {e.changeset for e in chosen}
        pending = reverts
        while True:  # undos of included changesets, then undos of those undos...
            taken = [r for r in pending if r.data.get("changeset") in included]
            if not taken:
                break
            chosen.extend(taken)
            included.update(r.changeset for r in taken)
            taken_ids = {r.id for r in taken}
            pending = [r for r in pending if r.id not in taken_ids]
    if as_of is None and scope is None:
        return EventExport(chosen, list(changesets))
    wanted = {e.changeset for e in chosen}
    return EventExport(chosen, [c for c in changesets if c.id in wanted])


def export_events(
    tracker: Tracker,
    path: Path,
    *,
    as_of: date | None,
    under: str | None,
    progress: Progress | None = None,
) -> EventExport:
    """Write the history (of the units under ``under``, up to ``as_of``) as an event file."""
    from isotrack.sheets import write_atomic

    scope = None
    if under is not None:
        root = tracker.unit(under, as_of or tracker.today).code
        registry = tracker.registry(as_of)
        # CODE, every unit below it, and the units that ended while below it.
        scope = {
            code for code in registry.units if root == code or root in registry.ancestors(code)
        }
    chosen = select_events(tracker.events(), tracker.changesets(), as_of=as_of, scope=scope)
    option = orjson.OPT_SORT_KEYS
    total = len(chosen.events)

    def write(tmp: Path) -> None:
        with tmp.open("wb") as out:
            for changeset in chosen.changesets:
                out.write(
                    orjson.dumps({"record": "changeset", **changeset.to_record()}, option=option)
                )
                out.write(b"\n")
            for index, event in enumerate(chosen.events):
                if progress is not None and index % 5000 == 0:
                    progress("writing events", index, total)
                out.write(orjson.dumps({"record": "event", **event.to_record()}, option=option))
                out.write(b"\n")
        if progress is not None:
            progress("writing events", total, total)

    write_atomic(path, write)
    return chosen
