"""The simulator's shared state: catalog, scripts, counters and logs, safe to touch from any thread.

The HTTP server runs on its own thread and event loop while tests read counters and add scripts from
theirs, so every access goes through one lock.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from .catalog import scripted_model
from .features import PromptCache
from .scripts import ScriptedModel


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request the simulator received; the Authorization value is redacted."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    model: str | None
    time: float


class SimState:
    """Catalog, scripts, fault cursors, counters, request log, billing and generation records."""

    def __init__(self, catalog: list[dict], *, generation_delay_s: float) -> None:
        self.generation_delay_s = generation_delay_s
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._catalog = {model["id"]: model for model in catalog}
        self._scripts: dict[str, ScriptedModel] = {}
        self._cursors: Counter[str] = Counter()
        self._calls: Counter[str] = Counter()
        self._requests: list[RecordedRequest] = []
        self._generations: dict[str, tuple[float, dict]] = {}
        self._cancelled = 0
        self._in_flight = 0
        self._max_concurrency = 0
        self._spent = 0.0
        # Touched by the server thread only (presets are set before it starts).
        self.presets: dict[str, dict] = {}
        self.prompt_cache = PromptCache()
        self.response_cache: dict[str, Any] = {}

    def script(self, model: ScriptedModel) -> None:
        """Add or replace a scripted model (its fault cursor restarts) and make sure it is in the catalog."""
        with self._lock:
            self._scripts[model.id] = model
            self._cursors.pop(model.id, None)
            record = self._catalog.get(model.id) or scripted_model(model.id)
            self._catalog[model.id] = {**record, **model.model_info}

    def models(self) -> list[dict]:
        """Every catalog record, in listing order."""
        with self._lock:
            return list(self._catalog.values())

    def model(self, model_id: str) -> dict | None:
        """The catalog record with this exact id."""
        with self._lock:
            return self._catalog.get(model_id)

    def lookup(self, key: str) -> dict | None:
        """The catalog record whose id, or canonical slug (plus ``:free`` for a free variant), is ``key``."""
        slug, free = key.removesuffix(":free"), key.endswith(":free")
        with self._lock:
            return self._catalog.get(key) or next(
                (
                    model
                    for model in self._catalog.values()
                    if model["canonical_slug"] == slug and model["id"].endswith(":free") == free
                ),
                None,
            )

    def begin_call(self, model_id: str) -> tuple[ScriptedModel, str | None]:
        """Count a chat attempt on ``model_id``; return its script (a plain one if it has none) and the
        fault this attempt gets."""
        with self._lock:
            self._calls[model_id] += 1
            script = self._scripts.get(model_id) or ScriptedModel(model_id)
            cursor = self._cursors[model_id]
            if cursor < len(script.faults):
                self._cursors[model_id] += 1
                return script, script.faults[cursor]
            return script, script.always_fault

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count a chat request as in flight for the duration of the block."""
        with self._lock:
            self._in_flight += 1
            self._max_concurrency = max(self._max_concurrency, self._in_flight)
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1

    def count_cancelled(self) -> None:
        with self._lock:
            self._cancelled += 1

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def bill(self, generation_id: str, cost: float, stats: dict) -> None:
        """Add ``cost`` to the spend and keep the stats record, served once the delay has passed."""
        with self._lock:
            self._spent += cost
            self._generations[generation_id] = (time.monotonic() + self.generation_delay_s, stats)

    def generation(self, generation_id: str) -> dict | None:
        """The stats record for ``generation_id``, or None while unknown or not yet available."""
        with self._lock:
            ready_at, stats = self._generations.get(generation_id, (0.0, None))
        return stats if stats is not None and time.monotonic() >= ready_at else None

    def calls(self, model: str | None = None) -> int:
        with self._lock:
            return self._calls[model] if model else sum(self._calls.values())

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def cancelled(self) -> int:
        with self._lock:
            return self._cancelled

    @property
    def max_concurrency(self) -> int:
        with self._lock:
            return self._max_concurrency

    @property
    def now_in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    @property
    def spent_usd(self) -> float:
        with self._lock:
            return self._spent

    def reset(self) -> None:
        """Clear counters, the request log, spend, generation records and fault cursors."""
        with self._lock:
            self._cursors.clear()
            self._calls.clear()
            self._requests.clear()
            self._generations.clear()
            self._cancelled = 0
            self._max_concurrency = self._in_flight
            self._spent = 0.0
            self.prompt_cache.reset()
            self.response_cache.clear()
