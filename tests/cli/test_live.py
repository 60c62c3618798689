"""Progress as a person watches it in an 80-column terminal: a live row per model, a spinner before the
first token, Ctrl-C that stops cleanly and says what was spent."""

from __future__ import annotations

import json
import re

from orcollective.simulator import ScriptedModel, Simulator

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"
PANEL = [
    ScriptedModel("meta-llama/llama-3.1-405b-instruct-quick", reply="Answer: B", latency_s=0.1),
    ScriptedModel("anthropic/claude-3.5-sonnet-long-id-test", reply="(B)", latency_s=0.2),
    ScriptedModel("google/gemini-2.0-flash-wrong-answerer", reply="Answer: A", latency_s=0.3),
    ScriptedModel("mistralai/mistral-large-slowest-of-all", reply="B", latency_s=1.5),
    ScriptedModel("deepseek/deepseek-chat-always-failing", always_fault="502"),
]
IDS = [m.id for m in PANEL]


def consensus_args(*extra: str) -> list[str]:
    return ["consensus", MC, *(a for m in IDS for a in ("-m", m)), "--no-early-stop", *extra]


def test_consensus_shows_a_live_row_per_model_then_the_table(tmp_path, terminal, cli_env):
    """Mid-run every model has its own row (waiting, answered or failed); the final table replaces it."""
    with Simulator(PANEL) as sim:
        term = terminal(consensus_args(), cli_env(sim, tmp_path))
        mid = term.wait_for(lambda s: "waiting" in s and "answered B) Carbon dioxide" in s)
        code, final = term.finish()
    for model in IDS:
        assert re.search(rf"^\S+ {re.escape(model)} +(waiting|answered|failed)", mid, re.M), mid
    assert "consensus ·" in mid and "failed" in mid
    assert code == 0, final
    assert "waiting" not in final and "Answer: B) Carbon dioxide" in final
    for model in IDS:  # a table row, or the id on a line and its values under it (stacked)
        assert re.search(rf"^{re.escape(model)}(\n  status)? +(answered|failed)", final, re.M), final
    assert "None" not in final and "dissent: google/gemini-2.0-flash-wrong-answerer: A) Oxygen" in final


def test_first_progress_appears_before_any_model_answers(tmp_path, terminal, cli_env):
    """The panel is on screen while the fastest model is still thinking."""
    slow = [ScriptedModel(m.id, reply="B", latency_s=2.0) for m in PANEL[:3]]
    with Simulator(slow) as sim:
        term = terminal(consensus_args()[:1] + [MC, *(a for m in slow for a in ("-m", m.id))], cli_env(sim, tmp_path))
        first = term.wait_for("waiting")
        assert "answered" not in first.split("consensus ·", 1)[1].split("\n", 1)[1]
        assert term.finish()[0] == 0


def test_ask_shows_a_spinner_until_the_first_token(tmp_path, terminal, cli_env):
    """Before the first token: the model and the seconds waited; then the answer, and no spinner left."""
    with Simulator([ScriptedModel("sim/thinker", reply="Carbon dioxide.", latency_s=1.2)]) as sim:
        term = terminal(["ask", "sim/thinker", "Which gas?"], cli_env(sim, tmp_path))
        waiting = term.wait_for("waiting for sim/thinker")
        code, final = term.finish()
    assert re.search(r"waiting for sim/thinker · \d+\.\ds", waiting)
    assert code == 0 and "Carbon dioxide." in final and "waiting for" not in final


def test_a_stream_cut_half_way_ends_its_line_before_the_error(tmp_path, terminal, cli_env):
    """The partial answer and the error are on separate lines, and the error says the connection dropped."""
    with Simulator() as sim:
        term = terminal(["ask", "sim/cut", "hello"], cli_env(sim, tmp_path, ORCOLLECTIVE_MAX_ATTEMPTS="1"))
        code, final = term.finish()
    assert code == 1
    error = [line for line in final.splitlines() if line.startswith("Error")]
    assert error and "connection dropped mid-answer" in error[0], final


def test_ctrl_c_cancels_says_what_was_spent_and_keeps_the_run(tmp_path, terminal, cli_env, piped):
    """Ctrl-C mid-run: every call stops, one line says what was spent, the run is stored as cancelled."""
    panel = [ScriptedModel("c/quick", reply="B", latency_s=0.1), ScriptedModel("c/stuck", reply="B", latency_s=60)]
    with Simulator(panel) as sim:
        env = cli_env(sim, tmp_path)
        term = terminal(["consensus", MC, "-m", "c/quick", "-m", "c/stuck"], env)
        term.wait_for(lambda s: "answered B) Carbon dioxide" in s)
        term.interrupt()
        code, final = term.finish(timeout=15)
        listed = json.loads(piped(["runs", "--json"], env).stdout)
    assert code == 130, final
    assert re.search(r"Cancelled after \d+\.\ds, 1 of 2 models had answered, \$\d+\.\d{6} spent", final), final
    assert "Traceback" not in final
    assert listed["runs"][0]["status"] == "cancelled"


def test_a_model_answering_slowly_shows_its_answer_streaming_in(tmp_path, terminal, cli_env):
    """While a model streams its answer, its row says streaming with the characters so far."""
    drip = ScriptedModel("sim/drip", reply="Weighing each option carefully. " * 6 + "Answer: B", tokens_per_s=20)
    quick = ScriptedModel("sim/quick", reply="Answer: B")
    with Simulator([drip, quick]) as sim:
        args = ["consensus", MC, "-m", "sim/drip", "-m", "sim/quick", "--no-early-stop"]
        term = terminal(args, cli_env(sim, tmp_path))
        mid = term.wait_for(lambda s: re.search(r"sim/drip +streaming +\d+ characters", s) is not None)
        code, final = term.finish()
    assert re.search(r"sim/quick +answered", mid), mid
    assert code == 0 and "streaming" not in final and "Answer: B) Carbon dioxide" in final
