"""Running ``orcollective`` the way a person does: in a pseudo-terminal of a given size, read back as the
screen a terminal emulator (pyte) draws, or piped, as a script sees it."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyte
import pytest

from orcollective.simulator import Simulator


def _env(sim: Simulator | None, tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "ORCOLLECTIVE_"))}
    env.pop("COLUMNS", None)
    env.pop("LINES", None)
    if sim is not None:
        env.update(OPENROUTER_API_KEY=sim.api_key, OPENROUTER_BASE_URL=sim.base_url)
    env.update(
        ORCOLLECTIVE_CACHE_DIR=str(tmp_path / "cache"),
        ORCOLLECTIVE_DATA_DIR=str(tmp_path / "data"),
        ORCOLLECTIVE_RETRY_MAX_WAIT_S="0.05",
        TERM="xterm-256color",
        **extra,
    )
    return env


class Terminal:
    """One command in a ``columns`` x ``lines`` pseudo-terminal; ``screen()`` is what a person sees now."""

    def __init__(self, args: list[str], env: dict[str, str], columns: int = 80, lines: int = 60) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", lines, columns, 0, 0))
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "orcollective", *args], stdin=slave, stdout=slave, stderr=slave, env=env
        )
        os.close(slave)
        self.fd = master
        self.raw = b""
        self._screen = pyte.Screen(columns, lines)
        self._stream = pyte.ByteStream(self._screen)

    def pump(self, timeout: float = 0.05) -> None:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if ready:
            try:
                data = os.read(self.fd, 65536)
            except OSError:  # the child closed its side
                return
            self.raw += data
            self._stream.feed(data)

    def screen(self) -> str:
        return "\n".join(line.rstrip() for line in self._screen.display).rstrip()

    def wait_for(self, found: Callable[[str], bool] | str, timeout: float = 30) -> str:
        """Read output until ``found`` (a text on screen, or a test of the screen) holds; return the screen."""
        test = (lambda s: found in s) if isinstance(found, str) else found
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.pump()
            if test(self.screen()):
                return self.screen()
        raise AssertionError(f"not seen within {timeout}s; the screen:\n{self.screen()}")

    def finish(self, timeout: float = 30) -> tuple[int, str]:
        """Read until the command exits; its exit code and its last screen."""
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self.pump()
        for _ in range(20):  # what was written just before exiting
            self.pump(0.02)
        code = self.proc.wait(timeout=max(deadline - time.monotonic(), 1))
        return code, self.screen()

    def interrupt(self) -> None:
        """Ctrl-C: the terminal sends SIGINT to the command."""
        self.proc.send_signal(signal.SIGINT)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.fd)


@pytest.fixture
def terminal() -> Iterator[Callable[..., Terminal]]:
    """Start commands in pseudo-terminals; every one is stopped at the end of the test."""
    opened: list[Terminal] = []

    def start(args: list[str], env: dict[str, str], columns: int = 80) -> Terminal:
        term = Terminal(args, env, columns)
        opened.append(term)
        return term

    yield start
    for term in opened:
        term.close()


def _piped(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orcollective", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def cli_env() -> Callable[..., dict[str, str]]:
    """``cli_env(sim, tmp_path, **extra)``: the environment of a command run against ``sim``, its folders
    under ``tmp_path``, no COLUMNS (the terminal's size decides)."""
    return _env


@pytest.fixture
def piped() -> Callable[..., subprocess.CompletedProcess]:
    """``piped(args, env)``: the command with stdout and stderr piped, as a script runs it."""
    return _piped
