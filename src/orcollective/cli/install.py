"""``orcollective install|uninstall CLIENT`` and ``orcollective config set api-key``.

An installer merges one server entry into the client's own config file (JSON, or TOML for Codex), keeping
every other server and setting, with a timestamped backup; a second run changes nothing. The entry names
absolute paths, since GUI clients do not see the shell's PATH. The key goes into the entry only with
``--key``; otherwise the server reads it from the user config file that ``config set api-key`` writes (0600).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import tomlkit
import typer
from tomlkit.exceptions import TOMLKitError

from ..errors import ConfigError
from ..settings import config_file

NAME = "orcollective"
CLIENTS = ("claude-desktop", "claude-code", "cursor", "vscode", "codex")


@dataclass(frozen=True)
class Launch:
    """How a client starts the server: an absolute command and its arguments."""

    command: str
    args: list[str]
    how: str  # "installed", "checkout" or "published"


def checkout_root() -> Path | None:
    """The source checkout this package runs from, or None when it is an installed wheel."""
    here = Path(__file__).resolve()
    if "site-packages" in here.parts:
        return None
    for parent in here.parents:
        if (parent / "pyproject.toml").is_file() and (parent / "src" / NAME).is_dir():
            return parent
    return None


def launch() -> Launch:
    """The installed ``orcollective`` if there is one, else ``uvx --from <checkout>`` or ``uvx orcollective``."""
    root = checkout_root()
    uvx = shutil.which("uvx")
    if root is not None:
        if uvx is None:
            raise ConfigError("uvx is not on PATH: install uv (https://docs.astral.sh/uv/) and run this again.")
        return Launch(str(Path(uvx).resolve()), ["--from", str(root), NAME, "serve"], "checkout")
    found = shutil.which(NAME)
    if found:
        return Launch(str(Path(found).resolve()), ["serve"], "installed")
    if uvx is None:
        raise ConfigError("Neither orcollective nor uvx is on PATH: `pipx install orcollective`, or install uv.")
    return Launch(str(Path(uvx).resolve()), [NAME, "serve"], "published")


def _appdata() -> Path:
    return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")


def config_path(client: str) -> Path:
    """The client's user-level config file on this OS."""
    home = Path.home()
    mac = home / "Library" / "Application Support"
    per_os = {"darwin": mac, "win32": _appdata()}
    app_dir = per_os.get(sys.platform, home / ".config")
    return {
        "claude-desktop": app_dir / "Claude" / "claude_desktop_config.json",
        "claude-code": home / ".claude.json",
        "cursor": home / ".cursor" / "mcp.json",
        "vscode": app_dir / "Code" / "User" / "mcp.json",
        "codex": home / ".codex" / "config.toml",
    }[client]


def entry(client: str, how: Launch, key: str | None) -> dict[str, Any]:
    """The server entry in the client's own shape."""
    value: dict[str, Any] = {"command": how.command, "args": how.args}
    if client == "vscode":
        value = {"type": "stdio", **value}
    if key:
        value["env"] = {"OPENROUTER_API_KEY": key}
    return value


def _section(client: str) -> str:
    return {"vscode": "servers", "codex": "mcp_servers"}.get(client, "mcpServers")


def _load(client: str, path: Path) -> Any:
    if not path.exists():
        return tomlkit.document() if client == "codex" else {}
    text = path.read_text(encoding="utf-8")
    try:
        data = tomlkit.parse(text) if client == "codex" else (json.loads(text) if text.strip() else {})
    except (ValueError, TOMLKitError) as exc:
        raise ConfigError(f"{path} is not valid {'TOML' if client == 'codex' else 'JSON'} ({exc}); "
                          "fix or move it, nothing was changed.") from exc  # fmt: skip
    if not isinstance(data, dict) or not isinstance(data.get(_section(client), {}), dict):
        raise ConfigError(f"{path} has an unexpected shape; fix or move it, nothing was changed.")
    return data


def _dump(client: str, data: Any) -> str:
    return tomlkit.dumps(data) if client == "codex" else json.dumps(data, indent=2) + "\n"


