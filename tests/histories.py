"""Databases for tests: a tracker on a fixed clock with shorthands for the common writes, and
random but valid histories (any operation the tracker refuses is skipped), as Hypothesis
strategies."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from isotrack import events as ev
from isotrack.catalog import load_catalog
from isotrack.errors import ImportRowError, IsotrackError
from isotrack.importer import ImportResult, import_file
from isotrack.storage import Store
from isotrack.tracker import Tracker, WriteResult

TODAY = date(2026, 11, 22)
D2010 = date(2010, 1, 1)
CATALOG = load_catalog(None)
# What a snapshot carries: ``unit list --json`` without lineage and audits (which only event
# files carry).
SNAPSHOT_KEYS = (
    "code",
    "name",
    "kind",
    "parent",
    "founded",
    "stage",
    "stage_since",
    "edition",
    "edition_since",
    "consultant",
    "consultant_used",
    "model",
    "decision",
    "procedures",
)


class Db:
    """One database file; each ``tracker()`` is a new command, one second after the last (undo
    and redo are resolved by recorded time, so the clock must move). ``ids``, if given, are the
    ids every new event and changeset takes, in turn."""

    def __init__(
        self,
        path: Path,
        start: datetime | None = None,
        *,
        command: str = "test",
        ids: Iterator[str] | None = None,
    ) -> None:
        self.path = path
        self.store = Store(path)
        self.now = start or datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
        self.command = command
        self.new_id = ids.__next__ if ids is not None else ev.new_id

    def tracker(self) -> Tracker:
        self.now += timedelta(seconds=1)
        return Tracker(
            self.store,
            CATALOG,
            today=TODAY,
            now=self.now,
            command=self.command,
            id_factory=self.new_id,
        )

    # shorthands for the common writes, each one command
    def add(
        self, code: str, name: str, kind: str, parent: str | None = None, on: date = D2010
    ) -> WriteResult:
        return self.tracker().add_unit(
            code, name=name, kind=kind, parent=parent, on=on, dry_run=False
        )

    def stage(self, code: str, stage: str, on: date, **options: Any) -> WriteResult:
        settings: dict[str, Any] = {
            "edition": None,
            "consultant": None,
            "no_consultant": False,
            "model": None,
            "decision": None,
            "dry_run": False,
        }
        settings.update(options)
        return self.tracker().set_stage(code, stage, on=on, **settings)

    def merge(
        self,
        codes: list[str],
        into: str,
        on: date,
        name: str | None = None,
        kind: str | None = None,
        dry_run: bool = False,
    ) -> WriteResult:
        return self.tracker().merge_units(
            codes, into=into, basis="2786/QĐ-BQP", name=name, kind=kind, on=on, dry_run=dry_run
        )

    def imp(
        self, path: Path, *, fmt: str | None = None, on: date = TODAY, dry_run: bool = False
    ) -> ImportResult:
        return import_file(self.tracker(), path, fmt=fmt, on=on, dry_run=dry_run)

    def refused(self, path: Path, *, on: date = TODAY) -> list[tuple[str, str]]:
        """Import ``path``, which must be refused whole: the problems listed (the file is
        checked to be byte for byte as it was)."""
        before = self.bytes()
        try:
            self.imp(path, on=on)
        except ImportRowError as error:
            assert self.bytes() == before
            return error.problems
        raise AssertionError(f"{path.name} was imported")

    def units(self, as_of: date = TODAY, *, ended: bool = True) -> list[dict[str, Any]]:
        if not self.path.exists():  # an import with nothing to write creates no file
            return []
        found = self.tracker().list_units(as_of, include_ended=ended)
        return [unit.to_json() for unit in found]

    def snapshot(self, as_of: date = TODAY) -> list[dict[str, Any]]:
        return [
            {key: unit[key] for key in SNAPSHOT_KEYS} for unit in self.units(as_of, ended=False)
        ]

    def bytes(self) -> bytes:
        return self.path.read_bytes() if self.path.exists() else b""


DAYS = [date(2015, 1, 1) + timedelta(days=120 * k) for k in range(12)]
STAGES = ("planned", "building", "applying", "announced", "lapsed")
# Names with Vietnamese letters and characters spreadsheets treat specially.
NAME = st.text(
    alphabet="aăâbcdđeêhiklmnoôơpqrstuưvxyAĐƠ àảãáạằẳẵắặẦẩẫấậềểễếệ,;\"'=+-@\t",
    min_size=1,
    max_size=12,
).filter(lambda s: s.strip() != "")


@dataclass(frozen=True)
class Op:
    what: str
    a: int
    b: int
    day: date
    text: str
    stage: str
    count: int


OPS = st.builds(
    Op,
    what=st.sampled_from(
        [
            "add",
            "add",
            "add",
            "stage",
            "stage",
            "stage",
            "edition",
            "procedures",
            "rename",
            "move",
            "merge",
            "dissolve",
            "undo",
            "consultant",
        ]
    ),
    a=st.integers(0, 9),
    b=st.integers(0, 9),
    day=st.sampled_from(DAYS),
    text=NAME,
    stage=st.sampled_from(STAGES),
    count=st.integers(0, 40),
)


def apply(db: Db, ops: list[Op], prefix: str, root: str) -> None:
    """Play ``ops`` on units coded ``{prefix}{n}`` under ``root``; refused ones are skipped.
    An undo takes back the last of these ops' own changesets still in force (an office undoes
    its own work, not the shared base's)."""
    mine: list[str] = []
    for op in ops:
        code, other = f"{prefix}{op.a}", f"{prefix}{op.b}"
        t = db.tracker()
        try:
            if op.what == "undo":
                if mine:
                    undone = t.undo(mine.pop(), dry_run=False).changeset
                    if undone is not None:
                        mine.append(undone.id)
                continue
            written = _play(t, op, code, other, root)
        except IsotrackError:
            continue
        if written is not None:
            mine.append(written)


