"""Helpers of the reliability campaign (tests/test_reliability.py): the campaign's figures, the
plans the writers follow, and the child processes themselves.

Run as a script, this file is a child process of the campaign::

    python tests/reliability_helpers.py crash-writer PLAN START
    python tests/reliability_helpers.py load-worker DB UNIT GO WRITES SHEETS
    python tests/reliability_helpers.py hold-lock DB RELEASE

Children run isotrack's real command line in-process (``isotrack.cli.app``, the code the
``isotrack`` script runs, without paying the interpreter's start-up for every command) and talk
to the test on stdout, one line at a time, flushed.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shlex
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

TODAY = "2026-11-22"

# --------------------------------------------------------------------------------------------
# Size of the campaign


def soak_factor() -> int:
    """How many times the CI-sized campaign to run: ``ISOTRACK_SOAK`` unset, empty or 0 means the
    CI size; 1, yes or true means ten times; a whole number N >= 2 means N times."""
    text = os.environ.get("ISOTRACK_SOAK", "").strip().lower()
    if text in ("", "0", "no", "false"):
        return 1
    if text in ("1", "yes", "true"):
        return 10
    if text.isdigit():
        return int(text)
    raise ValueError(f"ISOTRACK_SOAK must be a whole number or yes/no, got {text!r}")


# --------------------------------------------------------------------------------------------
# The campaign's figures, printed by conftest.pytest_terminal_summary

FIGURES: Counter[str] = Counter()


def summary_line() -> str | None:
    """``reliability: 36 kills survived, ...`` or ``None`` when no campaign test ran."""
    f = FIGURES
    if not f:
        return None
    parts = []
    if f["kills"]:
        parts.append(
            f"{f['kills']:,} kills survived ({f['kills_mid_write']:,} left a half-written file, "
            f"{f['in_flight_kept']:,} an unacknowledged write done)"
        )
        parts.append(f"{f['acknowledged']:,} acknowledged writes verified")
    if f["load_expected"]:
        parts.append(
            f"{f['load_present']:,}/{f['load_expected']:,} concurrent changes present "
            f"({f['load_reads']:,} reads, {f['torn_reads']:,} torn)"
        )
    if f["busy_refusals"]:
        parts.append(f"{f['busy_refusals']:,} writers refused busy, nothing written")
    if f["inputs"]:
        parts.append(
            f"{f['inputs']:,} bad inputs tried ({f['inputs_accepted']:,} accepted, "
            f"{f['inputs_written']:,} of them writes, each followed by doctor and every read)"
        )
    parts.append(f"{f['tracebacks']:,} tracebacks")
    return "reliability: " + ", ".join(parts)


# --------------------------------------------------------------------------------------------
# Running a command in this process


_COMMAND: Any = None


def _command() -> Any:
    """The Click command of ``isotrack.cli.app`` (built at the first call: children call this
    before saying they are ready, so that their first write costs what the others do)."""
    global _COMMAND
    if _COMMAND is None:
        import typer.main

        from isotrack.cli import app

        _COMMAND = typer.main.get_command(app)
    return _COMMAND


def run_cli(args: list[str]) -> tuple[int, str, str]:
    """Run ``isotrack ARGS`` in-process as the console script would, with stdout and stderr
    captured: (exit code, stdout, stderr). Any exception that is not an exit is a bug and
    propagates.

    The Click command Typer builds from ``isotrack.cli.app`` is built once (Typer builds it at
    every call, ~80 ms, which the console script pays once per process too)."""
    import click

    command = _command()
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            returned = command.main(args, prog_name="isotrack", standalone_mode=False)
            code = returned if isinstance(returned, int) else 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except click.ClickException as error:
            error.show()
            code = error.exit_code
    return code, out.getvalue(), err.getvalue()


def command_of(args: list[str]) -> str:
    """The command line a changeset records for ``args`` (see ``Env.command``)."""
    return shlex.join(["isotrack", *args])


# --------------------------------------------------------------------------------------------
# Crash test: a plan of writes whose effect is known after any prefix of it

STAGE_CYCLE = {
    "none": "planned",
    "planned": "building",
    "building": "applying",
    "applying": "announced",
    "announced": "lapsed",
    "lapsed": "planned",
}
FIRST_DAY = date(2011, 1, 1)


@dataclass
class UnitModel:
    parent: str | None
    stage: str = "none"
    tthc: int = 0
    internal: int = 0


@dataclass
class Step:
    """One write of a plan: the arguments, and what it does to the model."""

    args: list[str]
    kind: str
    unit: str
    effect: dict[str, Any] = field(default_factory=dict)


def write_sheet(path: Path, rows: list[dict[str, str]]) -> None:
    """A small CSV snapshot with the columns of ``rows`` (all rows share them)."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def crash_plan(seed: int, length: int, sheets: Path) -> list[Step]:
    """``length`` writes mixing unit add, qms stage (forward steps, and lapses that start again),
    procedures set and a snapshot import (one existing unit's count, one new unit at 'planned').

    Every step changes something and dates its facts one day after the previous step, so each
    step records exactly one changeset whatever came before, and its command line is unique.
    The sheets the imports read are written into ``sheets``.
    """
    rng = Random(seed)
    units: dict[str, UnitModel] = {"M": UnitModel(None)}
    plan: list[Step] = []
    for index in range(length):
        day = (FIRST_DAY + timedelta(days=index)).isoformat()
        codes = [c for c in units if c != "M"]
        roll = rng.random() if codes else 0.0
        if roll < 0.2:
            code = f"U{index}"
            parent = rng.choice(["M", *codes[-5:]])
            args = ["unit", "add", code, "--name", f"Đơn vị {index}", "--kind", "agency"]
            args += ["--parent", parent, "--on", day]
            units[code] = UnitModel(parent)
            plan.append(Step(args, "add", code, {"parent": parent}))
        elif roll < 0.55:
            code = rng.choice(codes)
            stage = STAGE_CYCLE[units[code].stage]
            units[code].stage = stage
            args = ["qms", "stage", code, stage, "--on", day]
            plan.append(Step(args, "stage", code, {"stage": stage}))
        elif roll < 0.85:
            code = rng.choice(codes)
            units[code].tthc, units[code].internal = index, index + 1
            args = ["procedures", "set", code, "--tthc", str(index), "--internal", str(index + 1)]
            args += ["--on", day]
            plan.append(Step(args, "procedures", code, {"tthc": index, "internal": index + 1}))
        else:
            code, new = rng.choice(codes), f"V{index}"
            units[code].tthc = index
            units[new] = UnitModel("M", stage="planned")
            sheet = sheets / f"snapshot-{index}.csv"
            empty = {"name": "", "kind": "", "parent": "", "stage": ""}
            write_sheet(
                sheet,
                [
                    {"code": code, **empty, "tthc": str(index), "date": day},
                    {"code": new, "name": f"Đơn vị nhập {index}", "kind": "agency",
                     "parent": "M", "stage": "planned", "tthc": "", "date": day},
                ],
            )  # fmt: skip
            plan.append(Step(["import", str(sheet)], "import", code, {"tthc": index, "new": new}))
    return plan


