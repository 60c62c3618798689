"""The orcollective command as a user runs it: a subprocess against the simulator."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from orcollective.simulator import ScriptedModel, Simulator

MC = "Which gas do plants absorb?\nA) Oxygen\nB) Carbon dioxide\nC) Nitrogen\nD) Helium"


def cli(sim: Simulator | None, tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OPENROUTER_", "ORCOLLECTIVE_"))}
    if sim is not None:
        base.update(OPENROUTER_API_KEY=sim.api_key, OPENROUTER_BASE_URL=sim.base_url)
    base.update(
        ORCOLLECTIVE_CACHE_DIR=str(tmp_path / "cache"),
        ORCOLLECTIVE_DATA_DIR=str(tmp_path / "data"),
        COLUMNS="200",
        **env,
    )
    return subprocess.run(
        [sys.executable, "-m", "orcollective", *args],
        env=base,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_help_and_version(tmp_path):
    """--help lists the commands; --version prints the version."""
    help_text = cli(None, tmp_path, "--help").stdout
    for command in ("serve", "demo", "doctor", "models", "ask", "consensus", "runs"):
        assert command in help_text
    assert cli(None, tmp_path, "--version").stdout.startswith("orcollective ")


def test_ask_streams_the_answer_to_stdout(simulator, tmp_path):
    """ask prints the answer on stdout and the model, tokens and cost on stderr."""
    done = cli(simulator, tmp_path, "ask", "sim/echo", "streamed words")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "streamed words"
    assert "sim/echo" in done.stderr and "$" in done.stderr


def test_models_filters_and_prints_json(simulator, tmp_path):
    """models QUERY --free --json prints matching rows as JSON."""
    done = cli(simulator, tmp_path, "models", "llama", "--free", "--json")
    data = json.loads(done.stdout)
    assert data["models"] and all(m["free"] and "llama" in m["id"] for m in data["models"])
    table = cli(simulator, tmp_path, "models", "gpt-4o")
    assert "openai/gpt-4o" in table.stdout and "$ in/1M" in table.stdout


def test_consensus_shows_progress_and_a_table(tmp_path):
    """consensus prints live progress, each model's answer, latency and cost, then the winner."""
    panel = [ScriptedModel("c/a", reply="Answer: B"), ScriptedModel("c/b", reply="(B)"),
             ScriptedModel("c/c", reply="A", latency_s=0.2)]  # fmt: skip
    with Simulator(panel) as sim:
        done = cli(sim, tmp_path, "consensus", MC, "-m", "c/a", "-m", "c/b", "-m", "c/c", "--no-early-stop")
        listed = cli(sim, tmp_path, "runs")
    assert done.returncode == 0, done.stderr
    for model in ("c/a", "c/b", "c/c"):  # piped: one plain line per finished model
        assert f"✓ {model} answered: " in done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    assert "Answer: B) Carbon dioxide" in done.stdout
    assert "confidence 77%" in done.stdout  # 2 of 3 agree: the posterior under the prior reliability
    for model in ("c/a", "c/b", "c/c"):
        assert model in done.stdout
    assert "consensus" in listed.stdout


def test_errors_are_one_line_with_exit_code(simulator, tmp_path):
    """A typo in a model id is one line with suggestions naming the command, exit 2; a bad setting exits 2."""
    done = cli(simulator, tmp_path, "ask", "openai/gpt4o", "hi")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Did you mean: openai/gpt-4o" in done.stderr and "Use `orcollective models`" in done.stderr
    bad = cli(simulator, tmp_path, "models", ORCOLLECTIVE_MAX_CONCURRENCY="lots")
    assert bad.returncode == 2 and "max_concurrency" in bad.stderr and "Traceback" not in bad.stderr


def test_doctor_passes_against_a_healthy_api(simulator, tmp_path):
    """doctor checks the key, base URL, credits, folders and a real server handshake."""
    done = cli(simulator, tmp_path, "doctor")
    assert done.returncode == 0, done.stdout + done.stderr
    for check in ("API key", "base URL", "credits", "cache and data folders", "MCP handshake"):
        assert f"✓ {check}: " in done.stdout
    assert simulator.api_key not in done.stdout + done.stderr
    assert "All checks passed" in done.stdout


