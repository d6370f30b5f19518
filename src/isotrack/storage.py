"""The database file: reading it, locking it, changing it safely. The only module that uses TinyDB.

The file is an ordinary TinyDB JSON document::

    {"_meta": {"1": {"schema": 1}}, "events": {"1": {...}}, "changesets": {...}, "targets": {...}}

TinyDB on its own rewrites the file in place and takes no lock, so two processes writing at once
corrupt it. Here every change happens in :meth:`Store.transaction`: an exclusive lock on a sidecar
``<db>.lock`` file, one read and parse of the file inside the lock, a fresh TinyDB instance over an
in-memory storage (inserts and deletes cost no I/O), and on success one write of the whole
document to a temporary file that is fsynced and renamed over the database. Readers
(:meth:`Store.load`) take no lock: the rename is atomic, so they see either the old or the new
file, never half of one.
"""

from __future__ import annotations

import gc
import hashlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, cast

import orjson

from isotrack.errors import (
    DatabaseBusyError,
    DatabaseCorruptError,
    DatabaseError,
    DatabaseMissingError,
)
from isotrack.text import escaped

if sys.platform != "win32":
    import fcntl

if TYPE_CHECKING:
    from tinydb import TinyDB


__all__ = [
    "MIGRATIONS",
    "SCHEMA_VERSION",
    "TABLES",
    "Snapshot",
    "Store",
    "Transaction",
    "default_db_path",
]

SCHEMA_VERSION = 1
TABLES = ("events", "changesets", "targets")

META_TABLE = "_meta"
_LOCK_POLL_SECONDS = 0.02
_RECOVER_HINT = (
    "restore a backup ('isotrack db backups', 'isotrack db restore') or move the file away to "
    "start a new database"
)
DEFAULT_BACKUPS = 10  # previous versions of the file kept (ISOTRACK_BACKUPS)
DEFAULT_LOCK_TIMEOUT = 10.0  # seconds a writer waits for another (ISOTRACK_LOCK_TIMEOUT)
BACKUP_SUFFIX = ".json"
_BACKUP_TIME = "%Y%m%dT%H%M%S"  # a backup's name: this UTC time, '-', nanoseconds, the suffix

Document = dict[str, Any]
"""A raw database document: table name -> {doc id (str): record}."""


def default_db_path() -> Path:
    """Where the database lives when the user names none: the per-user data directory."""
    import platformdirs

    return Path(platformdirs.user_data_dir("isotrack")) / "isotrack.json"


# --------------------------------------------------------------------------------------------
# Migrations


def _migrate_0_to_1(doc: Document) -> Document:
    """A plain TinyDB file (no ``_meta``): add the schema record and the missing tables."""
    new: Document = {META_TABLE: {"1": {"schema": 1}}}
    for name in TABLES:
        new[name] = doc.get(name, {})
    for name, table in doc.items():  # keep anything else (e.g. TinyDB's "_default") untouched
        if name not in new:
            new[name] = table
    return new


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {
    0: _migrate_0_to_1,
}
"""Version N -> a function turning a raw version-N document into a version-N+1 document."""


def _empty_document() -> Document:
    doc: Document = {META_TABLE: {"1": {"schema": SCHEMA_VERSION}}}
    for name in TABLES:
        doc[name] = {}
    return doc


# --------------------------------------------------------------------------------------------
# Snapshot


@dataclass(frozen=True)
class Snapshot:
    """The database as read at one moment.

    ``tables`` holds every table in :data:`TABLES` (possibly empty), each a list of records as
    plain dicts in insertion (document-id) order. The records are NOT copies: inside a
    transaction they are the very dicts that will be written back, so never mutate them (build
    new records and insert those).
    ``content_hash`` is the sha256 hex digest of the file's bytes ("" when the file does not exist
    yet); ``schema`` is the schema version of the records as presented (after any migration).
    """

    tables: dict[str, list[dict[str, Any]]]
    content_hash: str
    schema: int

    def table(self, name: str) -> list[dict[str, Any]]:
        """The records of one table (a name from :data:`TABLES`)."""
        try:
            return self.tables[name]
        except KeyError:
            raise KeyError(f"unknown table {name!r}; the tables are {', '.join(TABLES)}") from None


