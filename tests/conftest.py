"""The one shared test toolkit: a running simulator, settings and a server environment pointing at it,
and a retry policy that does not wait. Test modules import the helpers (``from conftest import ...``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orcollective.openrouter import RetryPolicy
from orcollective.settings import Settings
from orcollective.simulator import Simulator


def no_wait(attempts: int = 3) -> RetryPolicy:
    """The production retry predicate with every wait switched off."""
    return RetryPolicy(attempts=attempts, max_wait_s=0, total_s=30)


NO_WAIT = no_wait()


def settings_for(sim: Simulator, tmp_path: Path, **extra: Any) -> Settings:
    """Settings for a runtime or in-memory server against ``sim``, with folders under ``tmp_path``."""
    values: dict[str, Any] = {
        "api_key": sim.api_key,
        "base_url": sim.base_url,
        "cache_dir": tmp_path / "cache",
        "data_dir": tmp_path / "data",
        "image_roots": [str(tmp_path)],
    }
    return Settings(**{**values, **extra})


def server_env(sim: Simulator, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment to launch ``orcollective serve`` against ``sim`` (retries barely wait)."""
    return {
        "OPENROUTER_API_KEY": sim.api_key,
        "OPENROUTER_BASE_URL": sim.base_url,
        "ORCOLLECTIVE_CACHE_DIR": str(tmp_path / "cache"),
        "ORCOLLECTIVE_DATA_DIR": str(tmp_path / "data"),
        "ORCOLLECTIVE_RETRY_MAX_WAIT_S": "0.05",
        "ORCOLLECTIVE_LOG_LEVEL": "DEBUG",
        **extra,
    }


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A running loopback OpenRouter simulator with the default scripted ``sim/`` models."""
    with Simulator() as sim:
        yield sim