def expected_after(plan: list[Step], count: int) -> dict[str, UnitModel]:
    """The units as the first ``count`` steps of ``plan`` leave them."""
    units: dict[str, UnitModel] = {"M": UnitModel(None)}
    for step in plan[:count]:
        e = step.effect
        if step.kind == "add":
            units[step.unit] = UnitModel(e["parent"])
        elif step.kind == "stage":
            units[step.unit].stage = e["stage"]
        elif step.kind == "procedures":
            units[step.unit].tthc, units[step.unit].internal = e["tthc"], e["internal"]
        else:
            units[step.unit].tthc = e["tthc"]
            units[e["new"]] = UnitModel("M", stage="planned")
    return units


def crash_writer(plan_file: str, start: int) -> None:
    """Follow the plan from step ``start``; ``ack N`` once step N's command has returned 0."""
    plan = json.loads(Path(plan_file).read_text(encoding="utf-8"))
    _command()  # pay the imports before saying ready
    print("ready", flush=True)
    for index in range(start, len(plan)):
        code, out, err = run_cli(plan[index])
        if code != 0 or "nothing to change" in out:
            print(f"fail {index} {code} {json.dumps(out + err)}", flush=True)
            sys.exit(2)
        print(f"ack {index}", flush=True)
    print("done", flush=True)