def corrupt(path: Path, reason: str) -> DatabaseCorruptError:
    """The error for a file that is not a readable isotrack database (``reason`` says why)."""
    return DatabaseCorruptError(
        f"the database {path} is damaged or is not an isotrack database ({reason}); {_RECOVER_HINT}"
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building ~100k record dicts otherwise triggers
    repeated full collections that cost more than the parse itself (see perf notes)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _parse(path: Path, data: bytes) -> Document:
    """Parse the file's bytes into a JSON object (call with the garbage collector paused)."""
    if not data.strip():
        raise corrupt(path, "the file is empty")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise corrupt(path, f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise corrupt(path, f"the top level is a JSON {type(doc).__name__}, not an object")
    return doc


def _check_tables(path: Path, doc: Document) -> None:
    """Every table must be an object of {integer id: object}.

    The common case is checked with C-level passes (``map``); only a failure walks the table
    in Python to name the bad record.
    """
    for name, table in doc.items():
        if not isinstance(table, dict):
            raise corrupt(path, f"table {name!r} is not a JSON object")
        ids = "".join(table)  # every id is digits when all of them together are
        if (
            set(map(type, table.values())) <= {dict}
            and (not ids or (ids.isascii() and ids.isdigit()))
            and "" not in table
        ):
            continue
        for doc_id, record in table.items():
            if not isinstance(record, dict):
                raise corrupt(path, f"record {doc_id!r} of table {name!r} is not a JSON object")
            if not _is_doc_id(doc_id):
                raise corrupt(
                    path, f"table {name!r} has a record id {doc_id!r} that is not a number"
                )


def _is_doc_id(doc_id: str) -> bool:
    return doc_id.isascii() and doc_id.isdigit()


def _schema_of(path: Path, doc: Document) -> int:
    meta = doc.get(META_TABLE)
    if meta is None:
        return 0  # a plain TinyDB file
    for record in meta.values():
        if "schema" in record:
            schema = record["schema"]
            if isinstance(schema, bool) or not isinstance(schema, int) or schema < 0:
                raise corrupt(path, f"the schema version {schema!r} is not a whole number")
            return schema
    raise corrupt(path, "the _meta table has no schema version")


def _migrate(path: Path, doc: Document) -> tuple[Document, bool]:
    """Bring ``doc`` up to :data:`SCHEMA_VERSION`; also say whether anything had to change."""
    schema = _schema_of(path, doc)
    if schema > SCHEMA_VERSION:
        raise DatabaseError(
            f"the database {path} was written by a newer isotrack (schema version {schema}; "
            f"this isotrack reads up to {SCHEMA_VERSION}); upgrade isotrack to use it"
        )
    migrated = schema < SCHEMA_VERSION
    while schema < SCHEMA_VERSION:
        doc = MIGRATIONS[schema](doc)
        schema += 1
    for name in TABLES:
        if name not in doc:
            doc[name] = {}
            migrated = True
    return doc, migrated


def _decode(path: Path, data: bytes) -> tuple[Snapshot, Document, bool]:
    """File bytes -> the snapshot, the validated and migrated document, and whether migrating
    changed the document (so a transaction must write it back)."""
    with _gc_paused():
        doc = _parse(path, data)
        _check_tables(path, doc)
        doc, migrated = _migrate(path, doc)
        snapshot = _snapshot(doc, hashlib.sha256(data).hexdigest())
    return snapshot, doc, migrated


def _records(table: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """A table's records in document-id order (the file's order, unless someone edited it)."""
    ids = list(map(int, table))
    if ids != sorted(ids):
        return [record for _, record in sorted(table.items(), key=lambda item: int(item[0]))]
    return list(table.values())


def _snapshot(doc: Document, content_hash: str) -> Snapshot:
    # The records are shared with the document, not copied (copying costs ~20% of a load).
    tables = {name: _records(doc[name]) for name in TABLES}
    return Snapshot(tables=tables, content_hash=content_hash, schema=SCHEMA_VERSION)


# --------------------------------------------------------------------------------------------
# Transaction


class _MemoryStorage:
    """A TinyDB storage over a dict already in memory: read() returns it, write() replaces it.

    TinyDB only calls read/write/close; it does not need the Storage base class (importing it
    here would make ``load()`` pay for importing TinyDB).
    """

    def __init__(self, data: Document) -> None:
        self.data = data

    def read(self) -> Document:
        return self.data

    def write(self, data: Document) -> None:
        self.data = data

    def close(self) -> None:
        pass


def _add_records(doc: Document, table: str, records: list[dict[str, Any]]) -> None:
    """``records`` added to ``doc``'s ``table`` with the next document ids."""
    rows = doc.setdefault(table, {})
    start = max(map(int, rows), default=0) + 1
    rows.update(zip(map(str, range(start, start + len(records))), records, strict=True))


class Transaction:
    """Changes to the database made while holding its lock; written once when the block ends."""

    def __init__(self, snapshot: Snapshot, db: TinyDB) -> None:
        self.snapshot = snapshot
        self._db = db
        self._changed = False
        self._open = True
        # Called before the new file replaces the database (before it is written, or while a
        # child writes it): raising there leaves the database as it was.
        self.before_commit: Callable[[], None] | None = None
        # A large write: the new file is written by a child process while ``before_commit``
        # runs in this one (see ``_fill_and_check``).
        self.write_aside = False
        # And the part of the check that child runs once the file is written (see ``Aside``).
        self.check_aside: Aside | None = None
        self._later: list[tuple[str, Callable[[], Iterable[dict[str, Any]]]]] = []

    def _table(self, table: str) -> Any:
        if not self._open:
            raise RuntimeError("this transaction has ended; start a new one")
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r}; the tables are {', '.join(TABLES)}")
        return self._db.table(table)

    def insert(self, table: str, records: list[dict[str, Any]]) -> None:
        """Add records to a table, with the next document ids, in one step.

        The records are taken over, not copied: pass dicts made for the purpose. (TinyDB's
        ``insert_multiple`` finds the next id and copies each record one at a time, which cost
        a third of a 300,000-event import; the table is the same ``{id: record}`` object.)
        """
        self._table(table)  # checks the name and that the transaction is open
        if records:
            _add_records(cast(_MemoryStorage, self._db.storage).data, table, records)
            self._changed = True

    def insert_later(self, table: str, build: Callable[[], Iterable[dict[str, Any]]]) -> None:
        """Add the records ``build()`` makes when the file is written, after every record
        inserted now, by the process that writes it (a child, for a write aside, so that this
        one never holds them), a few thousand at a time (see ``_write_document``)."""
        self._table(table)
        self._later.append((table, build))
        self._changed = True

    def delete(self, table: str, field: str, value: Any) -> int:
        """Remove the records of ``table`` whose ``field`` equals ``value``; return how many."""
        from tinydb import Query

        tinydb_table = self._table(table)
        removed = tinydb_table.remove(Query()[field] == value)
        if removed:
            self._changed = True
        return len(removed)

    @property
    def changed(self) -> bool:
        """Whether an insert or delete has changed the database in this transaction."""
        return self._changed


# --------------------------------------------------------------------------------------------
# Store


def _write_document(
    out: BinaryIO, doc: Document, later: list[tuple[str, Callable[[], Iterable[dict[str, Any]]]]]
) -> None:
    """``doc`` with the records of ``later`` added to their tables (each after the table's
    last id, as ``Transaction.insert`` adds them), written exactly as ``orjson.dumps`` writes
    the whole: those records are made and serialised a slice at a time, since the list of a
    300,000-event write and its serialisation would each add a hundred megabytes to a write."""
    if not later:
        out.write(orjson.dumps(doc))
        return
    adding: dict[str, list[Callable[[], Iterable[dict[str, Any]]]]] = {}
    for table, build in later:
        adding.setdefault(table, []).append(build)
    out.write(b"{")
    for index, name in enumerate([*doc, *(table for table in adding if table not in doc)]):
        rows = doc.get(name, {})
        out.write(b"," * (index > 0) + orjson.dumps(name) + b":")
        if name not in adding:
            out.write(orjson.dumps(rows))
            continue
        written = orjson.dumps(rows)[:-1]  # its opening brace and rows, but not the closing one
        out.write(written)
        first = written == b"{"
        next_id = max(map(int, rows), default=0) + 1
        for build in adding[name]:
            records = iter(build())
            while chunk := list(islice(records, _SLICE_RECORDS)):
                ids = map(str, range(next_id, next_id + len(chunk)))
                rows_now = dict(zip(ids, chunk, strict=True))
                out.write(b"," * (not first) + orjson.dumps(rows_now)[1:-1])
                first, next_id = False, next_id + len(chunk)
        out.write(b"}")
    out.write(b"}")


_SLICE_RECORDS = 5000


def _open_temp(path: str) -> BinaryIO:
    """The temporary file ``mkstemp`` made, emptied, for writing: never through a link put in
    its place since (it is opened again by name, by whichever process writes it)."""
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0)), "wb")


