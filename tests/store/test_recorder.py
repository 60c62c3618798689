"""The run recorder writes a run and its calls from Completions, and never fails the caller."""

from __future__ import annotations

from pathlib import Path

from orcollective.openrouter import Completion, Usage
from orcollective.store import RunRecorder, RunStore


def completion() -> Completion:
    usage = Usage(prompt_tokens=12, completion_tokens=5, reasoning_tokens=2, cached_tokens=3, cost_usd=0.0004)
    return Completion(
        text="Answer: 42",
        model="prov/served",
        requested_model="prov/asked",
        provider="Prov",
        generation_id="gen-9",
        usage=usage,
        cost_usd=0.0004,
        cost_source="usage.cost",
        latency_s=0.25,
    )


def test_a_call_keeps_everything_its_completion_says(tmp_path: Path) -> None:
    """Tokens, generation id, cost source, provider and both model ids reach the calls table."""
    store = RunStore(tmp_path / "runs.sqlite3")
    try:
        recorder = RunRecorder(store, "consensus", {"prompt": "q"})
        recorder.call("prov/asked", completion(), role="panelist", answer="42")
        recorder.call("prov/other", None, role="panelist", error="timed out", latency_s=3.0)
        recorder.finish("done", cost_usd=0.0004)
        run = store.get_run(recorder.run_id)
    finally:
        store.close()
    ok, failed = run["calls"]
    assert ok["model"] == "prov/served" and ok["requested_model"] == "prov/asked"
    assert (ok["prompt_tokens"], ok["completion_tokens"], ok["reasoning_tokens"], ok["cached_tokens"]) == (12, 5, 2, 3)
    assert (ok["generation_id"], ok["cost_source"], ok["provider"], ok["answer"]) == (
        "gen-9", "usage.cost", "Prov", "42",
    )  # fmt: skip
    assert (failed["model"], failed["error"], failed["latency_s"]) == ("prov/other", "timed out", 3.0)
    assert run["status"] == "done"


def test_a_failing_store_becomes_a_note(tmp_path: Path) -> None:
    """A closed store does not raise into the caller; the first failure is kept as a note."""
    store = RunStore(tmp_path / "runs.sqlite3")
    recorder = RunRecorder(store, "chat", {})
    store.close()
    recorder.call("a/x", completion(), role="single")
    recorder.finish("done")
    assert len(recorder.notes) == 1 and "run not fully saved" in recorder.notes[0]


def test_without_a_store_nothing_is_recorded() -> None:
    """No store: no run id, no notes, no error."""
    recorder = RunRecorder(None, "chat", {})
    recorder.call("a/x", completion(), role="single")
    recorder.finish("done")
    assert recorder.run_id is None and recorder.notes == []
