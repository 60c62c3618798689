"""Files only their owner may read: the run store holds prompts and answers, the cache what was asked."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """``path`` (and missing parents) created; ``path`` itself set to 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    with contextlib.suppress(OSError):  # not ours to change (a shared mount): use it as it is
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """``path`` created empty if missing, and set to 0600, before anything else opens it."""
    private_dir(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_RDWR | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.chmod(path, FILE_MODE)
    return path
