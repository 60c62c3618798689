"""Tables as a person reads them at 80 columns: whole ids, local dates, a rendered run, no "None"."""

from __future__ import annotations

import json
import re
import time

from orcollective.simulator import ScriptedModel, Simulator

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"
LONG = [
    "google/gemini-2.0-flash-thinking-exp-with-a-long-id",
    "google/gemini-2.0-flash-thinking-exp-with-a-long-id:free",
]


def test_models_at_80_columns_never_cut_an_id(simulator, tmp_path, terminal, cli_env, piped):
    """Two models whose ids differ only at the end can be told apart and copied; the count says what is shown."""
    for model in LONG:
        simulator.script(ScriptedModel(model, reply="hi"))
    env = cli_env(simulator, tmp_path)
    listed = json.loads(piped(["models", "gemini", "--json", "--limit", "50"], env).stdout)
    code, screen = terminal(["models", "gemini", "--limit", "50"], env).finish()
    assert code == 0
    lines = screen.splitlines()
    for row in listed["models"]:
        assert any(re.match(rf"^{re.escape(row['id'])}(\s|$)", line) for line in lines), row["id"]
    assert "…" not in screen
    few = terminal(["models", "gemini", "--limit", "2"], env).finish()[1]
    assert f"{listed['total']} models match; showing 1–2; next page: --offset 2" in few


def test_piped_output_has_no_control_codes(simulator, tmp_path, cli_env, piped):
    """A table sent to a file or a pipe is plain text."""
    done = piped(["models", "gpt-4o"], cli_env(simulator, tmp_path))
    assert done.returncode == 0 and "openai/gpt-4o" in done.stdout
    assert "\x1b" not in done.stdout + done.stderr


def test_runs_list_and_one_run_rendered(tmp_path, terminal, cli_env, piped):
    """runs shows local date, tool, status, cost and prompt; runs ID the panel, answer, dissent and costs."""
    panel = [ScriptedModel("r/a", reply="Answer: B"), ScriptedModel("r/b", reply="B"),
             ScriptedModel("r/c", reply="Answer: A")]  # fmt: skip
    with Simulator(panel) as sim:
        env = cli_env(sim, tmp_path)
        done = piped(["consensus", MC, "-m", "r/a", "-m", "r/b", "-m", "r/c", "--no-early-stop", "--json"], env)
        run_id = json.loads(done.stdout)["run_id"]
        code, listing = terminal(["runs"], env).finish()
        detail = terminal(["runs", run_id], env).finish()[1]
        raw = json.loads(piped(["runs", run_id, "--json"], env).stdout)
    assert code == 0
    today = time.strftime("%Y-%m-%d")
    assert re.search(rf"^{run_id} +{today} \d\d:\d\d +consensus +done +\$\d+\.\d{{6}}", listing, re.M), listing
    assert "Which gas do plants absorb?" in listing
    assert f"run {run_id} · consensus · done · {today}" in detail
    for model in ("r/a", "r/b", "r/c"):
        assert re.search(rf"^{re.escape(model)} +answered +[AB]\) \w+", detail, re.M), detail
    assert "Answer: B) Carbon dioxide" in detail and "dissent: r/c: A) Oxygen" in detail
    assert "None" not in detail
    assert raw["id"] == run_id and len(raw["calls"]) == 3  # --json: the run record itself
