"""The shipped sample organisation, loaded as ``isotrack init --sample`` loads it.

Every published figure it is calibrated to is pinned here as isotrack's own report (or unit
listing) computes it on the figure's date, never read back from the generator.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import Run

SAMPLE_DIR = Path(__file__).resolve().parents[1] / "data" / "sample"
WITH_QMS = ("applying", "announced")


@pytest.fixture
def sample(ok: Callable[..., Run]) -> Callable[..., Any]:
    """The sample loaded into a fresh database; returns a runner of ``--json`` commands."""
    loaded = ok("init", "--sample")
    assert "loaded the sample organisation (illustrative data)" in loaded.stdout

    def run(*args: str) -> Any:
        return json.loads(ok(*args, "--json").stdout)

    return run


def report(sample: Callable[..., Any], as_of: str, under: str | None = None) -> Any:
    args = ["report", "--as-of", as_of]
    if under:
        args += ["--under", under]
    found = sample(*args)
    assert found["as_of"] == as_of
    assert found["illustrative"] is True
    return found


def units(sample: Callable[..., Any], as_of: str, *options: str) -> list[dict[str, Any]]:
    return list(sample("unit", "list", "--as-of", as_of, *options))


def test_ministry_wide_on_20_april_2023(sample: Callable[..., Any]) -> None:
    """Nearly 300 units with a QMS applied or announced, nearly 11,300 procedures."""
    totals = report(sample, "2023-04-20")["totals"]
    with_qms = sum(totals["by_stage"][stage] for stage in WITH_QMS)
    assert 280 <= with_qms <= 300
    assert 11_000 <= totals["procedures"]["total"] <= 11_300
    assert totals["procedures"]["total"] == sum(
        totals["procedures"][category] for category in ("tthc", "internal", "product")
    )


def test_defence_industry_at_the_end_of_2020(sample: Callable[..., Any]) -> None:
    """Every unit on :2015, 26 announced, 531 procedures of which 251 product quality."""
    found = report(sample, "2020-12-15", "TCCNQP")
    totals = found["totals"]
    assert totals["by_stage"]["announced"] == 26
    assert totals["by_stage"]["applying"] + totals["by_stage"]["announced"] == totals["units"]
    assert totals["by_edition"] == {"2015": totals["units"]}
    assert totals["procedures"]["total"] == 531
    assert totals["procedures"]["product"] == 251
    listed = units(sample, "2020-12-15", "--under", "TCCNQP")
    assert len(listed) == totals["units"] > 26
    assert {u["kind"] for u in listed} >= {"factory", "institute", "enterprise"}
    assert all(u["stage"] in WITH_QMS and u["edition"] == "2015" for u in listed)
    # The procedures in the report add up those of the units listed.
    assert sum(u["procedures"]["total"] for u in listed) == 531


def test_border_guard_in_april_2023(sample: Callable[..., Any]) -> None:
    """84 procedures for administrative procedures (tthc)."""
    assert report(sample, "2023-04-20", "BDBP")["totals"]["procedures"]["tthc"] == 84
    guards = units(sample, "2023-04-20", "--under", "BDBP", "--kind", "border-guard-command")
    assert len(guards) == 44


def test_military_region_2_in_june_2024(sample: Callable[..., Any]) -> None:
    """Its provincial commands and 27 district-level units building or applying :2015."""
    listed = units(sample, "2024-06-30", "--under", "QK2")
    provinces = [u for u in listed if u["kind"] == "provincial-command"]
    assert len(provinces) == 9
    assert all(u["stage"] in ("building", *WITH_QMS) for u in provinces)
    assert all(u["edition"] == "2015" for u in provinces)
    districts = [u for u in listed if u["kind"] == "district-command"]
    assert len(districts) == 88
    building = [
        u for u in districts if u["stage"] in ("building", "applying") and u["edition"] == "2015"
    ]
    assert len(building) == 27
    assert all(u["consultant_used"] is False for u in building)


def test_every_2008_qms_moved_to_2015_by_the_deadline(sample: Callable[..., Any]) -> None:
    before = Counter(u["edition"] for u in units(sample, "2017-12-31"))
    assert before["2008"] >= 50  # the transition happened, it was not skipped
    for day in ("2021-06-30", "2021-07-01", "2023-04-20"):
        assert not [u["code"] for u in units(sample, day) if u["edition"] == "2008"]
    assert report(sample, "2021-06-30")["totals"]["by_edition"].get("2008", 0) == 0


def test_the_2025_reorganisation(sample: Callable[..., Any]) -> None:
    """63 provinces until 30 June 2025, 34 from 1 July; district commands merged into 145
    regional defence commands on 14 June 2025."""

    def kinds(day: str) -> Counter[str]:
        return Counter(u["kind"] for u in units(sample, day))

    assert kinds("2025-06-13")["district-command"] == 696
    before, after = kinds("2025-06-30"), kinds("2025-07-01")
    assert before["provincial-command"] == 63
    assert after["provincial-command"] == 34
    assert before["regional-defence-command"] == after["regional-defence-command"] == 145
    assert before["district-command"] == after["district-command"] == 0
    # Border guard commands sit under the provincial commands from 1 July 2025.
    guards = units(sample, "2025-07-01", "--kind", "border-guard-command")
    parents = {u["parent"] for u in guards}
    assert guards
    assert all(p.startswith(("QK", "BTLTD")) for p in parents)
    # Lineage: a merged district names its regional command as successor.
    regional = units(
        sample, "2025-07-01", "--under", "QK4-THANHHOA", "--kind", "regional-defence-command"
    )
    ended = units(sample, "2025-07-01", "--kind", "district-command", "--all")
    merged = [u for u in ended if u["parent"] == "QK4-THANHHOA"]
    assert len(regional) == 5
    assert len(merged) == 26
    assert {u["end_reason"] for u in merged} == {"merged"}
    assert {s for u in merged for s in u["successors"]} == {u["code"] for u in regional}


def test_targets_follow_the_successors(sample: Callable[..., Any]) -> None:
    """The Ministry's three targets are installed; district-2030 counts the regional defence
    commands after the merger, and they start building their QMS in 2025-2026."""
    early = {t["name"]: t for t in report(sample, "2025-07-01")["targets"]}
    assert set(early) == {"district-2030", "no-consultant", "conform-2015"}
    assert early["district-2030"]["population"] == 145
    assert early["district-2030"]["covered"] == 0
    later = {t["name"]: t for t in report(sample, "2026-10-31")["targets"]}
    district = later["district-2030"]
    assert district["population"] == 145
    assert 0 < district["covered"] < 145
    assert later["conform-2015"]["status"] == "met"
    regional = units(sample, "2026-10-31", "--kind", "regional-defence-command")
    assert sum(u["stage"] in ("planned", "building") for u in regional) > 0


def test_the_sample_is_clean(sample: Callable[..., Any]) -> None:
    found = sample("doctor")
    assert found["errors"] == 0
    assert found["warnings"] == 0


def test_the_generator_is_deterministic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Running the generator again writes the shipped file, byte for byte."""
    spec = importlib.util.spec_from_file_location("sample_generator", SAMPLE_DIR / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    out = tmp_path / "sample.jsonl"
    module.generate(out)
    shipped = SAMPLE_DIR / "sample.jsonl"
    assert out.read_bytes() == shipped.read_bytes(), "run: python data/sample/generate.py"
    assert shipped.stat().st_size < 4_000_000  # it ships in the wheel


def test_every_sample_event_has_the_data_shape_isotrack_writes() -> None:
    from isotrack.events import data_problem

    lines = (SAMPLE_DIR / "sample.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    events = [r for r in records if r.get("record", "event") == "event"]
    assert len(events) > 8000
    assert Counter(data_problem(r["type"], r["data"]) for r in events) == {None: len(events)}
