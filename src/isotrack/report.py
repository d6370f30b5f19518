"""The progress report as plain data: totals, targets, the hierarchy rolled up, a period view.

``build_report`` decides everything; ``isotrack.render`` only lays it out.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import repeat
from typing import Any

from isotrack import events as ev
from isotrack.coverage import Coverage, Target, evaluate_with_registry
from isotrack.events import PROCEDURE_CATEGORIES, STAGE_ORDER, Changeset, Event
from isotrack.timeline import Registry, UnitState, fold_series

QMS_STAGES = ("applying", "announced")  # "with a QMS" in rolled-up counts


@dataclass(frozen=True)
class Totals:
    units: int
    by_stage: dict[str, int]
    by_edition: dict[str, int]
    procedures: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "units": self.units,
            "by_stage": self.by_stage,
            "by_edition": self.by_edition,
            "procedures": self.procedures,
        }


@dataclass(slots=True)  # not frozen: a frozen instance is five times dearer to make (one a unit)
class TreeRow:
    """One unit in the hierarchy, with counts rolled up over it and everything below it."""

    code: str
    name: str
    kind: str
    stage: str
    edition: str | None
    depth: int
    units: int
    with_qms: int
    procedures: int

    @property
    def share(self) -> float:
        return self.with_qms / self.units if self.units else 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "kind": self.kind,
            "stage": self.stage,
            "edition": self.edition,
            "depth": self.depth,
            "units": self.units,
            "with_qms": self.with_qms,
            "share": round(self.share, 4),
            "procedures": self.procedures,
        }


@dataclass(frozen=True)
class Period:
    """What changed between the end of ``start`` and the end of ``end``."""

    start: str
    end: str
    reached: dict[str, list[str]]  # stage -> units that reached it in the period
    editions: list[tuple[str, str | None, str]]  # (unit, from, to)
    procedures_added: dict[str, int]
    founded: list[str]
    ended: list[tuple[str, str, list[str]]]  # (unit, how, successors)

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "reached": self.reached,
            "editions": [{"unit": u, "from": a, "to": b} for u, a, b in self.editions],
            "procedures_added": self.procedures_added,
            "founded": self.founded,
            "ended": [{"unit": u, "how": how, "successors": s} for u, how, s in self.ended],
        }


@dataclass
class Report:
    as_of: str
    under: str | None
    totals: Totals
    targets: list[Coverage]
    tree: list[TreeRow]
    units: list[UnitState]
    period: Period | None
    content_hash: str
    command: str
    illustrative: bool
    kind_labels: dict[str, str] = field(default_factory=dict)  # kind code -> label to print


def build_report(
    events: list[Event],
    changesets: list[Changeset],
    targets: list[Target],
    *,
    as_of: date,
    under: str | None,
    period: tuple[date, date] | None,
    content_hash: str,
    command: str,
    history: bool = False,
    kind_labels: dict[str, str] | None = None,
) -> Report:
    """Everything a report shows, computed once."""
    if under:
        targets = [replace(t, under=under, codes=()) if not t.codes else t for t in targets]
    coverage, registry = evaluate_with_registry(targets, events, as_of, history=history)
    scope = registry.subtree(under) if under else None
    units = [u for u in registry.live() if scope is None or u.code in scope]
    reverted = registry.reverted
    illustrative = any(c.sample for c in changesets if c.id not in reverted)
    return Report(
        as_of=as_of.isoformat(),
        under=under,
        totals=totals(units),
        targets=coverage,
        tree=tree(registry, under),
        units=units,
        period=period_view(events, *period, scope_root=under) if period else None,
        content_hash=content_hash,
        command=command,
        illustrative=illustrative,
        kind_labels=kind_labels or {},
    )


def totals(units: list[UnitState]) -> Totals:
    stages = Counter(u.stage for u in units)
    editions = Counter(u.edition or "none" for u in units if u.stage != "none")
    procedures = {c: sum(u.procedures[c] for u in units) for c in PROCEDURE_CATEGORIES}
    procedures["total"] = sum(procedures.values())
    return Totals(
        units=len(units),
        by_stage={s: stages.get(s, 0) for s in ev.STAGES},
        by_edition=dict(sorted(editions.items())),
        procedures=procedures,
    )


def tree(registry: Registry, under: str | None) -> list[TreeRow]:
    """Live units in hierarchy order, each with counts rolled up over its subtree. Without
    recursion: a chain of units as deep as any is walked, and each unit costs one step."""
    live = {u.code: u for u in registry.live()}
    children: dict[str | None, list[str]] = {}
    for unit in live.values():
        parent = unit.parent if unit.parent in live else None
        children.setdefault(parent, []).append(unit.code)
    for codes in children.values():
        codes.sort(reverse=True)  # popped from the end of the stack: in code order
    roots = [under] if under and under in live else children.get(None, [])
    order: list[tuple[str, int]] = []  # each unit and its depth, parents before children
    below: dict[str, list[str]] = {}  # the children each unit was reached through
    leaf: list[str] = []  # (shared by the units with no children: most of them)
    stack = [(root, 0) for root in roots]
    while stack:
        code, depth = stack.pop()
        if code in below:  # a cycle of parents (a damaged file: doctor reports it)
            continue
        order.append((code, depth))
        kids = children.get(code)
        if kids is None:
            below[code] = leaf
            continue
        below[code] = kids = [child for child in kids if child not in below]
        stack.extend(zip(kids, repeat(depth + 1)))
    rolled: dict[str, tuple[int, int, int]] = {}
    for code, _ in reversed(order):  # children before parents
        unit = live[code]
        units, with_qms, procedures = 1, int(unit.stage in QMS_STAGES), unit.procedures_total
        for child in below[code]:
            a, b, c = rolled.get(child, (0, 0, 0))
            units, with_qms, procedures = units + a, with_qms + b, procedures + c
        rolled[code] = (units, with_qms, procedures)
    rows = []
    for code, depth in order:
        unit = live[code]
        rows.append(
            TreeRow(code, unit.name, unit.kind, unit.stage, unit.edition, depth, *rolled[code])
        )
    return rows


def period_view(events: list[Event], start: date, end: date, scope_root: str | None) -> Period:
    """Units that reached each stage, edition transitions, procedures added, units founded and
    ended between the end of ``start`` and the end of ``end``."""
    first, last = start.isoformat(), end.isoformat()

    def inside(code: str, scope: set[str] | None) -> bool:
        return scope is None or code in scope

    # One pass over the history: what the period compares is taken from the registry at its
    # start before the fold goes on to its end (the two share their units).
    series = fold_series(events, [first, last])
    _, before = next(series)
    scope_before = before.subtree(scope_root) if scope_root else None
    was = {code: (u.stage, u.edition) for code, u in before.units.items()}
    units_before = [u for u in before.live() if inside(u.code, scope_before)]
    had = {c: sum(u.procedures[c] for u in units_before) for c in PROCEDURE_CATEGORIES}
    del before, units_before
    _, after = next(series)
    scope_after = after.subtree(scope_root) if scope_root else None
    reached: dict[str, list[str]] = {s: [] for s in ev.STAGES if s != "none"}
    editions: list[tuple[str, str | None, str]] = []
    for code, unit in sorted(after.units.items()):
        if not (inside(code, scope_after) or inside(code, scope_before)):
            continue
        old_stage, old_edition = was.get(code, ("none", None))
        for on, stage in _stage_steps(unit):
            if first < on <= last and stage != old_stage:
                reached[stage].append(code)
        if (
            unit.edition
            and (code not in was or old_edition != unit.edition)
            and (unit.edition_since or "") > first
        ):
            editions.append((code, old_edition, unit.edition))
    units_after = [u for u in after.live() if inside(u.code, scope_after)]
    added = {c: sum(u.procedures[c] for u in units_after) - had[c] for c in PROCEDURE_CATEGORIES}
    added["total"] = sum(added.values())
    founded = sorted(
        code
        for code, u in after.units.items()
        if first < u.founded <= last and inside(code, scope_after)
    )
    ended = sorted(
        (code, str(u.end_reason), [link.code for link in u.successors])
        for code, u in after.units.items()
        if u.ended and first < u.ended <= last and inside(code, scope_before)
    )
    return Period(
        first,
        last,
        {k: sorted(set(v)) for k, v in reached.items()},
        editions,
        added,
        founded,
        ended,
    )


def _stage_steps(unit: UnitState) -> list[tuple[str, str]]:
    steps = []
    for event in unit.history:
        if event.type == ev.STAGE:
            stage = str(event.data.get("stage"))
            if stage in STAGE_ORDER or stage == "lapsed":
                steps.append((event.on, stage))
    return steps
