"""Backups kept at every write, and `isotrack db restore`."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import Run, file_hash
from isotrack.storage import Store


def codes(ok: Callable[..., Run]) -> list[str]:
    return [u["code"] for u in json.loads(ok("unit", "list", "--json").stdout)]


def test_every_write_keeps_the_file_it_replaces(ok: Callable[..., Run], db_path: Path) -> None:
    ok("init")
    hashes = [file_hash(db_path)]
    for code in ("A", "B", "C"):
        ok("unit", "add", code, "--name", f"Đơn vị {code}", "--kind", "agency", "--on", "2020")
        hashes.append(file_hash(db_path))
    kept = Store(db_path).backups()
    assert [file_hash(p) for p in kept] == hashes[-2::-1]  # newest first, current excluded
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in kept)
    assert stat.S_IMODE(kept[0].parent.stat().st_mode) == 0o700


def test_db_backups_lists_each_with_when_it_was_taken(ok: Callable[..., Run]) -> None:
    ok("init")
    before = datetime.now(UTC).replace(microsecond=0, tzinfo=None)
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    [row] = json.loads(ok("db", "backups", "--json").stdout)
    taken = datetime.fromisoformat(row["taken"])
    assert before <= taken <= datetime.now(UTC).replace(tzinfo=None)
    assert row["number"] == 1
    assert row["bytes"] == Path(row["file"]).stat().st_size
    assert Store.backup_taken(Path("20261123T090500-000000001.json")) == "2026-11-23 09:05:00"
    assert Store.backup_taken(Path("copied-by-hand.json")) == "?"


def test_restore_goes_back_and_can_be_undone(ok: Callable[..., Run], db_path: Path) -> None:
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    ok("unit", "add", "B", "--name", "Đơn vị B", "--kind", "agency", "--on", "2020")
    before_restore = file_hash(db_path)
    out = ok("db", "restore").stdout
    assert out.startswith(f"restored {db_path} from ")
    assert codes(ok) == ["A"]
    ok("db", "restore")  # the newest backup is now the file the restore replaced
    assert file_hash(db_path) == before_restore
    assert codes(ok) == ["A", "B"]


def test_only_the_last_n_are_kept(
    ok: Callable[..., Run], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISOTRACK_BACKUPS", "2")
    ok("init")
    for code in ("A", "B", "C", "D"):
        ok("unit", "add", code, "--name", f"Đơn vị {code}", "--kind", "agency", "--on", "2020")
    listed = json.loads(ok("db", "backups", "--json").stdout)
    assert [row["number"] for row in listed] == [1, 2]


def test_restore_errors(
    ok: Callable[..., Run], cli: Callable[..., Run], db_path: Path, tmp_path: Path
) -> None:
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    before = file_hash(db_path)
    result = cli("db", "restore", "7")
    assert (result.exit_code, result.stderr.strip()) == (
        1,
        "error: no backup number 7: there are 1 (see 'isotrack db backups')",
    )
    damaged = tmp_path / "damaged.json"
    damaged.write_text("{not json", encoding="utf-8")
    result = cli("db", "restore", str(damaged))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: the database {damaged} is damaged")
    result = cli("db", "restore", str(tmp_path / "missing.json"))
    assert result.stderr.strip() == f"error: no backup at {tmp_path / 'missing.json'}"
    assert file_hash(db_path) == before


def test_a_damaged_database_points_to_the_backups(
    ok: Callable[..., Run], cli: Callable[..., Run], db_path: Path
) -> None:
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    db_path.write_bytes(db_path.read_bytes()[:40])  # torn by something other than isotrack
    result = cli("unit", "list")
    assert result.exit_code == 1
    assert "isotrack db restore" in result.stderr
    ok("db", "restore")
    # The newest backup is the file "unit add A" replaced: the damage came after isotrack.
    assert codes(ok) == []


def test_doctor_fix_repairs_records_without_guessing(
    ok: Callable[..., Run], cli: Callable[..., Run], db_path: Path
) -> None:
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    ok("procedures", "set", "A", "--internal", "4", "--on", "2021")
    store = Store(db_path)
    with store.transaction() as tx:  # damage of the kind hand-merged files have
        first_event = dict(tx.snapshot.table("events")[0])
        lost = tx.snapshot.table("changesets")[1]["id"]
        miscounted = dict(tx.snapshot.table("changesets")[0])
        tx.insert("events", [first_event])  # stored twice
        tx.delete("changesets", "id", lost)  # record missing
        tx.delete("changesets", "id", miscounted["id"])
        tx.insert("changesets", [{**miscounted, "events": 9}])  # wrong count
    db_path.chmod(0o644)

    found = json.loads(cli("doctor", "--json").stdout)
    messages = [f["message"] for f in found["findings"]]
    assert f"event {first_event['id']} is stored 2 times: kept once" in messages
    assert any(m.startswith(f"changeset {lost[:8]} has 1 events but no record") for m in messages)
    assert any(m.startswith(f"changeset {miscounted['id'][:8]} says 9 events") for m in messages)
    assert any("can be read by others" in m for m in messages)

    before = file_hash(db_path)
    preview = ok("doctor", "--fix", "--dry-run").stdout
    assert "would fix: event" in preview
    assert file_hash(db_path) == before

    fixed = ok("doctor", "--fix").stdout
    assert fixed.strip().endswith("0 error(s), 0 warning(s)")
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    ids = [e["id"] for e in store.load().table("events")]
    assert len(ids) == len(set(ids)) == 2
    log = json.loads(ok("log", "--json").stdout)
    assert {row["id"] for row in log} >= {lost, miscounted["id"]}
    assert next(r for r in log if r["id"] == miscounted["id"])["events"] == 1


def test_a_recovered_changeset_never_takes_a_recorded_time_that_is_not_one(
    ok: Callable[..., Run], db_path: Path
) -> None:
    """A changeset record rebuilt by doctor takes its events' recorded time only when that is
    a timestamp: otherwise the fix itself would make the file unreadable."""
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    with Store(db_path).transaction() as tx:
        event = dict(tx.snapshot.table("events")[0])
        lost = event["changeset"]
        tx.delete("events", "id", event["id"])
        tx.insert("events", [{**event, "recorded": "yesterday"}])
        tx.delete("changesets", "id", lost)

    ok("doctor", "--fix")
    log = json.loads(ok("log", "--json").stdout)
    [recovered] = [row for row in log if row["id"] == lost]
    assert recovered["recorded"] == ""
    assert recovered["command"] == "(record recovered by isotrack doctor --fix)"
    ok("unit", "rename", "A", "--name", "Đơn vị A1")  # writes still read the file


def test_doctor_cannot_fix_two_events_sharing_an_id(
    ok: Callable[..., Run], cli: Callable[..., Run], db_path: Path
) -> None:
    ok("init")
    ok("unit", "add", "A", "--name", "Đơn vị A", "--kind", "agency", "--on", "2020")
    with Store(db_path).transaction() as tx:
        event = dict(tx.snapshot.table("events")[0])
        tx.insert("events", [{**event, "on": "2019-01-01"}])
    result = cli("doctor", "--fix")
    assert result.exit_code == 1
    assert f"error: 2 different events share the id {event['id']}" in result.stdout


def test_backups_keep_the_order_of_writes_when_the_clock_goes_back(
    ok: Callable[..., Run], db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from isotrack import storage

    ok("init")
    hashes = [file_hash(db_path)]
    clock = iter([3_000_000_000_000_000_000, 2_000_000_000_000_000_000, 2_000_000_000_000_000_000])
    monkeypatch.setattr(storage.time, "time_ns", lambda: next(clock))
    for code in ("A", "B", "C"):
        ok("unit", "add", code, "--name", f"Đơn vị {code}", "--kind", "agency", "--on", "2020")
        hashes.append(file_hash(db_path))
    monkeypatch.setattr(storage.time, "time_ns", time.time_ns)
    kept = Store(db_path).backups()
    assert [file_hash(p) for p in kept] == hashes[-2::-1]  # newest first, as written


@given(st.integers(0, 4_102_444_800 * 10**9 - 1))  # up to 2100
def test_a_backups_name_gives_back_its_time(ns: int) -> None:
    from isotrack.storage import _backup_name, _backup_ns

    name = _backup_name(ns)
    assert _backup_ns(name) == ns
    assert name < _backup_name(ns + 1)  # names sort as times do
