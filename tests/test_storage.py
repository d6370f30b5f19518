"""Tests of isotrack.storage: round trips, atomic writes, locking, migrations, damaged files, and
real concurrent and crashing processes."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from isotrack import storage
from isotrack.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseMissingError,
)
from isotrack.storage import SCHEMA_VERSION, TABLES, Snapshot, Store

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="uses fcntl / POSIX signals")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def temp_files(directory: Path) -> list[Path]:
    return [p for p in directory.iterdir() if p.name.endswith(".isotrack-tmp")]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "db.json"


@pytest.fixture
def store(db: Path) -> Store:
    return Store(db)


# --------------------------------------------------------------------------------------------
# Round trips and atomicity


def test_round_trip(store: Store) -> None:
    with store.transaction() as tx:
        assert tx.snapshot.content_hash == ""
        assert tx.snapshot.tables == {name: [] for name in TABLES}
        tx.insert("events", [{"id": "e1", "unit": "HN-01"}, {"id": "e2", "unit": "HN-02"}])
        tx.insert("targets", [{"unit": "HN-01", "edition": "2015"}])
        assert tx.changed

    snap = store.load()
    assert isinstance(snap, Snapshot)
    assert snap.schema == SCHEMA_VERSION
    assert snap.table("events") == [{"id": "e1", "unit": "HN-01"}, {"id": "e2", "unit": "HN-02"}]
    assert snap.table("targets") == [{"unit": "HN-01", "edition": "2015"}]
    assert snap.table("changesets") == []
    assert set(snap.tables) == set(TABLES)

    # The file is a normal TinyDB document with the schema in _meta.
    raw = json.loads(store.path.read_text())
    assert raw["_meta"] == {"1": {"schema": 1}}
    assert raw["events"] == {"1": {"id": "e1", "unit": "HN-01"}, "2": {"id": "e2", "unit": "HN-02"}}


def test_snapshot_inside_transaction_is_what_was_read(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("events", [{"id": 1}])
    with store.transaction() as tx:
        assert tx.snapshot.table("events") == [{"id": 1}]
        assert tx.snapshot.content_hash == sha256(store.path)
        tx.insert("events", [{"id": 2}])
        assert tx.snapshot.table("events") == [{"id": 1}]  # not affected by the insert
    assert [r["id"] for r in store.load().table("events")] == [1, 2]


def test_content_hash_changes_on_write_and_is_stable_otherwise(store: Store) -> None:
    store.initialise()
    first = store.load().content_hash
    assert first == sha256(store.path)
    assert store.load().content_hash == first

    with store.transaction() as tx:  # no change: no write
        assert not tx.changed
    assert store.load().content_hash == first

    with store.transaction() as tx:
        tx.insert("events", [{"id": 1}])
    second = store.load().content_hash
    assert second != first
    assert second == sha256(store.path)
    assert store.load().content_hash == second


def test_transaction_that_raises_writes_nothing(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("events", [{"id": 1}])
    before = store.path.read_bytes()

    def change_then_fail() -> None:
        with store.transaction() as tx:
            tx.insert("events", [{"id": 2}] * 50)
            assert tx.delete("events", "id", 1) == 1
            _ = 1 / 0

    with pytest.raises(ZeroDivisionError):
        change_then_fail()

    assert store.path.read_bytes() == before
    assert temp_files(store.path.parent) == []
    assert store.load().table("events") == [{"id": 1}]


def test_transaction_object_is_dead_after_the_block(store: Store) -> None:
    with store.transaction() as tx:
        pass
    with pytest.raises(RuntimeError):
        tx.insert("events", [{"id": 1}])


def test_delete_counts_and_marks_changed(store: Store) -> None:
    with store.transaction() as tx:
        tx.insert("events", [{"unit": "A", "n": i} for i in range(5)] + [{"unit": "B", "n": 9}])
    with store.transaction() as tx:
        assert tx.delete("events", "unit", "nobody") == 0
        assert not tx.changed
        assert tx.delete("events", "unit", "A") == 5
        assert tx.changed
        assert tx.delete("events", "missing-field", None) == 0
    assert store.load().table("events") == [{"unit": "B", "n": 9}]
    # ids keep growing after a delete (TinyDB numbering, reopened inside the lock)
    with store.transaction() as tx:
        tx.insert("events", [{"unit": "C"}])
    raw = json.loads(store.path.read_text())
    assert list(raw["events"]) == ["6", "7"]


def test_unknown_table_is_a_programming_error(store: Store) -> None:
    with store.transaction() as tx:
        with pytest.raises(ValueError, match="unknown table"):
            tx.insert("units", [{"x": 1}])
        with pytest.raises(ValueError, match="unknown table"):
            tx.delete("_meta", "schema", 1)
    with pytest.raises(KeyError):
        tx.snapshot.table("units")


def test_records_come_back_in_doc_id_order_even_if_hand_edited(store: Store) -> None:
    doc = {"_meta": {"1": {"schema": 1}}, "events": {"10": {"n": 10}, "2": {"n": 2}, "1": {"n": 1}}}
    store.path.write_bytes(orjson.dumps(doc))
    assert [r["n"] for r in store.load().table("events")] == [1, 2, 10]


def test_many_inserts_cost_exactly_one_write(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.initialise()
    calls: list[tuple[Any, Any]] = []
    real_replace = os.replace

    def counting_replace(src: Any, dst: Any) -> None:
        calls.append((src, dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", counting_replace)
    with store.transaction() as tx:
        for i in range(200):
            tx.insert("events", [{"id": i}])
        tx.insert("changesets", [{"id": i} for i in range(100)])
        assert tx.delete("events", "id", 7) == 1
        assert calls == []  # nothing written while the block runs
    assert len(calls) == 1
    assert Path(calls[0][1]) == store.path
    snap = store.load()
    assert len(snap.table("events")) == 199
    assert len(snap.table("changesets")) == 100


def test_missing_file_without_changes_is_not_created(store: Store) -> None:
    with store.transaction() as tx:
        assert not tx.changed
    assert not store.exists()


# --------------------------------------------------------------------------------------------
# Creating files


@posix_only
def test_new_database_directory_and_lock_modes(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "isotrack.json"
    store = Store(path)
    with store.transaction() as tx:
        tx.insert("events", [{"id": 1}])
    assert path.is_file()
    assert mode(path.parent) == 0o700
    assert mode(path) == 0o600
    assert mode(store.lock_path) == 0o600
    assert store.lock_path == path.with_name("isotrack.json.lock")


def test_initialise(store: Store) -> None:
    assert not store.exists()
    assert store.initialise() is True
    assert store.exists()
    assert orjson.loads(store.path.read_bytes()) == {
        "_meta": {"1": {"schema": SCHEMA_VERSION}},
        "events": {},
        "changesets": {},
        "targets": {},
    }
    before = store.path.read_bytes()
    assert store.initialise() is False
    assert store.path.read_bytes() == before


def test_missing_database(tmp_path: Path) -> None:
    store = Store(tmp_path / "nowhere" / "db.json")
    with pytest.raises(DatabaseMissingError, match="nowhere"):
        store.load()
    with pytest.raises(DatabaseMissingError), store.transaction(create=False):
        pass
    assert not (tmp_path / "nowhere").exists()  # create=False creates nothing
    here = Store(tmp_path / "db.json")  # in a folder that exists: not even a lock file
    with pytest.raises(DatabaseMissingError), here.transaction(create=False):
        pass
    assert list(tmp_path.iterdir()) == []


def test_stale_temp_files_are_removed(store: Store) -> None:
    store.initialise()
    stale = store.path.parent / f".{store.path.name}.abc123.isotrack-tmp"
    stale.write_bytes(b'{"half a fi')
    other = store.path.parent / "unrelated.isotrack-tmp"
    other.write_bytes(b"not ours")
    with store.transaction():
        pass
    assert not stale.exists()
    assert other.exists()


@posix_only
def test_symlinked_database_stays_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    link = tmp_path / "link.json"
    Store(real).initialise()
    link.symlink_to(real)
    with Store(link).transaction() as tx:
        tx.insert("events", [{"id": 1}])
    assert link.is_symlink()
    assert Store(real).load().table("events") == [{"id": 1}]


def test_default_db_path() -> None:
    path = storage.default_db_path()
    assert path.name == "isotrack.json"
    assert "isotrack" in path.parent.parts[-1].lower() or "isotrack" in str(path.parent)


# --------------------------------------------------------------------------------------------
# Migrations and damaged files


def test_migration_from_plain_tinydb_file(db: Path) -> None:
    from tinydb import TinyDB

    plain = TinyDB(db)
    plain.table("events").insert_multiple([{"id": "e1"}, {"id": "e2"}])
    plain.insert({"something": "else"})  # TinyDB's _default table
    plain.close()
    original = db.read_bytes()
    assert "_meta" not in json.loads(original)

    store = Store(db)
    snap = store.load()
    assert snap.schema == SCHEMA_VERSION
    assert snap.table("events") == [{"id": "e1"}, {"id": "e2"}]
    assert snap.table("changesets") == []
    assert snap.table("targets") == []
    assert db.read_bytes() == original  # load() migrates in memory only

    with store.transaction() as tx:  # no change of its own: still writes the migration back
        assert not tx.changed
        assert tx.snapshot.table("events") == [{"id": "e1"}, {"id": "e2"}]
    raw = json.loads(db.read_text())
    assert raw["_meta"] == {"1": {"schema": 1}}
    assert raw["events"] == {"1": {"id": "e1"}, "2": {"id": "e2"}}
    assert raw["changesets"] == {}
    assert raw["targets"] == {}
    assert raw["_default"] == {"1": {"something": "else"}}  # nothing thrown away

    with store.transaction() as tx:
        tx.insert("events", [{"id": "e3"}])
    assert [r["id"] for r in store.load().table("events")] == ["e1", "e2", "e3"]


def test_migrations_table_covers_every_version() -> None:
    assert set(storage.MIGRATIONS) == set(range(SCHEMA_VERSION))


def test_future_schema_is_refused(db: Path) -> None:
    db.write_bytes(orjson.dumps({"_meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "events": {}}))
    before = db.read_bytes()
    store = Store(db)
    with pytest.raises(DatabaseError, match="newer isotrack") as info:
        store.load()
    assert str(db) in str(info.value)
    assert "upgrade" in str(info.value)
    with pytest.raises(DatabaseError, match="newer isotrack"), store.transaction():
        pass
    assert db.read_bytes() == before


CORRUPT = {
    "empty": b"",
    "blank": b"  \n",
    "truncated": b'{"_meta": {"1": {"schema": 1}}, "events": {"1": {"id": "e',
    "not json": b"hello, world",
    "binary": b"\xff\xfe\x00garbage",
    "a list": b"[1, 2, 3]",
    "a string": b'"isotrack"',
    "table is a list": b'{"_meta": {"1": {"schema": 1}}, "events": []}',
    "record is a number": b'{"_meta": {"1": {"schema": 1}}, "events": {"1": 5}}',
    "record id not a number": b'{"_meta": {"1": {"schema": 1}}, "events": {"x": {}}}',
    "meta without schema": b'{"_meta": {"1": {}}, "events": {}}',
    "schema not a number": b'{"_meta": {"1": {"schema": "one"}}}',
}


@pytest.mark.parametrize("content", CORRUPT.values(), ids=CORRUPT.keys())
def test_damaged_files_are_reported_not_reset(db: Path, content: bytes) -> None:
    db.write_bytes(content)
    store = Store(db)
    with pytest.raises(DatabaseCorruptError) as info:
        store.load()
    message = str(info.value)
    assert str(db) in message
    assert "restore a backup" in message
    with pytest.raises(DatabaseCorruptError), store.transaction() as tx:
        tx.insert("events", [{"id": 1}])
    assert store.initialise() is False
    assert db.read_bytes() == content  # never silently reset


# --------------------------------------------------------------------------------------------
# Real processes

HOLD_LOCK = """
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""

