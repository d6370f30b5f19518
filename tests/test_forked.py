"""A large write's file, written by a child process while the write is checked here: the same
outcomes as a write done in-process, and the database replaced only once both are done."""

from __future__ import annotations

import fcntl
import io
import os
import sys
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest

from histories import Db
from isotrack import events as ev
from isotrack import forked, tracker
from isotrack.errors import ImportRowError, InvalidTransitionError
from isotrack.events import Event
from isotrack.forked import Forked, can_fork

# (Where a process can fork and run its child beside it; threads aside, see ``children``.)
FORKS = sys.platform == "linux" and len(os.sched_getaffinity(0)) > 1
pytestmark = pytest.mark.skipif(not FORKS, reason="needs Linux and two cores")

FIXTURES = Path(__file__).parent / "fixtures"
SHEET = FIXTURES / "excel-csv-utf8-semicolon.csv"


@pytest.fixture
def children(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every write's file written by a child, however small the write: the children's pids.

    Threads aside: libraries other tests import start native threads that live on in this
    process (OpenBLAS, under matplotlib), so ``can_fork`` says no here; the children these
    tests start never use them. ``test_can_fork_says_no_beside_a_thread`` tests that part."""
    monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 0)
    monkeypatch.setattr(forked, "can_fork", lambda: True)
    started: list[int] = []
    real = Forked.__init__

    def spy(self: Forked, run: Callable[[], Any]) -> None:
        real(self, run)
        assert self._pid is not None
        started.append(self._pid)

    monkeypatch.setattr(Forked, "__init__", spy)
    return started


@pytest.fixture
def parted(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The sizes of the parts each write's check was parted into (see ``onwards_parts``)."""
    sizes: list[int] = []
    real = tracker.onwards_parts

    def spy(*args: Any) -> Any:
        parts = real(*args)
        if parts is not None:
            sizes.extend(map(len, parts))
        return parts

    monkeypatch.setattr(tracker, "onwards_parts", spy)
    return sizes


def conflicting_sheet(db: Db, tmp_path: Path) -> Path:
    """A sheet only the fold can refuse: announced in 2022 puts the 2023 'applying' after it."""
    db.imp(SHEET, on=date(2024, 1, 1))
    db.stage("LC-BATHANG", "applying", date(2023, 1, 1))
    path = tmp_path / "r.csv"
    path.write_text("code,stage,stage_date\nLC-BATHANG,announced,01/06/2022\n", encoding="utf-8")
    return path


def refused_then_written(db: Db, tmp_path: Path) -> None:
    """Four writes: a sheet and a stage (written), the conflicting sheet (refused, the file as
    it was), and a stage (written)."""
    path = conflicting_sheet(db, tmp_path)
    before = db.bytes()
    with pytest.raises(ImportRowError) as caught:
        db.imp(path)
    assert caught.value.problems[0][0] == "row 2, column stage"
    assert db.bytes() == before
    db.stage("LC-BACHA", "building", date(2024, 6, 1))
    assert db.tracker().unit("LC-BACHA", date(2024, 6, 1)).stage == "building"


def test_an_import_written_by_a_child_writes_what_one_written_here_writes(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    there = Db(tmp_path / "there.json")
    there.imp(SHEET, on=date(2024, 1, 1))
    assert len(children) == 1
    assert len(parted) == 2  # (a sheet's check is parted: see the tests below)
    monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9)
    here = Db(tmp_path / "here.json")
    here.imp(SHEET, on=date(2024, 1, 1))
    assert len(children) == 1
    assert there.units() == here.units()
    assert there.units()  # (something was imported)


def test_a_problem_found_while_the_child_writes_refuses_the_write_and_leaves_the_file(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9)
    here = Db(tmp_path / "here" / "db.json")
    with pytest.raises(ImportRowError) as in_process:
        here.imp(conflicting_sheet(here, tmp_path))
    monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 0)
    there = Db(tmp_path / "there" / "db.json")
    path = conflicting_sheet(there, tmp_path)
    before, files = there.bytes(), sorted(os.listdir(there.path.parent))
    started = len(children)
    with pytest.raises(ImportRowError) as beside_child:
        there.imp(path)
    assert len(children) == started + 1
    assert beside_child.value.problems == in_process.value.problems
    assert beside_child.value.problems[0][0] == "row 2, column stage"
    assert there.bytes() == before
    assert sorted(os.listdir(there.path.parent)) == files  # no file left beside it


