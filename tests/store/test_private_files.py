"""The run store and the catalog cache are readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

from orcollective.catalog.cache import ModelCache
from orcollective.store import RunStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_run_store_is_private(tmp_path: Path) -> None:
    """runs.sqlite3 and its WAL files are 0600 and their folder 0700, even under a permissive umask."""
    import os

    old = os.umask(0o022)
    try:
        store = RunStore(tmp_path / "data" / "runs.sqlite3")
        store.start_run("chat", {"prompt": "secret plans"})
    finally:
        os.umask(old)
    try:
        assert mode(tmp_path / "data") == 0o700
        for name in ("runs.sqlite3", "runs.sqlite3-wal", "runs.sqlite3-shm"):
            assert mode(tmp_path / "data" / name) == 0o600, name
    finally:
        store.close()


def test_an_existing_store_is_tightened(tmp_path: Path) -> None:
    """A store file left world-readable by an older release becomes 0600 when opened."""
    folder = tmp_path / "data"
    folder.mkdir(mode=0o755)
    (folder / "runs.sqlite3").touch(mode=0o644)
    RunStore(folder / "runs.sqlite3").close()
    assert mode(folder / "runs.sqlite3") == 0o600 and mode(folder) == 0o700


def test_the_catalog_cache_is_private(tmp_path: Path) -> None:
    """The cache folder is 0700 and its database 0600."""
    cache = ModelCache(tmp_path / "cache")
    cache.write(1.0, [{"id": "a/x"}])
    try:
        assert mode(tmp_path / "cache") == 0o700
        assert mode(tmp_path / "cache" / "cache.db") == 0o600
        assert cache.read() == (1.0, [{"id": "a/x"}])
    finally:
        cache.close()