WRITER = """
import os, sys, time
from pathlib import Path
from isotrack.storage import Store
path, writer, count, go = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
store = Store(Path(path), lock_timeout=60)
print("ready", flush=True)
while not os.path.exists(go):
    time.sleep(0.001)
for i in range(count):
    with store.transaction(create=False) as tx:
        tx.insert("events", [{"id": f"{writer}-{i}", "writer": writer, "pad": "x" * 200}])
"""

READER = """
import os, sys
from pathlib import Path
from isotrack.errors import DatabaseCorruptError
from isotrack.storage import Store
path, stop, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(Path(path))
reads = during = last = 0
print("ready", flush=True)
while not os.path.exists(stop):
    try:
        snap = store.load()
    except DatabaseCorruptError as exc:
        print("CORRUPT", exc, flush=True)
        sys.exit(3)
    n = len(snap.table("events"))
    if n < last:
        print("WENT BACK", last, n, flush=True)
        sys.exit(4)
    last = n
    reads += 1
    during += 0 < n < total
print(reads, during, flush=True)
"""

CRASHER = """
import sys
from pathlib import Path
from isotrack.storage import Store
store = Store(Path(sys.argv[1]), lock_timeout=60)
i = int(sys.argv[2])
print("ready", flush=True)
while True:
    with store.transaction(create=False) as tx:
        tx.insert("events", [{"id": i, "pad": "y" * 100}])
    print(i, flush=True)
    i += 1
"""