# --------------------------------------------------------------------------------------------
# Load test: one worker of several at once


def load_steps(unit: str, writes: int, sheets: Path, *, write: bool = True) -> list[list[str]]:
    """A worker's writes, each a change to its own ``unit``: stage steps, procedure counts, and
    snapshot imports (the unit's product count, and a new unit under it). The import sheets are
    written into ``sheets`` unless ``write`` is false (the test writes them, the worker reads)."""
    rng = Random(unit)
    stage = "none"
    steps: list[list[str]] = []
    for index in range(writes):
        day = (FIRST_DAY + timedelta(days=index)).isoformat()
        kind = rng.choice(("stage", "procedures", "import"))
        if kind == "stage":
            stage = STAGE_CYCLE[stage]
            steps.append(["qms", "stage", unit, stage, "--on", day])
        elif kind == "procedures":
            count = str(index + 1)  # never the count it already has
            steps.append(["procedures", "set", unit, "--internal", count, "--on", day])
        else:
            sheet = sheets / f"{unit}-{index}.csv"
            if write:
                write_sheet(
                    sheet,
                    [
                        {"code": unit, "name": "", "kind": "", "parent": "",
                         "product": str(index + 1), "date": day},
                        {"code": f"{unit}-N{index}", "name": f"Đơn vị {unit}.{index}",
                         "kind": "agency", "parent": unit, "product": "", "date": day},
                    ],
                )  # fmt: skip
            steps.append(["import", str(sheet)])
    return steps


def load_worker(db: str, unit: str, go: str, writes: int, sheets: str) -> None:
    """Wait for ``go``, then write and read; print one JSON line of what happened."""
    steps = load_steps(unit, writes, Path(sheets), write=False)
    _command()

    rng = Random("reads " + unit)
    stats: dict[str, Any] = {"writes": 0, "reads": 0, "raw_reads": 0, "failures": [], "torn": []}
    print("ready", flush=True)
    while not os.path.exists(go):
        time.sleep(0.002)
    for args in steps:
        code, out, err = run_cli(args)
        if code != 0 or "nothing to change" in out:
            stats["failures"].append([args, code, err.strip() or out.strip()])
        else:
            stats["writes"] += 1
        if rng.random() < 0.35:
            read = rng.choice((["unit", "list", "--json"], ["report", "--json"]))
            code, out, err = run_cli(read)
            stats["reads"] += 1
            try:
                json.loads(out)
            except ValueError:
                stats["torn"].append([read, code, err.strip()])
            else:
                if code != 0:
                    stats["torn"].append([read, code, err.strip()])
        try:  # the raw file, as any other program would read it
            json.loads(Path(db).read_bytes())
            stats["raw_reads"] += 1
        except (ValueError, OSError) as error:
            stats["torn"].append(["raw", str(error)])
    print(json.dumps(stats), flush=True)


# --------------------------------------------------------------------------------------------
# A writer that holds the lock


def hold_lock(db: str, release: str) -> None:
    """Hold the database's write lock inside a real transaction (changing nothing) until the
    file ``release`` exists."""
    from isotrack.storage import Store

    with Store(Path(db), lock_timeout=30).transaction(create=False):
        print("locked", flush=True)
        while not os.path.exists(release):
            time.sleep(0.005)


def main(argv: list[str]) -> None:
    role, *rest = argv
    if role == "crash-writer":
        crash_writer(rest[0], int(rest[1]))
    elif role == "load-worker":
        load_worker(rest[0], rest[1], rest[2], int(rest[3]), rest[4])
    elif role == "hold-lock":
        hold_lock(rest[0], rest[1])
    else:
        raise SystemExit(f"unknown role {role!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