def _play(t: Tracker, op: Op, code: str, other: str, root: str) -> str | None:
    """One op; the id of the changeset it wrote (``None`` if nothing changed)."""
    result: WriteResult | None = None
    if op.what == "add":
        parent = root if op.b % 3 == 0 else other
        kind = "district-command" if op.b % 2 else "provincial-command"
        result = t.add_unit(code, name=op.text, kind=kind, parent=parent, on=op.day, dry_run=False)
    elif op.what in ("stage", "consultant"):
        result = t.set_stage(
            code,
            op.stage,
            edition="2015" if op.count % 3 == 0 else ("2008" if op.count % 3 == 1 else None),
            consultant=op.text if op.what == "consultant" else None,
            no_consultant=op.what == "stage" and op.count % 4 == 0,
            model=op.text if op.count % 5 == 0 else None,
            decision=f"{op.count}/QĐ-BTL" if op.stage == "announced" else None,
            on=op.day,
            dry_run=False,
        )
    elif op.what == "edition":
        result = t.set_edition(code, "2015" if op.count % 2 else "2026", on=op.day, dry_run=False)
    elif op.what == "procedures":
        counts = {"tthc": op.count, "internal": op.count // 2 if op.b % 2 else None}
        result = t.set_procedures(code, counts, on=op.day, dry_run=False)
    elif op.what == "rename":
        result = t.rename_unit(code, name=op.text, on=op.day, dry_run=False)
    elif op.what == "move":
        result = t.move_unit(code, parent=other, on=op.day, dry_run=False)
    elif op.what == "merge":
        result = t.merge_units(
            [code], into=other, basis="1/QĐ", name=None, kind=None, on=op.day, dry_run=False
        )
    elif op.what == "dissolve":
        result = t.dissolve_unit(code, successor=other, basis=None, on=op.day, dry_run=False)
    return result.changeset.id if result is not None and result.changeset else None


def base(db: Db, *offices: str) -> None:
    """A ministry with one unit per office under it."""
    db.add("R", "Bộ Quốc phòng", "ministry")
    for office in offices:
        db.add(office, f"Quân khu {office}", "military-region", "R")