def _write_synced(path: str, write: Callable[[BinaryIO], object]) -> None:
    """The temporary file at ``path`` made by ``write``, then synced to the disk."""
    with _open_temp(path) as file:
        write(file)
        file.flush()
        os.fsync(file.fileno())


@dataclass(frozen=True)
class Aside:
    """A part of a large write's check that the child writing the file runs once it has
    written it: ``run()`` there, its bytes handed to ``take`` here once ``before_commit`` has
    run; ``None`` if no child ran it to its end, and then before the file is written here, so
    that a refusal says why even if writing it fails. ``take`` may refuse the write by
    raising."""

    run: Callable[[], bytes]
    take: Callable[[bytes | None], None]


def _fill_and_check(
    fill: Callable[[str], None],
    temp: str,
    before_commit: Callable[[], None] | None,
    *,
    aside: bool,
    also: Aside | None = None,
) -> None:
    """``before_commit()`` (which may refuse the write by raising), then ``fill(temp)``; for a
    write ``aside``, the two at once: the file written by a child process (see
    ``isotrack.forked``) while ``before_commit`` runs in this one, and written here after all if
    the child fails or cannot start; and ``also`` (see ``Aside``). Either way the checks have
    passed and the file is written when this returns, and a refused write says why, even when
    the disk is full."""
    from isotrack import forked

    def in_child() -> bytes | None:
        fill(temp)
        return also.run() if also is not None else None

    child = forked.start(in_child) if aside else None
    try:
        if before_commit is not None:
            before_commit()
        answer = child.answer() if child is not None else None
        if answer is None:  # written here: checked first, a refusal saying why (disk full)
            if also is not None:
                also.take(None)
            fill(temp)
        elif also is not None:
            also.take(answer or None)  # (a pickle is never empty)
    finally:
        if child is not None:
            child.close()


