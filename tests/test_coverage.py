"""Targets and coverage: the acceptance scenario, each status at its boundaries, properties."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import Run
from isotrack import events as ev
from isotrack.coverage import Target, count, covers, evaluate, one_year_before
from isotrack.events import Event
from isotrack.timeline import fold
from orgs import add_units, target_add

DISTRICTS = [f"D{n:02d}" for n in range(1, 11)]
REGIONAL = ["R1", "R2", "R3"]
GROUPS = {"R1": DISTRICTS[0:4], "R2": DISTRICTS[4:7], "R3": DISTRICTS[7:10]}
APPLYING_ON = {  # six districts reach "applying" between 2020 and 2024
    "D01": "2020-03-01",
    "D02": "2021-05-01",
    "D03": "2022-06-01",
    "D05": "2023-01-15",
    "D08": "2023-09-01",
    "D09": "2024-06-30",
}


def build(ok: Callable[..., Run]) -> None:
    ok("init")
    add_units(
        ok,
        ("P", "Bộ CHQS tỉnh", "provincial-command", None),
        *((code, f"Ban CHQS huyện {code}", "district-command", "P") for code in DISTRICTS),
    )
    for code, when in APPLYING_ON.items():
        ok("qms", "stage", code, "applying", "--edition", "2015", "--on", when)
    ok(*target_add("district-2030", "--successors", "follow", "--on", "2019-01-01"))
    for regional, group in GROUPS.items():
        ok(
            "unit",
            "merge",
            *group,
            "--into",
            regional,
            "--name",
            f"Ban CHPTKV {regional}",
            "--kind",
            "regional-defence-command",
            "--basis",
            "2786/QĐ-BQP",
            "--on",
            "14/06/2025",
        )


def check(cli: Callable[..., Run], as_of: str) -> tuple[int, dict[str, object]]:
    result = cli("check", "--as-of", as_of, "--json")
    return result.exit_code, json.loads(result.stdout)["targets"][0]


def test_district_target_follows_the_2025_merge(
    ok: Callable[..., Run], cli: Callable[..., Run]
) -> None:
    build(ok)
    code, before = check(cli, "2024-12-31")
    assert (before["population"], before["covered"]) == (10, 6)
    assert before["missing"] == ["D04", "D06", "D07", "D10"]
    # One reached "applying" in the last 12 months; four to go at that pace: end of 2028.
    assert (before["status"], before["pace_observed_per_year"]) == ("on-track", 1.0)
    assert before["projected"] == "2028-12-31"
    assert code == 0

    code, after = check(cli, "2025-07-01")
    assert (after["population"], after["covered"], after["status"]) == (3, 0, "behind")
    assert after["missing"] == REGIONAL
    assert after["successors"]["replaced"] == DISTRICTS
    assert "A QMS does not carry over" in after["successor_note"]
    assert code == 3

    for regional in REGIONAL:
        ok("qms", "stage", regional, "applying", "--on", "2026-03-01")
    code, met = check(cli, "2026-06-01")
    assert (met["population"], met["covered"], met["status"], met["share"]) == (3, 3, "met", 1.0)
    assert code == 0


def test_report_json_has_the_contract_keys(ok: Callable[..., Run]) -> None:
    build(ok)
    data = json.loads(ok("report", "--json", "--as-of", "2025-07-01").stdout)
    assert data["as_of"] == "2025-07-01"
    assert set(data["totals"]) >= {"units", "by_stage", "by_edition", "procedures"}
    assert set(data["totals"]["procedures"]) == {"tthc", "internal", "product", "total"}
    [target] = data["targets"]
    assert set(target) >= {
        "name",
        "population",
        "covered",
        "share",
        "required_share",
        "deadline",
        "status",
        "pace_needed_per_year",
        "pace_observed_per_year",
        "projected",
        "missing",
        "successor_note",
    }
    assert target["deadline"] == "2030-12-31"
    assert data["totals"]["units"] == 4  # the province and three regional commands


# ---------------------------------------------------------------- the status rules, at the edges

AS_OF = date(2026, 1, 1)


def unit_events(n_units: int, covered_dates: list[date]) -> list[Event]:
    """``n_units`` agencies founded in 2000; one reaches applying on each covered date."""
    events: list[Event] = []
    for i in range(n_units):
        events.append(
            Event(
                f"f{i}",
                f"U{i:03d}",
                ev.FOUNDED,
                "2000-01-01",
                "2000",
                "c",
                {"name": f"U{i}", "kind": "agency", "parent": None},
            )
        )
    for i, when in enumerate(covered_dates):
        events.append(
            Event(
                f"s{i}", f"U{i:03d}", ev.STAGE, when.isoformat(), "2000", "c", {"stage": "applying"}
            )
        )
    return events


def target(deadline: date, share: float = 1.0, start: str = "2020-01-01") -> Target:
    return Target(
        name="t",
        kinds=("agency",),
        reach="applying",
        share=share,
        deadline=deadline.isoformat(),
        start=start,
    )


def status_of(n_units: int, covered: list[date], deadline: date) -> tuple[str, str | None]:
    [result] = evaluate([target(deadline)], unit_events(n_units, covered), AS_OF)
    return result.status, result.projected


def test_met_when_the_share_is_reached() -> None:
    assert status_of(4, [date(2025, 6, 1)] * 4, date(2030, 12, 31))[0] == "met"


def test_missed_once_the_deadline_has_passed() -> None:
    assert status_of(4, [date(2025, 6, 1)] * 3, date(2025, 12, 31))[0] == "missed"


def test_on_track_when_projected_exactly_on_the_deadline() -> None:
    # 2 covered in the last 12 months, 2 missing: projected one year ahead (365.25 days up).
    covered = [date(2025, 6, 1), date(2025, 7, 1)]
    projected = AS_OF + timedelta(days=366)
    assert status_of(4, covered, projected) == ("on-track", projected.isoformat())
    assert status_of(4, covered, projected - timedelta(days=1))[0] == "at-risk"


def test_at_risk_up_to_a_year_after_the_deadline_then_behind() -> None:
    covered = [date(2025, 6, 1), date(2025, 7, 1)]
    projected = AS_OF + timedelta(days=366)
    deadline = one_year_before(projected)
    assert status_of(4, covered, deadline)[0] == "at-risk"
    assert status_of(4, covered, deadline - timedelta(days=1))[0] == "behind"


def test_behind_when_nothing_moved_in_twelve_months() -> None:
    assert status_of(4, [date(2024, 6, 1)], date(2040, 1, 1)) == ("behind", None)


def test_pace_needed_and_observed() -> None:
    deadline = date(2030, 1, 1)
    [c] = evaluate([target(deadline)], unit_events(10, [date(2025, 3, 1), date(2023, 1, 1)]), AS_OF)
    assert c.pace_observed_per_year == 1.0
    years = (deadline - AS_OF).days / 365.25
    assert c.pace_needed_per_year == round(8 / years, 2)


def test_freeze_keeps_ended_units_and_drop_forgets_them() -> None:
    events = unit_events(3, [date(2021, 1, 1)])
    events.append(Event("m", "U000", ev.MERGED, "2022-01-01", "2000", "c", {"into": "U001"}))
    same = target(date(2030, 12, 31), start="2020-06-01")
    frozen, dropped, followed = (
        replace(same, name=name, successors=policy)
        for name, policy in (("f", "freeze"), ("d", "drop"), ("w", "follow"))
    )
    f, d, w = evaluate([frozen, dropped, followed], events, AS_OF)
    assert (f.population, f.covered, f.count.lineage.kept) == (3, 1, ("U000",))
    assert (d.population, d.covered, d.count.lineage.dropped) == (2, 0, ("U000",))
    assert (w.population, w.covered, w.count.lineage.replaced) == (2, 0, ("U000",))


def test_requirements_edition_and_consultant() -> None:
    registry = fold(
        [
            Event("f", "U", ev.FOUNDED, "2000-01-01", "1", "c", {"name": "U", "kind": "agency"}),
            Event(
                "s",
                "U",
                ev.STAGE,
                "2020-01-01",
                "2",
                "c",
                {"stage": "announced", "edition": "2008", "consultant": "ACME"},
            ),
        ]
    )
    unit = registry.units["U"]
    base = target(date(2030, 1, 1))
    assert covers(base, unit)
    assert not covers(Target(**{**base.__dict__, "edition": "2015"}), unit)
    assert not covers(Target(**{**base.__dict__, "no_consultant": True}), unit)
    assert not covers(Target(**{**base.__dict__, "reach": "announced", "edition": "2015"}), unit)


# ---------------------------------------------------------------- properties

dates = st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 12, 31))


@given(
    st.lists(dates, max_size=12),
    st.integers(min_value=1, max_value=12),
    dates,
    st.floats(min_value=0.01, max_value=1.0),
)
def test_share_is_always_between_0_and_1(
    covered: list[date], n: int, as_of: date, share: float
) -> None:
    events = unit_events(max(n, len(covered)), covered)
    [c] = evaluate([target(date(2030, 12, 31), share)], events, as_of)
    assert 0.0 <= c.share <= 1.0
    assert c.covered + len(c.missing) == c.population


@given(st.lists(dates, min_size=1, max_size=10), dates, st.data())
def test_adding_a_covering_event_never_lowers_coverage(
    covered: list[date], as_of: date, data: st.DataObject
) -> None:
    events = unit_events(12, covered)
    when = data.draw(dates)
    extra = Event("extra", "U011", ev.STAGE, when.isoformat(), "2001", "c", {"stage": "announced"})
    t = target(date(2030, 12, 31))
    before = count(t, fold(events, as_of.isoformat()))
    after = count(t, fold([*events, extra], as_of.isoformat()))
    assert len(after.covered) >= len(before.covered)


@given(st.lists(dates, max_size=10), dates)
def test_coverage_as_of_a_date_ignores_later_events(covered: list[date], as_of: date) -> None:
    events = unit_events(10, covered)
    earlier = [e for e in events if e.on <= as_of.isoformat()]
    t = target(date(2030, 12, 31))
    [full] = evaluate([t], events, as_of)
    [cut] = evaluate([t], earlier, as_of)
    assert (full.count, full.status, full.projected) == (cut.count, cut.status, cut.projected)


@pytest.mark.parametrize("day", ["2024-02-29", "2023-03-01"])
def test_one_year_before_handles_leap_days(day: str) -> None:
    result = one_year_before(date.fromisoformat(day))
    assert result.year == int(day[:4]) - 1
    assert result <= date.fromisoformat(day)
