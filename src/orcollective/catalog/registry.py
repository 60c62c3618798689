"""The model catalog: fetched from OpenRouter, cached on disk, kept parsed in memory.

The disk cache (``orcollective.catalog.cache``: diskcache in ``cache_dir``, shared by every server
process on the machine) holds ``{"fetched_at": ts, "models": raw_list}``. A fresh copy (younger
than ``ttl_s``) is served as is. A stale copy is served at once while one background task refetches
it (stale-while-revalidate); a short lease in the cache keeps two processes from refetching
together. With no copy at all the first caller fetches and waits. A failed background fetch keeps
the stale copy and logs a warning. A corrupted database is moved aside and rebuilt; if the disk
cannot be used at all the registry carries on from memory.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, Literal

from ..errors import InvalidArgument, MalformedResponse, UnknownModel, UpstreamError
from .cache import LEASE_S, ModelCache
from .model import ModelInfo

__all__ = ["Fetch", "ModelInfo", "ModelPage", "ModelRegistry", "Resolved", "Sort", "unchecked"]

Fetch = Callable[[], Awaitable[list[dict]]]
Sort = Literal["name", "price", "context", "newest"]

log = logging.getLogger("orcollective.registry")

_RETRY_AFTER_FAILURE_S = 60.0
# A model released since the catalog was cached looks unknown: refetch for an unknown id this often at most.
_RECHECK_UNKNOWN_S = 60.0
# OpenRouter routing shortcuts that select providers for a catalog model without being catalog ids.
_ROUTING_VARIANTS = frozenset({"nitro", "floor", "online"})
_SORTS = ("name", "price", "context", "newest")


@dataclass
class ModelPage:
    """One page of a search: ``total`` matches, of which ``models`` start at ``offset``."""

    total: int
    offset: int
    models: list[ModelInfo]


@dataclass
class Resolved:
    """The models found, in the order asked; ``unknown`` ids were left out; ``checked`` is False when the
    catalog could not be loaded and every id passed unchecked."""

    models: list[ModelInfo]
    unknown: list[str]
    checked: bool


@dataclass(frozen=True)
class _Catalog:
    fetched_at: float
    by_id: dict[str, ModelInfo]

    @classmethod
    def parse(cls, raw_models: list[Any], fetched_at: float) -> _Catalog:
        by_id: dict[str, ModelInfo] = {}
        for raw in raw_models:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str) and raw["id"]:
                by_id.setdefault(raw["id"], ModelInfo.from_raw(raw))
        return cls(fetched_at, by_id)


class ModelRegistry:
    """The OpenRouter model catalog with lookups, search and pricing; see the module docstring."""

    def __init__(
        self,
        cache_dir: Path,
        fetch: Fetch,
        *,
        ttl_s: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._disk = ModelCache(Path(cache_dir))
        self._fetch = fetch
        self._ttl = ttl_s
        self._clock = clock
        self._catalog: _Catalog | None = None
        self._first_fetch = asyncio.Lock()
        self._refresh_task: asyncio.Task[None] | None = None
        self._lease: str | None = None
        # No background refetch before this time: after a failure, or while another process refetches.
        self._quiet_until = 0.0
        self._forced_at = float("-inf")  # monotonic time of the last refetch forced by an unknown id

    async def all(self) -> list[ModelInfo]:
        """Every model, in catalog order."""
        return list((await self._current()).by_id.values())

    async def get(self, model_id: str) -> ModelInfo:
        """The model with this id (``:nitro``/``:floor``/``:online`` resolve to the base model).

        Raises ``UnknownModel`` with up to 3 close matches.
        """
        return _lookup(await self._current(), model_id)

    async def check(self, model_ids: Sequence[str]) -> list[ModelInfo]:
        """All of these models, in order; ``UnknownModel`` for the first id not in the catalog."""
        if isinstance(model_ids, str):
            model_ids = [model_ids]
        catalog = await self._current()
        return [_lookup(catalog, model_id) for model_id in model_ids]

    async def resolve(self, model_ids: Sequence[str], *, drop_unknown: bool = False) -> Resolved:
        """Every id looked up in one pass over the catalog, for a request about to be sent.

        An unknown id triggers one refetch (at most once a minute) before it counts as unknown; then
        ``UnknownModel`` is raised for the first one, or, with ``drop_unknown``, the unknown ids are
        listed in ``unknown`` and left out. When the catalog cannot be loaded at all the ids pass
        unchecked (``checked`` is False): a catalog outage should not block a request.
        """
        for model_id in model_ids:
            if not isinstance(model_id, str) or not model_id.strip():
                raise InvalidArgument("A model id is empty: pass ids like 'openai/gpt-4o' (see list_models).")
        try:
            catalog = await self._current()
            if any(_find(catalog, m) is None for m in model_ids) and self._may_recheck():
                catalog = await self._fetch_and_store()
        except UpstreamError as exc:
            log.warning("model catalog unavailable, ids not checked: %s", exc)
            return Resolved([unchecked(m) for m in model_ids], [], checked=False)
        found, unknown = [], []
        for model_id in model_ids:
            info = _find(catalog, model_id)
            if info is not None:
                found.append(info)
            elif drop_unknown:
                unknown.append(model_id)
            else:
                raise UnknownModel(model_id, _suggest(model_id, catalog.by_id))
        return Resolved(found, unknown, checked=True)

    def _may_recheck(self) -> bool:
        now = time.monotonic()
        if now - self._forced_at < _RECHECK_UNKNOWN_S:
            return False
        self._forced_at = now
        return True

    async def search(
        self,
        query: str | None = None,
        *,
        vision: bool | None = None,
        free: bool | None = None,
        tools: bool | None = None,
        max_price_per_mtok: float | None = None,
        min_context: int | None = None,
        sort: Sort = "name",
        limit: int = 20,
        offset: int = 0,
    ) -> ModelPage:
        """Models matching every given filter, sorted, one page at a time.

        ``query``: case-insensitive substrings of id or name; with several words, all must match.
        ``vision``/``free``/``tools``: True keeps only models with the feature, False only those without.
        ``max_price_per_mtok``: USD per 1M tokens; the larger of the prompt and the completion price
        must not exceed it (variable-price routers never pass). ``min_context``: models of unknown
        context never pass. ``sort``: "name" by id, "price" cheapest prompt + completion first
        (variable prices last), "context" largest first, "newest" by ``created``, latest first;
        unknown values go last and ties are broken by id.
        """
        if sort not in _SORTS:
            raise InvalidArgument(f"sort must be one of {', '.join(_SORTS)}, not {sort!r}.")
        if limit < 0 or offset < 0:
            raise InvalidArgument("limit and offset must not be negative.")
        words = (query or "").casefold().split()
        price_cap = None if max_price_per_mtok is None else Decimal(str(max_price_per_mtok))

        def keep(m: ModelInfo) -> bool:
            haystack = f"{m.id}\n{m.name}".casefold()
            return (
                all(word in haystack for word in words)
                and (vision is None or m.vision == vision)
                and (free is None or m.free == free)
                and (tools is None or m.tools == tools)
                and (
                    price_cap is None
                    or (not m.variable_price and max(m.prompt_per_mtok, m.completion_per_mtok) <= price_cap)
                )
                and (min_context is None or (m.context_length or -1) >= min_context)
            )

        matches = sorted(filter(keep, (await self._current()).by_id.values()), key=_sort_key(sort))
        return ModelPage(total=len(matches), offset=offset, models=matches[offset : offset + limit])

    async def refresh(self) -> list[ModelInfo]:
        """Fetch the catalog now and cache it; the fetch's exception propagates."""
        return list((await self._fetch_and_store()).by_id.values())

    async def wait_refreshed(self) -> None:
        """Wait until the background refresh in flight, if any, has finished."""
        if self._refresh_task is not None:
            await asyncio.wait({self._refresh_task})

    def close(self) -> None:
        """Cancel the background refresh and close the disk cache."""
        if self._refresh_task is not None:
            self._refresh_task.cancel()
            self._refresh_task = None
        if self._lease is not None:
            self._disk.release_lease(self._lease)
            self._lease = None
        self._disk.close()

    async def _current(self) -> _Catalog:
        catalog = self._catalog
        if catalog is not None and self._fresh(catalog):
            return catalog
        catalog = self._load_if_newer()
        if catalog is None:
            return await self._fetch_first()
        if not self._fresh(catalog):
            self._revalidate()
        return catalog

    def _fresh(self, catalog: _Catalog) -> bool:
        return self._clock() - catalog.fetched_at < self._ttl

    def _load_if_newer(self) -> _Catalog | None:
        """The in-memory catalog, replaced first by the disk copy when that one is newer."""
        current = self._catalog
        fetched_at = self._disk.read_fetched_at()
        if fetched_at is None or (current is not None and fetched_at <= current.fetched_at):
            return current
        entry = self._disk.read()
        if entry is None:
            return current
        return self._install(_Catalog.parse(entry[1], entry[0]))

    async def _fetch_first(self) -> _Catalog:
        async with self._first_fetch:
            # Whoever held the lock before may have fetched already.
            catalog = self._load_if_newer()
            if catalog is not None:
                return catalog
            return await self._fetch_and_store()

    async def _fetch_and_store(self) -> _Catalog:
        raw_models = await self._fetch()
        if not isinstance(raw_models, list):
            raise MalformedResponse("The model list from the API is not a JSON list; check the base URL.")
        catalog = _Catalog.parse(raw_models, self._clock())
        self._disk.write(catalog.fetched_at, raw_models)
        self._install(catalog)
        return catalog

    def _install(self, catalog: _Catalog) -> _Catalog:
        if self._catalog is None or catalog.fetched_at >= self._catalog.fetched_at:
            self._catalog = catalog
        return self._catalog

    def _revalidate(self) -> None:
        if self._refresh_task is not None or self._clock() < self._quiet_until:
            return
        task = asyncio.get_running_loop().create_task(self._refresh_in_background())
        task.add_done_callback(self._forget_task)
        self._refresh_task = task

    def _forget_task(self, task: asyncio.Task[None]) -> None:
        if self._refresh_task is task:
            self._refresh_task = None

    async def _refresh_in_background(self) -> None:
        token = self._disk.acquire_lease()
        if token is None:
            # Another process is refetching; its copy reaches this one through the disk cache.
            self._quiet_until = self._clock() + LEASE_S
            return
        self._lease = token
        try:
            await self._fetch_and_store()
        except Exception as exc:  # noqa: BLE001 - whatever the fetch raises, the stale copy stays usable
            self._quiet_until = self._clock() + _RETRY_AFTER_FAILURE_S
            age_min = (self._clock() - self._catalog.fetched_at) / 60 if self._catalog else 0.0
            log.warning("Refreshing the model catalog failed (%r); serving the copy from %.0f min ago.", exc, age_min)
        finally:
            if self._lease == token:
                self._disk.release_lease(token)
                self._lease = None


