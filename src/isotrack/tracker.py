"""The domain's entry point: read the registry, and turn a user's request into validated events.

Every write goes the same way: inside one storage transaction, fold the events read under the
lock, build the new events (checking the request against the registry on its effective date),
fold again with them, and refuse the write if it would add any anomaly. Only then are the events
and their changeset written, in one write. Nothing here reads the clock: the CLI passes ``today``
and ``now`` in.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from typing import Any, TypeVar

from isotrack import events as ev
from isotrack import lifetime
from isotrack.catalog import Catalog
from isotrack.coverage import POLICIES, Coverage, Target, evaluate
from isotrack.errors import (
    ChangesetError,
    DuplicateUnitError,
    InvalidTransitionError,
    IsotrackError,
    UnknownUnitError,
    UsageError,
)
from isotrack.events import Changeset, Draft, Event
from isotrack.storage import Aside, Snapshot, Store, corrupt
from isotrack.text import has_control, matches, near_duplicates, nfc, normalise_code, quoted
from isotrack.timeline import (
    Anomaly,
    Registry,
    UnitState,
    edition_rank,
    fold,
    fold_onwards,
    onwards_ids_fit,
    onwards_parts,
    reverted_changesets,
    stage_change_problem,
)

T = TypeVar("T")
MAX_COUNT = 1_000_000  # procedures or findings: far above any unit, far below overflow
MAX_TEXT = 500
MAX_NAME = 300  # characters of a unit's name


class NothingToChange(Exception):
    """The request is already true: nothing is written."""


@dataclass(frozen=True)
class WriteResult:
    """What a write recorded (or, with ``dry_run``, would record)."""

    changeset: Changeset | None
    events: list[Event]
    dry_run: bool
    note: str = ""


@dataclass(frozen=True)
class Finding:
    """One ``doctor`` finding."""

    severity: str
    unit: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"severity": self.severity, "unit": self.unit, "message": self.message}


# What a write's last check does with the anomalies the new events would add to the history
# (see ``added_anomalies``): it raises if the write must not land.
Judge = Callable[[list[Anomaly]], None]

# From this many new events on, a write's file is serialised and written by a child process
# while the check runs (it costs a fork; below this, one after the other here is as fast).
PARALLEL_CHECK_FROM = 20_000
# The share of the new events that check folds here when it can be parted (up to the end of
# a unit's: see ``_check_aside``); the child folds the others once it has written the file,
# which takes about half as long as folding them all.
HERE_SHARE = 0.7


@dataclass
class WriteRequest:
    """The events being built by one write, with the registry they are checked against.

    ``build`` adds drafts (stamped into this write's changeset), or, for imports, ``kept``
    events that are written as they are: ids, changesets and recorded times kept. ``imports``
    names the changesets an event-file import brings in (undoing the import reverts them), and
    ``judge``, set by an import, replaces the usual refusal with its own, which says where in
    the file each problem comes from. ``part_check``: a large write's check may be parted
    between this process and the child that writes the file (see ``_check_aside``), which
    pays where folding the new events takes clearly longer than writing them: a sheet's,
    planned row by row (an event file's come in the order they are folded in, which folds
    them about as fast as they are written).
    """

    events: list[Event]
    changesets: list[Changeset]
    full: Registry
    drafts: list[Draft] = field(default_factory=list)
    undoes: str | None = None
    kept: list[Event] = field(default_factory=list)
    kept_changesets: list[Changeset] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    judge: Judge | None = None
    part_check: bool = False
    new_id: Callable[[], str] = ev.new_id
    _changeset: str | None = None
    _at: dict[str, Registry] = field(default_factory=dict)

    @property
    def changeset(self) -> str:
        """The id of the changeset this write records (drawn when first asked for)."""
        if self._changeset is None:
            self._changeset = self.new_id()
        return self._changeset

    def at(self, on: date) -> Registry:
        """The registry at the end of ``on`` (folded once per date)."""
        key = on.isoformat()
        if key not in self._at:
            latest = max((e.on for e in self.events), default="")
            self._at[key] = self.full if key >= latest else fold(self.events, key)
        return self._at[key]


class Tracker:
    """Reads and writes one database. Create one per command."""

    def __init__(
        self,
        store: Store,
        catalog: Catalog,
        *,
        today: date,
        now: datetime,
        command: str = "",
        id_factory: Callable[[], str] = ev.new_id,
    ) -> None:
        self.store = store
        self.catalog = catalog
        self.today = today
        self.now = now
        self.command = command
        self.new_id = id_factory
        self._snapshot: Snapshot | None = None
        self._events: list[Event] | None = None
        self._registries: dict[str | None, Registry] = {}

    # ----------------------------------------------------------------- reading

    def snapshot(self) -> Snapshot:
        """The database as read once for this command."""
        if self._snapshot is None:
            self._snapshot = self.store.load()
        return self._snapshot

    def events(self) -> list[Event]:
        if self._events is None:
            self._events = _parse_events(self.snapshot().table("events"), self.store)
        return self._events

    def changesets(self) -> list[Changeset]:
        return _parse(
            Changeset.from_record, self.snapshot().table("changesets"), "changeset", self.store
        )

    def registry(self, as_of: date | None) -> Registry:
        """The organisation as it stood at the end of ``as_of`` (``None``: every event).

        Folded once per date per command: a command may ask several times.
        """
        key = as_of.isoformat() if as_of else None
        if key not in self._registries:
            self._registries[key] = fold(self.events(), key)
        return self._registries[key]

    def unit(self, code: str, as_of: date) -> UnitState:
        """One unit as it stood on ``as_of`` (it may have ended by then)."""
        code = _code(code)
        registry = self.registry(as_of)
        found = registry.get(code)
        if found is None:
            raise self._unknown(code, as_of, self.registry(None))
        return found

    def list_units(
        self,
        as_of: date,
        *,
        kind: str | None = None,
        under: str | None = None,
        stage: str | None = None,
        match: str | None = None,
        include_ended: bool = False,
    ) -> list[UnitState]:
        """Units as of a date, filtered; live ones only unless ``include_ended``."""
        registry = self.registry(as_of)
        if kind is not None:
            kind = self.catalog.kind(kind).code
        if stage is not None:
            stage = _stage(stage)
        scope: set[str] | None = None
        if under is not None:
            root = _code(under)
            if root not in registry.units:
                raise self._unknown(root, as_of, self.registry(None))
            scope = registry.subtree(root, include_ended=include_ended)
        found = [
            unit
            for unit in registry.units.values()
            if (include_ended or unit.alive)
            and (kind is None or unit.kind == kind)
            and (scope is None or unit.code in scope)
            and (stage is None or unit.stage == stage)
            and (not match or matches(match, unit.name, unit.code))
        ]
        position = self._tree_positions(registry)
        return sorted(found, key=lambda unit: position[unit.code])

    def log(
        self, code: str | None = None, limit: int | None = None, recorded_by: date | None = None
    ) -> list[dict[str, Any]]:
        """Changesets, newest first, with who undid them; only those touching ``code`` if given,
        and only those recorded by the end of ``recorded_by`` (UTC) if given."""
        reverted = reverted_changesets(self.events())
        touching: set[str] | None = None
        if code is not None:
            code = _code(code)
            touching = {e.changeset for e in self.events() if _mentions(e, code)}
            if not touching and code not in self.registry(None).units:
                raise self._unknown(code, None, self.registry(None))
        rows = [
            {**cs.to_record(), "undone_by": reverted.get(cs.id)}
            for cs in self.changesets()
            if (touching is None or cs.id in touching)
            and (recorded_by is None or cs.recorded[:10] <= recorded_by.isoformat())
        ]
        rows.sort(key=lambda row: (row["recorded"], row["id"]), reverse=True)
        return rows[:limit] if limit is not None else rows

    def targets(self) -> list[Target]:
        """The targets in force, by name."""
        # Targets do not depend on dates: fold only their events (and the undos).
        relevant = [e for e in self.events() if e.type in ev.TIMELESS or e.type == ev.REVERTED]
        registry = fold(relevant)
        return [Target.from_data(registry.targets[name]) for name in sorted(registry.targets)]

    def target(self, name: str) -> Target:
        for target in self.targets():
            if target.name == name.strip().lower():
                return target
        known = ", ".join(t.name for t in self.targets()) or "none yet ('target add')"
        raise IsotrackError(f"unknown target {quoted(name)}. Targets: {known}")

    def coverage(
        self, as_of: date, names: list[str] | None = None, *, history: bool = False
    ) -> list[Coverage]:
        """Each target (or the named ones) evaluated as of a date."""
        chosen = [self.target(n) for n in names] if names else self.targets()
        return evaluate(chosen, self.events(), as_of, history=history)

    def doctor(self) -> list[Finding]:
        """Integrity and data-quality findings over the whole history."""
        registry = self.registry(None)
        findings = [Finding(a.severity, a.unit, a.message) for a in registry.anomalies]
        for unit in registry.units.values():
            if unit.kind not in self.catalog.kinds:
                findings.append(
                    Finding(
                        "warning",
                        unit.code,
                        f"{unit.code}: kind '{unit.kind}' is not in the catalog",
                    )
                )
        findings += [finding for finding, _ in self._record_problems()]
        for path in self.store.loose_files():
            findings.append(
                Finding("warning", "", f"{path} can be read by others than its owner (--fix)")
            )
        live = {u.code: u.name for u in registry.live()}
        for first, second in near_duplicates(live):
            findings.append(
                Finding(
                    "warning",
                    first,
                    f"{first} and {second} have nearly the same name: "
                    f"'{live[first]}' / '{live[second]}'",
                )
            )
        return findings

    def repair(self, *, dry_run: bool) -> list[str]:
        """Fix what ``doctor`` finds that can be fixed without guessing; say what was done.

        Events stored twice (same id, same content) are kept once; changesets whose record is
        missing get one; changeset records whose event count is wrong are corrected; files
        others could read are made owner-only. Nothing about units is ever guessed.
        """
        done: list[str] = []
        fixable = [finding.message for finding, fix in self._record_problems() if fix]
        if fixable and dry_run:
            done += [f"would fix: {message}" for message in fixable]
        elif fixable:
            with self.store.transaction(create=False) as tx:
                self._snapshot, self._events = tx.snapshot, None  # re-read under the lock
                for finding, fix in self._record_problems():
                    if fix is not None:
                        fix(tx)
                        done.append(finding.message)
        if dry_run:
            done += [f"would make owner-only: {path}" for path in self.store.loose_files()]
        else:
            done += [f"made owner-only: {path}" for path in self.store.tighten()]
        self._snapshot, self._events, self._registries = None, None, {}
        return done

    def _record_problems(self) -> list[tuple[Finding, Callable[[Any], None] | None]]:
        """Problems in the stored records themselves, each with its fix when there is one."""
        records = self.snapshot().table("events")
        events = self.events()  # (first: a record that is not an event is a clear error)
        changesets = self.changesets()
        problems: list[tuple[Finding, Callable[[Any], None] | None]] = []
        by_id: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_id.setdefault(record["id"], []).append(record)
        for event_id, copies in by_id.items():
            if len(copies) < 2:
                continue
            if all(copy == copies[0] for copy in copies):

                def keep_one(tx: Any, event_id: str = event_id, record: Any = copies[0]) -> None:
                    tx.delete("events", "id", event_id)
                    tx.insert("events", [dict(record)])

                message = f"event {event_id} is stored {len(copies)} times: kept once"
                problems.append((Finding("warning", copies[0].get("unit", ""), message), keep_one))
            else:
                message = f"{len(copies)} different events share the id {event_id}"
                problems.append((Finding("error", copies[0].get("unit", ""), message), None))
        counts: dict[str, int] = {}
        first_seen: dict[str, str] = {}
        for event in {e.id: e for e in events}.values():  # one stored twice counts once
            counts[event.changeset] = counts.get(event.changeset, 0) + 1
            first_seen.setdefault(event.changeset, event.recorded)
        known = {c.id: c for c in changesets}
        for changeset_id, number in counts.items():
            stored = known.get(changeset_id)
            if stored is None:
                recovered = Changeset(
                    changeset_id,
                    first_seen[changeset_id] if ev.is_timestamp(first_seen[changeset_id]) else "",
                    "(record recovered by isotrack doctor --fix)",
                    number,
                )

                def add(tx: Any, recovered: Changeset = recovered) -> None:
                    tx.insert("changesets", [recovered.to_record()])

                message = f"changeset {changeset_id[:8]} has {number} events but no record: added"
                problems.append((Finding("warning", "", message), add))
            elif stored.events != number and not stored.imports:

                def recount(tx: Any, stored: Changeset = stored, number: int = number) -> None:
                    tx.delete("changesets", "id", stored.id)
                    tx.insert("changesets", [{**stored.to_record(), "events": number}])

                message = (
                    f"changeset {changeset_id[:8]} says {stored.events} events but has "
                    f"{number}: corrected"
                )
                problems.append((Finding("warning", "", message), recount))
        return problems

    # ----------------------------------------------------------------- writing

    def initialise(self) -> bool:
        """Create the database if it does not exist (True), or check the one there (False)."""
        if self.store.exists():
            self.events()
            self.changesets()
            return False
        return self.store.initialise()

    def load_events(self, records: list[dict[str, Any]], changesets: list[dict[str, Any]]) -> int:
        """Insert the shipped sample's events; loading it again adds nothing.

        Returns how many events were added. The sample is never mixed with other records.
        """
        with self.store.transaction() as tx:
            present = {r["id"] for r in tx.snapshot.table("events")}
            sample = {r["id"] for r in records}
            if present - sample:
                raise IsotrackError(
                    f"{self.store.path} already holds other records: the sample loads only into "
                    "an empty database (use --db to choose another file)"
                )
            added = [r for r in records if r["id"] not in present]
            if added:
                known = {r["id"] for r in tx.snapshot.table("changesets")}
                tx.insert("events", added)
                tx.insert("changesets", [c for c in changesets if c["id"] not in known])
        return len(added)

    def add_unit(
        self, code: str, *, name: str, kind: str, parent: str | None, on: date, dry_run: bool
    ) -> WriteResult:
        code, name, kind_code = _code(code), clean_name(name), self.catalog.kind(kind).code
        parent_code = _code(parent) if parent else None

        def build(req: WriteRequest) -> None:
            self._check_new_code(req.full, code)
            if parent_code is not None:
                self._live(req, parent_code, on)
            req.drafts.append(
                Draft(
                    code, ev.FOUNDED, on, {"name": name, "kind": kind_code, "parent": parent_code}
                )
            )

        return self.write(build, dry_run, create=True)

    def rename_unit(self, code: str, *, name: str, on: date, dry_run: bool) -> WriteResult:
        code, name = _code(code), clean_name(name)

        def build(req: WriteRequest) -> None:
            unit = self._live(req, code, on)
            if unit.name == name:
                raise NothingToChange(f"{code} is already named {quoted(name)}")
            req.drafts.append(Draft(code, ev.RENAMED, on, {"name": name}))

        return self.write(build, dry_run)

    def move_unit(self, code: str, *, parent: str, on: date, dry_run: bool) -> WriteResult:
        code, parent_code = _code(code), _code(parent)

        def build(req: WriteRequest) -> None:
            unit = self._live(req, code, on)
            self._live(req, parent_code, on)
            if parent_code == code or code in req.at(on).ancestors(parent_code):
                raise InvalidTransitionError(
                    f"cannot move {code} under {parent_code}: {parent_code} is {code} itself or "
                    "one of its sub-units (that would make a cycle)"
                )
            if unit.parent == parent_code:
                raise NothingToChange(f"{code} is already under {parent_code}")
            req.drafts.append(Draft(code, ev.MOVED, on, {"parent": parent_code}))

        return self.write(build, dry_run)

    def merge_units(
        self,
        codes: list[str],
        *,
        into: str,
        basis: str | None,
        name: str | None,
        kind: str | None,
        on: date,
        dry_run: bool,
    ) -> WriteResult:
        """Merge ``codes`` into ``into``; live sub-units of the merged units move to ``into``."""
        merged = _distinct([_code(c) for c in codes])
        target = _code(into)
        if target in merged:
            raise InvalidTransitionError(f"cannot merge {target} into itself")
        basis_text = clean_text(basis, "--basis")

        def build(req: WriteRequest) -> None:
            units = [self._live(req, code, on, ending=True) for code in merged]
            if target in req.full.units or not (name or kind):
                if name or kind:
                    raise DuplicateUnitError(
                        f"{target} already exists: drop --name/--kind to merge into it as it is"
                    )
                self._live(req, target, on)
            else:
                self._found_successor(req, target, name, kind, on, parent=units[0].parent)
            self._hand_over(req, merged, [target], on, adopt=True)
            for unit in units:
                req.drafts.append(
                    Draft(unit.code, ev.MERGED, on, {"into": target, "basis": basis_text})
                )

        return self.write(build, dry_run, create=False)

    def split_unit(
        self,
        code: str,
        *,
        into: list[str],
        basis: str | None,
        names: list[str],
        kind: str | None,
        on: date,
        dry_run: bool,
    ) -> WriteResult:
        """Split ``code`` into several units; ``names`` (with ``kind``) create the missing ones,
        in the order they are given in ``into``."""
        source = _code(code)
        targets = _distinct([_code(c) for c in into])
        if source in targets:
            raise InvalidTransitionError(f"cannot split {source} into itself")
        if len(targets) < 2:
            raise UsageError("a split needs at least two successors (--into A --into B)")
        basis_text = clean_text(basis, "--basis")

        def build(req: WriteRequest) -> None:
            unit = self._live(req, source, on, ending=True)
            missing = [t for t in targets if t not in req.full.units]
            if len(names) != len(missing) or (missing and not kind):
                todo = ", ".join(missing) if missing else "none"
                raise UsageError(
                    f"successors that do not exist yet: {todo}; give one --name for each "
                    f"(got {len(names)}) and a --kind, or add them first with 'unit add'"
                )
            new_names = dict(zip(missing, names, strict=True))
            for target in targets:
                if target in new_names:
                    self._found_successor(
                        req, target, new_names[target], kind, on, parent=unit.parent
                    )
                else:
                    self._live(req, target, on)
            children = [c for c in req.at(on).children(source) if c.code not in targets]
            if children:
                raise InvalidTransitionError(
                    f"{source} still has sub-units ({', '.join(c.code for c in children)}): "
                    "move each under one of the successors first ('unit move')"
                )
            self._hand_over(req, [source], targets, on, adopt=False)
            req.drafts.append(Draft(source, ev.SPLIT, on, {"into": targets, "basis": basis_text}))

        return self.write(build, dry_run, create=False)

    def dissolve_unit(
        self, code: str, *, successor: str | None, basis: str | None, on: date, dry_run: bool
    ) -> WriteResult:
        source = _code(code)
        heir = _code(successor) if successor else None
        if heir == source:
            raise InvalidTransitionError(f"{source} cannot be its own successor")
        basis_text = clean_text(basis, "--basis")

        def build(req: WriteRequest) -> None:
            self._live(req, source, on, ending=True)
            if heir is not None:
                self._live(req, heir, on)
            else:
                children = req.at(on).children(source)
                if children:
                    raise InvalidTransitionError(
                        f"{source} still has sub-units ({', '.join(c.code for c in children)}): "
                        "give --successor to move them there, or move them first"
                    )
            self._hand_over(req, [source], [heir] if heir else [], on, adopt=True)
            req.drafts.append(
                Draft(source, ev.DISSOLVED, on, {"successor": heir, "basis": basis_text})
            )

        return self.write(build, dry_run, create=False)

    def set_stage(
        self,
        code: str,
        stage: str,
        *,
        edition: str | None,
        consultant: str | None,
        no_consultant: bool,
        model: str | None,
        decision: str | None,
        scope: str | None = None,
        on: date,
        dry_run: bool,
    ) -> WriteResult:
        code, stage = _code(code), _stage(stage)
        who = clean_text(consultant, "--consultant")
        if who and no_consultant:
            raise UsageError("give either --consultant NAME or --no-consultant, not both")
        texts = {
            "model": clean_text(model, "--model"),
            "decision": clean_text(decision, "--decision"),
            "scope": clean_text(scope, "--scope"),
        }
        edition_code = self.catalog.edition(edition).code if edition else None

        def build(req: WriteRequest) -> None:
            unit = self._live(req, code, on)
            problem = stage_change_problem(unit.stage, stage)
            if problem:
                raise InvalidTransitionError(f"{code} on {on.isoformat()}: {problem}")
            data: dict[str, Any] = {"stage": stage}
            if edition_code and edition_code != unit.edition:
                self._check_edition(unit, edition_code, on)
                data["edition"] = edition_code
            if who and not (unit.consultant_used and unit.consultant == who):
                data["consultant"] = who
            elif no_consultant and unit.consultant_used is not False:
                data["consultant"] = ""
            for key, value in texts.items():
                if value and value != getattr(unit, key):
                    data[key] = value
            if stage == unit.stage and len(data) == 1:
                raise NothingToChange(
                    f"{code} is already at stage '{stage}' (since {unit.stage_since})"
                )
            req.drafts.append(Draft(code, ev.STAGE, on, data))

        return self.write(build, dry_run)

    def set_edition(self, code: str, edition: str, *, on: date, dry_run: bool) -> WriteResult:
        code, edition_code = _code(code), self.catalog.edition(edition).code

        def build(req: WriteRequest) -> None:
            unit = self._live(req, code, on)
            if unit.edition == edition_code:
                raise NothingToChange(
                    f"{code} is already on edition {edition_code} (since {unit.edition_since})"
                )
            self._check_edition(unit, edition_code, on)
            req.drafts.append(Draft(code, ev.EDITION, on, {"edition": edition_code}))

        return self.write(build, dry_run)

    def record_audit(
        self, code: str, *, kind: str, findings: int | None, on: date, dry_run: bool
    ) -> WriteResult:
        code = _code(code)
        if kind not in ev.AUDIT_KINDS:
            raise UsageError(f"unknown audit kind {quoted(kind)}: use {', '.join(ev.AUDIT_KINDS)}")
        if findings is not None:
            _check_count("--findings", findings)

        def build(req: WriteRequest) -> None:
            self._live(req, code, on)
            req.drafts.append(Draft(code, ev.AUDIT, on, {"kind": kind, "findings": findings}))

        return self.write(build, dry_run)

    def set_procedures(
        self, code: str, counts: dict[str, int | None], *, on: date, dry_run: bool
    ) -> WriteResult:
        code = _code(code)
        given = {k: v for k, v in counts.items() if v is not None}
        if not given:
            raise UsageError("give at least one count: --tthc N, --internal N or --product N")
        for category, value in given.items():
            if category not in ev.PROCEDURE_CATEGORIES:
                raise UsageError(f"unknown procedure category {quoted(category)}")
            _check_count(f"--{category}", value)

        def build(req: WriteRequest) -> None:
            unit = self._live(req, code, on)
            if all(unit.procedures[k] == v for k, v in given.items()):
                raise NothingToChange(f"{code} already has these procedure counts")
            req.drafts.append(Draft(code, ev.PROCEDURES, on, dict(given)))

        return self.write(build, dry_run)

    def make_target(
        self,
        name: str,
        *,
        kinds: list[str],
        reach: str,
        share: float,
        deadline: date,
        start: date,
        under: str | None = None,
        codes: list[str] | None = None,
        edition: str | None = None,
        no_consultant: bool = False,
        with_stage: str | None = None,
        successors: str = "follow",
        freeze_on: date | None = None,
        source: str | None = None,
    ) -> Target:
        """A validated target (see ``isotrack.coverage``); ``share`` is a fraction in (0, 1]."""
        target = Target(
            name=_target_name(name),
            kinds=tuple(self._target_kinds(kinds)),
            reach=_reach(reach),
            share=_share(share),
            deadline=deadline.isoformat(),
            start=start.isoformat(),
            under=_code(under) if under else None,
            codes=tuple(_distinct([_code(c) for c in codes or []])),
            edition=self.catalog.edition(edition).code if edition else None,
            no_consultant=no_consultant,
            with_stage=_reach(with_stage) if with_stage else None,
            successors=_policy(successors),
            freeze_on=freeze_on.isoformat() if freeze_on else None,
            source=clean_text(source, "--source"),
        )
        if freeze_on is not None and target.successors != "freeze":
            raise UsageError("--freeze-on goes with --successors freeze")
        return target

    def add_targets(
        self, targets: list[Target], *, dry_run: bool, skip_existing: bool = False
    ) -> WriteResult:
        """Add targets in one changeset, each dated on its start. With ``skip_existing``,
        targets already there are left as they are (installing the catalog twice)."""

        def build(req: WriteRequest) -> None:
            for target in targets:
                if target.name in req.full.targets:
                    if skip_existing:
                        continue
                    raise DuplicateUnitError(
                        f"target '{target.name}' already exists: remove it first "
                        f"('isotrack target remove {target.name}')"
                    )
                for code in [*target.codes, *([target.under] if target.under else [])]:
                    if code not in req.full.units:
                        raise self._unknown(code, None, req.full)
                on = date.fromisoformat(target.start)
                req.drafts.append(Draft("", ev.TARGET_SET, on, target.to_data()))
            if not req.drafts:
                raise NothingToChange("already installed: " + ", ".join(t.name for t in targets))

        return self.write(build, dry_run, create=True)

    def install_targets(
        self, specs: dict[str, dict[str, Any]], names: list[str] | None, *, dry_run: bool
    ) -> WriteResult:
        """Add reference targets from a targets catalog (``data/targets.toml``)."""
        wanted = names or list(specs)
        unknown = [n for n in wanted if n not in specs]
        if unknown:
            raise IsotrackError(
                f"not in the targets catalog: {', '.join(map(quoted, unknown))} "
                f"(known: {', '.join(specs)})"
            )
        targets = []
        for name in wanted:
            spec = specs[name]
            try:
                targets.append(
                    self.make_target(
                        name,
                        kinds=list(spec.get("kinds", [])) or ["all"],
                        reach=str(spec["reach"]),
                        share=float(spec.get("share", 100)) / 100,
                        deadline=date.fromisoformat(str(spec["deadline"])),
                        start=date.fromisoformat(str(spec["start"])),
                        under=spec.get("under"),
                        codes=list(spec.get("units", [])),
                        edition=spec.get("edition"),
                        no_consultant=bool(spec.get("no_consultant", False)),
                        with_stage=spec.get("with_stage"),
                        successors=str(spec.get("successors", "follow")),
                        source=spec.get("source"),
                    )
                )
            except (KeyError, ValueError, TypeError) as error:
                raise IsotrackError(f"targets catalog, [{name}]: bad or missing {error}") from None
        return self.add_targets(targets, dry_run=dry_run, skip_existing=True)

    def remove_target(self, name: str, *, on: date, dry_run: bool) -> WriteResult:
        wanted = name.strip().lower()

        def build(req: WriteRequest) -> None:
            if wanted not in req.full.targets:
                self.target(wanted)  # raises with the list of targets
            req.drafts.append(Draft("", ev.TARGET_REMOVED, on, {"name": wanted}))

        return self.write(build, dry_run)

    def _target_kinds(self, kinds: list[str]) -> list[str]:
        flat = [k.strip() for item in kinds for k in item.split(",") if k.strip()]
        if not flat:
            raise UsageError("give the population's kind: --kind K (or --kind all)")
        if any(k.lower() in ("all", "any", "*") for k in flat):
            return []
        return _distinct([self.catalog.kind(k).code for k in flat])

    def undo(self, ref: str | None, *, dry_run: bool) -> WriteResult:
        """Cancel one whole changeset by writing a ``changeset.reverted`` event.

        Without ``ref``, the latest changeset still in force that is not itself an undo.
        Undoing an undo restores what it cancelled.
        """

        def build(req: WriteRequest) -> None:
            target = _find_changeset(req.changesets, req.full.reverted, ref)
            # An event-file import merged other changesets, kept whole: undoing it reverts them.
            for changeset in (target.id, *target.imports):
                req.drafts.append(Draft("", ev.REVERTED, self.today, {"changeset": changeset}))
            req.undoes = target.id

        return self.write(build, dry_run, what="undo")

    # ----------------------------------------------------------------- helpers

    def write(
        self,
        build: Callable[[WriteRequest], None],
        dry_run: bool,
        what: str = "this change",
        *,
        create: bool = False,
    ) -> WriteResult:
        """Run one write: ``create`` lets it make the database file if there is none."""
        with self.store.transaction(create=create, dry_run=dry_run) as tx:
            events = _parse_events(tx.snapshot.table("events"), self.store)
            changesets = _parse(
                Changeset.from_record, tx.snapshot.table("changesets"), "changeset", self.store
            )
            request = WriteRequest(
                events=events, changesets=changesets, full=fold(events), new_id=self.new_id
            )
            try:
                build(request)
            except NothingToChange as nothing:
                return WriteResult(None, [], dry_run, note=str(nothing))
            changeset_id = request.changeset
            new_events = request.kept + ev.stamp(
                request.drafts, changeset=changeset_id, recorded=self.now, ids=self.new_id
            )
            if request.judge is not None and request.drafts:
                raise AssertionError("an import's own check does not see drafts")
            judge = request.judge or _refusal(what)
            full, events = request.full, request.events
            request.judge = None  # (the judge may refer to the request: no cycle)
            if not dry_run and len(new_events) >= PARALLEL_CHECK_FROM:
                # Checked while a child process writes the file (renamed into place once the
                # check has passed), each taking about a second at 100,000 rows.
                tx.write_aside = True
                tx.before_commit, tx.check_aside = _check_aside(
                    full, events, new_events, judge, parted=request.part_check
                )
            else:
                judge(added_anomalies(full, events, new_events))
            del judge, full, events  # (the transaction holds them while they are needed)
            changeset = Changeset(
                id=changeset_id,
                recorded=self.now.isoformat(timespec="microseconds"),
                command=self.command,
                events=len(new_events),
                undoes=request.undoes,
                imports=tuple(request.imports),
            )
            kept = [c.to_record() for c in request.kept_changesets]
            del request  # (the check holds what it needs)
            if not dry_run:
                # Built by the process that writes the file (see ``Transaction.insert_later``).
                tx.insert_later("events", partial(map, Event.to_record, new_events))
                tx.insert("changesets", [changeset.to_record(), *kept])
        # What the write built and read, handed over rather than freed (see isotrack.lifetime).
        lifetime.keep(tx, new_events, self._snapshot, self._events, self._registries)
        self._snapshot, self._events, self._registries = None, None, {}
        return WriteResult(changeset, new_events, dry_run)

    def _live(self, req: WriteRequest, code: str, on: date, *, ending: bool = False) -> UnitState:
        """The unit, which must exist on ``on``. Facts may be dated on the day a unit ends (they
        apply before its end); an ending may not."""
        registry = req.at(on)
        unit = registry.get(code)
        if unit is None:
            raise self._unknown(code, on, req.full)
        if unit.ended is not None and (ending or unit.ended < on.isoformat()):
            raise UnknownUnitError(
                f"{code} {unit.end_reason} on {unit.ended}: it no longer exists on {on.isoformat()}"
            )
        return unit

    def _check_new_code(self, full: Registry, code: str) -> None:
        existing = full.get(code)
        if existing is not None:
            raise DuplicateUnitError(
                f"unit {code} already exists ('{existing.name}', founded {existing.founded}); "
                "codes are never reused"
            )

    def _found_successor(
        self,
        req: WriteRequest,
        code: str,
        name: str | None,
        kind: str | None,
        on: date,
        parent: str | None,
    ) -> None:
        """Add the founding of a successor created in the same changeset."""
        if not (name and kind):
            raise UsageError(
                f"{code} does not exist: to create it in the same changeset give both --name "
                "and --kind, or add it first with 'unit add'"
            )
        kind_code = self.catalog.kind(kind).code
        data = {"name": clean_name(name), "kind": kind_code, "parent": parent}
        req.drafts.append(Draft(code, ev.FOUNDED, on, data))

    def _hand_over(
        self, req: WriteRequest, ending: list[str], successors: list[str], on: date, *, adopt: bool
    ) -> None:
        """Moves that keep the hierarchy whole when ``ending`` units end on ``on``.

        A successor that sits below an ending unit first takes that unit's place. With
        ``adopt``, the ending units' other live sub-units then move under the (one) successor.
        """
        registry = req.at(on)
        gone = set(ending)
        for successor in successors:
            if successor in registry.units:
                above = [code for code in registry.ancestors(successor) if code in gone]
                if above:
                    parent = registry.units[above[-1]].parent
                    req.drafts.append(Draft(successor, ev.MOVED, on, {"parent": parent}))
        if not adopt or not successors:
            return
        for code in ending:
            for child in registry.children(code):
                if child.code not in gone and child.code not in successors:
                    req.drafts.append(Draft(child.code, ev.MOVED, on, {"parent": successors[0]}))

    def _check_edition(self, unit: UnitState, edition: str, on: date) -> None:
        if edition_rank(edition) < edition_rank(unit.edition):
            raise InvalidTransitionError(
                f"{unit.code} on {on.isoformat()}: the edition cannot go back from "
                f"{unit.edition} to {edition}"
            )

    def _unknown(self, code: str, on: date | None, full: Registry) -> UnknownUnitError:
        """The error for a unit that is not there on ``on``: too early, or no such code."""
        known = full.get(code)
        if known is not None and on is not None and known.founded > on.isoformat():
            return UnknownUnitError(
                f"unit {code} does not exist on {on.isoformat()}: it was founded on {known.founded}"
            )
        suggestions = [u.code for u in full.units.values() if matches(code, u.code, u.name)][:5]
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        return UnknownUnitError(f"unknown unit {quoted(code)}{hint}")

    def _tree_positions(self, registry: Registry) -> dict[str, tuple[Any, ...]]:
        """Where each unit comes when units are listed as a tree: each right after its parent,
        siblings by kind then code, in one walk of the tree. A unit whose parent is not in the
        registry hangs from that code as if it were a root of an unknown kind (ranked last)."""
        kinds = self.catalog.kinds
        last = 1000

        def rank(code: str) -> tuple[int, str]:
            unit = registry.units.get(code)
            kind = kinds.get(unit.kind) if unit is not None else None
            return (kind.order if kind else last, code)

        below: dict[str, list[str]] = {}
        tops: list[str] = []
        for unit in registry.units.values():
            if unit.parent:
                below.setdefault(unit.parent, []).append(unit.code)
            else:
                tops.append(unit.code)
        tops += [code for code in below if code not in registry.units]  # missing parents
        position: dict[str, tuple[Any, ...]] = {}
        todo = sorted(tops, key=rank, reverse=True)
        while todo:
            code = todo.pop()
            position[code] = (len(position),)
            todo += sorted(below.get(code, ()), key=rank, reverse=True)
        # Units on a cycle of parents (which the fold refuses to make) are reached from no top:
        # after the rest, by their path up to where the cycle closes.
        after = len(position)
        for unit in registry.units.values():
            if unit.code not in position:
                path = [*reversed(registry.ancestors(unit.code)), unit.code]
                position[unit.code] = (after, *map(rank, path))
        return position


def added_anomalies(full: Registry, events: list[Event], new: list[Event]) -> list[Anomaly]:
    """The errors the history ``events`` (folded as ``full``) would have with ``new`` added
    that it has not now: what refuses a write. ``full`` is used up (see ``fold_onwards``)."""
    before = {a.key for a in full.anomalies}
    after = fold_onwards(full, new)
    if after is None:
        after = fold([*events, *new])
    return _added(after, before)


def _added(after: Registry, before: set[tuple[str, str]]) -> list[Anomaly]:
    return [a for a in after.anomalies if a.key not in before and a.severity == "error"]


def _refusal(what: str) -> Judge:
    """The usual last check: refuse a write that would add an anomaly to the history."""

    def judge(added: list[Anomaly]) -> None:
        if added:
            more = f" (and {len(added) - 1} more)" if len(added) > 1 else ""
            raise InvalidTransitionError(
                f"{what} would leave the records inconsistent: {added[0].message}{more}"
            )

    return judge


def _check_aside(
    full: Registry, events: list[Event], new: list[Event], judge: Judge, *, parted: bool
) -> tuple[Callable[[], None], Aside | None]:
    """A large write's last check, run while a child process writes the file: what runs
    here (``before_commit``), and the part the child runs once it has written the file.

    When it may be ``parted``, the new events can be (``onwards_parts``) and that child can
    run, each process folds a part onwards from its own copy of ``full``: the larger part
    here, the other there, with the check that parting holds (``onwards_ids_fit``). Both
    finding nothing, the write goes on; otherwise (or if the child gave no answer) the history
    is folded with all the new events here, to judge exactly what one fold of them all finds,
    in its order.
    """
    from isotrack import forked

    parts = onwards_parts(full, new, HERE_SHARE) if parted and forked.can_fork() else None
    if parts is None:
        return (lambda: judge(added_anomalies(full, events, new))), None
    mine, theirs = parts
    before = {a.key for a in full.anomalies}
    found_here: list[list[Anomaly] | None] = []

    def here() -> None:
        after = fold_onwards(full, mine)
        found_here.append(None if after is None else _added(after, before))

    def there() -> bytes:
        import pickle

        after = fold_onwards(full, theirs) if onwards_ids_fit(full, new) else None
        return pickle.dumps(None if after is None else _added(after, before))

    def take(answer: bytes | None) -> None:
        import pickle

        found_there = pickle.loads(answer) if answer is not None else None
        if found_here == [[]] and found_there == []:
            return
        judge(_added(fold([*events, *new]), before))

    return here, Aside(there, take)


def _find_changeset(
    changesets: list[Changeset], reverted: dict[str, str], ref: str | None
) -> Changeset:
    if not changesets:
        raise ChangesetError("nothing to undo: the database has no changesets")
    if ref is None:
        candidates = sorted(
            (c for c in changesets if c.id not in reverted and c.undoes is None),
            key=lambda c: (c.recorded, c.id),
        )
        if not candidates:
            raise ChangesetError("nothing to undo: every changeset is already undone")
        return candidates[-1]
    wanted = ref.strip().lower()
    found = [c for c in changesets if c.id.startswith(wanted)] if wanted else []
    if not found:
        raise ChangesetError(f"unknown changeset {quoted(ref)} (see 'isotrack log')")
    if len(found) > 1:
        raise ChangesetError(
            f"changeset {quoted(ref)} is ambiguous: "
            f"it matches {', '.join(c.id[:12] for c in found)}"
        )
    target = found[0]
    if target.id in reverted:
        raise ChangesetError(
            f"changeset {target.id[:8]} is already undone (by {reverted[target.id][:8]}); "
            f"undo {reverted[target.id][:8]} to restore it"
        )
    return target


def _parse(
    make: Callable[[dict[str, Any]], T], records: list[dict[str, Any]], what: str, store: Store
) -> list[T]:
    """Records read from the file as domain objects; a malformed one means a damaged file."""
    parsed = []
    for number, record in enumerate(records, start=1):
        try:
            parsed.append(make(record))
        except (ValueError, TypeError, KeyError) as error:
            raise corrupt(store.path, f"{what} record {number}: {error}") from None
    return parsed


def _parse_events(records: list[dict[str, Any]], store: Store) -> list[Event]:
    try:
        return ev.events_from_records(records)
    except ValueError as error:
        raise corrupt(store.path, f"event {error}") from None


def _mentions(event: Event, code: str) -> bool:
    if event.unit == code:
        return True
    data = event.data
    into = data.get("into")
    return code in (data.get("parent"), data.get("successor"), into) or (
        isinstance(into, list) and code in into
    )


def _code(code: str) -> str:
    return normalise_code(code)


def clean_name(name: str) -> str:
    """A unit's name as typed or read from a file, in NFC with its white space made single
    spaces; ``IsotrackError`` says why one cannot be stored."""
    if has_control(name):
        raise IsotrackError("a unit name cannot contain control characters")
    cleaned = nfc(name)
    if not cleaned:
        raise IsotrackError("a unit name cannot be empty")
    if len(cleaned) > MAX_NAME:
        raise IsotrackError(
            f"a unit name can have at most {MAX_NAME} characters (got {len(cleaned)})"
        )
    return cleaned


def _stage(stage: str) -> str:
    value = stage.strip().lower()
    if value not in ev.STAGES:
        raise IsotrackError(f"unknown stage {quoted(stage)}: use {', '.join(ev.STAGES)}")
    return value


def _target_name(name: str) -> str:
    value = name.strip().lower()
    if (
        not value
        or len(value) > 64
        or not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in value)
    ):
        raise IsotrackError(
            f"invalid target name {quoted(name)}: use letters, digits and - _ . (at most 64)"
        )
    return value


def _reach(stage: str) -> str:
    value = _stage(stage)
    if value in ("none", "lapsed"):
        raise IsotrackError(
            f"a target cannot require stage {quoted(value)}: "
            "use planned, building, applying or announced"
        )
    return value


def _share(share: float) -> float:
    """A required share as a fraction in (0, 1]."""
    if math.isnan(share) or not 0 < share <= 1:
        raise IsotrackError(
            f"a target's share must be above 0% and at most 100%, got {share * 100:g}%"
        )
    return round(share, 6)


def _policy(policy: str) -> str:
    value = policy.strip().lower()
    if value not in POLICIES:
        raise IsotrackError(f"unknown successor policy {quoted(policy)}: use {', '.join(POLICIES)}")
    return value


def clean_text(text: str | None, option: str) -> str | None:
    """Free text from the user or a file (``option`` names where it comes from): NFC, blank
    means none, no control characters, a sane length."""
    if text is None:
        return None
    if has_control(text):
        raise IsotrackError(f"{option} cannot contain control characters")
    if not text.strip():
        return None
    cleaned = nfc(text)
    if len(cleaned) > MAX_TEXT:
        raise IsotrackError(f"{option} can have at most {MAX_TEXT} characters (got {len(cleaned)})")
    return cleaned


def _check_count(option: str, value: int) -> None:
    if not 0 <= value <= MAX_COUNT:
        raise IsotrackError(f"{option} must be between 0 and {MAX_COUNT:,}, got {value}")


def _distinct(codes: list[str]) -> list[str]:
    seen: list[str] = []
    for code in codes:
        if code in seen:
            raise UsageError(f"{code} is named twice")
        seen.append(code)
    return seen
