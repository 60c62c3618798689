"""Errors in the command line's words: one line each, flags and commands named, the failures told apart."""

from __future__ import annotations

import pytest

from orcollective.cli.errors import cli_wording, error_line, exit_code
from orcollective.errors import BudgetExceeded, ModelNotFound, ServerError, UnknownModel


def test_tool_names_become_flags_and_commands():
    """max_cost_usd reads --max-cost; list_models reads `orcollective models`; plain words stay."""
    text = cli_wording(
        "raise max_cost_usd or timeout_s; use list_models; the prompt stays",
        {"max_cost_usd": "--max-cost", "timeout_s": "--timeout", "prompt": "PROMPT"},
        {"list_models": "orcollective models"},
    )
    assert text == "raise --max-cost or --timeout; use `orcollective models`; the prompt stays"


def test_exit_codes_tell_usage_from_upstream():
    """2 for what the person can fix in the command, 1 for a failure upstream."""
    assert exit_code(UnknownModel("x/y")) == 2 and exit_code(BudgetExceeded("over")) == 2
    assert exit_code(ServerError("boom")) == 1


def test_a_404_on_the_catalog_is_a_wrong_base_url():
    """Only the catalog request has no model: its 404 names OPENROUTER_BASE_URL, not a provider."""
    line = error_line(ModelNotFound("No provider serves this model", status=404), "http://h/v1", {}, {})
    assert "wrong base URL" in line and "http://h/v1/models answered 404" in line


@pytest.mark.parametrize(
    ("env", "args", "label"),
    [
        ({"OPENROUTER_BASE_URL": "{base}/../v2"}, ["models"], "wrong base URL"),
        ({"OPENROUTER_BASE_URL": "http://127.0.0.1:9/api/v1"}, ["models"], "server unreachable"),
        ({"OPENROUTER_API_KEY": "sk-or-wrong"}, ["ask", "sim/echo", "hi"], "bad key"),
        ({}, ["ask", "sim/no-credits", "hi"], "no credits"),
        ({}, ["ask", "sim/cut", "hi"], "connection dropped mid-answer"),
    ],
)
def test_each_failure_is_one_labelled_line(simulator, tmp_path, cli_env, piped, env, args, label):
    """Each kind of failure a person fixes differently says which it is, on one line, exit 1."""
    extra = {k: v.replace("{base}", simulator.base_url) for k, v in env.items()}
    done = piped(args, cli_env(simulator, tmp_path, ORCOLLECTIVE_MAX_ATTEMPTS="1", **extra))
    assert done.returncode == 1, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"Error ({label}): "), done.stderr
    assert simulator.api_key not in done.stderr
