"""A loopback OpenRouter-compatible HTTP server with scripted models, for tests, demos and benchmarks.

It is a real HTTP server (Starlette under uvicorn, on its own thread and event loop) that speaks
OpenRouter's wire format: chat completions (JSON and SSE), ``models[]`` fallback, the model catalog,
``/key``, ``/credits`` and ``/generation``. Scripted models inject latency, pacing and failures::

    with Simulator([ScriptedModel("sim/alpha", reply="42", latency_s=0.2)]) as sim:
        httpx.post(f"{sim.base_url}/chat/completions", headers={"Authorization": f"Bearer {sim.api_key}"},
                   json={"model": "sim/alpha", "messages": [{"role": "user", "content": "?"}]})
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterable
from types import TracebackType

import uvicorn
from starlette.types import Scope

from .app import build_app
from .catalog import build_catalog
from .limits import FreeLimits
from .scripts import FAULTS, ScriptedModel, default_scripts
from .state import RecordedRequest, SimState

__all__ = ["FAULTS", "RecordedRequest", "ScriptedModel", "Simulator", "build_catalog", "default_scripts"]

_START_TIMEOUT_S = 10.0
_STOP_TIMEOUT_S = 5.0
# Backstop for requests still open at shutdown; waits already end early once stopping is set.
_GRACEFUL_SHUTDOWN_S = 1  # uvicorn takes whole seconds


class Simulator:
    """An OpenRouter-compatible server on ``host:port`` (port 0: any free port), with scripted models.

    The built-in ``default_scripts()`` are always present unless ``scripts`` override their ids. Every
    other catalog model answers with a deterministic default reply. Use it as a context manager, or
    call ``start()`` and ``stop()``.
    """

    def __init__(
        self,
        scripts: Iterable[ScriptedModel] = (),
        *,
        api_key: str = "sk-or-v1-simulator-key",
        catalog_size: int = 320,
        credits: float = 25.0,
        host: str = "127.0.0.1",
        port: int = 0,
        generation_delay_s: float = 0.3,
        free_tier: bool = False,
        free_daily_limit: int | None = None,
        presets: dict[str, dict] | None = None,
    ) -> None:
        self.api_key = api_key
        self.credits = credits
        self.host = host
        self.port = port
        self.base_url = ""
        self._state = SimState(build_catalog(catalog_size), generation_delay_s=generation_delay_s)
        # ``@preset/<slug>`` -> a saved configuration; {"model": id} is what the simulator reads of it.
        self._state.presets = dict(presets or {})
        # OpenRouter's free-model limits: ``free_tier`` (never bought credits) shows in /key.
        self._limits = FreeLimits(free_tier=free_tier, daily_limit=free_daily_limit)
        chosen = {script.id: script for script in scripts}
        for script in [s for s in default_scripts() if s.id not in chosen] + list(chosen.values()):
            self._state.script(script)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Simulator:
        """Start serving and return once the port accepts connections; ``base_url`` is then set."""
        if self._thread is not None:
            raise RuntimeError("the simulator is already running")
        # An explicit IPPROTO_TCP makes asyncio set TCP_NODELAY on accepted connections; without it,
        # Nagle plus delayed ACKs add 40 ms to every keep-alive request.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        port = sock.getsockname()[1]
        self._state.stopping.clear()
        app = build_app(
            self._state,
            api_key=self.api_key,
            credits=self.credits,
            drop_connection=self._drop_connection,
            limits=self._limits,
        )
        config = uvicorn.Config(
            app,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_S,
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name=f"orcollective-simulator-{port}", daemon=True
        )
        self._server, self._thread = server, thread
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the simulator did not start on {self.host}:{port}")
            time.sleep(0.005)
        self.base_url = f"http://{self.host}:{port}/api/v1"
        return self

    def stop(self) -> None:
        """Stop serving: waiting requests end at once, then the server thread exits."""
        if self._server is None or self._thread is None:
            return
        self._state.stopping.set()
        self._server.should_exit = True
        self._thread.join(_STOP_TIMEOUT_S)
        self._server = self._thread = None

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def script(self, model: ScriptedModel) -> None:
        """Add or replace a scripted model while running (its faults start over); adds it to the catalog."""
        self._state.script(model)

    def calls(self, model: str | None = None) -> int:
        """Chat attempts received (answered, failed or cancelled), for one model or in total.

        A request that falls back through ``models[]`` counts once for each model it tried.
        """
        return self._state.calls(model)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        return self._state.requests

    @property
    def cancelled(self) -> int:
        """Chat requests whose client disconnected before the answer finished."""
        return self._state.cancelled

    @property
    def max_concurrency(self) -> int:
        """The most chat requests that were in flight at once."""
        return self._state.max_concurrency

    @property
    def in_flight(self) -> int:
        """Chat requests being answered right now."""
        return self._state.now_in_flight

    @property
    def spent_usd(self) -> float:
        """Total ``usage.cost`` billed so far."""
        return self._state.spent_usd

    @property
    def catalog(self) -> list[dict]:
        """The model records ``GET /models`` serves, scripted models included."""
        return self._state.models()

    def reset(self) -> None:
        """Clear counters, the request log, spend, generation records, fault cursors and rate-limit windows."""
        self._state.reset()
        self._limits.reset()

    @property
    def free_requests_today(self) -> int:
        """Requests to ``:free`` models admitted since UTC midnight (what the daily cap counts)."""
        return self._limits.used_today

    def _drop_connection(self, scope: Scope) -> None:
        # Runs on the server thread: close the TCP connection that carries this request, mid-response.
        assert self._server is not None
        client = tuple(scope.get("client") or ())
        for connection in list(self._server.server_state.connections):
            if getattr(connection, "client", None) == client:
                connection.transport.close()
