"""The simulator's OpenRouter features over raw HTTP: presets, variants, file parts and engines, tool
choice, prompt caching and the response cache headers."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from orcollective.simulator import ScriptedModel, Simulator

PDF = base64.b64encode(b"%PDF-1.4\nBT (Quarterly revenue rose) Tj ET\n").decode()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator([ScriptedModel("f/echo", reply=lambda body: str(body["messages"][-1]["content"]))],
                   presets={"house": {"model": "f/echo"}}) as s:  # fmt: skip
        yield s


def post(sim: Simulator, body: dict, **headers: str) -> httpx.Response:
    auth = {"Authorization": f"Bearer {sim.api_key}", **headers}
    return httpx.post(f"{sim.base_url}/chat/completions", json=body, headers=auth, timeout=10)


def ask(model: str, content: object = "hi", **extra) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": content}], **extra}


def test_presets_resolve_and_unknown_presets_are_404(sim):
    """@preset/house answers with its model; an unknown preset is a 404 naming it."""
    assert post(sim, ask("@preset/house")).json()["model"] == "f/echo"
    missing = post(sim, ask("@preset/other"))
    assert missing.status_code == 404 and "Preset '@preset/other' not found" in missing.text


def test_variants_are_served_by_their_base_model(sim):
    """:floor and :online are served by the base model; :online also cites sources."""
    body = post(sim, ask("openai/gpt-4o-mini:online")).json()
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["choices"][0]["message"]["annotations"][0]["type"] == "url_citation"
    assert post(sim, ask("openai/gpt-4o-mini:floor")).json()["model"] == "openai/gpt-4o-mini"


def test_the_file_parser_reads_pdf_text_and_checks_its_engine(sim):
    """A PDF part's text reaches the model; an unknown engine or a bad file part is a 400."""
    pdf = {"filename": "q.pdf", "file_data": "data:application/pdf;base64," + PDF}
    parts = [{"type": "text", "text": "Summarise"}, {"type": "file", "file": pdf}]
    ok = post(sim, ask("f/echo", parts, plugins=[{"id": "file-parser", "pdf": {"engine": "native"}}]))
    assert "Quarterly revenue rose" in ok.json()["choices"][0]["message"]["content"]
    engine = post(sim, ask("f/echo", parts, plugins=[{"id": "file-parser", "pdf": {"engine": "magic"}}]))
    assert engine.status_code == 400 and "file-parser engine" in engine.text
    bad = post(sim, ask("f/echo", [{"type": "file", "file": {"file_data": "ftp://x"}}]))
    assert bad.status_code == 400 and "Invalid file part" in bad.text


def test_a_tool_choice_outside_tools_is_a_400(sim):
    """tool_choice must name one of the request's functions."""
    tools = [{"type": "function", "function": {"name": "a"}}]
    reply = post(sim, ask("f/echo", tools=tools, tool_choice={"type": "function", "function": {"name": "b"}}))
    assert reply.status_code == 400


def test_cache_control_prefixes_are_read_from_the_cache_on_a_repeat(sim):
    """The first call writes the marked prefix, the repeat reads it at the cache price."""
    parts = [{"type": "text", "text": "context " * 500, "cache_control": {"type": "ephemeral"}},
             {"type": "text", "text": "question"}]  # fmt: skip
    first = post(sim, ask("anthropic/claude-3.5-haiku", parts)).json()["usage"]
    second = post(sim, ask("anthropic/claude-3.5-haiku", parts)).json()["usage"]
    assert (
        first["prompt_tokens_details"]["cache_write_tokens"] > 0
        and first["prompt_tokens_details"]["cached_tokens"] == 0
    )
    assert second["prompt_tokens_details"]["cached_tokens"] == first["prompt_tokens_details"]["cache_write_tokens"]
    assert second["cost"] < first["cost"]


def test_the_response_cache_answers_identical_requests_for_free(sim):
    """X-OpenRouter-Cache: true -> MISS then HIT with zero usage; another body misses again."""
    first = post(sim, ask("openai/gpt-4o-mini"), **{"X-OpenRouter-Cache": "true"})
    second = post(sim, ask("openai/gpt-4o-mini"), **{"X-OpenRouter-Cache": "true"})
    other = post(sim, ask("openai/gpt-4o-mini", "other"), **{"X-OpenRouter-Cache": "true"})
    assert [r.headers["x-openrouter-cache-status"] for r in (first, second, other)] == ["MISS", "HIT", "MISS"]
    assert second.json()["usage"]["cost"] == 0 and second.json()["id"] != first.json()["id"]
    assert "x-openrouter-cache-status" not in post(sim, ask("openai/gpt-4o-mini")).headers
