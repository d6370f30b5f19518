"""Imports: snapshot rows turned into the events that make the registry match them, and event
files merged into the log. Either way one import is one write and one changeset, all or nothing.

A snapshot row is compared with the unit's latest state (every event recorded, one fold for the
whole file) and becomes events only for what differs: a new code is founded, a new name is a
rename, a new parent a move, a new stage, edition, consultant or procedure counts are QMS
events. Every row is checked first and every problem is collected; then the history is folded
once more with the new events, and anything it finds inconsistent (a stage dated before a later,
lower one...) is reported against the row that caused it. Only a clean file is written.

An event file's events keep their ids and their own changesets; those already present are
skipped, so merging is a union: the same result in any order, any number of times. The import's
own changeset lists the changesets it brought in, and ``undo`` of the import reverts them.
"""

from __future__ import annotations

import gc
import os
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import repeat, starmap
from pathlib import Path
from typing import Any, cast

from isotrack import events as ev
from isotrack.catalog import Catalog
from isotrack.dates import MAX_YEAR, MIN_YEAR, parse_date
from isotrack.errors import DateError, ImportRowError, IsotrackError
from isotrack.eventfile import EventFile, parse_event_file
from isotrack.events import Event
from isotrack.sheets import (
    COLUMNS,
    COUNT_COLUMNS,
    DATE_COLUMNS,
    PROGRESS_EVERY,
    Progress,
    Sheet,
    Value,
    guess_format,
    read_input,
    read_sheet,
)
from isotrack.text import (
    SPACES,
    InvalidCodeError,
    normalise_code,
    normalise_codes,
    plain_texts,
    quoted,
)
from isotrack.text import fold as fold_text
from isotrack.timeline import (
    Anomaly,
    Registry,
    UnitState,
    edition_rank,
    replay,
    stage_change_problem,
)
from isotrack.tracker import (
    MAX_COUNT,
    MAX_NAME,
    MAX_TEXT,
    NothingToChange,
    Tracker,
    WriteRequest,
    WriteResult,
    added_anomalies,
    clean_name,
    clean_text,
)

