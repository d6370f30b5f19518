"""Import and export at scale: a 100,000-row snapshot and a 100,000-event file.

Run: ``.venv/bin/python benchmarks/import_export.py [--rows N] [--repeat N]``. Each step is a
whole ``isotrack`` process, as a user runs it (start-up included), timed as ``run.py`` times
commands (median and spread of ``--repeat`` runs, peak memory); the target is under 3 seconds
for each 100,000-row import, in one write. A fixed loop of ten million interpreter steps is
timed before and after, to tell this machine's speed at the time. The steps after the first
import read the database it made: 100,000 units and 300,000 events. Prints a table; asserts
nothing (timings live here, not in the test suite).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import orjson

# The sheet builder the import fixtures are made with (tests/fixtures/sheet_text.py).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "fixtures"))
from sheet_text import VI_HEADER, excel_csv_utf8

ISOTRACK = str(Path(sys.executable).with_name("isotrack"))
STAGES = ("planned", "building", "applying", "announced")


def snapshot_rows(count: int) -> list[list[str]]:
    """A ministry, 10 regions, 100 provinces, then districts: a realistic tree, Vietnamese
    names, day-first dates, every column filled the way a unit's report fills it."""
    rows = [["BQP", "Bộ Quốc phòng", "ministry", "", "", "", "", "", "", "", ""]]
    for i in range(1, count):
        if i <= 10:
            code, kind, parent = f"QK{i}", "military-region", "BQP"
        elif i <= 110:
            code, kind, parent = f"T{i}", "provincial-command", f"QK{(i - 11) % 10 + 1}"
        else:
            code, kind, parent = f"H{i}", "district-command", f"T{(i - 111) % 100 + 11}"
        day = f"{(i % 28) + 1:02d}/{(i % 12) + 1:02d}/{2015 + i % 10}"
        rows.append(
            [
                code,
                f"Ban Chỉ huy quân sự đơn vị {i}",
                kind,
                parent,
                STAGES[i % 4],
                day,
                "2015",
                "không" if i % 3 else "Vinacontrol",
                str(i % 7),
                str(i % 40),
                str(i % 2),
            ]
        )
    return rows


def write_snapshot(path: Path, rows: list[list[str]]) -> None:
    """``rows`` under the Vietnamese header, saved as Excel's "CSV UTF-8" with ';' (as the
    import fixture excel-csv-utf8-semicolon.csv is)."""
    path.write_bytes(excel_csv_utf8([VI_HEADER, *rows], ";"))


def write_event_file(path: Path, events: int) -> None:
    """``events`` events in 100 changesets: units founded, then their stage and procedures.
    Each changeset record counts its own events (``doctor`` finds nothing to fix)."""
    units = events // 3
    changesets = [f"{n:032x}" for n in range(1, 101)]
    records = []
    for i in range(units):
        recorded = f"2025-01-01T00:00:00.{i:06d}+00:00"
        parent = None if i == 0 else f"E{(i - 1) // 20}"
        facts = [
            (
                "unit.founded",
                "2015-01-01",
                {"name": f"Đơn vị {i}", "kind": "district-command", "parent": parent},
            ),
            ("qms.stage", "2019-06-01", {"stage": STAGES[i % 4], "edition": "2015"}),
            ("procedures.set", "2021-01-01", {"tthc": i % 7, "internal": i % 40}),
        ]
        for kind, on, data in facts:
            records.append(
                {
                    "record": "event",
                    "id": f"{len(records) + 1:032x}",
                    "unit": f"E{i}",
                    "type": kind,
                    "on": on,
                    "recorded": recorded,
                    "changeset": changesets[i * 100 // units],
                    "data": data,
                }
            )
    counts = Counter(record["changeset"] for record in records)
    heads = [
        {
            "record": "changeset",
            "id": cs,
            "recorded": f"2025-01-01T00:{n // 60:02d}:{n % 60:02d}.000000+00:00",
            "command": "isotrack import office.csv",
            "events": counts[cs],
            "undoes": None,
        }
        for n, cs in enumerate(changesets)
    ]
    path.write_bytes(b"\n".join(map(orjson.dumps, [*heads, *records])) + b"\n")


# A fixed loop of ten million interpreter steps: what this shared machine's speed is at the
# moment (it drifts by a quarter within an hour), printed before and after the steps.
REFERENCE = (
    "import time\nstart = time.perf_counter()\nfor _ in range(10_000_000):\n    pass\n"
    "print(time.perf_counter() - start)"
)


def reference_seconds(runs: int = 3) -> float:
    """The median time of ``REFERENCE`` in fresh processes: beside it, a figure measured on
    another day, or in another hour, can be compared."""
    times = [
        float(subprocess.run([sys.executable, "-c", REFERENCE], capture_output=True,
                             text=True, check=True).stdout)
        for _ in range(runs)
    ]  # fmt: skip
    return sorted(times)[len(times) // 2]


def main() -> None:
    import run as bench  # (beside this file) the timing, environment and builders of run.py

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()
    bench.compile_package()
    before = reference_seconds()
    print(f"  reference loop (10 million interpreter steps): {before:.2f} s", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        sheet, events, db = work / "units.csv", work / "office.jsonl", work / "db.json"
        bench.in_child(
            f"import_export.write_snapshot(Path({str(sheet)!r}), "
            f"import_export.snapshot_rows({options.rows}))"
        )
        bench.in_child(f"import_export.write_event_file(Path({str(events)!r}), {options.rows})")
        env = bench.command_env(db)
        isotrack = bench.isotrack_command()
        rows: list[tuple[str, float, float, float, str]] = []

        def fresh() -> None:
            db.unlink(missing_ok=True)

        def step(
            name: str, *args: str, note: str = "", before: Callable[[], object] | None = None
        ) -> None:
            argv = [isotrack, *args]
            median, spread, peak = bench.timed(argv, env, options.repeat, before=before)
            rows.append((name, median, spread, peak, note))
            print(f"  {name:<50} {median:7.2f} s", flush=True)

        step(f"import {options.rows:,}-row snapshot into an empty db", "import", str(sheet),
             before=fresh)  # fmt: skip
        log = subprocess.run([isotrack, "log", "--json"], env=env, capture_output=True, check=True)
        rows[-1] = (*rows[-1][:4], f"{orjson.loads(log.stdout)[0]['events']:,} events, one write")
        step("import the same snapshot again", "import", str(sheet), note="nothing to change")
        step("report", "report")
        step("unit list", "unit", "list")
        step("export the snapshot (csv)", "export", str(work / "out.csv"))
        step("export the events (jsonl)", "export", str(work / "out.jsonl"))
        step(f"import a {options.rows:,}-event file into an empty db", "import", str(events),
             before=fresh, note="one write")  # fmt: skip
        step("merge the same event file again", "import", str(events), note="all present")
        after = reference_seconds()
        print(f"\n{'step':<52} {'median':>7} {'spread':>7} {'peak MB':>8}  note")
        for name, median, spread, peak, note in rows:
            print(f"{name:<52} {median:7.2f} {spread:7.2f} {peak:8.0f}  {note}")
        print(f"reference loop (10 million interpreter steps): {before:.2f} s before, "
              f"{after:.2f} s after")  # fmt: skip


if __name__ == "__main__":
    main()