def _backup_name(ns: int) -> str:
    """A backup's name for a time in nanoseconds since the epoch."""
    seconds, part = divmod(ns, 10**9)
    return f"{time.strftime(_BACKUP_TIME, time.gmtime(seconds))}-{part:09d}{BACKUP_SUFFIX}"


def _backup_ns(name: str) -> int:
    """The time a backup's name gives, in nanoseconds (``ValueError`` for another name)."""
    taken = datetime.strptime(name[:15], _BACKUP_TIME).replace(tzinfo=UTC)
    return int(taken.timestamp()) * 10**9 + int(name[16:25])


class Store:
    """One database file and the ways to read and change it."""

    def __init__(
        self,
        path: Path,
        *,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        backups: int = DEFAULT_BACKUPS,
    ) -> None:
        self.path = Path(path)
        self.lock_timeout = lock_timeout
        self.keep_backups = max(0, backups)

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    @property
    def _target(self) -> Path:
        """The file really written: through symlinks, so a symlinked database stays a symlink
        and two paths to one file share one lock."""
        return Path(os.path.realpath(self.path))

    @property
    def lock_path(self) -> Path:
        """The sidecar file locked by writers (never deleted: deleting it would race)."""
        target = self._target
        return target.with_name(target.name + ".lock")

    @property
    def _temp_prefix(self) -> str:
        return f".{self._target.name}."

    _TEMP_SUFFIX = ".isotrack-tmp"

    def exists(self) -> bool:
        return self.path.is_file()

    def owns(self, path: Path) -> bool:
        """Whether ``path`` is the database or one of its own files (the lock, a backup):
        what no export or report may write over."""
        where = Path(os.path.realpath(path))
        if where in (self._target, self.lock_path) or self.backup_dir in where.parents:
            return True
        with suppress(OSError):  # (another name for the same file: a hard link)
            return path.exists() and self._target.exists() and os.path.samefile(path, self._target)
        return False

    # ---- backups

    @property
    def backup_dir(self) -> Path:
        """Where the previous versions of the file are kept: ``<db>.backups/`` beside it."""
        target = self._target
        return target.with_name(target.name + ".backups")

    def backups(self) -> list[Path]:
        """The kept previous versions, newest first."""
        try:
            found = [p for p in self.backup_dir.iterdir() if p.name.endswith(BACKUP_SUFFIX)]
        except OSError:
            return []
        return sorted(found, key=lambda p: p.name, reverse=True)

    def _back_up(self, target: Path) -> None:
        """Keep the file about to be replaced. A hard link costs nothing: the rename that
        follows leaves the old contents to the link alone."""
        if not self.keep_backups or not target.exists():
            return
        folder = self.backup_dir
        folder.mkdir(mode=0o700, exist_ok=True)
        ns = time.time_ns()  # one reading: the second and the nanoseconds agree
        newest = self.backups()[:1]
        if newest and newest[0].name >= _backup_name(ns):
            # The clock went back (or has not moved): still after the newest, so that names
            # keep the order the files were replaced in.
            with suppress(ValueError):
                ns = _backup_ns(newest[0].name) + 1
        backup = folder / _backup_name(ns)
        try:
            os.link(target, backup)
        except OSError:  # a file system without hard links
            shutil.copy2(target, backup)
            os.chmod(backup, 0o600)

    @staticmethod
    def backup_taken(backup: Path) -> str:
        """When a backup was taken (UTC), from its name: ``2026-11-23 09:05:00`` ("?" for a
        file not named by isotrack)."""
        try:
            taken = datetime.strptime(backup.name[:15], _BACKUP_TIME)
        except ValueError:
            return "?"
        return taken.isoformat(sep=" ")

    def _prune_backups(self) -> None:
        for old in self.backups()[self.keep_backups :]:
            with suppress(OSError):
                old.unlink()

    def loose_files(self) -> list[Path]:
        """The database's files that others than the owner may read or write."""
        candidates = [self._target, self.lock_path, self.backup_dir, *self.backups()]
        loose = []
        for path in candidates:
            with suppress(OSError):
                if path.exists() and path.stat().st_mode & 0o077:
                    loose.append(path)
        return loose

    def tighten(self) -> list[Path]:
        """Make the database's files owner-only again; returns those changed."""
        changed = self.loose_files()
        for path in changed:
            os.chmod(path, 0o700 if path.is_dir() else 0o600)
        return changed

    def restore(self, backup: Path) -> None:
        """Make ``backup`` the database again (the current file is backed up first)."""
        data = backup.read_bytes() if backup.is_file() else None
        if data is None:
            raise DatabaseError(f"no backup at {escaped(backup)}")
        _decode(backup, data)  # refuse a damaged backup before touching anything
        with self._lock():
            self._write_bytes(data)

    # ---- reading

    def _read_bytes(self) -> bytes | None:
        """The file's bytes, or None if there is no file."""
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise DatabaseError(
                f"the database path {self.path} is a directory, not a file"
            ) from None
        except OSError as exc:
            raise DatabaseError(
                f"cannot read the database {self.path}: {exc.strerror or exc}"
            ) from None

    def _missing(self) -> DatabaseMissingError:
        return DatabaseMissingError(
            f"no isotrack database at {self.path}; create it with 'isotrack init', "
            "or check --db or ISOTRACK_DB"
        )

    def load(self) -> Snapshot:
        """Read the database without locking (migrated in memory only; the file is not changed)."""
        data = self._read_bytes()
        if data is None:
            raise self._missing()
        snapshot, _, _ = _decode(self.path, data)
        return snapshot

    # ---- locking

    @contextmanager
    def _lock(self) -> Iterator[None]:
        if sys.platform == "win32":
            import filelock

            lock = filelock.FileLock(str(self.lock_path), timeout=max(self.lock_timeout, 0))
            try:
                lock.acquire()
            except filelock.Timeout:
                raise self._busy() from None
            try:
                yield
            finally:
                lock.release()
        else:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the lock file {self.lock_path}: {exc.strerror or exc}"
                ) from None
            try:
                deadline = time.monotonic() + max(self.lock_timeout, 0)
                while True:
                    try:
                        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                        break
                    except BlockingIOError:
                        if time.monotonic() >= deadline:
                            raise self._busy() from None
                        time.sleep(_LOCK_POLL_SECONDS)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def _busy(self) -> DatabaseBusyError:
        return DatabaseBusyError(
            f"database busy: another isotrack process has held {self.path} for "
            f"{self.lock_timeout:g} s; try again, or raise ISOTRACK_LOCK_TIMEOUT"
        )

    # ---- writing

    def _remove_stale_temp_files(self) -> None:
        """Delete temporary files left by a crashed writer (call only while holding the lock)."""
        directory, prefix = self._target.parent, self._temp_prefix
        try:
            names = os.listdir(directory)
        except OSError:
            return
        for name in names:
            if name.startswith(prefix) and name.endswith(self._TEMP_SUFFIX):
                with suppress(OSError):
                    os.unlink(directory / name)

    def _write(self, doc: Document, tx: Transaction | None = None) -> None:
        """Replace the file with ``doc`` and the transaction's records built late (see
        ``_replace``)."""
        later = tx._later if tx is not None else []

        def fill(temp: str) -> None:
            _write_synced(temp, lambda file: _write_document(file, doc, later))

        if tx is None:
            self._replace(fill)
        else:
            self._replace(fill, tx.before_commit, aside=tx.write_aside, also=tx.check_aside)

    def _write_bytes(self, data: bytes) -> None:
        self._replace(lambda temp: _write_synced(temp, lambda file: file.write(data)))

    def _replace(
        self,
        fill: Callable[[str], None],
        before_commit: Callable[[], None] | None = None,
        *,
        aside: bool = False,
        also: Aside | None = None,
    ) -> None:
        """Replace the file: ``before_commit`` (which may refuse the write by raising) and a
        temporary file beside it written and synced by ``fill`` (see ``_fill_and_check``),
        then the rename, the directory synced."""
        target = self._target
        try:
            fd, temp = tempfile.mkstemp(
                prefix=self._temp_prefix, suffix=self._TEMP_SUFFIX, dir=target.parent
            )
            os.close(fd)  # (``fill`` opens it by name: a child may be the one to write it)
            try:
                _fill_and_check(fill, temp, before_commit, aside=aside, also=also)
                self._back_up(target)
                os.replace(temp, target)
            except BaseException:
                with suppress(OSError):
                    os.unlink(temp)
                raise
            if sys.platform != "win32":
                dir_fd = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    os.fsync(dir_fd)
                finally:
                    os.close(dir_fd)
            self._prune_backups()
        except OSError as exc:
            raise DatabaseError(
                f"cannot write the database {self.path}: {exc.strerror or exc}; nothing was changed"
            ) from None

    @contextmanager
    def transaction(self, *, create: bool = True, dry_run: bool = False) -> Iterator[Transaction]:
        """Lock the database, read it once, let the caller change it, write it once.

        If the block raises, nothing is written and the exception propagates. A missing file is
        an error unless ``create`` (then the transaction starts from an empty database, and the
        file is written only if something is inserted). A file in an older schema is migrated and
        written back when the transaction ends, but by a ``dry_run``, which writes nothing and
        must insert nothing: of a missing file, it starts from an empty database without making
        its folder or its lock.
        """
        with self._open(create=create, write_if_new=False, dry_run=dry_run) as tx:
            yield tx

    @contextmanager
    def _open(
        self, *, create: bool, write_if_new: bool, dry_run: bool = False
    ) -> Iterator[Transaction]:
        from tinydb import TinyDB

        directory = self._target.parent
        missing = not self._target.exists()
        if missing and not create:
            raise self._missing()  # before the lock: a failed command leaves no lock file behind
        # A dry run of a database not made yet: nothing to guard and nothing to write, so no
        # folder and no lock file made for it either.
        trace = not (dry_run and missing)
        if trace and not directory.is_dir():
            try:
                directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseError(
                    f"cannot create the directory {directory} for the database: "
                    f"{exc.strerror or exc}"
                ) from None
        with self._lock() if trace else nullcontext():
            if trace:
                self._remove_stale_temp_files()
            data = self._read_bytes()
            if data is None:
                if not create:
                    raise self._missing()
                doc, must_write = _empty_document(), write_if_new
                snapshot = _snapshot(doc, "")
            else:
                snapshot, doc, must_write = _decode(self.path, data)  # write back a migration
            db = TinyDB(doc, storage=_MemoryStorage)  # fresh each time: TinyDB caches next ids
            storage = cast(_MemoryStorage, db.storage)
            tx = Transaction(snapshot, db)
            try:
                yield tx
            finally:
                tx._open = False
            if dry_run and tx.changed:
                raise RuntimeError("a dry run inserted records")  # (a bug: nothing is written)
            if (tx.changed or must_write) and not dry_run:  # (a dry run migrates nothing)
                self._write(storage.data, tx)

    def initialise(self) -> bool:
        """Create an empty database (schema record only) if there is none; True if created."""
        if self.exists():
            return False
        with self._open(create=True, write_if_new=True) as tx:
            return tx.snapshot.content_hash == ""
