"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orcollective.simulator import Simulator


@pytest.fixture
def simulator() -> Iterator[Simulator]:
    """A running loopback OpenRouter simulator with the default scripted ``sim/`` models."""
    with Simulator() as sim:
        yield sim
