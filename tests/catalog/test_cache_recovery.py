"""A corrupted or truncated catalog cache is rebuilt: the next server refetches the catalog once, the one after
it reads the rebuilt cache, and no tool fails on the way."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from mcp import Client

from conftest import no_wait, settings_for
from orcollective.mcp import build_server
from orcollective.settings import Settings
from orcollective.simulator import Simulator

PANEL = ["sim/echo", "openai/gpt-4o"]


def db(folder: Path) -> Path:
    return folder / "cache.db"


def overwrite_pages(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[4096:] = os.urandom(len(data) - 4096)
    path.write_bytes(bytes(data))


def replace_folder_by_a_file(folder: Path) -> None:
    shutil.rmtree(folder)
    folder.write_bytes(b"not a folder")


def dangling(folder: Path) -> None:
    db(folder).unlink()
    db(folder).symlink_to(folder / "gone" / "cache.db")


def a_directory(folder: Path) -> None:
    db(folder).unlink()
    db(folder).mkdir()


def damage_values(folder: Path) -> None:
    values = list(folder.rglob("*.val"))
    assert values, "the simulator's catalog is large enough to live in value files"
    for path in values:
        path.write_bytes(b"\x00garbage" * 10)


# damage -> (how, whether the catalog must be fetched again, the warning it gives)
DAMAGE: dict[str, tuple[Callable[[Path], None], bool, str | None]] = {
    "garbage over cache.db": (lambda f: db(f).write_bytes(os.urandom(30_000)), True, "moving it aside"),
    "cache.db truncated to half": (
        lambda f: db(f).write_bytes(db(f).read_bytes()[: db(f).stat().st_size // 2]), True, "moving it aside"),
    "cache.db truncated inside its header": (
        lambda f: db(f).write_bytes(db(f).read_bytes()[:60]), True, "moving it aside"),
    "cache.db emptied": (lambda f: db(f).write_bytes(b""), True, None),  # SQLite takes it for a new database
    "cache.db pages overwritten": (lambda f: overwrite_pages(db(f)), True, "moving it aside"),
    "cache.db is a directory": (a_directory, True, "moving it aside"),
    "cache.db is a dangling symlink": (dangling, True, "moving it aside"),
    # SQLite ignores a -wal whose frames do not check out: the cached catalog is still good.
    "cache.db-wal is garbage": (lambda f: Path(f"{db(f)}-wal").write_bytes(os.urandom(5_000)), False, None),
    "cache.db-wal is a directory": (lambda f: Path(f"{db(f)}-wal").mkdir(), True, "moving it aside"),
    "the value files are garbage": (damage_values, True, "unreadable"),
    "the cache folder is a file": (replace_folder_by_a_file, True, "moving it aside"),
}  # fmt: skip


def fetches(sim: Simulator) -> int:
    return sum(1 for r in sim.requests if r.path.endswith("/models"))


async def use_every_catalog_tool(settings: Settings) -> None:
    """list_models, model_info, chat and consensus (which resolve ids through the catalog) all answer."""
    async with Client(build_server(settings, retry=no_wait())) as client:
        results = [
            await client.call_tool("list_models", {"query": "gpt-4o", "limit": 3}),
            await client.call_tool("model_info", {"model": "openai/gpt-4o"}),
            await client.call_tool("chat", {"model": "sim/echo", "prompt": "hi"}),
            await client.call_tool("consensus", {"prompt": "Is 2 even? yes or no", "models": PANEL}),
        ]
    failed = [r.content[0].text for r in results if r.is_error]
    assert failed == []


@pytest.mark.parametrize("damage", list(DAMAGE))
async def test_a_damaged_catalog_cache_is_rebuilt(simulator, tmp_path, caplog, damage):
    """Fill the cache, damage it, start again: every tool answers, the catalog is fetched once more, and the next
    server is served from the rebuilt cache without fetching."""
    settings = settings_for(simulator, tmp_path)
    await use_every_catalog_tool(settings)
    assert fetches(simulator) == 1
    how, refetched, warning = DAMAGE[damage]
    how(settings.catalog_dir)

    with caplog.at_level(logging.WARNING, logger="orcollective.registry"):
        await use_every_catalog_tool(settings)
    assert fetches(simulator) == (2 if refetched else 1)
    if warning is not None:
        assert warning in caplog.text
    assert "continuing without it" not in caplog.text  # rebuilt, not given up on

    await use_every_catalog_tool(settings)
    assert fetches(simulator) == (2 if refetched else 1)
    assert settings.catalog_dir.is_dir() and db(settings.catalog_dir).is_file()


async def test_a_cache_root_that_is_a_file_costs_no_answer(simulator, tmp_path):
    """ORCOLLECTIVE_CACHE_DIR names a file: no cache can be made, so every start fetches; the tools answer."""
    settings = settings_for(simulator, tmp_path)
    settings.cache_dir.write_text("a file")
    await use_every_catalog_tool(settings)
    await use_every_catalog_tool(settings)
    assert fetches(simulator) == 2
    assert settings.cache_dir.read_text() == "a file"