def snippet(client: str, value: dict[str, Any]) -> str:
    """What to paste into the client's config by hand."""
    wrapper = {_section(client): {NAME: value}}
    if client == "codex":
        return tomlkit.dumps(wrapper)
    return json.dumps(wrapper, indent=2)


def _write(path: Path, text: str) -> Path | None:
    """Write ``text`` (atomically), after backing the old file up; returns the backup."""
    backup = None
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        backup = path.with_name(f"{path.name}.bak-{time.strftime('%Y%m%d-%H%M%S')}")
        shutil.copy2(path, backup)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return backup


def change(client: str, path: Path, value: dict[str, Any] | None, dry_run: bool) -> str:
    """Put ``value`` as our entry (None removes it); one line saying what happened."""
    data = _load(client, path)
    servers = data.setdefault(_section(client), {}) if value is not None else data.get(_section(client), {})
    current = servers.get(NAME)
    plain = json.loads(json.dumps(current)) if current is not None else None
    if plain == value:
        return f"{client}: {path} already {'has' if value else 'lacks'} the {NAME} entry; nothing changed."
    if dry_run:
        verb = "would remove" if value is None else "would write"
        return f"{client}: {verb} the {NAME} entry in {path}:\n{snippet(client, value or {})}"
    if value is None:
        del servers[NAME]
    else:
        servers[NAME] = value
    backup = _write(path, _dump(client, data))
    kept = f" (backup {backup.name})" if backup else ""
    return f"{client}: {'removed the entry from' if value is None else 'wrote the entry to'} {path}{kept}."


def claude_cli(args: list[str], *, check: bool = True) -> str | None:
    """Run ``claude mcp ...`` when Claude Code's CLI is on PATH; None when it is not."""
    claude = shutil.which("claude")
    if claude is None:
        return None
    done = subprocess.run([claude, "mcp", *args], capture_output=True, text=True, timeout=60)
    if check and done.returncode != 0:
        raise ConfigError(f"claude mcp {args[0]} failed: {(done.stderr or done.stdout).strip()[:300]}")
    return (done.stdout or "").strip()


def _fail(exc: ConfigError) -> typer.Exit:
    typer.echo(f"Error: {exc}", err=True)
    return typer.Exit(2)


def _client(client: str) -> str:
    if client not in CLIENTS:
        raise typer.BadParameter(f"unknown client '{client}'; one of {', '.join(CLIENTS)}")
    return client


ClientArg = Annotated[str, typer.Argument(help=" | ".join(CLIENTS), callback=_client)]
DryRun = Annotated[bool, typer.Option("--dry-run", help="Show what would change; write nothing")]


def install(
    client: ClientArg,
    dry_run: DryRun = False,
    print_only: Annotated[bool, typer.Option("--print", help="Print the entry to paste by hand")] = False,
    key: Annotated[str | None, typer.Option("--key", help="Put this OpenRouter key into the entry's env")] = None,
) -> None:
    """Add orcollective to an MCP client's config (merged, backed up, idempotent)."""
    try:
        how = launch()
        value = entry(client, how, key)
        if print_only:
            typer.echo(snippet(client, value))
            return
        if client == "claude-code" and not dry_run:
            env = ["--env", f"OPENROUTER_API_KEY={key}"] if key else []
            claude_cli(["remove", "--scope", "user", NAME], check=False)
            said = claude_cli(["add", NAME, "--scope", "user", *env, "--", how.command, *how.args])
            if said is not None:
                typer.echo(f"claude-code: added with `claude mcp add --scope user` ({how.how} launch).")
                return
        typer.echo(change(client, config_path(client), value, dry_run))
    except ConfigError as exc:
        raise _fail(exc) from exc
    if not key and not dry_run:
        typer.echo("The server reads the key from `orcollective config set api-key` (or OPENROUTER_API_KEY).")


def uninstall(client: ClientArg, dry_run: DryRun = False) -> None:
    """Remove orcollective from an MCP client's config (backed up)."""
    try:
        if client == "claude-code" and not dry_run:
            if claude_cli(["remove", "--scope", "user", NAME], check=False) is not None:
                typer.echo("claude-code: removed with `claude mcp remove --scope user`.")
                return
        typer.echo(change(client, config_path(client), None, dry_run))
    except ConfigError as exc:
        raise _fail(exc) from exc