def test_an_event_file_written_by_a_child_is_refused_as_here(
    tmp_path: Path, children: list[int]
) -> None:
    office = Db(tmp_path / "office.json")
    office.add("A", "Đơn vị A", "agency")
    exported = tmp_path / "office.jsonl"
    from isotrack.eventfile import export_events

    export_events(office.tracker(), exported, as_of=None, under=None)
    hq = Db(tmp_path / "hq.json")
    hq.add("A", "Đơn vị A (HQ)", "agency")  # the same code founded again, by another event
    before, started = hq.bytes(), len(children)
    with pytest.raises(ImportRowError) as caught:
        hq.imp(exported)
    assert len(children) == started + 1  # the import's own check
    assert "A: founded again on 2010-01-01 (code already used)" in str(caught.value)
    assert hq.bytes() == before


def test_a_refused_write_says_why_even_when_the_disk_is_full(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is written while the import is checked: a disk that fills up then must not
    hide the rows that refuse the import (a write that passes reports the disk)."""
    import errno

    from isotrack import storage
    from isotrack.errors import DatabaseError

    db = Db(tmp_path / "db.json")
    path = conflicting_sheet(db, tmp_path)
    before, files = db.bytes(), sorted(os.listdir(tmp_path))

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(storage.os, "fsync", full)
    with pytest.raises(ImportRowError) as caught:
        db.imp(path)
    assert caught.value.problems[0][0] == "row 2, column stage"
    with pytest.raises(DatabaseError, match="No space left on device"):
        db.stage("LC-BACHA", "building", date(2024, 6, 1))
    assert db.bytes() == before
    assert sorted(os.listdir(tmp_path)) == files  # no temporary file left


def test_a_write_written_by_a_child_is_refused_as_here(tmp_path: Path, children: list[int]) -> None:
    db = Db(tmp_path / "db.json")
    db.add("P", "Tỉnh P", "provincial-command")
    db.tracker().dissolve_unit("P", successor=None, basis=None, on=date(2020, 1, 1), dry_run=False)
    before = db.bytes()
    # On 2015 P is alive, so the request is fine; but D would outlive its parent.
    with pytest.raises(InvalidTransitionError) as refused:
        db.add("D", "Huyện D", "district-command", "P", on=date(2015, 1, 1))
    assert str(refused.value) == (
        "this change would leave the records inconsistent: "
        "D: its parent P dissolved on 2020-01-01; move it under a live unit"
    )
    assert db.bytes() == before
    assert len(children) == 3  # each write (a dry run writes nothing)


def test_a_child_that_dies_leaves_the_file_to_be_written_here(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = os.getpid()
    answers: list[bytes | None] = []
    real_init, real_answer = Forked.__init__, Forked.answer

    def die_there(self: Forked, run: Callable[[], Any]) -> None:
        def dying() -> Any:
            if os.getpid() != here:
                os._exit(3)
            return run()

        real_init(self, dying)

    def counting(self: Forked) -> bytes | None:
        answers.append(real_answer(self))
        return answers[-1]

    monkeypatch.setattr(Forked, "__init__", die_there)
    monkeypatch.setattr(Forked, "answer", counting)
    refused_then_written(Db(tmp_path / "db.json"), tmp_path)
    # The sheet, the stage and the last stage, each written here when its child gave no
    # answer; the refused import was refused before it needed its file.
    assert answers == [None, None, None]


def test_a_child_that_dies_half_way_through_the_file_leaves_it_to_be_written_here(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    from isotrack import storage

    here = os.getpid()
    real = storage._write_document

    def torn(out: Any, doc: Any, later: Any) -> None:
        if os.getpid() != here:  # the child: more than the file, torn, then gone
            whole = io.BytesIO()
            real(whole, doc, later)
            out.write(whole.getvalue()[: len(whole.getvalue()) // 2] + b"x" * len(whole.getvalue()))
            out.flush()
            os._exit(3)
        real(out, doc, later)

    monkeypatch.setattr(storage, "_write_document", torn)
    db = Db(tmp_path / "db.json")
    db.imp(SHEET, on=date(2024, 1, 1))
    assert children  # (a child started, and died)
    monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9)
    same = Db(tmp_path / "same.json")
    same.imp(SHEET, on=date(2024, 1, 1))
    assert db.units() == same.units()
    assert orjson.loads(db.bytes())["changesets"]  # whole: the file reads as JSON


# A check in two parts: one here, one by the child once it has written the file


def batch(
    db: Db, parents: dict[str, str | None], same: dict[str, str] | None = None
) -> Callable[[Any], None]:
    """A write (``Tracker.write``'s ``build``) founding these units in 2020, in this order,
    each with a stage, its check allowed to be parted (as a sheet's is). The events' ids are
    the unit's code and 0 or 1; ``same`` gives some the id of another."""
    same = same or {}

    def build(req: Any) -> None:
        stamp = {"changeset": req.changeset, "recorded": db.now.isoformat()}
        req.kept = [
            Event(
                id=same.get(f"{code}-{n}", f"{code}-{n}"),
                unit=code,
                type=type_,
                on=on,
                data=data,
                **stamp,
            )
            for code, parent in parents.items()
            for n, (type_, on, data) in enumerate(
                [
                    (ev.FOUNDED, "2020-01-01", {"name": code, "kind": "agency", "parent": parent}),
                    (ev.STAGE, "2020-06-01", {"stage": "planned"}),
                ]
            )
        ]
        req.part_check = True

    return build


def hq(path: Path) -> Db:
    """A database with M, and Y founded in 2005 and dissolved in 2008."""
    db = Db(path)
    db.add("M", "Bộ M", "ministry", on=date(2005, 1, 1))
    db.add("Y", "Đơn vị Y", "agency", on=date(2005, 1, 1))
    db.tracker().dissolve_unit("Y", successor=None, basis=None, on=date(2008, 1, 1), dry_run=False)
    return db


def test_a_problem_either_part_finds_refuses_the_write_as_here(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Going on with the history in two parts, one of them finds that Z is founded under a
    unit that has ended: the child's (the last units), or this process's. The write is
    refused, saying what one check of all the events says, and the database is left as it
    was."""
    for units in ({"A": "M", "B": "A", "C": "M", "Z": "Y"}, {"Z": "Y", "A": "M", "B": "A"}):
        refusals = []
        for where in ("here", "beside"):
            monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9 if where == "here" else 0)
            db = hq(tmp_path / where / f"{len(units)}.json")
            before, started = db.bytes(), len(children)
            with pytest.raises(InvalidTransitionError) as caught:
                db.tracker().write(batch(db, units), dry_run=False, what="this batch")
            assert db.bytes() == before
            assert len(children) - started == (where == "beside")
            refusals.append(str(caught.value))
        assert refusals[0] == refusals[1]
        assert refusals[0].startswith(
            "this batch would leave the records inconsistent: "
            "Z: parent Y does not exist on 2020-01-01 (and 1 more)"
        )
    # A, B and C here, Z in the child's part; then Z and A here, B and A's founding there.
    assert parted == [6, 2, 4, 3]
    del parted[:]
    db.tracker().write(batch(db, {"A": "M", "B": "A", "C": "M", "D": "C"}), dry_run=False)
    assert parted == [6, 3]  # (and C's founding: D's parent)
    assert {u["code"] for u in db.units()} == {"M", "Y", "A", "B", "C", "D"}


def test_a_child_that_dies_in_its_part_of_the_check_leaves_the_check_to_here(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    here = os.getpid()
    real = tracker.onwards_ids_fit

    def die_there(*args: Any) -> bool:
        if os.getpid() != here:
            os._exit(3)
        return real(*args)

    monkeypatch.setattr(tracker, "onwards_ids_fit", die_there)
    db = hq(tmp_path / "db.json")
    before = db.bytes()
    with pytest.raises(InvalidTransitionError, match="Z: parent Y does not exist"):
        db.tracker().write(batch(db, {"A": "M", "B": "A", "Z": "Y"}), dry_run=False)
    assert db.bytes() == before
    db.tracker().write(batch(db, {"A": "M", "B": "A", "C": "M"}), dry_run=False)
    assert {u["code"] for u in db.units()} == {"M", "Y", "A", "B", "C"}
    assert len(parted) == 4  # (both parted, and the child died in its part each time)


def test_a_parted_refusal_says_why_even_when_the_disk_is_full(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child cannot write the file, so the command writes it: it checks everything first,
    and the refusal says why rather than that the disk is full."""
    import errno

    from isotrack import storage

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    db = hq(tmp_path / "db.json")
    before = db.bytes()
    monkeypatch.setattr(storage.os, "fsync", full)
    with pytest.raises(InvalidTransitionError, match="Z: parent Y does not exist"):
        db.tracker().write(batch(db, {"A": "M", "B": "A", "Z": "Y"}), dry_run=False)
    assert parted == [4, 2]
    assert db.bytes() == before


def test_an_id_in_both_parts_is_refused_as_one_check_refuses(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's founding has the id of A's stage: one fold counts the id once (A's stage), so B's
    stage comes before B exists; each part alone would find nothing (the child checks the
    ids of all the new events)."""
    refusals = []
    for where in ("here", "beside"):
        monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9 if where == "here" else 0)
        db = hq(tmp_path / f"{where}.json")
        before = db.bytes()
        with pytest.raises(InvalidTransitionError) as caught:
            db.tracker().write(
                batch(db, {"A": "M", "C": "M", "B": "M"}, same={"B-0": "A-1"}), dry_run=False
            )
        assert db.bytes() == before
        refusals.append(str(caught.value))
    assert parted == [4, 2]
    assert refusals[0] == refusals[1]
    assert "B: stage on 2020-06-01, but the unit does not exist then" in refusals[0]


def test_a_problem_both_parts_find_is_listed_as_one_check_lists_it(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A, under Y (ended), in the first part; B, under A, in the second, which folds A's
    founding too: both parts flag A, which one check flags once."""
    refusals = []
    for where in ("here", "beside"):
        monkeypatch.setattr(tracker, "PARALLEL_CHECK_FROM", 10**9 if where == "here" else 0)
        db = hq(tmp_path / f"{where}.json")
        units = {"A": "Y", "C": "M", "D": "M", "B": "A"}
        with pytest.raises(InvalidTransitionError) as caught:
            db.tracker().write(batch(db, units), dry_run=False, what="this batch")
        refusals.append(str(caught.value))
    assert parted == [6, 3]
    assert refusals[0] == refusals[1]
    assert refusals[0].endswith("A: parent Y does not exist on 2020-01-01 (and 1 more)")


def test_a_parted_write_goes_on_over_a_history_with_problems_and_folds_it_once(
    tmp_path: Path, children: list[int], parted: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history already flags Q (a stage of a unit never founded): that is no new
    problem. Both parts finding nothing, the command folds the whole history once (the
    write's own fold): the parts are the check."""
    db = hq(tmp_path / "db.json")
    odd = Event("q1", "Q", ev.STAGE, "2019-01-01", db.now.isoformat(), "", {"stage": "planned"})

    def write_odd(req: Any) -> None:
        req.kept = [odd._replace(changeset=req.changeset)]
        req.judge = lambda anomalies: None  # (written as it is)

    db.tracker().write(write_odd, dry_run=False)
    folds: list[int] = []
    real = tracker.fold

    def counted(*args: Any) -> Any:
        folds.append(1)
        return real(*args)

    monkeypatch.setattr(tracker, "fold", counted)
    db.tracker().write(batch(db, {"A": "M", "B": "A", "C": "M", "D": "C"}), dry_run=False)
    assert parted == [6, 3]
    assert len(folds) == 1
    assert {u["code"] for u in db.units()} == {"M", "Y", "A", "B", "C", "D"}


# The child process itself


def test_a_child_runs_in_a_process_of_its_own_and_is_waited_for(tmp_path: Path) -> None:
    out = tmp_path / "pid"
    child = Forked(lambda: (time.sleep(0.2), out.write_text(str(os.getpid()))))
    try:
        answer = child.answer()
    finally:
        child.close()
    assert answer == b""  # (it ended well; its run returned no bytes)
    assert int(out.read_text()) not in (os.getpid(), 0)  # written, by another process


def test_closing_ends_a_child_still_at_work() -> None:
    child = Forked(lambda: time.sleep(60))
    pid = child._pid
    assert pid is not None
    start = time.monotonic()
    child.close()
    assert time.monotonic() - start < 10
    with pytest.raises(ChildProcessError):  # ended and reaped: no zombie left
        os.waitpid(pid, os.WNOHANG)


@pytest.mark.parametrize("on_stdin", [False, True])  # a command started with stdin closed
def test_a_child_never_holds_the_database_lock_alone(tmp_path: Path, on_stdin: bool) -> None:
    lock = tmp_path / "db.json.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT)
    saved = os.dup(0)
    if on_stdin:  # the lock gets the lowest free number: 0, if stdin was closed
        os.dup2(fd, 0)
        os.close(fd)
        fd = 0
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        child = Forked(lambda: time.sleep(60))
    finally:
        if on_stdin:
            os.dup2(saved, 0)  # this process lets go of the lock (stdin back as it was)
        else:
            os.close(fd)  # this process lets go of the lock while the child still runs
        os.close(saved)
    try:
        other = os.open(lock, os.O_RDWR)
        try:
            # Free as soon as the child has closed its copy (its first step).
            deadline = time.monotonic() + 10
            while True:
                try:
                    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    assert time.monotonic() < deadline, "the child still holds the lock"
                    time.sleep(0.01)
        finally:
            os.close(other)
    finally:
        child.close()


def test_a_child_whose_run_fails_gives_no_answer() -> None:
    child = Forked(lambda: 1 / 0)
    try:
        assert child.answer() is None
    finally:
        child.close()


# Real processes: an import large enough to fork its check, killed part-way


def test_a_large_import_killed_while_its_child_writes_loses_nothing(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    rows = tracker.PARALLEL_CHECK_FROM // 3 + 1  # three events a row: a child writes the file
    sheet = tmp_path / "big.csv"
    lines = ["code,name,kind,parent,stage,stage_date,tthc", "P,Tỉnh P,provincial-command,,,,"]
    lines += [f"D{i},Huyện {i},district-command,P,building,01/02/2020,{i % 9 + 1}"
              for i in range(rows)]  # fmt: skip
    sheet.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db = tmp_path / "db.json"
    env = {**os.environ, "ISOTRACK_DB": str(db), "ISOTRACK_TODAY": "2026-11-22"}

    def isotrack(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "isotrack", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    subprocess.run([sys.executable, "-m", "isotrack", "init"], env=env, check=True)
    empty = db.read_bytes()
    start = time.monotonic()
    assert isotrack("import", str(sheet)).wait() == 0
    whole = time.monotonic() - start
    for fraction in (0.5, 0.7, 0.85, 0.95):
        db.write_bytes(empty)
        process = isotrack("import", str(sheet))
        time.sleep(whole * fraction)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # Either nothing of the import or all of it; and the database can be written at once.
        events = orjson.loads(db.read_bytes()).get("events", {}).values()
        units = sum(event["type"] == "unit.founded" for event in events)
        assert units in (0, rows + 1), f"killed at {fraction:.0%}: {units} units"
        done = subprocess.run(
            [sys.executable, "-m", "isotrack", "unit", "add", "X", "--name", "X", "--kind",
             "agency", "--on", "2020-01-01"],
            env=env, capture_output=True, text=True,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr


def test_a_child_has_no_streams_and_stops_on_the_signals_that_end_a_command(
    tmp_path: Path,
) -> None:
    import signal

    mask = signal.pthread_sigmask(signal.SIG_BLOCK, [])
    ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    report = tmp_path / "inside.json"

    def inside() -> None:
        found = {
            "streams": [os.readlink(f"/proc/self/fd/{n}") for n in (0, 1, 2)],
            "default": [signal.getsignal(s) == signal.SIG_DFL for s in (signal.SIGINT,
                                                                         signal.SIGTERM)],
            "ignored": signal.getsignal(signal.SIGHUP) == signal.SIG_IGN,
            "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
            "files": sorted(os.listdir("/proc/self/fd")),
        }  # fmt: skip
        report.write_bytes(orjson.dumps(found))

    try:
        child = Forked(inside)
        try:
            child.answer()
        finally:
            child.close()
    finally:
        signal.signal(signal.SIGHUP, ignored)
    found = orjson.loads(report.read_bytes())
    assert found["streams"] == [os.devnull] * 3
    assert found["default"] == [True, True]
    assert found["ignored"]  # what the command ignores, its child ignores too
    assert found["blocked"] == sorted(mask)
    assert len(found["files"]) == 5  # the streams, the answer's pipe, and the listing's own
    assert signal.pthread_sigmask(signal.SIG_BLOCK, []) == mask  # this process's, as it was


def test_a_write_whose_child_cannot_start_is_written_here(
    tmp_path: Path, children: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    def no_fork() -> int:
        raise OSError(errno.EAGAIN, "Resource temporarily unavailable")

    monkeypatch.setattr(forked.os, "fork", no_fork)
    files = len(os.listdir("/proc/self/fd"))
    refused_then_written(Db(tmp_path / "db.json"), tmp_path)
    assert children == []  # none started
    assert len(os.listdir("/proc/self/fd")) == files  # no file left open by the failed forks


def test_can_fork_says_no_where_children_are_reaped_unseen() -> None:
    import signal

    assert can_fork() == (len(os.listdir("/proc/self/task")) == 1)  # (threads: see above)
    ignored = signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # as some parents leave it
    try:
        assert not can_fork()
    finally:
        signal.signal(signal.SIGCHLD, ignored)


def test_can_fork_says_no_beside_a_thread() -> None:
    started, stop = threading.Event(), threading.Event()

    def wait() -> None:
        started.set()
        stop.wait(30)

    thread = threading.Thread(target=wait)
    thread.start()
    try:
        started.wait(30)
        assert not can_fork()
    finally:
        stop.set()
        thread.join()


def test_a_child_ends_with_its_command(tmp_path: Path) -> None:
    """A command killed outright takes its child with it (no file left being written)."""
    import signal
    import subprocess

    started = tmp_path / "started"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from isotrack.forked import Forked\n"
        "child = Forked(lambda: (Path(sys.argv[1]).touch(), time.sleep(60)))\n"
        "print(child._pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script, str(started)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    pid = int(process.stdout.readline())
    deadline = time.monotonic() + 10
    while not started.exists():  # past its first steps: only the parent-death signal ends it
        assert time.monotonic() < deadline, "the child never started its work"
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid):
        assert time.monotonic() < deadline, "the child outlived its command"
        time.sleep(0.02)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except (OSError, IndexError):
        return "Z"


# A child's answer


def test_a_child_answers_with_the_bytes_its_run_returns() -> None:
    files = len(os.listdir("/proc/self/fd"))
    big = os.urandom(3_000_000)  # far more than a pipe holds at once
    child = Forked(lambda: big[::-1])
    try:
        assert child.answer() == big[::-1]
    finally:
        child.close()
    other = Forked(lambda: 42)  # not bytes: an empty answer, but an answer
    try:
        assert other.answer() == b""
    finally:
        other.close()
    assert len(os.listdir("/proc/self/fd")) == files  # every pipe closed


def test_a_child_killed_while_it_answers_gives_no_answer() -> None:
    import signal

    files = len(os.listdir("/proc/self/fd"))
    child = Forked(lambda: b"x" * 10_000_000)
    try:
        time.sleep(0.5)  # the answer is made; the child waits for the pipe to be read
        assert child._pid is not None
        os.kill(child._pid, signal.SIGKILL)
        assert child.answer() is None  # what came through the pipe was only a part
    finally:
        child.close()
    failed = Forked(lambda: 1 / 0)
    try:
        assert failed.answer() is None
    finally:
        failed.close()
    assert len(os.listdir("/proc/self/fd")) == files


def test_reading_a_workbook_leaves_a_command_able_to_fork() -> None:
    """openpyxl imports numpy, whose OpenBLAS would start threads (no fork then): a large XLSX
    import still has its file written by a child."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from isotrack.forked import can_fork\n"
        "from isotrack.sheets import read_sheet\n"
        "read_sheet('w.xlsx', Path(sys.argv[1]).read_bytes(), 'xlsx')\n"
        "print(can_fork(), 'numpy' in sys.modules)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    done = subprocess.run(
        [sys.executable, "-c", script, str(FIXTURES / "units-report.xlsx")],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    # numpy came in (matplotlib, a dependency, brings it), and the command can still fork.
    assert done.stdout.split() == ["True", "True"]


def test_a_child_answers_a_command_started_with_its_streams_closed() -> None:
    """With standard streams closed, a pipe would get their numbers, which the child covers
    with /dev/null: its ends are kept above them."""
    import subprocess
    import sys

    script = (
        "import os, sys\n"
        "from isotrack.forked import Beside, Forked\n"
        "child = Forked(lambda: b'hello')\n"
        "with Beside(lambda: [1, 2, 3]) as rest:\n"
        "    said = repr((child.answer(), rest.result()))\n"
        "os.write(int(sys.argv[1]), said.encode())\n"
    )
    read, write = os.pipe()
    try:
        done = subprocess.run(
            [sys.executable, "-c", script, str(write)],
            pass_fds=(write,),
            preexec_fn=lambda: (os.close(0), os.close(1), os.close(2)),
            timeout=60,
        )
        os.close(write)
        said = os.read(read, 1000)
    finally:
        os.close(read)
    assert done.returncode == 0
    assert said == b"(b'hello', [1, 2, 3])"
