"""The reliability campaign (issue 7): nothing acknowledged is ever lost, under crashes, under load,
and under any input a user can type or import.

1. **Crash**: a writer process runs isotrack's command line over a plan of hundreds of writes (unit
   add, qms stage steps, procedures set, snapshot imports) and is SIGKILLed at random moments, many
   times. After every kill the database opens, ``doctor`` finds no error, every write whose
   command returned 0 is there with exactly its effect, and at most the one write in flight was
   kept besides (the log is always a prefix of the plan: nothing lost, doubled or reordered).
2. **Load**: 8 processes each make 100 writes (stage, procedures, import) and read (``unit list
   --json``, ``report --json`` and the raw file) at once: all 800 changes are present, no read
   ever sees a torn file, no writer fails. With a tiny lock timeout a blocked writer fails with
   exit 1 and exactly the "database busy" line, having written nothing; with a longer one it
   waits for the lock and succeeds.
3. **Bad input**: Hypothesis generates command lines (any Unicode, control characters, huge
   strings, dates, counts, stages, kinds, editions, options and environment), import files
   (random bytes, CSV in wrong encodings, UTF-16 without BOM, huge fields, deep JSON, event files,
   workbooks, dates out of range, hierarchy cycles, units merged into themselves) and damaged
   database files (truncated, not JSON, a future schema, altered records). Every run goes through
   Typer's CliRunner in-process: never a traceback, exit 0, 1 or 2 (3 only for ``check``), a
   failure says so in exactly one ``error: ...`` line (an import's problems follow it, indented;
   Click's own usage errors end with ``Error: ...``), and a failed command leaves the database
   byte for byte as it was. A damaged database is named, with the way to recover, never reset.
   Whenever a generated command did change the database, the database must still pass
   ``doctor`` and every read command must still work.

Size. The CI campaign takes under a minute on two cores. ``ISOTRACK_SOAK`` selects a
longer soak: ``ISOTRACK_SOAK=1`` (or ``yes``) runs ten times the kills, load rounds and Hypothesis
examples; ``ISOTRACK_SOAK=N`` (N >= 2) runs N times. The Hypothesis example counts also follow the
profile chosen with ``HYPOTHESIS_PROFILE`` (``ci`` by default; ``deterministic`` for a repeatable
run). The figures (kills survived, writes verified, changes present, inputs tried, tracebacks)
are printed at the end of the pytest run by ``conftest.pytest_terminal_summary``.

The ``test_found_*`` tests at the end pin the bugs this campaign found (and that were fixed)
with the exact input that first triggered each, so that they stay fixed even if the generators
stop drawing it.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from random import Random
from typing import Any

import click
import orjson
import pytest
import typer.main
from click.testing import Result
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from reliability_helpers import (
    FIGURES,
    TODAY,
    command_of,
    crash_plan,
    expected_after,
    load_steps,
    run_cli,
    soak_factor,
)

HELPERS = Path(__file__).with_name("reliability_helpers.py")
SOAK = soak_factor()
posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uses SIGKILL and fcntl locks")


def base_env(db: Path, folder: Path) -> dict[str, str]:
    return {
        "ISOTRACK_DB": str(db),
        "ISOTRACK_TODAY": TODAY,
        "ISOTRACK_LANG": "en",
        "ISOTRACK_CONFIG_DIR": str(folder / "config"),
        "NO_COLOR": "1",
        "TERMINAL_WIDTH": "100",
    }


def temp_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".isotrack-tmp"))


def cli_ok(*args: str) -> str:
    """Run a command in-process (environment from the test); it must succeed. Its stdout."""
    code, out, err = run_cli(list(args))
    assert code == 0, f"isotrack {shlex.join(args)} -> {code}: {err}{out}"
    return out


def units_json() -> dict[str, dict[str, Any]]:
    return {u["code"]: u for u in json.loads(cli_ok("unit", "list", "--json", "--all"))}


def logged_commands() -> list[str]:
    return [row["command"] for row in json.loads(cli_ok("log", "--json", "--limit", "10000000"))]


def doctor_errors() -> int:
    code, out, err = run_cli(["doctor", "--json"])
    assert not err, err
    report = json.loads(out)
    assert code == (1 if report["errors"] else 0)
    return int(report["errors"])


def spawn(*args: object) -> subprocess.Popen[str]:
    """A child running reliability_helpers.py with the test's environment."""
    return subprocess.Popen(
        [sys.executable, str(HELPERS), *map(str, args)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def wait_for(child: subprocess.Popen[str], word: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    if line.strip() != word:
        child.kill()
        _, err = child.communicate(timeout=30)
        pytest.fail(f"child said {line!r} instead of {word!r} (exit {child.returncode}): {err}")


@pytest.fixture
def campaign_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh database with the ministry M, the test's environment set for children too."""
    db = tmp_path / "db.json"
    for key, value in base_env(db, tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("ISOTRACK_LOCK_TIMEOUT", "120")
    cli_ok("init")
    cli_ok(
        "unit", "add", "M", "--name", "Bộ Quốc phòng", "--kind", "ministry", "--on", "2010-01-01"
    )
    return db


# --------------------------------------------------------------------------------------------
# 1. Crash test


@posix_only
def test_killed_writers_lose_no_acknowledged_write(campaign_db: Path, tmp_path: Path) -> None:
    from isotrack.storage import Store

    kills = 40 * SOAK
    rng = Random(20261122)
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    plan = crash_plan(seed=7, length=kills * 90, sheets=sheets)
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(json.dumps([step.args for step in plan]), encoding="utf-8")
    index_of = {command_of(step.args): n for n, step in enumerate(plan)}
    store = Store(campaign_db)

    committed = acknowledged = in_flight_kept = mid_write = 0
    for round_no in range(kills):
        child = spawn("crash-writer", plan_file, committed)
        wait_for(child, "ready")
        time.sleep(rng.uniform(0.0, 0.4))
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate(timeout=60)
        assert child.returncode == -signal.SIGKILL, f"the writer ended by itself: {out[-300:]}{err}"
        lines = out.split("\n")[:-1]  # a line cut by the kill is not an acknowledgement
        assert not [line for line in lines if line.startswith("fail")], lines
        acked = [int(line.split()[1]) for line in lines if line.startswith("ack ")]
        assert acked == list(range(committed, committed + len(acked)))  # in plan order
        mid_write += bool(temp_files(campaign_db.parent))

        # The database opens; doctor finds no error.
        assert doctor_errors() == 0, f"round {round_no}"
        # The log is a prefix of the plan: every acknowledged write, perhaps the one in flight,
        # nothing twice, nothing else.
        done = sorted(index_of[c] for c in logged_commands() if c in index_of)
        assert done == list(range(len(done))), f"round {round_no}: not a prefix of the plan"
        floor = committed + len(acked)
        assert floor <= len(done) <= floor + 1, f"round {round_no}: {floor} acked, {len(done)} in"
        in_flight_kept += len(done) - floor
        committed = len(done)
        acknowledged += len(acked)
        # Each write's effect, exactly: every unit's parent, stage and procedure counts.
        expected = expected_after(plan, committed)
        actual = units_json()
        assert sorted(actual) == sorted(expected)
        for code, unit in expected.items():
            got = actual[code]
            assert (got["parent"], got["stage"]) == (unit.parent, unit.stage), code
            assert (got["procedures"]["tthc"], got["procedures"]["internal"]) == (
                unit.tthc,
                unit.internal,
            ), code
        # Every backup kept is a whole database too.
        for backup in store.backups():
            Store(backup).load()
        FIGURES["kills"] += 1
        FIGURES["acknowledged"] += len(acked)

    FIGURES["kills_mid_write"] += mid_write
    FIGURES["in_flight_kept"] += in_flight_kept
    assert acknowledged >= 2.5 * kills, f"only {acknowledged} writes were acknowledged"
    cli_ok("procedures", "set", "M", "--tthc", "1")  # the next write clears any torn temp file
    assert temp_files(campaign_db.parent) == []
    assert doctor_errors() == 0


# --------------------------------------------------------------------------------------------
# 2. Load test


@posix_only
def test_eight_processes_writing_and_reading_at_once_lose_nothing(
    campaign_db: Path, tmp_path: Path
) -> None:
    workers, writes = 8, 100
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    for round_no in range(SOAK):
        units = [f"R{round_no}W{worker}" for worker in range(workers)]
        for unit in units:
            cli_ok(
                "unit", "add", unit, "--name", f"Đơn vị {unit}", "--kind", "agency",
                "--parent", "M", "--on", "2010-01-01",
            )  # fmt: skip
        plans = {unit: load_steps(unit, writes, sheets) for unit in units}
        go = tmp_path / f"go-{round_no}"
        children = [spawn("load-worker", campaign_db, u, go, writes, sheets) for u in units]
        for child in children:
            wait_for(child, "ready")
        go.touch()  # all at once
        stats = []
        for child in children:
            out, err = child.communicate(timeout=600)
            assert child.returncode == 0, err
            stats.append(json.loads(out))

        assert [s["failures"] for s in stats] == [[]] * workers  # not even "database busy"
        assert [s["torn"] for s in stats] == [[]] * workers
        assert all(s["reads"] > 0 for s in stats)
        logged = logged_commands()
        assert len(logged) == len(set(logged)), "a change was recorded twice"
        wanted = [command_of(args) for plan in plans.values() for args in plan]
        present = set(wanted) & set(logged)
        assert len(present) == len(wanted) == workers * writes
        found = units_json()
        for unit, plan in plans.items():
            stages = [args[3] for args in plan if args[0] == "qms"]
            counts = [int(args[4]) for args in plan if args[0] == "procedures"]
            imports = [n for n, args in enumerate(plan) if args[0] == "import"]
            state = found[unit]
            assert state["stage"] == (stages[-1] if stages else "none"), unit
            assert state["procedures"]["internal"] == (counts[-1] if counts else 0), unit
            assert state["procedures"]["product"] == (imports[-1] + 1 if imports else 0), unit
            for n in imports:
                assert found[f"{unit}-N{n}"]["parent"] == unit
        assert doctor_errors() == 0
        FIGURES["load_expected"] += len(wanted)
        FIGURES["load_present"] += len(present)
        FIGURES["load_reads"] += sum(s["reads"] + s["raw_reads"] for s in stats)


BUSY = (
    "error: database busy: another isotrack process has held {db} for 0.2 s; try again, or raise "
    "ISOTRACK_LOCK_TIMEOUT\n"
)


@posix_only
def test_a_blocked_writer_fails_with_the_busy_message_and_writes_nothing(
    campaign_db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from isotrack.storage import Store

    cli_ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--parent", "M")
    sheet = tmp_path / "sheet.csv"
    sheet.write_text("code,tthc\nA,3\n", encoding="utf-8")
    writes = [
        ["qms", "stage", "A", "planned"],
        ["procedures", "set", "A", "--tthc", "2"],
        ["import", str(sheet)],
        ["unit", "add", "B", "--name", "Đơn vị B", "--kind", "agency"],
        ["undo"],
        ["target", "add", "t1", "--kind", "agency", "--reach", "planned", "--share", "50",
         "--by", "2030"],
    ]  # fmt: skip
    release = tmp_path / "release"
    holder = spawn("hold-lock", campaign_db, release)
    try:
        wait_for(holder, "locked")
        monkeypatch.setenv("ISOTRACK_LOCK_TIMEOUT", "0.2")
        before, backups = campaign_db.read_bytes(), Store(campaign_db).backups()
        for args in writes:
            start = time.monotonic()
            code, out, err = run_cli(args)
            elapsed = time.monotonic() - start
            assert (code, out, err) == (1, "", BUSY.format(db=campaign_db)), args
            assert 0.2 <= elapsed < 3, (args, elapsed)
            assert campaign_db.read_bytes() == before
            assert Store(campaign_db).backups() == backups
            assert temp_files(campaign_db.parent) == []
            FIGURES["busy_refusals"] += 1
        assert "A" in units_json()  # readers are never blocked
        # The same from a real process: the console script's exit code and its one line.
        real = subprocess.run(
            [sys.executable, "-m", "isotrack", "qms", "stage", "A", "planned"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (real.returncode, real.stdout, real.stderr) == (1, "", BUSY.format(db=campaign_db))
        FIGURES["busy_refusals"] += 1
        # With a timeout longer than the holder's hold, the writer waits and succeeds.
        monkeypatch.setenv("ISOTRACK_LOCK_TIMEOUT", "30")
        letting_go = threading.Timer(0.5, release.touch)
        start = time.monotonic()
        letting_go.start()
        cli_ok("qms", "stage", "A", "planned")
        assert time.monotonic() - start >= 0.45
    finally:
        release.touch()
        holder.communicate(timeout=30)
    assert units_json()["A"]["stage"] == "planned"


# --------------------------------------------------------------------------------------------
# 3. Bad input campaign: the arena every generated command runs in


class Runner(CliRunner):
    """Typer's CliRunner on isotrack's app, with the Click command built once (Typer rebuilds
    it at every call, which would cost 80 ms an example)."""

    command: click.Command | None = None

    def run(self, args: Sequence[str], env: dict[str, str]) -> Result:
        if Runner.command is None:
            from isotrack.cli import app

            Runner.command = typer.main.get_command(app)
        return click.testing.CliRunner.invoke(self, Runner.command, list(args), env=env)


class Arena:
    """A folder with a seeded database and the files commands may name (``@name`` arguments).

    Generated commands never name other paths: a generated ``--db`` or output file could
    otherwise write anywhere.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db = folder / "db.json"
        self.env = {**base_env(self.db, folder), "ISOTRACK_LOCK_TIMEOUT": "5"}
        self.runner = Runner()
        self.files = {
            "@db": self.db,
            "@folder": folder / "a-folder",
            "@missing": folder / "missing" / "db.json",
            "@text": folder / "notes.txt",
            "@sheet.csv": folder / "sheet.csv",
            "@events.jsonl": folder / "events.jsonl",
            "@damaged.json": folder / "damaged.json",
            "@out.csv": folder / "out" / "export.csv",
            "@out.xlsx": folder / "out" / "export.xlsx",
            "@out.jsonl": folder / "out" / "export.jsonl",
            "@out.json": folder / "out" / "export.json",
            "@out.html": folder / "out" / "report.html",
            "@out": folder / "out" / "export",
            "@outdir": folder / "out",
        }
        self.files["@folder"].mkdir()
        self.files["@outdir"].mkdir()
        self.files["@text"].write_text("some notes\n", encoding="utf-8")
        self.files["@damaged.json"].write_bytes(b'{"_meta": {"1": {"sche')
        self.files["@sheet.csv"].write_text(
            "code,name,kind,parent,stage,stage_date,tthc\n"
            "BH,,,,building,2024-05-01,3\n"
            "NEW1,Đơn vị mới,agency,LC,planned,2024-05-01,\n",
            encoding="utf-8",
        )
        for args in SEED:
            result = self.invoke(args)
            assert result.exit_code == 0, (args, result.stderr, result.exception)
        result = self.invoke(["export", "@events.jsonl"])
        assert result.exit_code == 0, result.stderr
        self.seed = self.db.read_bytes()
        self.inputs = {name: self.files[name].read_bytes() for name in INPUT_FILES}

    def inputs_now(self) -> dict[str, bytes | None]:
        """The input files as they are (a command that fails must not have touched them)."""
        return {n: p.read_bytes() if p.is_file() else None for n in INPUT_FILES
                for p in [self.files[n]]}  # fmt: skip

    def resolve(self, args: Sequence[str]) -> list[str]:
        return [str(self.files[a]) if a in self.files else a for a in args]

    def invoke(self, args: Sequence[str], env: dict[str, str] | None = None) -> Result:
        # In the arena's folder: a generated relative path ("--db --dry-run") lands there.
        with contextlib.chdir(self.folder):
            return self.runner.run(self.resolve(args), {**self.env, **(env or {})})

    def reset(self, content: bytes | None) -> None:
        """The database as ``content`` (None: no file), with no backups, lock or temp file."""
        for path in (self.folder / "db.json.backups", self.folder / "missing"):
            shutil.rmtree(path, ignore_errors=True)
        for name in temp_files(self.folder):
            (self.folder / name).unlink()
        for out in self.files["@outdir"].iterdir():
            if out.is_dir():
                shutil.rmtree(out)
            else:
                out.unlink()
        if content is None:
            self.db.unlink(missing_ok=True)
        else:
            self.db.write_bytes(content)
        for name, data in self.inputs.items():  # a generated export may have overwritten one
            path = self.files[name]
            if path.is_dir():
                shutil.rmtree(path)
            path.write_bytes(data)


INPUT_FILES = ("@text", "@damaged.json", "@sheet.csv", "@events.jsonl")
SEED: list[list[str]] = [
    ["init"],
    ["unit", "add", "M", "--name", "Bộ Quốc phòng", "--kind", "ministry", "--on", "2010"],
    ["unit", "add", "QK2", "--name", "Quân khu 2", "--kind", "military-region", "--parent", "M",
     "--on", "2010"],
    ["unit", "add", "LC", "--name", "Bộ CHQS tỉnh Lào Cai", "--kind", "provincial-command",
     "--parent", "QK2", "--on", "2010"],
    ["unit", "add", "BT", "--name", "Ban CHQS huyện Bảo Thắng", "--kind", "district-command",
     "--parent", "LC", "--on", "2010"],
    ["unit", "add", "BH", "--name", "Ban CHQS huyện Bắc Hà", "--kind", "district-command",
     "--parent", "LC", "--on", "2010"],
    ["unit", "add", "SM", "--name", "Ban CHQS thị xã Sa Pa", "--kind", "district-command",
     "--parent", "LC", "--on", "2010"],
    ["qms", "stage", "BT", "planned", "--on", "2019-01-15"],
    ["qms", "stage", "BT", "building", "--edition", "2015", "--no-consultant", "--on",
     "2019-06-01"],
    ["qms", "stage", "BT", "applying", "--on", "2019-12-01"],
    ["qms", "stage", "BH", "planned", "--on", "2020-01-15"],
    ["procedures", "set", "BT", "--tthc", "4", "--internal", "21", "--on", "2021-01-10"],
    ["qms", "audit", "BT", "--kind", "internal", "--findings", "3", "--on", "2022-03-01"],
    ["unit", "merge", "SM", "--into", "BH", "--basis", "2786/QĐ-BQP", "--on", "2025-06-14"],
    ["target", "add", "district-2030", "--kind", "district-command", "--reach", "applying",
     "--share", "100", "--by", "2030"],
]  # fmt: skip


@pytest.fixture(scope="module")
def arena(tmp_path_factory: pytest.TempPathFactory) -> Arena:
    return Arena(tmp_path_factory.mktemp("arena"))


def _raw_controls(text: str) -> str:
    """Control characters other than the newline that ends a line."""
    return "".join(
        c for c in text if c != "\n" and (c < " " or "\x7f" <= c <= "\x9f" or c in "\u2028\u2029")
    )


def _stderr_is_one_clear_message(result: Result) -> bool:
    """One ``error: ...`` line (an import's problems may follow it, indented), or Click's own
    report of a usage error. No control character (a user's, escaped) reaches the terminal."""
    stderr = result.stderr
    if _raw_controls(stderr):
        return False
    lines = stderr.split("\n")
    if lines[-1] == "":
        lines.pop()
    if not lines:
        return False
    if lines[0].startswith("error: ") and lines[0] != "error: ":
        return all(line.startswith("  ") for line in lines[1:])
    # Click's own usage errors: perhaps the usage and a hint, then "Error: ..." last; or, for a
    # command group given no command, its help.
    if result.exit_code != 2:
        return False
    errors = sum(line.startswith("Error: ") for line in lines)
    return (errors == 1 and lines[-1].startswith("Error: ")) or (
        errors == 0 and "Commands:" in lines
    )


COMMAND_NAMES = frozenset(("init", "unit", "qms", "procedures", "target", "check", "report",
                           "import", "export", "log", "undo", "doctor", "db"))  # fmt: skip


# The options that take a value: "--json" after one of them is that value, not the flag
# (a generated line that dropped an option's value: "unit list --match --json").
_TAKES_VALUE = frozenset(
    [
        "--on",
        "--as-of",
        "--kind",
        "--under",
        "--stage",
        "--match",
        "--name",
        "--parent",
        "--basis",
        "--into",
        "--successor",
        "--edition",
        "--consultant",
        "--model",
        "--decision",
        "--scope",
        "--findings",
        "--tthc",
        "--internal",
        "--product",
        "--reach",
        "--share",
        "--by",
        "--unit",
        "--with-stage",
        "--successors",
        "--freeze-on",
        "--source",
        "--from",
        "--to",
        "--format",
        "-o",
        "--output",
        "--limit",
        "--db",
        "--lang",
    ]
)


def _json_asked(args: Sequence[str]) -> bool:
    return any(
        arg == "--json" and (at == 0 or args[at - 1] not in _TAKES_VALUE)
        for at, arg in enumerate(args)
    )


def check_outcome(
    arena: Arena,
    args: Sequence[str],
    result: Result,
    before: bytes | None,
    *,
    damaged: bool = False,
) -> None:
    """The campaign's promise for one command run against a database that held ``before``."""
    FIGURES["inputs"] += 1
    shown = shlex.join(["isotrack", *arena.resolve(args)])
    if len(shown) > 600:
        shown = shown[:600] + "..."
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        FIGURES["tracebacks"] += 1
        trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
        pytest.fail(f"traceback for {shown}:\n{trace}")
    assert "Traceback" not in result.stderr, shown
    command = [a for a in args if a in COMMAND_NAMES][:1]
    allowed = {0, 1, 2, 3} if command == ["check"] else {0, 1, 2}
    assert result.exit_code in allowed, (shown, result.exit_code, result.stderr)
    after = arena.db.read_bytes() if arena.db.exists() else None
    if result.exit_code != 0:
        assert after == before, f"{shown} failed ({result.exit_code}) and changed the database"
        assert arena.inputs_now() == arena.inputs, f"{shown} failed and changed a file"
        assert temp_files(arena.folder) == [], shown
        report_only = command in (["doctor"], ["check"]) and not result.stderr
        if not report_only:
            assert _stderr_is_one_clear_message(result), (shown, result.stderr[-2000:])
    elif _json_asked(args) and not {"-h", "--help", "--version", "-o", "--output"} & set(args):
        json.loads(result.stdout)
    FIGURES["inputs_accepted"] += result.exit_code == 0
    if result.exit_code == 0 and after != before and after is not None:
        FIGURES["inputs_written"] += 1
        still_healthy(arena, shown, damaged=damaged)


HEALTH = [
    ["doctor", "--json"],
    ["unit", "list", "--json", "--all"],
    ["unit", "list", "--as-of", "2015"],
    ["report", "--json"],
    ["report", "--format", "md"],
    ["report", "--format", "csv", "--from", "2019", "--to", "2026"],
    ["target", "list", "--json"],
    ["check", "--json"],
    ["log", "--json"],
    ["export", "@out.jsonl"],
]


def still_healthy(arena: Arena, cause: str, *, damaged: bool) -> None:
    """After a generated command changed the database: every read works, and ``doctor`` finds
    no error (unless the database was damaged before: then each read still either works or
    says in one line what is wrong)."""
    for args in HEALTH:
        result = arena.invoke(args)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            FIGURES["tracebacks"] += 1
            trace = "".join(traceback.format_exception(*result.exc_info))  # type: ignore[misc]
            pytest.fail(f"after {cause}: isotrack {shlex.join(args)} crashed:\n{trace}")
        allowed = {0, 3} if args[0] == "check" else {0}
        if damaged:
            allowed.add(1)
            if result.exit_code == 1 and args[0] != "doctor":
                assert _stderr_is_one_clear_message(result), (cause, args, result.stderr)
        assert result.exit_code in allowed, (cause, args, result.stdout[-800:], result.stderr)
        if args[0] == "doctor" and not damaged:
            assert json.loads(result.stdout)["errors"] == 0, (cause, result.stdout[-800:])


# --------------------------------------------------------------------------------------------
# 3a. Generated command lines

SPECIAL = [
    "", " ", "-", "--", "-1", "0", "00", "+7", "1e400", "nan", "inf", "-inf", "9" * 40, "٣", "²",
    "Ⅻ", "today", "-3m", "+99999999y", "-0d", "0001-01-01", "9999-12-31", "31/12/1899",
    "29/02/2023", "2025-13-01", "00/00/0000", "1/1/1", "2025-06-14T10:00", "14.06.2025",
    "\u202eevil", "\ufeffBT", "B\u200bT", "A\nB", "\t", "'", '"', "=1+1", "@SUM(A1)", "../x",
    "%s%n", "{}", "\\", "ß", "İ", "ǅ", "Đơn vị", "Ðơn vị", "Lào Cai", "Lào Cai", "B T",
    "BT BH", "🙂", "\x1b[31mred", "\x7f", "\x85", "a" * 301, "A" * 65, "QK2/LC", "bt",
]  # fmt: skip
# NUL never reaches a real command line (argv is NUL-terminated) or the environment. Bytes that
# are not UTF-8 do: Python passes them as lone surrogates U+DC80..U+DCFF (NASTY draws them for
# arguments; file contents are encoded, and generated JSON must stay encodable).
_CHARS = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
_NOT_UTF8 = st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF)
_CONTROL = st.characters(max_codepoint=0x9F, blacklist_characters="\x00") | st.sampled_from(
    "\u2028\u2029\u200b\u200e\u202e\ufeff\u0301\u00a0\u3000"
)
HUGE = st.builds(
    lambda piece, n: piece * n,
    st.sampled_from(["A", "9", "Đ", "ệ", "\u0301", "-", " ", "a b ", "🙂", "\x01"]),
    st.integers(300, 200_000),
)
NASTY = st.one_of(
    st.text(_CHARS, max_size=40),
    st.text(_CHARS | _NOT_UTF8, min_size=1, max_size=8).filter(lambda t: not t.isascii()),
    st.text(_CONTROL, min_size=1, max_size=12),
    st.sampled_from(SPECIAL),
    HUGE,
)


def sometimes(chance: int) -> st.SearchStrategy[bool]:
    """True about once in ``chance`` draws. (Hypothesis draws the ends of an integer range far
    more often than the middle: ``integers(0, 9) == 0`` would be true a third of the time.)"""
    return st.sampled_from([False] * (chance - 1) + [True])


def pool(*values: str) -> st.SearchStrategy[str]:
    """Mostly plausible values (so that commands get past parsing), sometimes anything."""
    plausible = st.sampled_from(values)
    return sometimes(5).flatmap(lambda nasty: NASTY if nasty else plausible)


CODE = pool("M", "QK2", "LC", "BT", "BH", "SM", "bt", " lc ", "NOPE", "NEW1", "X-2", "QK2.LC")
NAME = pool("Đơn vị mới", "Ban CHQS huyện Bảo Thắng", "Bac Ha", "x")
KIND = pool("agency", "ministry", "district-command", "military-region", "provincial-command",
            "Quân khu", "District military command", "all", "district-command,agency")  # fmt: skip
STAGE = pool("none", "planned", "building", "applying", "announced", "lapsed", "Applying")
EDITION = pool("2008", "2015", "ISO 9001:2015", "9001:2008", "2000", "2026")
DATE = pool("2020-01-01", "14/06/2025", "2030", "today", "-3m", "2019-12-01", "01/07/2019",
            "2010", "2025-06-14", "1900", "2100-12-31")  # fmt: skip
COUNT = pool("0", "5", "21", "1000000", "1000001", "-1", "+3", "1.5", " 7 ", "0x10")
TARGET = pool("district-2030", "t1", "DISTRICT-2030", "x y", "a" * 65)
SHARE = pool("100", "87,5", "87.5%", "0", "101", "-5", "50")
CHANGESET = pool("", "0", "abc", "f", "ffffffff", "--dry-run")
LANG = pool("vi", "en")
FILE_IN = st.sampled_from(["@sheet.csv", "@events.jsonl", "@missing", "@folder", "@text",
                           "@damaged.json", "@db"])  # fmt: skip
FILE_OUT = st.sampled_from(["@out.csv", "@out.xlsx", "@out.jsonl", "@out.json", "@out.html",
                            "@out", "@outdir", "@missing", "@folder", "@text"])  # fmt: skip
FORMAT = pool("table", "tree", "json", "csv", "md", "html", "xlsx", "jsonl", " JSON ")


def opt(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.one_of(st.just([]), value.map(lambda v: [name, v]))


def req(name: str, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """An option the command requires (it may still be dropped by a mutation)."""
    return value.map(lambda v: [name, v])


def flag(name: str) -> st.SearchStrategy[list[str]]:
    return st.sampled_from([[], [name]])


def arg(value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return value.map(lambda v: [v])


def many(option: str | None, value: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    items = st.lists(value, max_size=4)
    if option is None:
        return items
    return items.map(lambda vs: [x for v in vs for x in (option, v)])


def command(*parts: st.SearchStrategy[list[str]] | list[str]) -> st.SearchStrategy[list[str]]:
    strategies = [st.just(p) if isinstance(p, list) else p for p in parts]
    return st.tuples(*strategies).map(lambda pieces: [a for piece in pieces for a in piece])


ON, DRY, JSON_FLAG = opt("--on", DATE), flag("--dry-run"), flag("--json")
AS_OF = opt("--as-of", DATE)
COMMANDS = st.one_of(
    command(["init"], flag("--sample")),
    command(["unit", "add"], arg(CODE), req("--name", NAME), req("--kind", KIND),
            opt("--parent", CODE), ON, DRY),
    command(["unit", "list"], opt("--kind", KIND), opt("--under", CODE), opt("--stage", STAGE),
            opt("--match", NAME), flag("--all"), AS_OF, JSON_FLAG),
    command(["unit", "show"], arg(CODE), AS_OF, JSON_FLAG),
    command(["unit", "rename"], arg(CODE), req("--name", NAME), ON, DRY),
    command(["unit", "move"], arg(CODE), req("--parent", CODE), ON, DRY),
    command(["unit", "merge"], arg(CODE), many(None, CODE), req("--into", CODE),
            opt("--basis", NAME),
            opt("--name", NAME), opt("--kind", KIND), ON, DRY),
    command(["unit", "split"], arg(CODE), req("--into", CODE), many("--into", CODE),
            many("--name", NAME),
            opt("--kind", KIND), opt("--basis", NAME), ON, DRY),
    command(["unit", "dissolve"], arg(CODE), opt("--successor", CODE), opt("--basis", NAME),
            ON, DRY),
    command(["qms", "stage"], arg(CODE), arg(STAGE), opt("--edition", EDITION),
            opt("--consultant", NAME), flag("--no-consultant"), opt("--model", NAME),
            opt("--decision", NAME), opt("--scope", NAME), ON, DRY),
    command(["qms", "edition"], arg(CODE), arg(EDITION), ON, DRY),
    command(["qms", "audit"], arg(CODE), opt("--kind", pool("internal", "review", "inspection")),
            opt("--findings", COUNT), ON, DRY),
    command(["procedures", "set"], arg(CODE), opt("--tthc", COUNT), opt("--internal", COUNT),
            opt("--product", COUNT), ON, DRY),
    command(["target", "add"], arg(TARGET), req("--kind", KIND), many("--kind", KIND),
            req("--reach", STAGE), req("--share", SHARE), req("--by", DATE), opt("--under", CODE),
            many("--unit", CODE), opt("--edition", EDITION), flag("--no-consultant"),
            opt("--with-stage", STAGE), opt("--successors", pool("follow", "freeze", "drop")),
            opt("--freeze-on", DATE), opt("--source", NAME), ON, DRY),
    command(["target", "install"], many(None, TARGET), DRY),
    command(["target", "list"], JSON_FLAG),
    command(["target", "show"], arg(TARGET), AS_OF, JSON_FLAG),
    command(["target", "remove"], arg(TARGET), ON, DRY),
    command(["check"], many(None, TARGET), AS_OF, JSON_FLAG),
    command(["report"], opt("--under", CODE), opt("--from", DATE), opt("--to", DATE),
            opt("--format", FORMAT), opt("-o", FILE_OUT), AS_OF, JSON_FLAG),
    command(["import"], arg(FILE_IN), opt("--format", FORMAT), DRY, JSON_FLAG, ON),
    command(["export"], arg(FILE_OUT), opt("--format", FORMAT), flag("--events"),
            opt("--under", CODE), opt("--as-of", DATE)),
    command(["log"], many(None, CODE), opt("--limit", COUNT), JSON_FLAG),
    command(["undo"], many(None, CHANGESET), DRY),
    command(["doctor"], JSON_FLAG, flag("--fix"), DRY),
    command(["db", "backups"], JSON_FLAG),
    command(["db", "restore"], many(None, pool("1", "2", "0", "99", "@db", "@text", "@missing"))),
)  # fmt: skip
EXTRA = st.one_of(st.sampled_from(["--bogus", "-x", "--", "--on", "--dry-run", "-h", "--db",
                                   "--lang", "--version", "unit"]), NASTY)  # fmt: skip


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """A command with its arguments, sometimes one dropped or one more inserted, sometimes with
    the global options (anywhere, as users type them)."""
    args: list[str] = draw(COMMANDS)
    if draw(sometimes(12)) and args:
        del args[draw(st.integers(0, len(args) - 1))]
    if draw(sometimes(10)):
        args.insert(draw(st.integers(0, len(args))), draw(EXTRA))
    if draw(sometimes(6)):
        at = draw(st.integers(0, len(args)))
        args[at:at] = ["--lang", draw(LANG)]
    if draw(sometimes(8)):
        at = draw(st.integers(0, len(args)))
        where = draw(st.sampled_from(["@db", "@missing", "@folder", "@text", "@damaged.json"]))
        args[at:at] = ["--db", where]
    return args


_ENV_TEXT = st.text(_CHARS, max_size=20)
ENVIRONMENT = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "ISOTRACK_TODAY": st.one_of(
                st.sampled_from(["2026-11-22", "1900-01-01", "9999-12-31", "2026-02-30", ""]),
                _ENV_TEXT,
            ),
            "ISOTRACK_LOCK_TIMEOUT": st.one_of(
                st.sampled_from(["0", "-1", "nan", "inf", "1e308", "x", "", "0.5"]), _ENV_TEXT
            ),
            "ISOTRACK_BACKUPS": st.one_of(
                st.sampled_from(["0", "1", "-1", "x", "99999999999999999999", "", "３"]), _ENV_TEXT
            ),
            "ISOTRACK_LANG": st.one_of(st.sampled_from(["vi", "en", "de", ""]), _ENV_TEXT),
        },
    ),
)
ENVIRONMENTS = sometimes(5).flatmap(lambda fuzz: ENVIRONMENT if fuzz else st.just({}))


def examples(factor: int) -> settings:
    """``factor`` times the profile's example count (60 with the ci profile), times the soak."""
    base = settings.default.max_examples
    return settings(
        max_examples=base * factor * SOAK,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@examples(12)
@given(args=command_lines(), env=ENVIRONMENTS)
@example(args=["unit", "merge", "BT", "--into", "BT"], env={})
@example(args=["unit", "move", "QK2", "--parent", "BT"], env={})
@example(args=["unit", "add", "A\x01B", "--name", "x", "--kind", "agency"], env={})
@example(args=["unit", "add", "X1", "--name", "a\x1bb", "--kind", "agency"], env={})
@example(args=["qms", "stage", "BT", "announced", "--on", "0001-01-01"], env={})
@example(args=["procedures", "set", "BT", "--tthc", "9" * 5000], env={})
@example(args=["unit", "add", "X1", "--name", "Đ" * 100_000, "--kind", "agency"], env={})
@example(args=["unit", "list", "--as-of", "99999-01-01"], env={})
@example(args=["report", "--from", "2030", "--to", "2020"], env={})
@example(args=["qms", "stage", "BT", "applying"], env={"ISOTRACK_LOCK_TIMEOUT": "nan"})
@example(args=["target", "install", "\n"], env={})  # a name printed raw broke the message
@example(args=["unit", "list", "--match", "--json"], env={})  # --json: --match's value
def test_generated_command_lines(arena: Arena, args: list[str], env: dict[str, str]) -> None:
    arena.reset(arena.seed)
    result = arena.invoke(args, env)
    check_outcome(arena, args, result, arena.seed)


# --------------------------------------------------------------------------------------------
# 3b. Generated import files

HEADERS = [
    "code", "mã đơn vị", "Mã ĐV (*)", "name", "tên đơn vị", "kind", "loại", "parent",
    "đơn vị cấp trên", "founded", "stage", "giai đoạn", "stage_date", "ngày", "edition",
    "phiên bản", "edition_date", "consultant", "tư vấn", "model", "scope", "decision", "tthc",
    "internal", "nội bộ", "product", "procedures_date", "date", "ngày báo cáo",
]  # fmt: skip
NEW_CODES = ("N1", "N2", "N3", "n3", "N4")
CELL = st.one_of(
    st.sampled_from([*NEW_CODES, "M", "QK2", "LC", "BT", "BH", "SM", "NOPE"]),
    st.sampled_from(["Đơn vị mới", "Ban CHQS huyện Bắc Hà", "agency", "district-command",
                     "Quân khu", "planned", "đang áp dụng", "công bố", "lapsed", "none",
                     "2015", "ISO 9001:2008", "không", "Cty Tư vấn ABC", "0", "12", "-3", "1.5",
                     "1000001", "2024-05-01", "01/06/2025", "2030", "31/12/2024", "0001-01-01",
                     "31/12/9999", "1899-12-31", "29/02/2023", "45000", "'=1+1", "=HYPERLINK()",
                     ""]),
    NASTY,
)  # fmt: skip
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "cp1258", "cp1252",
             "latin-1", "utf-32"]  # fmt: skip
JSON_LEAF = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False),
    st.text(_CHARS, max_size=20), CELL,
)  # fmt: skip
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


@st.composite
def table(draw: st.DrawFn) -> tuple[list[str], list[list[str]]]:
    header = draw(st.lists(st.one_of(st.sampled_from(HEADERS), NASTY), min_size=1, max_size=9))
    if draw(st.integers(0, 4)):
        header.insert(draw(st.integers(0, len(header))), "code")
    width = len(header)
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=width + 1), max_size=8))
    return header, rows


ImportFile = tuple[str, bytes]
"""A file to import: its name and its bytes."""


@st.composite
def csv_files(draw: st.DrawFn) -> ImportFile:
    header, rows = draw(table())
    text = io.StringIO()
    csv.writer(text, delimiter=draw(st.sampled_from([",", ";", "\t"]))).writerows([header, *rows])
    content = title = text.getvalue()
    if draw(st.integers(0, 3)) == 0:  # title rows above the header, as reports have
        title = draw(st.text(_CHARS, max_size=30)).replace("\n", " ")
        content = title + "\n" + content
    encoding = draw(st.sampled_from(ENCODINGS))
    name = draw(st.sampled_from(["units.csv", "units.txt", "units.tsv", "units", "units.CSV"]))
    return name, content.encode(encoding, errors="replace")


@st.composite
def json_sheets(draw: st.DrawFn) -> ImportFile:
    shape = draw(st.integers(0, 3))
    if shape == 0:  # deep nesting
        depth = draw(st.sampled_from([64, 512, 2000, 100_000]))
        opener = draw(st.sampled_from(["[", '{"units": [', '[{"code": ']))
        closer = {"[": "]", '{"units": [': "]}", '[{"code": ': "}]"}[opener]
        return "units.json", ((opener * depth) + (closer * depth)).encode()
    if shape == 1:
        document: Any = draw(JSON_VALUE)
    else:
        keys = st.one_of(st.sampled_from([*HEADERS, "procedures", "consultant_used"]), NASTY)
        units = draw(st.lists(st.dictionaries(keys, JSON_VALUE, max_size=8), max_size=6))
        document = {"units": units} if shape == 3 else units
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1258"]))
    text = json.dumps(document, ensure_ascii=draw(st.booleans()))
    return "units.json", text.encode(encoding, errors="replace")


EVENT_TYPES = ["unit.founded", "unit.renamed", "unit.moved", "unit.merged", "unit.split",
               "unit.dissolved", "qms.stage", "qms.edition", "qms.audit", "procedures.set",
               "changeset.reverted", "target.set", "target.removed", "unit.exploded",
               ""]  # fmt: skip
EVENT_IDS = st.sampled_from(["e1", "e2", "e3", "e4", "e5", ""]) | st.text(_CHARS, max_size=8)
EVENT_DATES = st.sampled_from(["2012-01-01", "2020-06-30", "2025-06-14", "0001-01-01",
                               "9999-12-31", "2025-02-30", "20200101", "2020-1-1"])  # fmt: skip
EVENT_CODES = st.sampled_from(["BT", "BH", "SM", "LC", "M", "N1", "N2", "bt", "", "A B"])
# Event data: mostly values of the types isotrack writes, sometimes any JSON at all (a list
# where a code goes, an object for a name, text for a count...).
_PLAUSIBLE_DATA = {
    "name": st.sampled_from(["Đơn vị mới", "x", ""]) | st.text(_CHARS, max_size=10),
    "kind": st.sampled_from(["agency", "district-command", "nope"]),
    "parent": EVENT_CODES,
    "into": EVENT_CODES | st.lists(EVENT_CODES, max_size=3),
    "successor": EVENT_CODES,
    "stage": st.sampled_from(["planned", "building", "applying", "lapsed", "none", "weird"]),
    "edition": st.sampled_from(["2008", "2015", "1999"]),
    "tthc": st.integers(-5, 2_000_000),
    "internal": st.integers(-5, 2_000_000),
    "findings": st.integers(-5, 10),
    "consultant": st.sampled_from(["", "Cty ABC"]),
    "changeset": st.sampled_from(["c1", "c2", "nope"]),
    "deadline": EVENT_DATES,
    "share": st.sampled_from([1.0, 0.5, 0, 2]),
    "kinds": st.lists(st.sampled_from(["agency", "district-command", "nope"]), max_size=2),
    "reach": st.sampled_from(["applying", "announced", "weird"]),
    "basis": st.sampled_from(["QĐ 1/2025", ""]),
}
DATA_VALUES = {
    key: sometimes(6).flatmap(lambda wrong, value=value: JSON_VALUE if wrong else value)
    for key, value in _PLAUSIBLE_DATA.items()
}


@st.composite
def event_files(draw: st.DrawFn) -> ImportFile:
    lines: list[bytes] = []
    for _ in range(draw(st.integers(0, 8))):
        pick = draw(st.integers(0, 9))
        if pick == 0:  # not a record
            lines.append(draw(st.binary(max_size=30)))
        elif pick <= 2:
            record: dict[str, Any] = {
                "record": "changeset",
                "id": draw(st.sampled_from(["c1", "c2", "c3"])),
                "recorded": "2026-01-01T00:00:00.000000+00:00",
                "command": draw(st.text(_CHARS, max_size=10)),
                "events": draw(st.integers(-1, 3)),
                "undoes": draw(st.sampled_from([None, "c1"])),
            }
            lines.append(orjson.dumps(record))
        else:
            keys = draw(st.lists(st.sampled_from(sorted(DATA_VALUES)), max_size=3, unique=True))
            record = {
                "id": draw(EVENT_IDS),
                "unit": draw(EVENT_CODES),
                "type": draw(st.sampled_from(EVENT_TYPES)),
                "on": draw(EVENT_DATES),
                "recorded": draw(st.sampled_from(["2026-01-01T00:00:00.000000+00:00", ""])),
                "changeset": draw(st.sampled_from(["c1", "c2", "c3", "nope"])),
                "data": {key: draw(DATA_VALUES[key]) for key in keys},
            }
            if record["type"] == "unit.split" and "into" in record["data"]:
                record["data"]["into"] = [record["data"]["into"], draw(EVENT_CODES)]
            if draw(st.integers(0, 9)) == 0:
                del record[draw(st.sampled_from(sorted(record)))]
            lines.append(json.dumps(record).encode())  # orjson refuses integers past 64 bits
    return "events.jsonl", b"\n".join(lines)


@st.composite
def workbooks(draw: st.DrawFn) -> ImportFile:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    header, rows = draw(table())
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    cells = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in [header, *rows]]
    for row in cells:  # (a workbook cannot hold some control characters)
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return "units.xlsx", out.getvalue()


@st.composite
def random_files(draw: st.DrawFn) -> ImportFile:
    name = draw(st.sampled_from(["units.csv", "units.xlsx", "units.json", "e.jsonl", "x.xls",
                                 "noext"]))  # fmt: skip
    prefix = draw(st.sampled_from([b"", b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\xef\xbb\xbf",
                                   b"\xff\xfe", b"[", b"{"]))  # fmt: skip
    return name, prefix + draw(st.binary(max_size=400))


SHEET_VALUES = {
    "code": pool(*NEW_CODES, "BT", "BH", "LC", "SM", "NOPE"),
    "name": pool("Đơn vị mới", "Ban CHQS huyện Bắc Hà", "Ban CHQS huyện Bắc Hà (mới)"),
    "kind": pool("agency", "district-command", "Ban Chỉ huy quân sự huyện"),
    "parent": pool(*NEW_CODES, "LC", "QK2", "BT", "SM", "NOPE", ""),
    "stage": pool("planned", "building", "đang áp dụng", "công bố", "lapsed", "none", ""),
    "stage_date": pool("2024-05-01", "01/06/2025", "2019-01-01", "2030", "01/01/0001", ""),
    "edition": pool("2015", "2008", "ISO 9001:2015", ""),
    "tthc": pool("0", "4", "12", "-3", "1.5", "1000001", ""),
    "internal": pool("21", "30", ""),
    "date": pool("2024-12-31", "31/12/2025", "2009", ""),
}


@st.composite
def plausible_sheets(draw: st.DrawFn) -> ImportFile:
    """Sheets a unit could really send: known columns, mostly sensible values, new units
    whose parents may be each other (cycles included) or units of the database."""
    columns = ["code", *draw(st.lists(st.sampled_from(sorted(SHEET_VALUES)[1:]), unique=True))]
    rows = draw(st.lists(st.fixed_dictionaries({c: SHEET_VALUES[c] for c in columns}), max_size=6))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return "units.csv", text.getvalue().encode("utf-8")


IMPORT_FILES = st.one_of(plausible_sheets(), plausible_sheets(), csv_files(), json_sheets(),
                         event_files(), event_files(), workbooks(), random_files())  # fmt: skip
IMPORT_OPTIONS = command(
    opt("--format", pool("csv", "xlsx", "json", "jsonl")), DRY, JSON_FLAG, opt("--on", DATE)
)

CYCLE = ("cycle.csv", "code,name,kind,parent\nN1,Một,agency,N2\nN2,Hai,agency,N1\n".encode())
SELF_PARENT = ("self.csv", b"code,name,kind,parent\nN1,One,agency,N1\n")
MERGED_INTO_ITSELF = (
    "merge.jsonl",
    b'{"record":"changeset","id":"c1","recorded":"2026-01-01T00:00:00.000000+00:00",'
    b'"command":"x","events":1,"undoes":null}\n'
    b'{"id":"e1","unit":"BT","type":"unit.merged","on":"2026-01-01","recorded":'
    b'"2026-01-01T00:00:00.000000+00:00","changeset":"c1","data":{"into":"BT"}}\n',
)
# What Excel's plain "CSV" saves on a Vietnamese Windows (code page 1258).
CP1258 = ("cp1258.csv", (Path(__file__).parent / "fixtures" / "excel-ansi-cp1258.csv").read_bytes())
UTF16_NO_BOM = ("utf16.csv", "code,name,kind\nN1,Đơn vị,agency\n".encode("utf-16-le"))
DEEP_JSON = ("deep.json", b"[" * 100_000 + b"]" * 100_000)
HUGE_FIELD = ("huge.csv", b"code,name,kind\nN1," + b"x" * 5_000_000 + b",agency\n")
OUT_OF_RANGE = (
    "dates.csv",
    b"code,name,kind,stage,stage_date\nBT,,,,01/01/0001\nN1,x,agency,planned,31/12/99999\n",
)
CONTROL_CODE = ("codes.csv", b"code,name,kind\nN\x071,x,agency\n\x1b[2J,y,agency\n")


@examples(6)
@given(file=IMPORT_FILES, options=IMPORT_OPTIONS)
@example(file=CYCLE, options=[])
@example(file=SELF_PARENT, options=[])
@example(file=MERGED_INTO_ITSELF, options=[])
@example(file=CP1258, options=[])
@example(file=UTF16_NO_BOM, options=[])
@example(file=DEEP_JSON, options=[])
@example(file=HUGE_FIELD, options=[])
@example(file=OUT_OF_RANGE, options=["--json"])
@example(file=CONTROL_CODE, options=[])
def test_generated_import_files(arena: Arena, file: ImportFile, options: list[str]) -> None:
    name, content = file
    arena.reset(arena.seed)
    path = arena.folder / "in" / name
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(content)
    args = ["import", str(path), *options]
    result = arena.invoke(args)
    check_outcome(arena, args, result, arena.seed)


# --------------------------------------------------------------------------------------------
# 3c. Damaged database files

COMMANDS_ON_A_DATABASE: list[list[str]] = [
    ["unit", "list"], ["unit", "list", "--json"], ["unit", "show", "BT"], ["report", "--json"],
    ["report"], ["log"], ["doctor"], ["doctor", "--json"], ["doctor", "--fix"],
    ["target", "list"], ["check"], ["export", "@out.csv"], ["export", "@out.jsonl"],
    ["qms", "stage", "BH", "building"], ["procedures", "set", "BT", "--tthc", "9"],
    ["unit", "add", "NEW1", "--name", "Mới", "--kind", "agency", "--parent", "M"],
    ["import", "@sheet.csv"], ["import", "@events.jsonl"], ["undo"], ["init"],
    ["init", "--sample"], ["unit", "merge", "BH", "--into", "BT"],
    ["target", "add", "t2", "--kind", "all", "--reach", "planned", "--share", "50", "--by", "2030"],
]  # fmt: skip


def _cut(seed: bytes) -> st.SearchStrategy[bytes]:
    return st.integers(0, len(seed) - 1).map(lambda n: seed[:n])


@st.composite
def damaged_databases(draw: st.DrawFn, seed: bytes) -> tuple[str, bytes]:
    """(how it is damaged, the file): ``unreadable`` files must be refused, naming the file and
    the way to recover; ``altered`` ones (valid JSON, records changed) may still be readable."""
    kind = draw(st.sampled_from(["truncated", "bytes", "json", "future", "flipped", "altered"]))
    if kind == "truncated":
        return "unreadable", draw(_cut(seed))
    if kind == "bytes":
        return "unreadable", draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\xff\xfe"])) + draw(
            st.binary(max_size=100).filter(lambda b: not b.strip() or b[:1] not in b"{")
        )
    if kind == "json":  # JSON, but not an isotrack database
        value = draw(st.one_of(JSON_LEAF, st.lists(JSON_LEAF, max_size=3)))
        return "unreadable", json.dumps(value).encode()
    doc = orjson.loads(seed)
    if kind == "future":
        doc["_meta"]["1"]["schema"] = draw(st.integers(2, 2**70))
        return "unreadable", json.dumps(doc).encode()
    if kind == "flipped":
        at = draw(st.integers(0, len(seed) - 1))
        return "maybe", seed[:at] + bytes([draw(st.integers(0, 255))]) + seed[at + 1 :]
    # altered: one field of one record replaced, or removed
    table = draw(st.sampled_from(["events", "changesets", "_meta"]))
    records = doc[table]
    record = records[draw(st.sampled_from(sorted(records)))]
    key = draw(st.sampled_from(sorted(record) or ["x"]))
    if draw(st.integers(0, 3)) == 0:
        record.pop(key, None)
    else:
        record[key] = draw(JSON_LEAF)
    return "maybe", json.dumps(doc, ensure_ascii=False).encode()


@examples(5)
@given(data=st.data(), args=st.sampled_from(COMMANDS_ON_A_DATABASE))
def test_damaged_database_files(arena: Arena, data: st.DataObject, args: list[str]) -> None:
    how, content = data.draw(damaged_databases(arena.seed), label="database")
    arena.reset(content)
    result = arena.invoke(args)
    check_outcome(arena, args, result, content, damaged=True)
    if how == "unreadable":
        assert result.exit_code == 1, (args, result.stdout, result.stderr)
        [line] = result.stderr.splitlines()
        assert str(arena.db) in line
        assert "restore a backup" in line or "upgrade isotrack" in line, line


@pytest.mark.parametrize(
    ("content", "hint"),
    [
        (b'{"_meta": {"1": {"schema": 1}}, "events": {"1": {"id": "e', "restore a backup"),
        (b"hello, world", "restore a backup"),
        (b'{"_meta": {"1": {"schema": 2}}, "events": {}}', "upgrade isotrack"),
    ],
    ids=["truncated", "not-json", "future-schema"],
)
@pytest.mark.parametrize("args", [["unit", "list"], ["qms", "stage", "BT", "announced"]])
def test_a_damaged_database_is_named_never_reset(
    arena: Arena, content: bytes, hint: str, args: list[str]
) -> None:
    arena.reset(content)
    result = arena.invoke(args)
    check_outcome(arena, args, result, content, damaged=True)
    assert result.exit_code == 1
    assert result.stdout == ""
    [line] = result.stderr.splitlines()
    assert line.startswith(f"error: the database {arena.db} ")
    assert hint in line
    assert arena.db.read_bytes() == content


# --------------------------------------------------------------------------------------------
# Bugs the campaign found, pinned with the input that first triggered each


@pytest.mark.parametrize(
    "args",
    [
        ["unit", "add", "X1", "--name", "T\udcffn", "--kind", "agency"],
        ["qms", "stage", "BH", "building", "--consultant", "\udcff"],
    ],
    ids=["name", "consultant"],
)
def test_found_arguments_that_are_not_utf8(arena: Arena, args: list[str]) -> None:
    """argv bytes such as 0xff reach Python as lone surrogates, which JSON cannot store: the
    write used to fail in orjson with a traceback."""
    arena.reset(arena.seed)
    result = arena.invoke(args)
    check_outcome(arena, args, result, arena.seed)
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    assert "\\udcff" in result.stderr


def test_found_a_path_that_is_not_utf8_is_recorded_escaped(arena: Arena) -> None:
    """A file name need not be UTF-8: the import works, and the changeset records the command
    with the odd byte escaped."""
    arena.reset(arena.seed)
    path = arena.folder / "in" / "b\udcffo.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text("code,tthc\nBT,7\n", encoding="utf-8")
    args = ["import", str(path)]
    result = arena.invoke(args)
    check_outcome(arena, args, result, arena.seed)
    assert result.exit_code == 0, result.stderr
    [latest, *_] = json.loads(arena.invoke(["log", "--json"]).stdout)
    assert latest["command"].endswith("b\\udcffo.csv'")


def event_file(*events: dict[str, Any]) -> bytes:
    changeset = {"record": "changeset", "id": "c9", "recorded": "2026-01-01T00:00:00.000000+00:00",
                 "command": "elsewhere", "events": len(events), "undoes": None}  # fmt: skip
    lines = [changeset]
    for n, data in enumerate(events):
        lines.append({"id": f"e9-{n}", "recorded": "2026-01-01T00:00:00.000000+00:00",
                      "changeset": "c9", **data})  # fmt: skip
    return b"\n".join(orjson.dumps(line) for line in lines) + b"\n"


@pytest.mark.parametrize(
    ("event", "problem"),
    [
        ({"unit": "BT", "type": "unit.split", "on": "2026-01-01", "data": {"into": [["A"]]}},
         "'into' is [['A']], not a list of unit codes"),
        ({"unit": "", "type": "target.set", "on": "2026-01-01", "data": {"name": 5}},
         "no 'deadline'"),
        ({"unit": "", "type": "target.set", "on": "2026-01-01",
          "data": {"name": "t", "deadline": "2030-12-31", "share": "all"}},
         "'share' is 'all', not a number"),
        ({"unit": "BT", "type": "unit.renamed", "on": "2026-01-01", "data": {"name": {}}},
         "'name' is {}, not text"),
        ({"unit": "BT", "type": "unit.renamed", "on": "2026-01-01", "recorded": "yesterday",
          "data": {"name": "X"}}, "'recorded' is not an ISO timestamp: 'yesterday'"),
    ],
    ids=["split-into-a-list", "target-without-fields", "target-share-text", "name-an-object",
         "recorded-not-a-time"],
)  # fmt: skip
def test_found_event_files_with_ill_typed_data(
    arena: Arena, event: dict[str, Any], problem: str
) -> None:
    """An event's data used to be taken as it came: a split into a list crashed the fold, and a
    target without its fields was stored, after which report and check crashed."""
    arena.reset(arena.seed)
    path = arena.folder / "in" / "bad.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_bytes(event_file(event))
    args = ["import", str(path)]
    result = arena.invoke(args)
    check_outcome(arena, args, result, arena.seed)
    assert result.exit_code == 1
    assert "line 2" in result.stderr
    assert problem in result.stderr


def run_on_edited_seed(
    arena: Arena, edit: Callable[[dict[str, Any]], None], args: list[str]
) -> Result:
    """``args`` run on the seed database edited by hand with ``edit``: checked as damaged."""
    doc = orjson.loads(arena.seed)
    edit(doc)
    content = orjson.dumps(doc)
    arena.reset(content)
    result = arena.invoke(args)
    check_outcome(arena, args, result, content, damaged=True)
    return result


def test_found_a_stored_split_into_a_list_is_a_damaged_database(arena: Arena) -> None:
    """The same bad data put in the database by hand: a clear damaged-database error."""

    def edit(doc: dict[str, Any]) -> None:
        record = next(r for r in doc["events"].values() if r["type"] == "unit.founded")
        record["data"]["parent"] = ["BT"]

    result = run_on_edited_seed(arena, edit, ["report"])
    assert result.exit_code == 1
    assert "'parent' is ['BT'], not a unit code or null" in result.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (["qms", "stage", "BT", "planned\nerror: database reset"], {}),
        (["unit", "list", "--kind", "agency\x1b[2J"], {}),
        (["target", "add", "t9", "--kind", "all", "--reach", "planned", "--share", "5\n0",
          "--by", "2030"], {}),
        (["unit", "list"], {"ISOTRACK_TODAY": "2026-11-22\nx"}),
        (["unit", "list"], {"ISOTRACK_BACKUPS": "\x1b[31m"}),
        (["db", "restore", "\x1b[2J"], {}),
    ],
    ids=["stage", "kind", "share", "ISOTRACK_TODAY", "ISOTRACK_BACKUPS", "restore"],
)  # fmt: skip
def test_found_error_lines_echoing_control_characters(
    arena: Arena, args: list[str], env: dict[str, str]
) -> None:
    """Messages used to quote the user's value raw: a newline split the one error line, and a
    terminal escape reached the terminal."""
    arena.reset(arena.seed)
    result = arena.invoke(args, env)
    assert result.exit_code in (1, 2)
    assert _stderr_is_one_clear_message(result), result.stderr


def test_found_a_count_of_4301_digits_in_a_sheet(arena: Arena) -> None:
    """int() refuses strings of more than 4300 digits: the import used to crash on one."""
    arena.reset(arena.seed)
    path = arena.folder / "in" / "long-count.csv"
    path.parent.mkdir(exist_ok=True)
    path.write_text("code,tthc\nBT," + "9" * 4301 + "\n", encoding="utf-8")
    args = ["import", str(path)]
    result = arena.invoke(args)
    check_outcome(arena, args, result, arena.seed)
    assert result.exit_code == 1
    assert "above 1,000,000" in result.stderr
    assert len(result.stderr) < 1000  # the number is cut, not printed whole


def test_found_a_changeset_recorded_at_a_time_that_is_not_one(arena: Arena) -> None:
    """A changeset 'recorded' that is text but not a timestamp passed the load checks, then
    crashed ``log``: it is now a damaged record, found on load."""

    def edit(doc: dict[str, Any]) -> None:
        doc["changesets"]["1"]["recorded"] = "0"

    result = run_on_edited_seed(arena, edit, ["log"])
    assert result.exit_code == 1
    assert "'recorded' is not an ISO timestamp" in result.stderr
