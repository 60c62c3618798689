"""Settings: environment, .env file, lists, validation, and the key kept secret."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from orcollective.settings import DEFAULT_PANEL, Settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """Each test starts from an empty environment in an empty folder (no stray .env)."""
    for name in list(os.environ):
        if name.startswith(("OPENROUTER_", "ORCOLLECTIVE_")):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults_start_without_a_key():
    """No key is not an error: the server can start and explain."""
    s = Settings()
    assert not s.has_key
    assert s.base_url == "https://openrouter.ai/api/v1"
    assert s.default_models == list(DEFAULT_PANEL)
    assert s.max_concurrency >= 16
    assert s.tools == ["core", "collective", "runs", "benchmark", "free"]


def test_environment_and_comma_lists(monkeypatch):
    """OPENROUTER_* and ORCOLLECTIVE_* variables are read; lists are comma separated."""
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-abc")
    monkeypatch.setenv("OPENROUTER_BASE_URL", "http://127.0.0.1:1234/v1/")
    monkeypatch.setenv("ORCOLLECTIVE_DEFAULT_MODELS", "a/x, b/y ,c/z")
    monkeypatch.setenv("ORCOLLECTIVE_TOOLS", "core")
    monkeypatch.setenv("ORCOLLECTIVE_MAX_CONCURRENCY", "32")
    s = Settings()
    assert s.has_key and s.api_key.get_secret_value() == "sk-or-v1-abc"
    assert s.base_url == "http://127.0.0.1:1234/v1"
    assert s.default_models == ["a/x", "b/y", "c/z"]
    assert s.tools == ["core"] and s.max_concurrency == 32


def test_dotenv_file_is_honoured(tmp_path):
    """A .env file in the working folder supplies settings."""
    (tmp_path / ".env").write_text("OPENROUTER_API_KEY=sk-or-v1-fromfile\nORCOLLECTIVE_LOG_LEVEL=debug\n")
    s = Settings()
    assert s.api_key.get_secret_value() == "sk-or-v1-fromfile"
    assert s.log_level == "DEBUG"


def test_the_key_never_shows_in_repr_or_dump(monkeypatch):
    """The key is a SecretStr: repr and model dumps hide it."""
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-v1-supersecret")
    s = Settings()
    assert "supersecret" not in repr(s)
    assert "supersecret" not in s.model_dump_json()


@pytest.mark.parametrize(
    ("name", "value", "field"),
    [
        ("ORCOLLECTIVE_TOOLS", "core,bogus", "tools"),
        ("ORCOLLECTIVE_MAX_CONCURRENCY", "0", "max_concurrency"),
        ("ORCOLLECTIVE_REQUEST_TIMEOUT_S", "-1", "request_timeout_s"),
        ("ORCOLLECTIVE_LOG_LEVEL", "loud", "log_level"),
    ],
)
def test_bad_values_name_the_setting(monkeypatch, name, value, field):
    """A bad value fails validation naming the field."""
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as info:
        Settings()
    assert info.value.errors()[0]["loc"] == (field,)


def test_catalog_cache_is_separate_per_base_url(tmp_path):
    """Two endpoints never share a catalog cache."""
    a = Settings(cache_dir=tmp_path, base_url="https://openrouter.ai/api/v1")
    b = Settings(cache_dir=tmp_path, base_url="http://127.0.0.1:8000/v1")
    assert a.catalog_dir != b.catalog_dir and a.catalog_dir.parent == b.catalog_dir.parent
