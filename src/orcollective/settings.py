"""Settings: the only place that reads the environment (and a ``.env`` file)."""

from __future__ import annotations

import hashlib
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict

TOOL_GROUPS = ("core", "collective", "runs", "benchmark", "free")
DEFAULT_PANEL = (
    "openai/gpt-4o-mini",
    "anthropic/claude-3.5-haiku",
    "google/gemini-2.5-flash",
    "meta-llama/llama-3.3-70b-instruct",
    "deepseek/deepseek-chat-v3.1",
)


def config_file() -> Path:
    """The user's settings file (``orcollective config set`` writes it): ``$ORCOLLECTIVE_CONFIG_DIR`` or the
    platform's user config dir, ``config.toml``."""
    folder = os.environ.get("ORCOLLECTIVE_CONFIG_DIR") or platformdirs.user_config_dir("orcollective")
    return Path(folder) / "config.toml"


class _ConfigFile(PydanticBaseSettingsSource):
    """Values from ``config_file()``, below the environment and ``.env``; an unreadable file is ignored."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        try:
            data = tomllib.loads(config_file().read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return {k: v for k, v in data.items() if k in self.settings_cls.model_fields}


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    """orcollective's configuration. ``OPENROUTER_*`` for the API, ``ORCOLLECTIVE_*`` for the rest."""

    model_config = SettingsConfigDict(
        env_prefix="ORCOLLECTIVE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    api_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("OPENROUTER_API_KEY", "ORCOLLECTIVE_API_KEY")
    )
    base_url: str = Field(
        default="https://openrouter.ai/api/v1",
        validation_alias=AliasChoices("OPENROUTER_BASE_URL", "ORCOLLECTIVE_BASE_URL"),
    )
    cache_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_cache_dir("orcollective")))
    data_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("orcollective")))
    # Where benchmark_report writes its exports; nothing is written outside it.
    output_dir: Path = Field(default_factory=lambda: Path(platformdirs.user_data_dir("orcollective")) / "output")
    # Folders images and files may be read from; ORCOLLECTIVE_FILE_ROOTS, or the older ORCOLLECTIVE_IMAGE_ROOTS.
    image_roots: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("ORCOLLECTIVE_FILE_ROOTS", "ORCOLLECTIVE_IMAGE_ROOTS", "image_roots"),
    )
    default_models: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(DEFAULT_PANEL))
    aggregator_model: str | None = None
    request_timeout_s: float = Field(default=120.0, gt=0)
    connect_timeout_s: float = Field(default=10.0, gt=0)
    max_concurrency: int = Field(default=16, ge=1, le=256)
    max_attempts: int = Field(default=3, ge=1, le=10)
    retry_max_wait_s: float = Field(default=10.0, ge=0)
    retry_total_s: float = Field(default=30.0, ge=0)
    catalog_ttl_s: float = Field(default=3600.0, ge=0)
    consensus_timeout_s: float = Field(default=45.0, gt=0)
    chat_timeout_s: float = Field(default=50.0, gt=0)  # a whole chat, retries and slow streams included
    stream_idle_s: float = Field(default=30.0, gt=0)  # a stream that sends nothing this long is given up
    max_reply_chars: int = Field(default=2_000_000, ge=1000)  # longer replies are cut and marked truncated
    app_url: str = "https://github.com/orcollective/orcollective"
    app_title: str = "orcollective"
    log_level: str = "WARNING"
    tools: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(TOOL_GROUPS))
    # streamable HTTP: a bind other than loopback needs the token; Host/Origin are checked against the lists
    http_token: SecretStr | None = None
    allowed_hosts: Annotated[list[str], NoDecode] = Field(default_factory=list)
    allowed_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    http_session_idle_s: float = Field(default=1800.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments, then the environment (``OPENROUTER_API_KEY`` first), ``.env``, the user's config file."""
        return init_settings, env_settings, dotenv_settings, _ConfigFile(settings_cls), file_secret_settings

    @field_validator("default_models", "tools", "image_roots", "allowed_hosts", "allowed_origins", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("tools")
    @classmethod
    def _known_groups(cls, value: list[str]) -> list[str]:
        unknown = [group for group in value if group not in TOOL_GROUPS]
        if unknown:
            raise ValueError(
                f"unknown tool group(s) {', '.join(unknown)}; use a comma list of {', '.join(TOOL_GROUPS)}"
            )
        return value

    @field_validator("base_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("log level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
        return level

    @property
    def has_key(self) -> bool:
        return self.api_key is not None and bool(self.api_key.get_secret_value().strip())

    @property
    def store_path(self) -> Path:
        return self.data_dir / "runs.sqlite3"

    @property
    def catalog_dir(self) -> Path:
        """One catalog cache per base URL: another endpoint serves another model list."""
        digest = hashlib.sha256(self.base_url.encode()).hexdigest()[:12]
        return self.cache_dir / "catalog" / digest
