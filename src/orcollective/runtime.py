"""The long-lived objects (client, catalog, run store, input policy), built once from settings and passed down."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from .catalog import ModelRegistry
from .errors import StoreError
from .inputs import ImagePolicy
from .openrouter import OpenRouterClient, RetryPolicy
from .settings import Settings
from .store import RunStore
from .store.jobs import Jobs

log = logging.getLogger("orcollective.runtime")


@dataclass
class Runtime:
    client: OpenRouterClient
    registry: ModelRegistry
    store: RunStore | None
    images: ImagePolicy
    default_panel: list[str]
    aggregator_model: str | None
    consensus_timeout_s: float
    chat_timeout_s: float
    output_dir: Path | None = None  # benchmark exports go here and nowhere else
    jobs: Jobs = field(default_factory=Jobs)  # runs started with wait=false, going on in the server


@asynccontextmanager
async def open_runtime(
    settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None, retry: RetryPolicy | None = None
) -> AsyncIterator[Runtime]:
    """Build every shared object from ``settings``; close them all on exit."""
    client = OpenRouterClient(
        settings.base_url,
        settings.api_key,
        timeout_s=settings.request_timeout_s,
        connect_timeout_s=settings.connect_timeout_s,
        retry=retry
        or RetryPolicy(
            attempts=settings.max_attempts,
            max_wait_s=settings.retry_max_wait_s,
            total_s=settings.retry_total_s,
        ),
        app_url=settings.app_url,
        app_title=settings.app_title,
        max_connections=max(settings.max_concurrency * 2, 32),
        max_concurrency=settings.max_concurrency,
        max_reply_chars=settings.max_reply_chars,
        stream_idle_s=settings.stream_idle_s,
        transport=transport,
    )
    registry = ModelRegistry(settings.catalog_dir, client.models, ttl_s=settings.catalog_ttl_s)
    try:
        store: RunStore | None = RunStore(settings.store_path)
    except StoreError as exc:
        # Answers matter more than history: run without a store and say so.
        log.warning("run store unavailable, runs will not be saved: %s", exc)
        store = None
    if store is not None:
        try:
            if interrupted := store.mark_interrupted():
                log.info("%d run(s) of a stopped server marked interrupted: %s", len(interrupted), interrupted)
        except StoreError as exc:
            log.warning("could not check for interrupted runs: %s", exc)
    roots = tuple(Path(p) for p in settings.image_roots) or _working_directory()
    runtime = Runtime(
        client=client,
        registry=registry,
        store=store,
        images=ImagePolicy(allowed_roots=roots),
        default_panel=list(settings.default_models),
        aggregator_model=settings.aggregator_model,
        consensus_timeout_s=settings.consensus_timeout_s,
        chat_timeout_s=settings.chat_timeout_s,
        output_dir=settings.output_dir,
    )
    try:
        async with runtime.jobs.running():
            yield runtime
    finally:
        registry.close()
        if store is not None:
            try:
                # The server is stopping: whatever this process still runs ends here, and says so.
                store.cancel_own_running()
            except StoreError as exc:
                log.warning("could not mark this server's running runs: %s", exc)
            store.close()
        await client.aclose()


def _working_directory() -> tuple[Path, ...]:
    """The default folder local images and files are read from: the working directory, unless it is a
    file system root (GUI clients often start servers in /), which would open every file on the machine;
    then none until ORCOLLECTIVE_FILE_ROOTS names one."""
    cwd = Path.cwd()
    return () if cwd.parent == cwd else (cwd,)
