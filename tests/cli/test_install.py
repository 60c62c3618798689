"""Installers and ``config set api-key``: real config files in a temporary HOME, merged, backed up,
idempotent, reversible; Claude Code's own CLI when it is installed."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from orcollective.cli import app
from orcollective.cli.install import CLIENTS, MEANINGS, config_path, config_table
from orcollective.settings import Settings


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A HOME of its own, a config dir, and a PATH holding only a ``uvx`` (no ``claude``)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    uvx = bin_dir / "uvx"
    uvx.write_text("#!/bin/sh\nexit 0\n")
    uvx.chmod(0o755)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("ORCOLLECTIVE_CONFIG_DIR", str(tmp_path / "cfg"))
    monkeypatch.delenv("OPENROUTER_API_KEY", raising=False)
    monkeypatch.delenv("ORCOLLECTIVE_API_KEY", raising=False)
    (tmp_path / "home").mkdir()
    return tmp_path / "home"


def run(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False, standalone_mode=False)


def servers(client: str) -> dict:
    path = config_path(client)
    data = tomllib.loads(path.read_text()) if client == "codex" else json.loads(path.read_text())
    return data["servers" if client == "vscode" else "mcp_servers" if client == "codex" else "mcpServers"]


@pytest.mark.parametrize("client", CLIENTS)
def test_install_merges_is_idempotent_and_uninstall_reverses(home, client):
    """Other servers survive, a backup is kept, a second run writes nothing, uninstall removes only ours."""
    path = config_path(client)
    path.parent.mkdir(parents=True, exist_ok=True)
    if client == "codex":
        path.write_text('# mine\nmodel = "o3"\n\n[mcp_servers.other]\ncommand = "x"\n')
    else:
        key = "servers" if client == "vscode" else "mcpServers"
        path.write_text(json.dumps({key: {"other": {"command": "x"}}, "theme": "dark"}))
    assert run("install", client).exit_code == 0
    entry = servers(client)["orcollective"]
    assert Path(entry["command"]).is_absolute() and entry["args"][-2:] == ["orcollective", "serve"]
    assert "--from" in entry["args"] and "env" not in entry  # from a checkout, no key unless --key
    assert servers(client)["other"] == {"command": "x"}
    backups = list(path.parent.glob(path.name + ".bak-*"))
    assert len(backups) == 1
    before = path.read_text()
    again = run("install", client)
    assert "nothing changed" in again.output and path.read_text() == before
    if client == "codex":
        assert before.startswith("# mine\n")  # comments and layout kept
    assert run("uninstall", client).exit_code == 0
    assert "orcollective" not in servers(client) and servers(client)["other"] == {"command": "x"}


def test_malformed_config_is_refused_and_left_alone(home):
    """A config that does not parse: one line naming the file, exit 2, the file unchanged."""
    path = config_path("cursor")
    path.parent.mkdir(parents=True)
    path.write_text("{not json")
    result = CliRunner().invoke(app, ["install", "cursor"])
    assert result.exit_code == 2 and "not valid JSON" in result.output
    assert path.read_text() == "{not json" and not list(path.parent.glob("*.bak-*"))


def test_dry_run_and_print_write_nothing_and_key_goes_to_env(home):
    """--dry-run and --print show the entry; --key puts OPENROUTER_API_KEY into it."""
    shown = run("install", "claude-desktop", "--dry-run")
    assert "would write" in shown.output and not config_path("claude-desktop").exists()
    printed = run("install", "vscode", "--print", "--key", "sk-or-test")
    assert json.loads(printed.output)["servers"]["orcollective"]["env"] == {"OPENROUTER_API_KEY": "sk-or-test"}
    assert not config_path("vscode").exists()
    printed = run("install", "codex", "--print")
    assert tomllib.loads(printed.output)["mcp_servers"]["orcollective"]["args"][-1] == "serve"


def test_config_set_api_key_is_private_and_read_below_the_environment(home, tmp_path, monkeypatch):
    """The key file is 0600; Settings reads it; OPENROUTER_API_KEY still wins."""
    assert run("config", "set", "api-key", "sk-or-from-file").exit_code == 0
    path = tmp_path / "cfg" / "config.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert Settings().api_key.get_secret_value() == "sk-or-from-file"
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-from-env")
    assert Settings().api_key.get_secret_value() == "sk-or-from-env"


CLAUDE = os.environ.get("ORC_CLAUDE_BIN") or shutil.which("claude")


@pytest.mark.skipif(not CLAUDE or not shutil.which("uvx"), reason="Claude Code's CLI (claude) or uvx not installed")
def test_claude_code_cli_lists_the_server_connected(tmp_path):
    """With claude on PATH the installer uses `claude mcp add`, and `claude mcp list` shows it Connected."""
    assert CLAUDE
    env = {**os.environ, "HOME": str(tmp_path), "PATH": os.pathsep.join(
        [str(Path(CLAUDE).parent), str(Path(shutil.which("uvx") or "").parent), "/usr/bin", "/bin"])}  # fmt: skip
    orc = shutil.which("orcollective") or str(Path(sys.executable).parent / "orcollective")
    done = subprocess.run([orc, "install", "claude-code"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "claude mcp add" in done.stdout, done.stderr
    listed = subprocess.run([CLAUDE, "mcp", "list"], env=env, capture_output=True, text=True, timeout=180)
    assert "orcollective" in listed.stdout and "Connected" in listed.stdout, listed.stdout


def test_readme_configuration_table_matches_the_settings_class():
    """The README's table is what `orcollective config table` prints, and every setting has a meaning."""
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    block = readme.split("<!-- config-table -->\n", 1)[1].split("\n<!-- /config-table -->", 1)[0]
    assert block == config_table(), "regenerate it: uv run orcollective config table"
    assert set(MEANINGS) == set(Settings.model_fields)
