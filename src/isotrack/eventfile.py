"""Event files: JSON lines, one changeset or event per line, ids kept.

A line is either a changeset, ``{"record": "changeset", "id": ..., "recorded": ..., "command": ...,
"events": N}``, or an event, ``{"record": "event", "id": ..., "unit": ..., "type": ..., "on": ...,
"recorded": ..., "changeset": ..., "data": {...}}``. The shipped sample is such a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from isotrack.errors import IsotrackError


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
            raise IsotrackError(f"{path}, line {number}: unknown record '{kind}'")
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
