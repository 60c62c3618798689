"""The model catalog's copy on disk: a diskcache database shared by every server process on the machine.

It holds ``{"fetched_at": ts, "models": raw_list}`` plus a refetch lease that keeps two processes
from refetching together. Every failure degrades to "nothing cached" instead of raising: a busy
database is skipped, a corrupted one is moved aside and rebuilt, and an unusable one is done without.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import uuid
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from ..private import private_file

if TYPE_CHECKING:
    from diskcache import Cache

T = TypeVar("T")

# The registry's log: its users filter on this name, whichever module does the logging.
log = logging.getLogger("orcollective.registry")

_CATALOG = "catalog"
_FETCHED_AT = "catalog-fetched-at"
_LEASE = "refresh-lease"
# Seconds a refetch lease lasts; while another process holds one, the registry does not refetch.
LEASE_S = 30
# A lock wait blocks the event loop, so give up quickly; writers hold the lock for milliseconds.
_DB_TIMEOUT_S = 2.0


class ModelCache:
    """The catalog's diskcache database in ``directory``; every failure degrades to "nothing cached"."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        self._cache: Cache | None = None
        self._inode: int | None = None

    def read_fetched_at(self) -> float | None:
        value = self._run(lambda cache: self._get(cache, _FETCHED_AT), None)
        return float(value) if isinstance(value, (int, float)) else None

    def read(self) -> tuple[float, list[Any]] | None:
        entry = self._run(lambda cache: self._get(cache, _CATALOG), None)
        if not isinstance(entry, dict):
            return None
        fetched_at, models = entry.get("fetched_at"), entry.get("models")
        if not isinstance(fetched_at, (int, float)) or not isinstance(models, list):
            return None
        return float(fetched_at), models

    def write(self, fetched_at: float, raw_models: list[Any]) -> None:
        def op(cache: Cache) -> None:
            with cache.transact():
                cache.set(_CATALOG, {"fetched_at": fetched_at, "models": raw_models})
                cache.set(_FETCHED_AT, fetched_at)

        self._run(op, None)

    def acquire_lease(self) -> str | None:
        """A token if this process may refetch now, None if another one holds the lease."""
        token = uuid.uuid4().hex
        # Without a usable disk there is no one to coordinate with, so refetching is allowed.
        acquired = self._run(lambda cache: cache.add(_LEASE, token, expire=LEASE_S), True)
        return token if acquired else None

    def release_lease(self, token: str) -> None:
        def op(cache: Cache) -> None:
            with cache.transact():
                if cache.get(_LEASE) == token:
                    cache.delete(_LEASE)

        self._run(op, None)

    def close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    def _get(self, cache: Cache, key: str) -> Any:
        try:
            return cache.get(key)
        except (zlib.error, ValueError):
            # A damaged value (file): drop the catalog so the next fetch rewrites it.
            log.warning("Model cache entry %r in %s is unreadable; discarding it.", key, self._dir)
            cache.delete(_CATALOG)
            cache.delete(_FETCHED_AT)
            return None

    def _open(self) -> Cache:
        from diskcache import Cache, JSONDisk  # loads with the first catalog read, not with the server
        from diskcache.core import DBNAME

        db = self._dir / DBNAME
        if self._cache is not None and self._inode != _inode(db):
            # Another process moved a corrupted database aside and rebuilt it: follow it there.
            self.close()
        if self._cache is None:
            private_file(db)
            self._cache = Cache(str(self._dir), timeout=_DB_TIMEOUT_S, disk=JSONDisk)
            self._inode = _inode(db)
        return self._cache

    def _run(self, op: Callable[[Cache], T], default: T) -> T:
        # Try as is, then on a new connection (another process may have rebuilt the database),
        # then on a rebuilt database; after that, run without the disk.
        from diskcache import Timeout

        error: Exception | None = None
        for attempt in range(3):
            try:
                return op(self._open())
            except (Timeout, sqlite3.Error, OSError) as exc:
                if isinstance(exc, Timeout) or "locked" in str(exc):
                    log.warning("Model cache in %s is busy; skipping it this time.", self._dir)
                    return default
                error = exc
                self.close()
                if attempt == 1:
                    self._move_aside(exc)
        log.warning("Model cache in %s is unusable (%s); continuing without it.", self._dir, error)
        return default

    def _move_aside(self, exc: Exception) -> None:
        from diskcache.core import DBNAME

        db = self._dir / DBNAME
        log.warning("Model cache %s is corrupted (%s); moving it aside and rebuilding.", db, exc)
        try:
            if os.path.lexists(self._dir) and not self._dir.is_dir():
                # The cache folder itself is a file or a broken link: it goes aside whole.
                _replace(self._dir, self._dir.with_name(self._dir.name + ".corrupt"))
                return
            for suffix in ("", "-wal", "-shm"):  # the side files too, which may be directories
                _replace(db.with_name(DBNAME + suffix), db.with_name(DBNAME + ".corrupt" + suffix))
        except OSError as move_error:
            log.warning("Could not move %s aside: %s", db, move_error)


def _replace(src: Path, dst: Path) -> None:
    """Move ``src`` (a file, a folder or a link) to ``dst``, over an earlier one; gone already is fine."""
    if not os.path.lexists(src):
        return  # another process moved it first
    if dst.is_dir() and not dst.is_symlink():
        shutil.rmtree(dst)
    elif os.path.lexists(dst):
        dst.unlink()
    with contextlib.suppress(FileNotFoundError):
        os.replace(src, dst)


def _inode(path: Path) -> int | None:
    try:
        return path.stat().st_ino
    except OSError:
        return None
