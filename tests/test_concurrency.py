"""Writers in separate processes, going through the whole domain (not just storage)."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime
from pathlib import Path

import orjson

from isotrack.catalog import load_catalog
from isotrack.storage import Store
from isotrack.tracker import Tracker

WRITERS = 4
WRITES = 50


def tracker(path: Path) -> Tracker:
    return Tracker(
        Store(path, lock_timeout=60),
        load_catalog(None),
        today=date(2026, 1, 1),
        now=datetime.now(UTC),
        command="test",
    )


def writer(path: str, unit: str, parsed_after_each: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    for n in range(1, WRITES + 1):
        result = tracker(Path(path)).set_procedures(
            unit, {"internal": n}, on=date(2020, 1, 1), dry_run=False
        )
        assert result.changeset is not None
        # The file must parse after every write (whoever wrote last).
        orjson.loads(Path(path).read_bytes())
    parsed_after_each.put(unit)


def test_four_processes_writing_fifty_events_each_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "db.json"
    setup = tracker(path)
    setup.initialise()
    setup.add_unit("M", name="Bộ", kind="ministry", parent=None, on=date(2010, 1, 1), dry_run=False)
    units = [f"U{n}" for n in range(WRITERS)]
    for unit in units:
        tracker(path).add_unit(
            unit,
            name=f"Đơn vị {unit}",
            kind="agency",
            parent="M",
            on=date(2010, 1, 1),
            dry_run=False,
        )

    context = multiprocessing.get_context("spawn")
    done = context.Queue()
    processes = [context.Process(target=writer, args=(str(path), u, done)) for u in units]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0

    assert sorted(done.get(timeout=1) for _ in units) == units
    final = tracker(path)
    written = [e for e in final.events() if e.type == "procedures.set"]
    assert len(written) == WRITERS * WRITES
    assert len({e.id for e in final.events()}) == len(final.events())
    assert len(final.changesets()) == 1 + WRITERS + WRITERS * WRITES
    registry = final.registry(None)
    assert all(registry.units[u].procedures["internal"] == WRITES for u in units)
