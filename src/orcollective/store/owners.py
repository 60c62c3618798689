"""Which process owns a running run, and whether that process is still alive.

A run records its owner (pid, host, and the process's start time) so that a server starting later can
tell a run whose process died (killed, crashed) from one that another live server sharing the store is
still working on. A pid can be reused after its process dies; the start time tells the two apart.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Owner:
    pid: int
    host: str
    started: str | None  # "<boot id>:<start ticks>" on Linux; None where the OS does not say

    @classmethod
    def current(cls) -> Owner:
        return cls(os.getpid(), socket.gethostname(), process_start(os.getpid()))

    def alive(self) -> bool:
        """False only when this host can tell the owner is gone; another host's runs are never judged."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, owned by another user
        if self.started is None:
            return True
        now = process_start(self.pid)
        return now is None or now == self.started


def process_start(pid: int) -> str | None:
    """An identity for the process ``pid`` that a reused pid does not share (Linux), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: fields after it start past the last ')'.
    fields = stat.rpartition(")")[2].split()
    return f"{boot}:{fields[19]}" if len(fields) > 19 else None