# Stage names a sheet may use: the codes, and the Vietnamese labels with their short forms.
STAGE_NAMES = {
    fold_text(name): stage
    for stage, names in {
        "none": ("none", "chưa triển khai", "chưa"),
        "planned": ("planned", "lập kế hoạch", "kế hoạch"),
        "building": ("building", "đang xây dựng", "xây dựng"),
        "applying": ("applying", "đang áp dụng", "áp dụng"),
        "announced": ("announced", "đã công bố", "công bố"),
        "lapsed": ("lapsed", "ngừng duy trì", "ngừng"),
    }.items()
    for name in names
}
# What "no consultant" is written as.
NO_CONSULTANT = frozenset(
    fold_text(word)
    for word in ("none", "no", "-", "không", "không có", "không thuê", "tự xây dựng")
)
COLUMN_ORDER = {column.key: index for index, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class ImportResult:
    """What an import read and wrote (or, with ``dry_run``, would write)."""

    source: str
    format: str
    described: str
    write: WriteResult
    rows: int = 0
    new_units: int = 0
    changed_units: int = 0
    unchanged_units: int = 0
    present: int = 0  # event files: events already in the database
    changesets: int = 0  # event files: changesets the file brings in
    ignored: list[str] = field(default_factory=list)

    def by_type(self) -> dict[str, int]:
        counts = Counter(event.type for event in self.write.events)
        return dict(
            sorted(counts.items(), key=lambda item: (ev.TYPE_RANK.get(item[0], 9), item[0]))
        )

    def to_json(self) -> dict[str, Any]:
        changeset = self.write.changeset
        data: dict[str, Any] = {
            "source": self.source,
            "format": self.format,
            "dry_run": self.write.dry_run,
            "changeset": changeset.id if changeset else None,
            "note": self.write.note or None,
            "events_by_type": self.by_type(),
            "events": [event.to_record() for event in self.write.events],
        }
        if self.format == "jsonl":
            data.update(events_read=self.rows, already_present=self.present)
            data["changesets_merged"] = self.changesets
        else:
            data.update(
                rows=self.rows,
                units={
                    "new": self.new_units,
                    "changed": self.changed_units,
                    "unchanged": self.unchanged_units,
                },
                ignored_columns=self.ignored,
            )
        return data


def import_file(
    tracker: Tracker,
    path: Path,
    *,
    fmt: str | None,
    on: date,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportResult:
    """Import a snapshot sheet (csv, xlsx, json) or an event file (jsonl) in one write.

    ``on`` dates the facts of rows that carry no date of their own. Raises ``ImportRowError``
    listing every bad row, and writes nothing, if any row cannot be imported.
    """
    data = read_input(path)
    kind = guess_format(path, fmt, data)
    with _gc_paused():
        if kind == "jsonl":
            return _merge(tracker, path.name, data, dry_run=dry_run, progress=progress)
        sheet = read_sheet(path.name, data, kind)
        del data  # read: the sheet holds what is needed
        return _import_sheet(tracker, sheet, on=on, dry_run=dry_run, progress=progress)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Building hundreds of thousands of events otherwise triggers repeated full collections
    that cost more than the work itself (see the storage module)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# --------------------------------------------------------------------------------------------
# Snapshot sheets


class _Bad(Exception):
    """One cell that cannot be read; the message says why."""


@dataclass(slots=True)
class _Row:
    """A sheet row with its cells read and checked."""

    number: int
    code: str
    name: str | None = None
    kind: str | None = None
    parent: str | None = None
    founded: date | None = None
    stage: str | None = None
    stage_date: date | None = None
    edition: str | None = None
    edition_date: date | None = None
    consultant: str | None = None  # "" means "no consultant"
    model: str | None = None
    scope: str | None = None
    decision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    procedures_date: date | None = None
    date: date | None = None
    bad: bool = False


# The cells of ``_Row`` in the order of its fields, between ``code`` and ``counts`` (then come
# procedures_date and date).
_ROW_CELLS = (
    "name",
    "kind",
    "parent",
    "founded",
    "stage",
    "stage_date",
    "edition",
    "edition_date",
    "consultant",
    "model",
    "scope",
    "decision",
)


def _attempt(convert: Callable[[Value], object], cell: Value) -> object:
    """A cell read by ``convert``, or the ``_Bad`` saying why it cannot be."""
    try:
        return convert(cell)
    except _Bad as bad:
        return bad


class _Stamper:
    """Makes this import's events once they are all planned: ids drawn in bulk, one recorded
    time for the whole import except foundings, which are stepped a microsecond per level of
    the sheet's tree so that a unit founded on the same day as its parent follows it in the
    fold. (Other events depend only on their own unit's founding, which ranks first on its
    date.)"""

    def __init__(
        self, changeset: Callable[[], str], now: datetime, factory: Callable[[], str]
    ) -> None:
        self._changeset = changeset
        self._now = now
        self._factory = factory  # ev.new_id, or a test's deterministic ids

    def events(
        self,
        units: Sequence[str],
        types: Sequence[str],
        days: Sequence[date],
        datas: Sequence[dict[str, Any]],
        levels: Sequence[int],
    ) -> list[Event]:
        """The events planned, field by field, in their order (the changeset's id is drawn
        first)."""
        if not units:
            return []
        changeset = self._changeset()
        if self._factory is ev.new_id:
            ids = bulk_ids(len(units))
        else:
            ids = [self._factory() for _ in units]
        iso = {day: day.isoformat() for day in set(days)}
        recorded = {
            level: (self._now + timedelta(microseconds=level)).isoformat(timespec="microseconds")
            for level in set(levels)
        }
        # The fields in Event's order; tuple.__new__ skips the named tuple's Python-level
        # constructor, and the loop runs in C.
        fields = zip(
            ids,
            units,
            types,
            map(iso.__getitem__, days),
            map(recorded.__getitem__, levels),
            repeat(changeset),
            datas,
            strict=False,  # (repeat is endless)
        )
        return list(map(_make, repeat(Event), fields))


# An event as planned: its row, the key of the cell it comes from, its unit, type, date, data
# and level (see ``_Stamper``).
_Spec = tuple[int, str, str, str, date, dict[str, Any], int]


_make = tuple.__new__


# A problem of a file: its row (or line; 0 for the file as a whole), its column's order, where
# it is, what is wrong.
Problem = tuple[int, int, str, str]


def _refuse(source: str, problems: list[Problem], noun: str) -> None:
    """Refuse the import of ``source`` for ``problems``, if there are any, listed in the
    file's order (``noun``: what its places are, rows, units or lines)."""
    if problems:
        ordered = sorted(problems, key=lambda p: (p[0], p[1]))
        listed = [(where, what) for _, _, where, what in ordered]
        raise ImportRowError(source, listed, len({p[0] for p in ordered}), noun)


class _SheetImport:
    """Turns a sheet's rows into events against a registry, collecting every problem."""

    def __init__(
        self,
        sheet: Sheet,
        catalog: Catalog,
        full: Registry,
        *,
        on: date,
        today: date,
        stamp: _Stamper,
        progress: Progress | None,
    ) -> None:
        self.stamp = stamp
        self.sheet = sheet
        self.catalog = catalog
        self.full = full
        self.on = on
        self.today = today
        self.progress = progress
        self.problems: list[Problem] = []
        self._code_at: dict[int, str] = {}  # row number -> the code it defines
        self._depth: dict[str, int] = {}
        self._cycle: dict[str, list[str]] = {}  # new unit -> the cycle of parents it is in
        self.rows: list[_Row] = []
        self.row_of: dict[str, _Row] = {}
        self.row_number: dict[str, int] = {}  # once planning is done (see ``settle``)
        self.specs: list[_Spec] = []  # each event as planned, until they are all planned
        self.planned: list[Event] = []  # then the events, and where each comes from: its row
        self.origin_rows: Sequence[int] = ()  # and column key (columns: 300,000 tuples of
        self.origin_keys: Sequence[str] = ()  # two would cost 17 MB)
        self.founded_on: dict[str, date] = {}
        self.new_units = self.changed_units = self.unchanged_units = 0
        self._dates: dict[str, date | str] = {}
        self._kinds = self._kind_names()
        # The events the fold flagged, which a replay of a unit's past needs (see ``replay``).
        self.flagged = {a.event for a in full.anomalies if a.event is not None}

    # ---- reporting

    def problem(self, row: int, key: str | None, message: str) -> None:
        """Record what is wrong with a cell (``row`` 0: with the file as a whole)."""
        order = COLUMN_ORDER.get(key, -1) if key else -1
        where = self.sheet.where(row, key) if row else "file"
        self.problems.append((row, order, where, message))
        found = self.row_of.get(self._code_at.get(row, ""))
        if found is not None and found.number == row:
            found.bad = True

    def tick(self, index: int, total: int) -> None:
        if self.progress is not None and index % PROGRESS_EVERY == 0:
            self.progress("checking rows", index, total)

    # ---- reading cells

    def read_rows(self) -> None:
        """Read every cell of every row; a cell that cannot be read is a problem, and the rest
        of its row is still read (so every problem of the file is reported at once).

        Column by column: sheets repeat their values (stages, kinds, dates, counts), so each
        distinct value of a column is read once, and rows are made in one pass at the end.
        """
        sheet = self.sheet
        kept, numbers, codes = self._read_codes()
        every_row = len(kept) == len(sheet.numbers)
        columns: dict[str, list[Any]] = {}
        bad_cells: list[tuple[int, str, str]] = []
        for key, convert in self._converters().items():
            column = sheet.columns.get(key)
            if column is None:
                continue
            cells = column if every_row else [column[i] for i in kept]
            results = _read_column(convert, cells, _TEXT_LIMITS.get(key))
            if _Bad in set(map(type, results)):
                for index, result in enumerate(results):
                    if type(result) is _Bad:
                        bad_cells.append((numbers[index], key, str(result)))
                        results[index] = None
            columns[key] = results
        nothing: list[Any] = [None] * len(kept)
        # A row's counts in its own order of columns (or keys): the first names the cell of a
        # problem, and they are stored in that order.
        count_keys = [key for key in sheet.columns if key in COUNT_COLUMNS]
        count_columns = [columns[key] for key in count_keys]
        # Made in C (dict of zip), then the blank cells taken out of the rows that have any.
        counts: list[Any] = (
            list(map(dict, map(zip, repeat(count_keys), zip(*count_columns, strict=True))))
            if count_keys
            else [{} for _ in kept]
        )
        if any(None in column for column in count_columns):
            counts = [
                {k: v for k, v in row_counts.items() if v is not None}
                if None in row_counts.values()
                else row_counts
                for row_counts in counts
            ]
        if count_keys and sheet.key_order is not None:
            orders = [sheet.key_order[i] for i in kept]
            counts = [
                {k: row_counts[k] for k in order if k in row_counts}
                for order, row_counts in zip(orders, counts, strict=True)
            ]
        row_cells = [columns.get(f, nothing) for f in _ROW_CELLS]
        after: list[list[Any]] = [columns.get(f, nothing) for f in ("procedures_date", "date")]
        fields: list[list[Any]] = [numbers, codes, *row_cells, counts, *after]  # _Row's order
        self.rows = list(starmap(_Row, zip(*fields, strict=True)))
        self.row_of = dict(zip(codes, self.rows, strict=True))
        self._code_at.update(zip(numbers, codes, strict=True))
        for number, key, message in bad_cells:
            self.problem(number, key, message)

    def _read_codes(self) -> tuple[list[int], list[int], list[str]]:
        """The rows with a good code of their own: their indexes, numbers and codes. Every
        other row is a problem (no code, a code that is not one, a code given twice)."""
        sheet = self.sheet
        total = len(sheet.numbers)
        raw_codes = sheet.columns.get("code") or [None] * total
        if all(type(code) is str for code in raw_codes):
            # The usual sheet, whose codes are all good and each given once, is read at once.
            codes = normalise_codes(cast("list[str]", raw_codes))
            if codes is not None and len(set(codes)) == total:
                return list(range(total)), list(sheet.numbers), codes
        kept: list[int] = []
        numbers: list[int] = []
        codes = []
        first_row: dict[str, int] = {}
        for index, (number, raw_code) in enumerate(zip(sheet.numbers, raw_codes, strict=True)):
            self.tick(index, total)
            if raw_code is None:
                self.problem(
                    number, "code", "the code is empty (delete the row if it is a total or a note)"
                )
                continue
            try:
                code = normalise_code(_text(raw_code))
            except InvalidCodeError as error:
                self.problem(number, "code", str(error))
                continue
            first = first_row.setdefault(code, number)
            if first != number:
                self.problem(number, "code", f"{code} is already on row {first}")
                continue
            kept.append(index)
            numbers.append(number)
            codes.append(code)
        return kept, numbers, codes

    def _converters(self) -> dict[str, Callable[[Value], object]]:
        """How each column's cells are read (each raises ``_Bad`` saying what is wrong)."""
        convert: dict[str, Callable[[Value], object]] = {
            "name": _name,
            "kind": self._kind,
            "parent": _parent,
            "stage": _stage,
            "edition": self._edition,
            "consultant": _consultant,
        }
        convert.update(dict.fromkeys(DATE_COLUMNS, self._date))
        convert.update(dict.fromkeys(COUNT_COLUMNS, _count))
        convert.update(dict.fromkeys(("model", "scope", "decision"), _free_text))
        return convert

    def _date(self, value: Value) -> date:
        if isinstance(value, datetime):
            value = value.date()
        if isinstance(value, date):
            if not MIN_YEAR <= value.year <= MAX_YEAR:
                raise _Bad(f"the year {value.year} is outside {MIN_YEAR}..{MAX_YEAR}")
            return value
        text = _text(value)
        cached = self._dates.get(text)
        if cached is None:
            try:
                cached = parse_date(text, today=self.today)
            except DateError as error:
                cached = str(error)
            self._dates[text] = cached
        if isinstance(cached, str):
            raise _Bad(cached)
        return cached

    def _kind_names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        for kind in self.catalog.kinds.values():
            for name in (kind.code, kind.vi, kind.en):
                names.setdefault(fold_text(name), kind.code)
        return names

    def _kind(self, value: Value) -> str:
        text = _text(value)
        kind = self._kinds.get(fold_text(text))
        if kind is None:
            raise _Bad(
                f"unknown kind {quoted(text)}: "
                f"known kinds are {', '.join(sorted(self.catalog.kinds))}"
            )
        return kind

    def _edition(self, value: Value) -> str:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        text = _text(value)
        try:
            return self.catalog.edition(text).code
        except Exception:
            known = ", ".join(sorted(self.catalog.editions))
            raise _Bad(f"unknown edition {quoted(text)}: known editions are {known}") from None

    # ---- comparing with the registry

    def plan(self) -> None:
        self._found_dates()
        total = len(self.rows)
        known = self.full.units
        for index, row in enumerate(self.rows):
            if index % PROGRESS_EVERY == 0:  # (as ``tick`` checks: a call saved per row)
                self.tick(index, total)
            if row.bad:
                continue
            unit = known.get(row.code)
            if unit is None:
                self._plan_new(row)
                self.new_units += 1
                continue
            before, problems = len(self.specs), len(self.problems)
            self._plan_existing(row, unit)
            if unit.ended is not None and any(
                spec[4].isoformat() > unit.ended for spec in self.specs[before:]
            ):
                del self.specs[before:]
                del self.problems[problems:]
                self.problem(
                    row.number,
                    "code",
                    f"{row.code} {unit.end_reason} on {unit.ended}: it no longer exists, and "
                    "this row would change it after that",
                )
            elif len(self.specs) > before:
                self.changed_units += 1
            elif not row.bad:
                self.unchanged_units += 1
        if self.specs:
            rows, keys, units, types, days, datas, levels = zip(*self.specs, strict=True)
            self.specs = []
            self.origin_rows, self.origin_keys = rows, keys
            self.planned = self.stamp.events(units, types, days, datas, levels)
        if self.progress is not None:
            self.progress("checking rows", total, total)

    def _found_dates(self) -> None:
        """When each new unit is founded: its ``founded`` cell, else the earliest date its row
        gives (or ``--on``), moved back if a new unit below it in the sheet is founded earlier."""
        explicit: set[str] = set()
        for row in self.rows:
            if row.code in self.full.units:
                continue
            if row.founded is not None:
                self.founded_on[row.code] = row.founded
                explicit.add(row.code)
                continue
            dates = (row.date or self.on, row.stage_date, row.edition_date, row.procedures_date)
            self.founded_on[row.code] = min(filter(None, dates))  # dates are never false
        # Each unit's own date moves its new ancestors back, up to the first that is already
        # as early (what lies above it was moved when it was, or will be in its own turn) or
        # is founded explicitly (its turn moves what lies above it). Dates only go down, so a
        # cycle of parents ends the walk too.
        for code, founded in list(self.founded_on.items()):
            parent = self.row_of[code].parent
            while parent in self.founded_on:
                if parent in explicit or self.founded_on[parent] <= founded:
                    break
                self.founded_on[parent] = founded
                parent = self.row_of[parent].parent

    def _parent_ok(self, row: _Row, parent: str) -> bool:
        if parent == row.code:
            self.problem(row.number, "parent", "a unit cannot be its own parent")
            return False
        known = self.full.units.get(parent)
        if known is not None:
            if known.ended is not None:
                self.problem(
                    row.number,
                    "parent",
                    f"{parent} {known.end_reason} on {known.ended}: it no longer exists",
                )
                return False
            return True
        if parent in self.row_of:
            return True
        self.problem(
            row.number,
            "parent",
            f"unknown unit {quoted(parent)}: it is neither in the database nor in this file",
        )
        return False

    def _founded(self, code: str | None) -> date | None:
        """When a unit of the database or a new unit of the sheet is (to be) founded."""
        if code is None:
            return None
        if code in self.founded_on:
            return self.founded_on[code]
        known = self.full.units.get(code)
        return date.fromisoformat(known.founded) if known is not None else None

    def _add(
        self, row: _Row, key: str, type_: str, on: date, data: dict[str, Any], level: int = 0
    ) -> None:
        """Plan an event. ``level`` orders events that tie on date and rank by their recorded
        times: parents' foundings before their sub-units' (see ``_found``), a lapse after the
        stage it ends (same day, same rank: see ``_stage``)."""
        self.specs.append((row.number, key, row.code, type_, on, data, level))

    def _found(self, row: _Row, key: str, on: date, data: dict[str, Any], level: int) -> None:
        """Plan a founding; ``level``: the unit's ``depth`` (``_add``, inlined: once per new
        unit)."""
        self.specs.append((row.number, key, row.code, ev.FOUNDED, on, data, level))

    def _stage(self, row: _Row, key: str, on: date, data: dict[str, Any]) -> None:
        level = 1 if data["stage"] == "lapsed" else 0
        self.specs.append((row.number, key, row.code, ev.STAGE, on, data, level))

    def _plan_new(self, row: _Row) -> None:
        if row.name is None:
            self.problem(
                row.number, "name", f"{row.code} is not in the database: a new unit needs a name"
            )
        if row.kind is None:
            self.problem(
                row.number, "kind", f"{row.code} is not in the database: a new unit needs a kind"
            )
        if row.parent is not None:
            self._parent_ok(row, row.parent)
        level = self.depth(row.code)  # (which finds a cycle of new units' parents)
        if self._cycle and row.code in self._cycle:
            ring = self._cycle[row.code]
            at = ring.index(row.code)
            around = " → ".join([*ring[at:], *ring[:at], row.code])
            self.problem(
                row.number,
                "parent",
                f"its parents make a cycle ({around}): a unit cannot stand below itself",
            )
        if row.bad:
            return
        founded = self.founded_on[row.code]
        key = "founded" if row.founded else "parent" if row.parent else "code"
        parent_founded = self._founded(row.parent)
        if parent_founded is not None and parent_founded > founded:
            # Founded before its parent: it was moved there later. A snapshot holds no earlier
            # parent, so it stands alone until its parent is founded, then moves under it.
            self._found(row, key, founded, {"name": row.name, "kind": row.kind}, level)
            self._add(row, "parent", ev.MOVED, parent_founded, {"parent": row.parent})
        else:
            data = {"name": row.name, "kind": row.kind, "parent": row.parent}
            self._found(row, key, founded, data, level)
        row_on = row.date or self.on
        stage_on = row.stage_date or row_on
        stage_data: dict[str, Any] = {}
        if row.consultant is not None:
            stage_data["consultant"] = row.consultant
        if row.model:
            stage_data["model"] = row.model
        if row.decision:
            stage_data["decision"] = row.decision
        if row.scope:
            stage_data["scope"] = row.scope
        writes_stage = (row.stage or "none") != "none" or bool(stage_data)
        if row.edition is not None:
            edition_on = row.edition_date or (stage_on if writes_stage else row_on)
            self._add_edition(row, edition_on, stage_on if writes_stage else None, stage_data)
        if writes_stage:
            key = "stage_date" if row.stage_date else "stage"
            if row.stage == "lapsed":
                # Only a QMS being built, applied or announced can lapse: a new unit reported as
                # lapsed had one, so record the least the row implies, on the same day.
                self._stage(row, key, stage_on, {"stage": "building"})
            self._stage(row, key, stage_on, {"stage": row.stage or "none", **stage_data})
        if row.counts and (any(row.counts.values()) or row.procedures_date):
            key = "procedures_date" if row.procedures_date else next(iter(row.counts))
            self._add(row, key, ev.PROCEDURES, row.procedures_date or row_on, dict(row.counts))

    def _add_edition(
        self, row: _Row, on: date, stage_on: date | None, stage_data: dict[str, Any]
    ) -> None:
        """The row's edition: inside the stage event written the same day (``stage_on``), else
        an event of its own."""
        if on == stage_on:
            stage_data["edition"] = row.edition
        else:
            key = "edition_date" if row.edition_date else "edition"
            self._add(row, key, ev.EDITION, on, {"edition": row.edition})

    def _plan_existing(self, row: _Row, unit: UnitState) -> None:
        """Each fact of the row against the unit as it stood on the fact's date: what already
        held then is not written again, so an old sheet fills history in (or changes nothing)
        rather than failing, and importing any sheet twice writes nothing the second time."""
        code, row_on = row.code, row.date or self.on
        states: dict[date, UnitState] = {}  # a row asks about two or three dates, many times

        def at(day: date) -> UnitState:
            state = states.get(day)
            if state is None:
                state = states[day] = replay(unit, day.isoformat(), self.flagged)
            return state

        if row.kind is not None and row.kind != unit.kind:
            self.problem(
                row.number,
                "kind",
                f"{code} is a {unit.kind}: a unit's kind cannot change (found a new unit and "
                "merge this one into it)",
            )
        then = at(row_on)
        if row.name is not None and row.name != then.name:
            self._add(row, "name", ev.RENAMED, row_on, {"name": row.name})
        if (
            row.parent is not None
            and row.parent != then.parent
            and self._parent_ok(row, row.parent)
        ):
            self._add(row, "parent", ev.MOVED, row_on, {"parent": row.parent})
        self._plan_qms(row, row_on, at)
        if row.counts:
            on = row.procedures_date or row_on
            counts = at(on).procedures
            if any(counts[k] != v for k, v in row.counts.items()):
                key = "procedures_date" if row.procedures_date else next(iter(row.counts))
                self._add(row, key, ev.PROCEDURES, on, dict(row.counts))

    def _plan_qms(self, row: _Row, row_on: date, at: Callable[[date], UnitState]) -> None:
        code = row.code
        stage_on = row.stage_date or row_on
        then = at(stage_on)
        stage_data: dict[str, Any] = {}
        writes_stage = refused = False
        if row.stage is not None and row.stage != then.stage:
            problem = stage_change_problem(then.stage, row.stage)
            refused = problem is not None
            if problem:
                since = f" since {then.stage_since}" if then.stage_since else ""
                self.problem(
                    row.number,
                    "stage",
                    f"{code} is at stage '{then.stage}'{since} (on {stage_on.isoformat()}): "
                    f"{problem}",
                )
            else:
                writes_stage = True
        elif (
            row.stage is not None
            and row.stage_date is not None
            and then.stage_since is not None
            and row.stage_date.isoformat() < then.stage_since
        ):
            writes_stage = True  # the same stage, reached earlier than recorded: a correction
        # A sheet dates its consultant, model, decision and scope with the stage, but gives
        # them as they stand on the row's date (an export does): what holds on either date is
        # already recorded.
        now = at(row_on)

        def consultant_held(state: UnitState) -> bool:
            if row.consultant == "":
                return state.consultant_used is False
            return bool(state.consultant_used and state.consultant == row.consultant)

        if row.consultant is not None and not (consultant_held(then) or consultant_held(now)):
            stage_data["consultant"] = row.consultant
        for name in ("model", "decision", "scope"):
            value = getattr(row, name)
            if value and value not in (getattr(then, name), getattr(now, name)):
                stage_data[name] = value
        writes_stage = writes_stage or bool(stage_data)
        if row.edition is not None:
            edition_on = row.edition_date or (stage_on if writes_stage else row_on)
            held = at(edition_on)
            current, current_since = held.edition, held.edition_since
            earlier = (
                row.edition == current
                and row.edition_date is not None
                and current_since is not None
                and row.edition_date.isoformat() < current_since
            )
            if row.edition != current and edition_rank(row.edition) < edition_rank(current):
                self.problem(
                    row.number,
                    "edition",
                    f"{code} is on edition {current} (since {current_since}): the "
                    f"edition cannot go back to {row.edition}",
                )
            elif row.edition != current or earlier:
                self._add_edition(row, edition_on, stage_on if writes_stage else None, stage_data)
        if writes_stage:
            key = "stage_date" if row.stage_date else "stage"
            # (A stage refused above is not written with the rest: it is reported once.)
            stage = then.stage if refused else row.stage or then.stage
            self._stage(row, key, stage_on, {"stage": stage, **stage_data})

    def depth(self, code: str) -> int:
        """How many new units of the sheet stand above ``code`` (a cycle stops the count)."""
        known = self._depth.get(code)
        if known is not None:
            return known
        row = self.row_of.get(code)
        parent = row.parent if row is not None else None
        if parent is None or parent not in self.founded_on:
            self._depth[code] = 0
            return 0
        above = self._depth.get(parent)
        if above is not None:  # (the usual case: a sheet lists a unit after its parent)
            self._depth[code] = above + 1
            return above + 1
        chain = [code]
        while parent is not None and parent in self.founded_on and parent not in chain:
            if parent in self._depth:
                break
            chain.append(parent)
            parent = self.row_of[parent].parent
        ring = chain[chain.index(parent) :] if parent in chain else []
        if len(ring) > 1:  # the walk came back: parents in a ring (one: its own parent)
            self._cycle.update((unit, ring) for unit in ring)
        base = self._depth[parent] + 1 if parent is not None and parent in self._depth else 0
        for offset, unit in enumerate(reversed(chain)):
            self._depth[unit] = base + offset
        return self._depth[code]

    # ---- checking the whole history

    def settle(self) -> None:
        """Planning is done: keep only what reporting the history check's problems needs, the
        row each unit comes from (the rest of a 100,000-row sheet is some 80 MB that the check
        and the write no longer need)."""
        self.row_number = {code: row.number for code, row in self.row_of.items()}
        self.rows, self.row_of = [], {}
        self._code_at.clear()
        self.founded_on.clear()
        self._depth.clear()
        self._dates.clear()

    def blocked(self) -> set[str]:
        """Rows whose new parent is defined by a bad row (or a row blocked in turn): their
        events are left out of the history check, which would only say the parent is missing."""
        bad = {row.code for row in self.rows if row.bad}
        if not bad:
            return set()
        memo: dict[str, bool] = {}

        def is_blocked(code: str, seen: frozenset[str]) -> bool:
            if code in memo:
                return memo[code]
            row = self.row_of.get(code)
            parent = row.parent if row is not None else None
            result = False
            if parent is not None and parent not in self.full.units and parent in self.row_of:
                result = parent in bad or (parent not in seen and is_blocked(parent, seen | {code}))
            memo[code] = result
            return result

        return {row.code for row in self.rows if not row.bad and is_blocked(row.code, frozenset())}

    def anomaly_problems(self, anomalies: list[Anomaly], events: list[Event]) -> None:
        """Report each new inconsistency against the row (and cell) it comes from."""
        by_id: dict[str, Event] | None = None
        planned_at: dict[str, int] | None = None
        type_key = {
            ev.FOUNDED: "parent",
            ev.RENAMED: "name",
            ev.MOVED: "parent",
            ev.STAGE: "stage",
            ev.EDITION: "edition",
            ev.PROCEDURES: "tthc",
        }
        for anomaly in anomalies:
            if planned_at is None:
                planned_at = {event.id: index for index, event in enumerate(self.planned)}
            index = planned_at.get(anomaly.event or "")
            if index is not None:
                self.problem(self.origin_rows[index], self.origin_keys[index], anomaly.message)
                continue
            number = self.row_number.get(anomaly.unit)
            if number is None:  # an existing unit the sheet does not name, hurt by the import
                self.problem(0, None, anomaly.message)
                continue
            if by_id is None:
                by_id = {e.id: e for e in events}
            existing = by_id.get(anomaly.event or "")
            key = type_key.get(existing.type) if existing is not None else None
            self.problem(number, key, anomaly.message)


def _read_column(
    convert: Callable[[Value], object], cells: list[Value], longest: int | None
) -> list[Any]:
    """Each cell read by ``convert`` (a ``_Bad`` where it cannot be; ``None`` where blank), each
    distinct value once. A column of text (``longest``: its longest value) that needs no
    change is checked whole."""
    if set(map(type, cells)) <= {str, type(None)}:
        distinct = dict(zip(cells, cells, strict=True))
        tokens: list[Any] = cells
    else:  # 1 and True, 1 and 1.0 are different cells
        tokens = [c if type(c) is str or c is None else (type(c), c) for c in cells]
        distinct = dict(zip(tokens, cells, strict=True))
    distinct.pop(None, None)
    texts = list(distinct.values())
    if (
        longest
        and set(map(type, texts)) == {str}
        and plain_texts(cast("list[str]", texts), longest)
    ):
        read: dict[Any, Any] = distinct  # nothing to change, nothing wrong
    else:
        read = {token: _attempt(convert, cell) for token, cell in distinct.items()}
    read[None] = None
    return list(map(read.__getitem__, tokens))


def _import_sheet(
    tracker: Tracker, sheet: Sheet, *, on: date, dry_run: bool, progress: Progress | None
) -> ImportResult:
    counts: dict[str, int] = {}
    rows = len(sheet.numbers)

    def build(req: WriteRequest) -> None:
        stamp = _Stamper(lambda: req.changeset, tracker.now, tracker.new_id)
        work = _SheetImport(
            sheet,
            tracker.catalog,
            req.full,
            on=on,
            today=tracker.today,
            stamp=stamp,
            progress=progress,
        )
        work.read_rows()
        # The cells are read: free them (a 100,000-row sheet holds about 100 MB). The sheet is
        # this import's own (import_file made it), and only its size is reported from here on.
        sheet.columns.clear()
        work.plan()
        blocked = work.blocked()
        work.settle()
        new = [e for e in work.planned if e.unit not in blocked] if blocked else work.planned
        noun = "unit" if sheet.format == "json" else "row"

        def found(anomalies: list[Anomaly]) -> list[Problem]:
            """What the history folded with the new events finds wrong, row by row."""
            start = len(work.problems)
            work.anomaly_problems(anomalies, req.events)
            return work.problems[start:]

        if work.problems:  # fold now too, to report every problem of the file at once
            added = added_anomalies(req.full, req.events, new) if new else []
            _refuse(sheet.source, [*work.problems, *found(added)], noun)
        counts.update(
            new=work.new_units, changed=work.changed_units, unchanged=work.unchanged_units
        )
        if not new:
            if not rows:
                below = "units" if noun == "unit" else "rows below its header"
                raise NothingToChange(f"{sheet.source} has no {below}: nothing to import")
            raise NothingToChange(
                f"the {rows} rows of {sheet.source} already match the database"
                if rows > 1
                else f"the 1 row of {sheet.source} already matches the database"
            )
        req.kept, req.part_check = new, True
        req.judge = lambda anomalies: _refuse(sheet.source, found(anomalies), noun)

    result = tracker.write(build, dry_run, what=f"importing {sheet.source}", create=True)
    return ImportResult(
        source=sheet.source,
        format=sheet.format,
        described=sheet.described,
        write=result,
        rows=rows,
        new_units=counts.get("new", 0),
        changed_units=counts.get("changed", 0),
        unchanged_units=counts.get("unchanged", rows),
        ignored=sheet.ignored,
    )


# --------------------------------------------------------------------------------------------
# Event files


def _merge(
    tracker: Tracker, source: str, data: bytes, *, dry_run: bool, progress: Progress | None
) -> ImportResult:
    parsed = parse_event_file(data, progress)
    if parsed.problems and not parsed.events and not parsed.changesets:
        line, problem = parsed.problems[0]
        if problem.startswith(("not JSON", "expected a JSON object")):
            # A sheet given an event file's name: one line says so, not one per line.
            raise IsotrackError(
                f"{source} is not an event file: not one of its lines is an event or a "
                f"changeset (line {line}: {problem}); an event file holds JSON lines, as "
                "'isotrack export --events' writes them; import a sheet as .csv, .xlsx or "
                ".json, or give --format"
            )
    stats: dict[str, int] = {}

    def build(req: WriteRequest) -> None:
        new, kept_changesets, present = _merge_plan(source, parsed, req)
        stats.update(present=present)
        if not new and not kept_changesets:
            raise NothingToChange(_nothing_new(source, parsed, req.full))
        req.kept = new
        req.kept_changesets = kept_changesets
        req.imports = sorted({e.changeset for e in new} | {c.id for c in kept_changesets})
        stats.update(changesets=len(req.imports))

    result = tracker.write(build, dry_run, what=f"importing {source}", create=True)
    return ImportResult(
        source=source,
        format="jsonl",
        described="event file (JSON lines)",
        write=result,
        rows=len(parsed.events),
        present=stats.get("present", len(parsed.events)),
        changesets=stats.get("changesets", 0),
    )


def _merge_plan(
    source: str, parsed: EventFile, req: WriteRequest
) -> tuple[list[Event], list[ev.Changeset], int]:
    problems: list[tuple[int, str]] = list(parsed.problems)
    existing = {event.id: event for event in req.events}
    known = {changeset.id for changeset in req.changesets}
    in_file: dict[str, tuple[int, ev.Changeset]] = {}
    for line, changeset in parsed.changesets:
        first = in_file.setdefault(changeset.id, (line, changeset))
        if first[1] != changeset:
            problems.append(
                (line, f"changeset {changeset.id[:12]} is also on line {first[0]}, differently")
            )
    seen: dict[str, tuple[int, Event]] = {}
    new: list[Event] = []
    origin: dict[str, int] = {}
    present = 0
    for line, event in parsed.events:
        old = existing.get(event.id)
        if old is not None:
            if old != event:
                problems.append(
                    (line, f"event {event.id[:12]} is already in the database with other content")
                )
            else:
                present += 1
            continue
        first_seen = seen.setdefault(event.id, (line, event))
        if first_seen[0] != line:
            if first_seen[1] != event:
                problems.append(
                    (line, f"event {event.id[:12]} is also on line {first_seen[0]}, differently")
                )
            continue
        if event.changeset not in in_file and event.changeset not in known:
            problems.append(
                (
                    line,
                    f"its changeset {event.changeset[:12]} is neither in this file nor in the "
                    "database",
                )
            )
        new.append(event)
        origin[event.id] = line

    def lines(anomalies: list[Anomaly]) -> list[tuple[int, str]]:
        """What the history folded with the new events finds wrong, line by line."""
        first_line: dict[str, int] = {}
        for event in new:
            first_line.setdefault(event.unit, origin[event.id])
        return [
            (origin.get(a.event or "") or first_line.get(a.unit) or 0, a.message) for a in anomalies
        ]

    def refuse(found: list[tuple[int, str]]) -> None:
        where = [(line, 0, f"line {line}" if line else "file", what) for line, what in found]
        _refuse(source, where, "line")

    refuse(problems)  # (the history is folded only with lines that can be read)
    req.judge = lambda anomalies: refuse(lines(anomalies))
    kept = [c for cid, (_, c) in in_file.items() if cid not in known]
    return new, kept, present


def _nothing_new(source: str, parsed: EventFile, full: Registry) -> str:
    count = len(parsed.events)
    if not count:
        return f"{source} holds no events: nothing to import"
    note = (
        f"all {count} events of {source} are already in the database"
        if count > 1
        else f"the 1 event of {source} is already in the database"
    )
    undone = Counter(
        full.reverted[event.changeset]
        for _, event in parsed.events
        if event.changeset in full.reverted
    )
    if undone:
        hidden = sum(undone.values())
        how = (
            f"'isotrack undo {next(iter(undone))[:8]}' brings them back"
            if len(undone) == 1
            else "see 'isotrack log' for the undos"
        )
        note += f" ({hidden} of them in changesets undone here: {how})"
    return note


# --------------------------------------------------------------------------------------------
# Helpers


def bulk_ids(count: int) -> list[str]:
    """``count`` random UUIDs (version 4) as 32 hex digits, like ``events.new_id`` but about
    seven times faster: one read of the system's random source for all of them."""
    raw = bytearray(os.urandom(16 * count))
    raw[6::16] = raw[6::16].translate(_UUID_VERSION)
    raw[8::16] = raw[8::16].translate(_UUID_VARIANT)
    return raw.hex(" ", 16).split(" ") if count else []


# The bits that make 16 random bytes a version-4 UUID, as byte tables for bytes.translate.
_UUID_VERSION = bytes((b & 0x0F) | 0x40 for b in range(256))
_UUID_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))


