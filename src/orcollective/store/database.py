"""The run store's SQLite database: connection, migrations, transactions and recovery from corruption.

Every failure surfaces as ``StoreError``. A corrupted file, found at open or by any later
operation, is moved aside as ``<name>.corrupt-<timestamp>`` and a fresh database takes its place;
so is anything at its path (or its -wal or -shm path) that is not a file: a directory, a broken symlink.

Concurrency: one connection shared by all threads (``check_same_thread=False``) behind a lock,
so callers may use it through ``asyncio.to_thread``. Other processes share the file through WAL
mode and a busy timeout; writes take the write lock up front (``BEGIN IMMEDIATE``) so a busy
file waits out the timeout instead of failing on a lock upgrade.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from ..errors import StoreError
from ..private import private_file
from .migrations import migrate

# The run store's log: its users filter on this name, whichever module does the logging.
log = logging.getLogger("orcollective.store")

T = TypeVar("T")

_CORRUPT_CODES = (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)
_BUSY_CODES = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
_SUFFIXES = ("", "-wal", "-shm")  # the database file and the side files SQLite keeps beside it in WAL mode


class _Corrupt(StoreError):
    """The database file is damaged; inside the database it triggers a rebuild. ``reason`` says how."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class Database:
    """The SQLite file at ``path``, opened (and created at the current schema) on construction."""

    def __init__(self, path: Path, *, clock: Callable[[], float], busy_timeout: float) -> None:
        self.path = Path(path)
        self._clock = clock
        self._busy_timeout = busy_timeout
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        with self._lock:
            self._open(verify=False)

    def run(self, op: str, fn: Callable[[sqlite3.Connection], T], *, write: bool = False) -> T:
        """Run ``fn`` in one transaction; on corruption rebuild the database and run it once more.

        ``op`` names the operation in error messages ("could not {op}").
        """
        with self._lock:
            if self._closed:
                raise StoreError("The run store is closed.")
            try:
                return self._transact(op, fn, write)
            except _Corrupt as exc:
                log.warning("%s Rebuilding.", exc)
                conn, self._conn = self._conn, None
                if conn is not None:  # None when the reopen in _transact found the file damaged
                    with contextlib.suppress(sqlite3.Error):  # a handle on a damaged file
                        conn.close()
                # Check before moving the file aside: another process may have rebuilt it already.
                self._open(verify=True)
            return self._transact(op, fn, write)

    def close(self) -> None:
        """Close the connection; any later ``run`` raises StoreError."""
        with self._lock:
            self._closed = True
            conn, self._conn = self._conn, None
            if conn is not None:
                try:
                    conn.close()
                except sqlite3.Error as exc:
                    raise StoreError(f"Could not close the run store {self.path}: {exc}") from exc

    def _transact(self, op: str, fn: Callable[[sqlite3.Connection], T], write: bool) -> T:
        conn = self._conn
        if conn is None:  # a reopen failed earlier (e.g. the file was locked): try again
            conn = self._open(verify=False)
        try:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                result = fn(conn)
                conn.commit()
            except BaseException:
                if conn.in_transaction:
                    conn.rollback()
                raise
            return result
        except sqlite3.Error as exc:
            raise self._translate(op, exc) from exc

    def _open(self, *, verify: bool) -> sqlite3.Connection:
        """Connect, moving a corrupted file aside and starting a fresh database in its place."""
        for suffix in _SUFFIXES:
            side = Path(f"{self.path}{suffix}")
            if os.path.lexists(side) and not side.is_file():
                kind = f"{side.name} is {'a directory' if side.is_dir() else 'not a file'}"
                # A side file that is not a file held no pages: only it goes, the database stays.
                self._move_aside(_Corrupt(f"Run store {self.path}: {kind}.", kind), (suffix,) if suffix else _SUFFIXES)
        try:
            conn = self._connect(verify=verify)
        except _Corrupt as exc:
            self._move_aside(exc)
            conn = self._connect(verify=False)
        self._conn = conn
        return conn

    def _connect(self, *, verify: bool) -> sqlite3.Connection:
        conn = None
        try:
            private_file(self.path)  # SQLite gives its -wal and -shm files the database file's mode
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA journal_mode = WAL")
            # NORMAL is crash-safe in WAL mode and avoids an fsync per recorded call.
            conn.execute("PRAGMA synchronous = NORMAL")
            migrate(conn, self._clock)
            if verify and conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise _Corrupt(f"Run store {self.path} failed its integrity check.", "failed its integrity check")
            return conn
        except BaseException as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.Error):
                raise self._translate("open", exc) from exc
            if isinstance(exc, OSError):
                raise StoreError(f"Cannot create the run store at {self.path}: {exc}.") from exc
            raise

    def _move_aside(self, cause: _Corrupt, suffixes: tuple[str, ...] = _SUFFIXES) -> None:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(self._clock()))
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        n = 0
        while aside.exists():
            n += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{n}")
        try:
            for suffix in suffixes:
                with contextlib.suppress(FileNotFoundError):  # no side file, or another process won
                    Path(f"{self.path}{suffix}").rename(f"{aside}{suffix}")
        except OSError as exc:
            raise StoreError(f"{cause} Moving it aside failed ({exc}); delete it.") from exc
        moved = f"{aside}{suffixes[0]}" if suffixes != _SUFFIXES else aside
        fresh = "started a fresh store" if suffixes == _SUFFIXES else "kept the database"
        log.warning("Run store %s is damaged (%s): moved it to %s and %s.", self.path, cause.reason, moved, fresh)

    def _translate(self, op: str, exc: sqlite3.Error) -> StoreError:
        """The StoreError for a sqlite error; ``_Corrupt`` when the file is damaged."""
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
        if code in _CORRUPT_CODES:
            return _Corrupt(f"Run store {self.path} is corrupted ({exc}); delete it to start afresh.", str(exc))
        if code in _BUSY_CODES:
            return StoreError(
                f"Run store {self.path} is locked by another process (waited {self._busy_timeout:g} s "
                f"to {op}); try again, or stop the process holding it."
            )
        return StoreError(f"Run store {self.path} could not {op}: {exc}. Check disk space and permissions.")