def spawn(script: str, *args: object, stdin: bool = False) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *map(str, args)],
        stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )


def wait_ready(proc: subprocess.Popen[str], word: str = "ready") -> None:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == word, f"child said {line!r} (exit code {proc.poll()})"


@posix_only
def test_busy_database(store: Store) -> None:
    store.initialise()
    holder = spawn(HOLD_LOCK, store.lock_path, stdin=True)
    try:
        wait_ready(holder, "locked")
        busy = Store(store.path, lock_timeout=0.3)
        start = time.monotonic()
        with pytest.raises(DatabaseBusyError) as info, busy.transaction() as tx:
            tx.insert("events", [{"id": 1}])
        elapsed = time.monotonic() - start
        assert 0.3 <= elapsed < 3
        message = str(info.value)
        assert message.startswith("database busy: another isotrack process has held")
        assert str(store.path) in message
        assert "0.3 s" in message
        assert "ISOTRACK_LOCK_TIMEOUT" in message
        assert store.load().table("events") == []  # readers are not blocked
    finally:
        holder.communicate(timeout=10)  # closes its stdin: it lets go and exits
    # The lock dies with its holder.
    with Store(store.path, lock_timeout=2).transaction() as tx:
        tx.insert("events", [{"id": 1}])
    assert store.load().table("events") == [{"id": 1}]