def test_doctor_reports_what_is_wrong(simulator, tmp_path):
    """Without a key and with an unreachable URL, doctor says how to fix each and exits 1."""
    done = cli(None, tmp_path, "doctor", OPENROUTER_BASE_URL="http://127.0.0.1:9/api/v1", ORCOLLECTIVE_MAX_ATTEMPTS="1")
    assert done.returncode == 1
    assert "✗ API key: OPENROUTER_API_KEY is not set" in done.stdout
    assert "✗ base URL: server unreachable: Cannot reach" in done.stdout and "check OPENROUTER_BASE_URL" in done.stdout
    assert not re.search(r"\d\d:\d\d:\d\d", done.stdout + done.stderr)  # no log lines


def test_demo_runs_the_whole_pipeline(tmp_path):
    """`orcollective demo` drives the real server over stdio and ends with the panel's answer."""
    done = cli(None, tmp_path, "demo")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "tools/list" in done.stdout and "Unknown model 'openai/gpt4o'" in done.stdout
    assert "Demo finished: the panel answered B) Saturn" in done.stdout


def test_bad_options_are_one_line_naming_the_flag(simulator, tmp_path):
    """A value the Request model refuses names the flag a person typed, exits 2 and spends nothing."""
    done = cli(simulator, tmp_path, "consensus", MC, "-m", "a/x", "-m", "b/y", "--max-cost", "-1")
    assert done.returncode == 2
    assert "--max-cost: Input should be greater than 0" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    assert simulator.calls() == 0
    choice = cli(simulator, tmp_path, "consensus", MC, "--strategy", "loudest")
    assert choice.returncode == 2 and "loudest" in choice.stderr
    assert choice.stderr.count("\n") == 1 and "(see orcollective consensus --help)" in choice.stderr
    port = cli(simulator, tmp_path, "serve", "--transport", "http", "--port", "99999")
    assert port.returncode == 2 and port.stderr.count("\n") == 1 and "'--port'" in port.stderr


def test_model_and_usage_commands_come_from_their_features(simulator, tmp_path):
    """model_info and usage are commands too, with --json from the same Result models."""
    info = json.loads(cli(simulator, tmp_path, "model", "openai/gpt-4o", "--json").stdout)
    assert info["id"] == "openai/gpt-4o" and info["prompt_per_mtok"] > 0
    usage = cli(simulator, tmp_path, "usage")
    assert usage.returncode == 0 and "This server spent" in usage.stdout


def test_bench_reads_a_prompts_file_and_writes_the_report(simulator, tmp_path):
    """bench --prompts-file FILE.jsonl --out report.md: prompts and expected answers from the file, the report
    written where the person asked; a bad --out suffix is one line, exit 2."""
    prompts = tmp_path / "prompts.jsonl"
    prompts.write_text('{"prompt": "Say yes", "expected": "yes"}\n\n"Say no"\n')
    report = tmp_path / "report.md"
    done = cli(simulator, tmp_path, "bench", "-m", "sim/echo", "--prompts-file", str(prompts), "--out", str(report))
    assert done.returncode == 0, done.stderr
    assert report.exists() and "sim/echo" in report.read_text()
    assert "2 prompts" in done.stdout
    bad = cli(simulator, tmp_path, "bench", "-m", "sim/echo", "-p", "hi", "--out", str(tmp_path / "r.docx"))
    assert bad.returncode == 2 and "--out must end in" in bad.stderr


def test_runs_id_json_is_the_run_record(simulator, tmp_path):
    """`orcollective runs ID --json` prints the run record itself (id, status, calls), for scripts."""
    assert cli(simulator, tmp_path, "ask", "sim/echo", "hello").returncode == 0
    listed = json.loads(cli(simulator, tmp_path, "runs", "--json").stdout)
    run_id = listed["runs"][0]["id"]
    record = json.loads(cli(simulator, tmp_path, "runs", run_id, "--json").stdout)
    assert record["id"] == run_id and record["status"] == "done" and record["calls"]
