"""The collective commands' --file and --web-search flags: the tools' openrouter argument from a terminal."""

from __future__ import annotations

import json

from orcollective.simulator import ScriptedModel

PDF = b"%PDF-1.4\n1 0 obj<<>>stream\nBT (The code word is heron) Tj ET\nendstream\n%%EOF\n"


def _reader(body: dict) -> str:
    return "heron" if "heron" in json.dumps(body["messages"]) else "no file"


def test_the_collective_commands_take_file_and_web_search_flags(simulator, tmp_path, cli_env, piped):
    """`orcollective consensus --file F --web-search` is the tool's openrouter argument."""
    for model in ("r/one", "r/two"):
        simulator.script(ScriptedModel(model, reply=_reader))
    (tmp_path / "memo.pdf").write_bytes(PDF)
    env = cli_env(simulator, tmp_path, ORCOLLECTIVE_IMAGE_ROOTS=str(tmp_path))
    done = piped(["consensus", "What is the code word?", "-m", "r/one", "-m", "r/two", "--answer-type", "text",
                  "--file", str(tmp_path / "memo.pdf"), "--web-search", "--json"], env)  # fmt: skip
    assert done.returncode == 0, done.stderr
    sent = [r.json for r in simulator.requests if r.path.endswith("/chat/completions")]
    assert len(sent) == 2 and all(b["tools"][0]["type"] == "openrouter:web_search" for b in sent)
    assert all(b["messages"][-1]["content"][-1]["type"] == "file" for b in sent)
    assert json.loads(done.stdout)["answer"] == "heron"
