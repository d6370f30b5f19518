"""Targets and coverage: pure functions of (events, target, as_of).

A target names a population (unit kinds, optionally under one unit, optionally an explicit list
of codes, optionally only units whose QMS has reached a stage), a requirement (a minimum stage,
optionally a minimum edition, optionally "built without a consultant"), a required share and a
deadline, and a successor policy saying what happens when counted units end:

- ``follow``: an ended unit is replaced by its live successors, transitively;
- ``freeze``: the population is the units that existed on ``freeze_on``, whatever happens after
  (an ended unit keeps the QMS it had when it ended);
- ``drop``: units that ended leave the population.

A QMS record belongs to the unit that holds it: a successor counts as covered only once its own
QMS meets the requirement. Nothing here reads the clock.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from isotrack.events import STAGE_ORDER, Event
from isotrack.timeline import Registry, UnitState, edition_rank, fold_series

POLICIES = ("follow", "freeze", "drop")
STATUSES = ("met", "on-track", "at-risk", "behind", "missed")
DAYS_PER_YEAR = 365.25


@dataclass(frozen=True)
class Target:
    name: str
    kinds: tuple[str, ...]  # empty: every kind
    reach: str
    share: float  # required share, 0..1
    deadline: str  # ISO
    start: str  # ISO: when the target was set (pace "since start")
    under: str | None = None
    codes: tuple[str, ...] = ()
    edition: str | None = None
    no_consultant: bool = False
    with_stage: str | None = None
    successors: str = "follow"
    freeze_on: str | None = None
    source: str | None = None

    def to_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kinds": list(self.kinds),
            "reach": self.reach,
            "share": self.share,
            "deadline": self.deadline,
            "start": self.start,
            "under": self.under,
            "codes": list(self.codes),
            "edition": self.edition,
            "no_consultant": self.no_consultant,
            "with_stage": self.with_stage,
            "successors": self.successors,
            "freeze_on": self.freeze_on,
            "source": self.source,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Target:
        return cls(
            name=str(data["name"]),
            kinds=tuple(data.get("kinds") or ()),
            reach=str(data.get("reach", "applying")),
            share=float(data.get("share", 1.0)),
            deadline=str(data["deadline"]),
            start=str(data.get("start", data["deadline"])),
            under=data.get("under"),
            codes=tuple(data.get("codes") or ()),
            edition=data.get("edition"),
            no_consultant=bool(data.get("no_consultant", False)),
            with_stage=data.get("with_stage"),
            successors=str(data.get("successors", "follow")),
            freeze_on=data.get("freeze_on"),
            source=data.get("source"),
        )

    @property
    def frozen_on(self) -> str:
        return self.freeze_on or self.start


@dataclass(frozen=True)
class Lineage:
    """How the successor policy changed the population."""

    policy: str
    replaced: tuple[str, ...] = ()  # counted units that ended and were replaced
    successors: tuple[str, ...] = ()  # the units counted in their place
    dropped: tuple[str, ...] = ()  # counted units that ended and left the population
    kept: tuple[str, ...] = ()  # ended units kept by "freeze"


@dataclass(frozen=True)
class Count:
    population: tuple[str, ...]
    covered: tuple[str, ...]
    lineage: Lineage

    @property
    def share(self) -> float:
        return len(self.covered) / len(self.population) if self.population else 1.0


@dataclass(frozen=True)
class Coverage:
    """A target evaluated as of a date."""

    target: Target
    as_of: str
    count: Count
    status: str
    pace_needed_per_year: float | None
    pace_observed_per_year: float
    pace_since_start_per_year: float | None
    projected: str | None
    covered_a_year_before: int
    history: list[tuple[str, float]] = field(default_factory=list)

    @property
    def population(self) -> int:
        return len(self.count.population)

    @property
    def covered(self) -> int:
        return len(self.count.covered)

    @property
    def share(self) -> float:
        return self.count.share

    @property
    def missing(self) -> list[str]:
        covered = set(self.count.covered)
        return [code for code in self.count.population if code not in covered]

    @property
    def still_needed(self) -> int:
        return max(0, _needed(self.target.share, self.population) - self.covered)


def covers(target: Target, unit: UnitState) -> bool:
    """Whether a unit's own QMS meets the target's requirement."""
    if unit.stage == "lapsed" or STAGE_ORDER[unit.stage] < STAGE_ORDER[target.reach]:
        return False
    if target.edition and edition_rank(unit.edition) < edition_rank(target.edition):
        return False
    return not (target.no_consultant and unit.consultant_used is not False)


def count(target: Target, registry: Registry, frozen: set[str] | None = None) -> Count:
    """Population and covered units of ``target`` in ``registry``.

    ``frozen`` is the population on the freeze date, for the ``freeze`` policy.
    """
    units = registry.units
    scope = _scope(target, registry)

    def staged(unit: UnitState) -> bool:
        if target.with_stage is None:
            return True
        return unit.stage != "lapsed" and STAGE_ORDER[unit.stage] >= STAGE_ORDER[target.with_stage]

    policy = target.successors
    population: list[str] = []
    replaced: list[str] = []
    heirs: list[str] = []
    dropped: list[str] = []
    kept: list[str] = []
    if policy == "freeze" and frozen is not None:
        for code in sorted(frozen):
            population.append(code)
            if not units[code].alive:
                kept.append(code)
    else:
        for unit in units.values():
            if not _is_seed(target, unit, registry, scope):
                continue
            if unit.alive:
                population.append(unit.code)
                continue
            successors = _live_successors(unit, registry) if policy == "follow" else []
            if successors:
                replaced.append(unit.code)
                heirs.extend(successors)
            elif staged(unit):  # it was counted when it ended
                dropped.append(unit.code)
        population = sorted(set(population) | set(heirs))
    population = [code for code in population if staged(units[code])]
    covered = [code for code in population if covers(target, units[code])]
    lineage = Lineage(
        policy,
        tuple(sorted(replaced)),
        tuple(sorted(set(heirs))),
        tuple(sorted(dropped)),
        tuple(kept),
    )
    return Count(tuple(population), tuple(covered), lineage)


def evaluate(
    targets: Iterable[Target], events: list[Event], as_of: date, *, history: bool = False
) -> list[Coverage]:
    """Every target as of ``as_of``, with pace, projection and status."""
    targets = list(targets)
    if not targets:  # nothing to count: no need to fold the history
        return []
    return evaluate_with_registry(targets, events, as_of, history=history)[0]


def evaluate_with_registry(
    targets: Iterable[Target], events: list[Event], as_of: date, *, history: bool = False
) -> tuple[list[Coverage], Registry]:
    """Every target as of ``as_of``, and the registry as of then, in one pass over the events.

    With ``history``, each target's share is also sampled at every month end from its start,
    for charts.
    """
    targets = list(targets)
    day = as_of.isoformat()
    wanted: set[str] = {day}
    if targets:
        wanted.add(one_year_before(as_of).isoformat())
    for target in targets:
        if target.start <= day:
            wanted.add(target.start)
        if target.successors == "freeze":
            wanted.add(min(target.frozen_on, day))
    samples = _month_ends(min(t.start for t in targets), as_of) if history and targets else []
    wanted.update(samples)
    frozen: dict[str, set[str]] = {}
    counts: dict[tuple[str, str], Count] = {}
    last: Registry | None = None
    for when, registry in fold_series(events, list(sorted(wanted))):
        assert when is not None
        for target in targets:
            if target.successors == "freeze" and when == min(target.frozen_on, day):
                scope = _scope(target, registry)
                frozen[target.name] = {
                    u.code for u in registry.live() if _is_seed(target, u, registry, scope)
                }
            counts[(target.name, when)] = count(target, registry, frozen.get(target.name))
        last = registry  # the dates ascend and end with ``as_of``
    assert last is not None
    return [_coverage(target, as_of, counts, samples) for target in targets], last


def one_year_before(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _coverage(
    target: Target, as_of: date, counts: dict[tuple[str, str], Count], samples: list[str]
) -> Coverage:
    day = as_of.isoformat()
    now = counts[(target.name, day)]
    before = counts[(target.name, one_year_before(as_of).isoformat())]
    covered = len(now.covered)
    needed_total = _needed(target.share, len(now.population))
    remaining = max(0, needed_total - covered)
    deadline = date.fromisoformat(target.deadline)
    years_left = (deadline - as_of).days / DAYS_PER_YEAR
    pace_needed = round(remaining / years_left, 2) if years_left > 0 else None
    observed = float(covered - len(before.covered))
    since_start: float | None = None
    start = date.fromisoformat(target.start)
    if start < as_of and (target.name, target.start) in counts:
        elapsed = (as_of - start).days / DAYS_PER_YEAR
        gained = covered - len(counts[(target.name, target.start)].covered)
        since_start = round(gained / elapsed, 2)
    projected: date | None = None
    if remaining == 0:
        status = "met"
    elif as_of > deadline:
        status = "missed"
    else:
        if observed > 0:
            projected = as_of + timedelta(days=math.ceil(remaining / observed * DAYS_PER_YEAR))
        if projected is None or projected > one_year_after(deadline):
            status = "behind"
        elif projected > deadline:
            status = "at-risk"
        else:
            status = "on-track"
    history = [
        (when, counts[(target.name, when)].share) for when in samples if when >= target.start
    ]
    return Coverage(
        target=target,
        as_of=day,
        count=now,
        status=status,
        pace_needed_per_year=pace_needed,
        pace_observed_per_year=observed,
        pace_since_start_per_year=since_start,
        projected=projected.isoformat() if projected else None,
        covered_a_year_before=len(before.covered),
        history=history,
    )


def one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


def _needed(share: float, population: int) -> int:
    """Units that must be covered for ``share`` of ``population`` (rounded up)."""
    return math.ceil(share * population - 1e-9)


def _scope(target: Target, registry: Registry) -> set[str] | None:
    """``under`` and, if it ended, the units that succeeded it."""
    if target.under is None:
        return None
    roots, todo = {target.under}, [target.under]
    while todo:
        unit = registry.units.get(todo.pop())
        for link in unit.successors if unit else ():
            if link.code not in roots:
                roots.add(link.code)
                todo.append(link.code)
    return roots


def _is_seed(target: Target, unit: UnitState, registry: Registry, scope: set[str] | None) -> bool:
    """Whether ``unit`` itself belongs to the population the target names (before lineage)."""
    if target.codes:
        return unit.code in target.codes
    if target.kinds and unit.kind not in target.kinds:
        return False
    return scope is None or bool(scope & {unit.code, *registry.ancestors(unit.code)})


def _live_successors(unit: UnitState, registry: Registry) -> list[str]:
    """Live units reached from ``unit`` through successor links (through ended successors)."""
    found: list[str] = []
    seen = {unit.code}
    todo = [link.code for link in unit.successors]
    while todo:
        code = todo.pop()
        if code in seen:
            continue
        seen.add(code)
        successor = registry.units.get(code)
        if successor is None:
            continue
        if successor.alive:
            found.append(code)
        else:
            todo.extend(link.code for link in successor.successors)
    return sorted(found)


def _month_ends(start_iso: str, end: date) -> list[str]:
    start = date.fromisoformat(start_iso)
    points: list[str] = []
    year, month = start.year, start.month
    while True:
        following = date(year + (month == 12), month % 12 + 1, 1)
        last = following - timedelta(days=1)
        if last >= end:
            points.append(end.isoformat())
            return points
        points.append(last.isoformat())
        year, month = following.year, following.month