config_app = typer.Typer(help="The user settings file read by the server (below the environment).")


@config_app.command("set")
def config_set(
    name: Annotated[str, typer.Argument(help="api-key")],
    value: Annotated[str | None, typer.Argument(help="Omit to be asked (not echoed)")] = None,
) -> None:
    """Store a setting in the user config file (0600); OPENROUTER_API_KEY still wins when set."""
    if name != "api-key":
        raise typer.BadParameter("only api-key can be set here; other settings are ORCOLLECTIVE_* variables")
    secret = value if value is not None else typer.prompt("OpenRouter API key", hide_input=True)
    path = config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = tomlkit.parse(path.read_text(encoding="utf-8")) if path.exists() else tomlkit.document()
    doc["api_key"] = secret.strip()
    fd = os.open(path.with_name(path.name + ".tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(tomlkit.dumps(doc))
    os.replace(path.with_name(path.name + ".tmp"), path)
    os.chmod(path, 0o600)
    typer.echo(f"Saved the key to {path} (readable by you only).")


MEANINGS = {
    "api_key": "your key; without it the server starts and tools say how to set it "
    "(also read from `orcollective config set api-key`)",
    "base_url": "any OpenAI-compatible base URL",
    "cache_dir": "model catalog cache", "data_dir": "run store (`runs.sqlite3`)",
    "output_dir": "the only folder exports are written to",
    "image_roots": "folders `images` and `files` may be read from (comma list; default: the working directory, "
    "none when that is `/`; ORCOLLECTIVE_IMAGE_ROOTS also works)",
    "default_models": "the consensus panel when none is given (comma list)",
    "aggregator_model": "for `synthesize` and `judge` (default: first panel model)",
    "request_timeout_s": "one HTTP request", "connect_timeout_s": "connecting to the API",
    "max_concurrency": "requests in flight at once", "max_attempts": "tries of 408/429/5xx/transport errors",
    "retry_max_wait_s": "longest wait between tries (`Retry-After` honoured up to it)",
    "retry_total_s": "all tries of one request", "catalog_ttl_s": "catalog cache age before a background refresh",
    "consensus_timeout_s": "a whole consensus run", "chat_timeout_s": "a whole chat, retries included",
    "stream_idle_s": "a stream silent this long is given up", "max_reply_chars": "longer replies are cut",
    "app_url": "sent as `HTTP-Referer`", "app_title": "sent as `X-Title`",
    "log_level": "logs go to stderr; stdout is the MCP protocol",
    "tools": "tool groups to expose (comma list; fewer tools, less client context)",
    "http_token": "bearer token HTTP clients must send; required for a bind other than 127.0.0.1/localhost/::1",
    "allowed_hosts": "extra `Host` values accepted over HTTP (comma list, `host:*` for any port)",
    "allowed_origins": "extra `Origin` values accepted over HTTP (comma list)",
    "http_session_idle_s": "an HTTP session idle this long is closed",
}  # fmt: skip


def config_table() -> str:
    """The README's configuration table, from the settings class."""
    from ..settings import Settings

    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        choices = getattr(alias, "choices", None)
        variable = str(choices[0]) if choices else f"ORCOLLECTIVE_{name.upper()}"
        if field.default_factory is not None:
            default = "platform user dir" if name.endswith("_dir") else ""
            if name in ("default_models", "tools"):
                default = ",".join(field.default_factory())  # type: ignore[call-arg]
        else:
            default = "" if field.default is None else str(field.default)
        rows.append(f"| `{variable}` | {f'`{default}`' if default else '—'} | {MEANINGS.get(name, '—')} |")
    return "\n".join(rows)


def register_install(app: typer.Typer) -> None:
    """Add ``install``, ``uninstall`` and ``config`` to the ``orcollective`` command."""
    app.command("install")(install)
    app.command("uninstall")(uninstall)
    app.add_typer(config_app, name="config")


@config_app.command("table")
def config_table_command() -> None:
    """Print the configuration table (Markdown) the README carries."""
    typer.echo(config_table())
