"""`orcollective simulator`: the stand-in runs on its own until Ctrl-C, and its export line works."""

from __future__ import annotations

import json
import signal
import subprocess
import sys


def test_simulator_prints_an_export_line_that_other_commands_use(tmp_path, cli_env, piped):
    """The printed base URL and key point a second command at it; SIGINT stops it with exit 0."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "orcollective", "simulator", "--port", "0"],
        env=cli_env(None, tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        export = next(line for line in iter(proc.stdout.readline, "") if line.startswith("export "))
        values = dict(part.split("=", 1) for part in export.split()[1:])
        env = cli_env(None, tmp_path, **values)
        answer = piped(["ask", "sim/echo", "through the standalone simulator", "--json"], env)
        assert json.loads(answer.stdout)["text"] == "through the standalone simulator"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=15)
    assert proc.returncode == 0, err
    assert "Simulator stopped after 1 chat requests." in out and "Traceback" not in err
