"""``orcollective simulator``: the loopback OpenRouter stand-in on its own, until Ctrl-C.

It prints its base URL and an ``export`` line, so any shell, MCP client or ``orcollective`` command can
be pointed at it and every tool tried without a key or a cent spent.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from rich.console import Console

from ..simulator import Simulator


def run_simulator(out: Console, err: Console, port: int) -> int:
    """Serve on 127.0.0.1:``port`` until SIGINT or SIGTERM; return a process exit code."""
    sim = Simulator(port=port)
    try:
        sim.start()
    except OSError as exc:
        err.print(f"[red]Error:[/] cannot listen on 127.0.0.1:{port} ({exc.strerror}): pick another --port.")
        return 2
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        out.print(
            f"Simulated OpenRouter at {sim.base_url} with {len(sim.catalog)} models (sim/echo repeats the prompt).",
            soft_wrap=True,
        )
        out.print("Point a shell or an MCP client at it:")
        # One unwrapped line, so it can be copied whatever the terminal's width.
        out.print(f"export OPENROUTER_BASE_URL={sim.base_url} OPENROUTER_API_KEY={sim.api_key}", soft_wrap=True)
        out.print("[dim]Ctrl-C stops it.[/]")
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sim.stop()
    out.print(f"Simulator stopped after {sim.calls()} chat requests.")
    return 0
