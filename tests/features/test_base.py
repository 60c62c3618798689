"""The feature contract: one Request model is the MCP input schema, the CLI options and the validator."""

from __future__ import annotations

import pytest
import typer.main
from mcp import Client
from pydantic import ValidationError

from conftest import no_wait, settings_for
from orcollective.cli import app
from orcollective.cli.extensions import EXTENSIONS
from orcollective.features import FEATURES, Feature
from orcollective.mcp import build_server

BY_NAME = {f.name: f for f in FEATURES}


@pytest.fixture(scope="module")
def commands() -> dict:
    return dict(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_feature_names_and_cli_commands_are_unique():
    """One list, no duplicates: a tool name or command name is taken once."""
    assert len(BY_NAME) == len(FEATURES)
    cli_names = [f.cli.command for f in FEATURES if f.cli]
    assert len(set(cli_names)) == len(cli_names)


async def test_the_mcp_schema_is_the_request_model(simulator, tmp_path):
    """Each tool's input properties and required list are exactly its Request model's fields."""
    async with Client(build_server(settings_for(simulator, tmp_path), retry=no_wait())) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
    assert set(tools) == set(BY_NAME)
    for name, tool in tools.items():
        fields = BY_NAME[name].request.model_fields
        assert list(tool.input_schema["properties"]) == list(fields), name
        required = sorted(n for n, f in fields.items() if f.is_required())
        assert sorted(tool.input_schema.get("required", [])) == required, name


@pytest.mark.parametrize("feature", [f for f in FEATURES if f.cli], ids=lambda f: f.name)
def test_the_cli_options_are_the_request_model(feature: Feature, commands):
    """Each command offers every Request field it does not leave to MCP, plus --json and its terminal-only
    options (cli/extensions.py), and nothing else."""
    assert feature.cli is not None
    command = commands[feature.cli.command]
    terminal_only = (
        {p.name for p in EXTENSIONS[feature.cli.command].params} if feature.cli.command in EXTENSIONS else set()
    )
    offered = {p.name for p in command.params} - {"as_json"} - terminal_only
    fields = set(feature.request.model_fields)
    assert offered <= fields
    left_out = fields - offered
    assert left_out <= set(feature.cli.hidden) | {n for n in fields if _is_object(feature, n)}, left_out


def _is_object(feature: Feature, name: str) -> bool:
    text = str(feature.request.model_fields[name].annotation)
    return "dict" in text


@pytest.mark.parametrize("feature", FEATURES, ids=lambda f: f.name)
def test_unknown_names_are_refused_with_the_closest_one(feature: Feature):
    """Every Request refuses an argument it does not have, suggesting a near name."""
    first = next(iter(feature.request.model_fields))
    with pytest.raises(ValidationError) as info:
        feature.request.model_validate({first + "x": 1})
    problems = feature.request.problems(info.value)
    assert any(f"did you mean '{first}'?" in p for p in problems), problems