def _text(value: Value) -> str:
    """A cell as text: whole numbers without ``.0``, dates in ISO."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip(SPACES)


# The columns of text that _name and _free_text read: their longest value.
_TEXT_LIMITS = {"name": MAX_NAME, "model": MAX_TEXT, "scope": MAX_TEXT, "decision": MAX_TEXT}


def _name(value: Value) -> str:
    try:
        return clean_name(_text(value))
    except IsotrackError as error:
        raise _Bad(str(error)) from None


def _free_text(value: Value) -> str:
    try:
        return clean_text(_text(value), "the text") or ""
    except IsotrackError as error:
        raise _Bad(str(error)) from None


def _parent(value: Value) -> str:
    try:
        return normalise_code(_text(value))
    except InvalidCodeError as error:
        raise _Bad(str(error)) from None


def _stage(value: Value) -> str:
    text = _text(value)
    stage = STAGE_NAMES.get(fold_text(text))
    if stage is None:
        raise _Bad(f"unknown stage {quoted(text)}: use {', '.join(ev.STAGES)}")
    return stage


def _consultant(value: Value) -> str:
    """A consultant's name, or "" for "none" (written as none, không, tự xây dựng...)."""
    text = _free_text(value)
    return "" if fold_text(text) in NO_CONSULTANT else text