def _lookup(catalog: _Catalog, model_id: str) -> ModelInfo:
    info = _find(catalog, model_id)
    if info is None:
        raise UnknownModel(model_id, _suggest(model_id, catalog.by_id))
    return info


def _find(catalog: _Catalog, model_id: str) -> ModelInfo | None:
    info = catalog.by_id.get(model_id)
    if info is not None:
        return info
    base, sep, variant = model_id.rpartition(":")
    if sep and variant in _ROUTING_VARIANTS and base in catalog.by_id:
        return replace(catalog.by_id[base], id=model_id)
    return None


def unchecked(model_id: str) -> ModelInfo:
    """A stand-in for a model the catalog could not be asked about: no prices, no known features."""
    return ModelInfo.from_raw({"id": model_id, "name": model_id})


def _suggest(model_id: str, ids: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` ids closest to ``model_id``, comparing whole ids and the parts after "/"."""
    wanted = model_id.casefold()
    whole, slug = SequenceMatcher(), SequenceMatcher()
    whole.set_seq2(wanted)
    slug.set_seq2(wanted.rpartition("/")[2])
    scored = []
    for candidate in ids:
        folded = candidate.casefold()
        whole.set_seq1(folded)
        slug.set_seq1(folded.rpartition("/")[2])
        score = max(whole.ratio(), slug.ratio())
        if score >= 0.6:
            scored.append((-score, candidate))
    return [candidate for _, candidate in sorted(scored)[:n]]


def _sort_key(sort: Sort) -> Callable[[ModelInfo], Any]:
    if sort == "price":
        return lambda m: (m.variable_price, m.prompt_price + m.completion_price, m.id)
    if sort == "context":
        return lambda m: (m.context_length is None, -(m.context_length or 0), m.id)
    if sort == "newest":
        return lambda m: (m.created is None, -(m.created or 0), m.id)
    return lambda m: m.id