@posix_only
def test_concurrent_writer_processes_and_reader(store: Store, tmp_path: Path) -> None:
    writers, per_writer = 4, 50
    total = writers * per_writer
    store.initialise()
    go, stop = tmp_path / "go", tmp_path / "stop"

    reader = spawn(READER, store.path, stop, total)
    procs = [spawn(WRITER, store.path, w, per_writer, go) for w in range(writers)]
    try:
        for proc in [reader, *procs]:
            wait_ready(proc)
        go.touch()  # all writers start at once
        for proc in procs:
            proc.communicate(timeout=60)
            assert proc.returncode == 0
    finally:
        stop.touch()
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    out, _ = reader.communicate(timeout=30)
    assert reader.returncode == 0, f"reader failed: {out}"
    reads, during = map(int, out.split())
    assert reads > 0
    assert during > 0, "the reader never saw the file while the writers were at work"

    events = store.load().table("events")
    ids = [e["id"] for e in events]
    assert len(ids) == total
    assert set(ids) == {f"{w}-{i}" for w in range(writers) for i in range(per_writer)}
    raw = orjson.loads(store.path.read_bytes())
    assert len(raw["events"]) == total  # distinct TinyDB ids: no two writers reused one
    for w in range(writers):  # each writer's events in its own order
        mine = [e["id"] for e in events if e["writer"] == w]
        assert mine == [f"{w}-{i}" for i in range(per_writer)]


@posix_only
def test_killed_writer_never_loses_acknowledged_records(store: Store) -> None:
    store.initialise()
    with store.transaction() as tx:  # some bulk, so that writes take a little time
        tx.insert("changesets", [{"n": i, "pad": "z" * 150} for i in range(3000)])
    rng = random.Random(20261123)
    acknowledged: set[int] = set()
    rounds_with_acks = 0
    for round_no in range(20):
        child = spawn(CRASHER, store.path, round_no * 1_000_000)
        wait_ready(child)
        time.sleep(rng.uniform(0.0, 0.06))
        child.send_signal(signal.SIGKILL)
        out, _ = child.communicate(timeout=10)
        assert child.returncode == -signal.SIGKILL
        lines = out.split("\n")[:-1]  # only complete lines
        acked = {int(line) for line in lines if line != "ready"}
        rounds_with_acks += bool(acked)
        acknowledged |= acked

        snap = store.load()  # must never be damaged
        present = {e["id"] for e in snap.table("events")}
        missing = acknowledged - present
        assert not missing, f"round {round_no}: acknowledged but lost: {sorted(missing)[:10]}"
        assert len(snap.table("changesets")) == 3000

    assert rounds_with_acks > 0
    with store.transaction():  # a later transaction clears any half-written temp file
        pass
    assert temp_files(store.path.parent) == []
    ids = [e["id"] for e in store.load().table("events")]
    assert len(ids) == len(set(ids))


# Records added late (``Transaction.insert_later``) are written a slice at a time


_RECORDS = st.lists(
    st.dictionaries(st.sampled_from(["id", "unit", "data"]), st.text('aé"\\\n', max_size=3)),
    max_size=7,
)


@given(
    existing=st.dictionaries(
        st.sampled_from(["_meta", "events", "changesets", "targets"]),
        st.lists(st.dictionaries(st.just("k"), st.integers(0, 9)), max_size=3),
    ),
    later=st.lists(st.tuples(st.sampled_from(["events", "changesets", "targets"]), _RECORDS)),
    slice_size=st.integers(1, 4),
)
def test_records_written_a_slice_at_a_time_make_the_file_a_whole_write_makes(
    existing: dict[str, list[dict[str, Any]]],
    later: list[tuple[str, list[dict[str, Any]]]],
    slice_size: int,
) -> None:
    import io
    from functools import partial

    # Tables with ids that need not start at 1 nor be in order (after deletes, say).
    doc = {name: {str(3 * i + 2): r for i, r in enumerate(rows)} for name, rows in existing.items()}
    whole = json.loads(json.dumps(doc))  # the same document, made whole the usual way
    for table, records in later:
        storage._add_records(whole, table, [dict(r) for r in records])
    out = io.BytesIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(storage, "_SLICE_RECORDS", slice_size)
        storage._write_document(out, doc, [(t, partial(iter, records)) for t, records in later])
    assert out.getvalue() == orjson.dumps(whole)