def _count(value: Value) -> int:
    if isinstance(value, bool):
        raise _Bad(  # (as the file writes it: JSON's true, a spreadsheet's TRUE)
            f"{quoted(_text(value))} is not a count: write a whole number from 0 to {MAX_COUNT:,}"
        )
    if isinstance(value, float):
        if not value.is_integer():
            raise _Bad(f"{value:g} is not a whole number (a count is 0 to {MAX_COUNT:,})")
        value = int(value)
    if isinstance(value, str):
        text = value.strip()
        sign = text[:1] in ("-", "+")
        digits = text[sign:]
        if not (digits.isascii() and digits.isdigit()):
            raise _Bad(f"{quoted(text)} is not a whole number (a count is 0 to {MAX_COUNT:,})")
        if len(digits.lstrip("0")) > len(str(MAX_COUNT)):  # never hand int() a huge string
            how = "negative" if text[0] == "-" else f"above {MAX_COUNT:,}"
            raise _Bad(f"the count {quoted(text, 20)} is {how} (a count is 0 to {MAX_COUNT:,})")
        value = int(text)
    if not isinstance(value, int):
        raise _Bad(f"{quoted(value)} is not a whole number (a count is 0 to {MAX_COUNT:,})")
    if value < 0:
        raise _Bad(f"the count {value} is negative (a count is 0 to {MAX_COUNT:,})")
    if value > MAX_COUNT:
        raise _Bad(f"the count {value:,} is above {MAX_COUNT:,}")
    return value


__all__ = ["ImportResult", "bulk_ids", "import_file"]
