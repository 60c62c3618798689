"""Every file argument of every tool, through the MCP client: a path that leaves the allowed folder is
refused with one line naming the argument and a fix, before anything is sent upstream.

Read arguments (``images``, ``files``, ``openrouter.files``, found from each tool's Request model) may read
only under the allowed root; ``benchmark_report``'s ``filename`` may write only inside the output folder.
The escapes: ``..`` out of the root, absolute paths outside it, ``~`` (HOME is a folder outside the root
holding the file asked for), a symlink inside the root to a file outside, a symlinked directory, a NUL in
the path, a FIFO, a directory, and a file over the size limit. A file inside the root is read (its bytes
reach upstream), so each refusal is the path's doing.
"""

from __future__ import annotations

import base64
import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from mcp import Client
from PIL import Image

from conftest import no_wait, settings_for
from orcollective.features import FEATURES
from orcollective.inputs.images import ImagePolicy
from orcollective.mcp import build_server
from orcollective.simulator import ScriptedModel, Simulator
from orcollective.simulator.catalog import scripted_model

MAX_BYTES = ImagePolicy(allowed_roots=()).max_bytes
SECRET = "SECRET-OUTSIDE-THE-ROOT"
INSIDE = "INSIDE-THE-ROOT"
FIX_WORDS = re.compile(r"\b(move|set|pass|check|use|choose|send|give)\b", re.IGNORECASE)  # the fix named
PANEL = ["pe/alpha", "pe/bravo"]
FREE = "pe/vision:free"
PLAN = {"subtasks": [{"id": "s1", "task": "look", "depends_on": []}]}


def png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3, 3), color).save(out, format="PNG")
    return out.getvalue()


def reply(body: dict) -> str:
    """Plans, reviews and answers as the collective tools ask for them."""
    text = "\n".join(str(m.get("content")) for m in body.get("messages", []))
    if "Plan at most" in text:
        return json.dumps(PLAN)
    if asked := re.search(r"Score these criteria: (.*?)\. Reply", text):
        return json.dumps({"scores": dict.fromkeys(re.findall(r'"([^"]*)"', asked.group(1)), 7), "issues": []})
    return "Looked.\nAnswer: B"


def seeing(model_id: str) -> ScriptedModel:
    """A scripted model that takes images and files."""
    architecture = {**scripted_model(model_id)["architecture"], "modality": "text+image->text",
                    "input_modalities": ["text", "image", "file"]}  # fmt: skip
    return ScriptedModel(model_id, reply=reply, model_info={"architecture": architecture})


def base_call(tool: str) -> dict:
    """A small valid call of ``tool`` asking the scripted models."""
    calls = {
        "chat": {"model": PANEL[0], "prompt": "look", "timeout_s": 10},
        "free_chat": {"prompt": "look", "models": [FREE]},
        "consensus": {"prompt": "Which? A) x B) y", "models": PANEL, "timeout_s": 10},
        "collaborate": {"prompt": "look", "models": PANEL, "chairman": PANEL[0], "rounds": 1, "timeout_s": 10},
        "cross_validate": {"content": "look at this", "reviewers": PANEL, "timeout_s": 10},
        "ensemble_reasoning": {
            "problem": "look",
            "models": PANEL,
            "planner": PANEL[0],
            "aggregator": PANEL[1],
            "timeout_s": 10,
        },  # fmt: skip
        "benchmark": {"prompts": ["Which? A) x B) y"], "models": PANEL, "timeout_s": 10},
    }
    return dict(calls[tool])


def file_arguments() -> list[tuple[str, str]]:
    """(tool, argument) for every argument that names local files: images, files, openrouter.files."""
    found = []
    for feature in FEATURES:
        fields = feature.request.model_fields
        found += [(feature.name, name) for name in ("images", "files") if name in fields]
        if "openrouter" in fields:
            found.append((feature.name, "openrouter.files"))
    return found


def with_path(tool: str, argument: str, path: str) -> dict:
    call = base_call(tool)
    if argument == "openrouter.files":
        call["openrouter"] = {"files": [path]}
    else:
        call[argument] = [path]
    return call


class Tree:
    """The allowed root, a folder outside it with the secret files, and HOME outside the root too."""

    def __init__(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root, self.outside, home = tmp_path / "root", tmp_path / "outside", tmp_path / "home"
        for folder in (self.root, self.outside, home, self.root / "sub"):
            folder.mkdir()
        for folder in (self.outside, home):
            (folder / "secret.png").write_bytes(png("black"))
            (folder / "secret.txt").write_text(SECRET)
        (self.root / "ok.png").write_bytes(png("white"))
        (self.root / "ok.txt").write_text(INSIDE)
        monkeypatch.setenv("HOME", str(home))


# Each escape builds what it needs under the tree and returns the path to pass (``NAME`` is secret.png
# for images and secret.txt for files).
ESCAPES: dict[str, Callable[[Tree, str], str]] = {
    "dotdot": lambda t, name: f"../outside/{name}",
    "dotdot-deep": lambda t, name: "../../../../../../etc/passwd",
    "dotdot-via-sub": lambda t, name: f"sub/../../outside/{name}",
    "absolute-outside": lambda t, name: str(t.outside / name),
    "absolute-etc": lambda t, name: "/etc/passwd",
    "home": lambda t, name: f"~/{name}",
    "symlink-to-file": lambda t, name: _link(t.root / f"link-{name}", t.outside / name).name,
    "symlinked-dir": lambda t, name: f"{_link(t.root / 'linkdir', t.outside).name}/{name}",
    "nul": lambda t, name: f"ok.png\x00../outside/{name}",
    "fifo": lambda t, name: _fifo(t.root / f"pipe-{name}").name,
    "directory": lambda t, name: "sub",
    "over-the-limit": lambda t, name: _sparse(t.root / f"huge-{name}", MAX_BYTES + 1).name,
}


def _link(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        out.truncate(size)  # no blocks written: the size is all that is checked
    return path


def text_of(result) -> str:
    return " ".join(b.text for b in result.content if b.type == "text")


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    """One simulator for the module: each test reads only the requests sent during it."""
    with Simulator([seeing(model) for model in [*PANEL, FREE]]) as running:
        yield running


def sent_upstream(sim: Simulator, since: int) -> str:
    """The chat request bodies received after the first ``since`` requests."""
    chats = [r for r in sim.requests[since:] if r.path.endswith("/chat/completions")]
    return "\n".join(json.dumps(r.json) for r in chats)


def refusal_problems(text: str, is_error: bool, argument: str) -> list[str]:
    """What is wrong with ``text`` as the refusal of a path given in ``argument`` (nothing: [])."""
    index = "files[0]" if argument.endswith("files") else "images[0]"
    checks = {
        "not an error": is_error,
        "not one line": "\n" not in text and len(text) < 600,
        "names no fix": FIX_WORDS.search(text) is not None,
        f"does not name {index}": text.startswith(index) or f"{argument}[0]" in text,
        "echoes the secret or a traceback": SECRET not in text and "Traceback" not in text,
    }
    return [problem for problem, ok in checks.items() if not ok]


ARGUMENTS = file_arguments()


def test_every_file_argument_is_covered():
    """The tools taking files are the ones this module expects (a new one must be added to base_call)."""
    tools = {tool for tool, _ in ARGUMENTS}
    assert {"chat", "free_chat", "consensus", "collaborate", "cross_validate", "ensemble_reasoning"} <= tools
    assert ("chat", "files") in ARGUMENTS and ("consensus", "openrouter.files") in ARGUMENTS
    for tool in tools:
        base_call(tool)


@pytest.mark.parametrize(("tool", "argument"), ARGUMENTS, ids=[f"{t}-{a}" for t, a in ARGUMENTS])
async def test_a_path_leaving_the_root_is_refused(sim, tmp_path, monkeypatch, tool, argument):
    """A file in the root is read (its bytes reach upstream); every escape of ``ESCAPES`` is one line naming
    the argument and a fix, sends nothing upstream, leaves the session working; and a path outside the root
    is refused in the same words whether or not a file is there."""
    tree = Tree(tmp_path, monkeypatch)
    suffix = ".txt" if argument.endswith("files") else ".png"
    settings = settings_for(sim, tmp_path, image_roots=[str(tree.root)], output_dir=tmp_path / "out")
    failures: list[str] = []
    async with Client(build_server(settings, retry=no_wait())) as client:

        async def call(path: str) -> tuple[str, bool, str]:
            since = len(sim.requests)
            result = await client.call_tool(tool, with_path(tool, argument, path), read_timeout_seconds=30)
            return text_of(result), bool(result.is_error), sent_upstream(sim, since)

        *_, sent = await call("ok" + suffix)
        inside = INSIDE if suffix == ".txt" else base64.b64encode(png("white")).decode()
        assert inside in sent, "a file inside the root was not read"
        for escape, make in ESCAPES.items():
            text, is_error, sent = await call(make(tree, "secret" + suffix))
            problems = refusal_problems(text, is_error, argument) + (["sent upstream"] if sent else [])
            failures += [f"{escape}: {p}: {text[:300]}" for p in problems]
        exists, absent = [(await call(str(tree.outside / name)))[0].replace(name, "NAME")
                          for name in ("secret" + suffix, "absent" + suffix)]  # fmt: skip
        alive = await client.call_tool("list_models", {"limit": 1})
    assert exists == absent and "outside the allowed folders" in exists
    assert not alive.is_error
    assert not failures, "\n".join(failures)


# benchmark_report writes: each name is refused and nothing appears outside the output folder.
EXPORT_ESCAPES: dict[str, Callable[[Path, Path], str]] = {
    "dotdot": lambda out, outside: "../../etc/passwd",
    "dotdot-plain": lambda out, outside: "..",
    "absolute": lambda out, outside: str(outside / "x.md"),
    "home": lambda out, outside: "~/x.md",
    "backslash": lambda out, outside: "..\\x.md",
    "drive": lambda out, outside: "C:x.md",
    "symlink-to-file": lambda out, outside: _link(out / "link.md", outside / "target.md").name,
    "symlinked-dir": lambda out, outside: _link(out / "dir.md", outside).name,
    "nul": lambda out, outside: "x\x00.md",
    "fifo": lambda out, outside: _fifo(out / "pipe.md").name,
    "directory": lambda out, outside: _folder(out / "folder.md").name,
    "name-too-long": lambda out, outside: "x" * 300 + ".md",
    "empty": lambda out, outside: "   ",
}


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


async def test_an_export_leaving_the_folder_is_refused(sim, tmp_path):
    """A plain name is written into the output folder; every name of ``EXPORT_ESCAPES`` is one line naming
    filename and a fix, and nothing is written outside the folder, nor into the FIFO or the directory
    standing where the file would go."""
    out, outside = _folder(tmp_path / "out"), _folder(tmp_path / "outside")
    failures: list[str] = []
    async with Client(build_server(settings_for(sim, tmp_path, output_dir=out), retry=no_wait())) as client:
        ran = await client.call_tool("benchmark", {"prompts": ["2+2?"], "models": PANEL})
        assert not ran.is_error, text_of(ran)
        control = await client.call_tool("benchmark_report", {"format": "md", "filename": "report"})
        assert not control.is_error, text_of(control)
        assert (out / "report.md").read_text().startswith("# Benchmark")
        (out / "report.md").unlink()
        for escape, make in EXPORT_ESCAPES.items():
            arguments = {"format": "md", "filename": make(out, outside)}
            result = await client.call_tool("benchmark_report", arguments, read_timeout_seconds=30)
            text = text_of(result)
            checks = {
                "not an error": result.is_error,
                "not one line": "\n" not in text and len(text) < 600 and "Traceback" not in text,
                "names neither filename nor the folder": "filename" in text or "output folder" in text,
                "names no fix": FIX_WORDS.search(text) is not None,
            }
            failures += [f"{escape}: {problem}: {text[:300]}" for problem, ok in checks.items() if not ok]
        alive = await client.call_tool("list_models", {"limit": 1})
    assert not alive.is_error
    assert not failures, "\n".join(failures)
    assert list(outside.iterdir()) == []
    assert [p.name for p in out.iterdir() if p.is_file() and not p.is_symlink()] == []
    assert (out / "folder.md").is_dir() and not any((out / "folder.md").iterdir())


async def test_started_in_the_file_system_root_no_local_file_is_read(sim, tmp_path, monkeypatch):
    """Without ORCOLLECTIVE_FILE_ROOTS the working directory is the allowed root; a server started in / (as
    GUI clients start them) reads no local file, instead of every file on the machine."""
    (tmp_path / "ok.txt").write_text(INSIDE)
    texts = {}
    for cwd in (tmp_path, Path("/")):
        monkeypatch.chdir(cwd)
        settings = settings_for(sim, tmp_path, image_roots=[])
        async with Client(build_server(settings, retry=no_wait())) as client:
            for path in (str(tmp_path / "ok.txt"), "etc/passwd"):
                since = len(sim.requests)
                result = await client.call_tool("chat", {**base_call("chat"), "files": [path]})
                texts[(str(cwd), path)] = (text_of(result), bool(result.is_error), sent_upstream(sim, since))
    text, is_error, sent = texts[(str(tmp_path), str(tmp_path / "ok.txt"))]
    assert not is_error and INSIDE in sent, text
    for path in (str(tmp_path / "ok.txt"), "etc/passwd"):
        text, is_error, sent = texts[("/", path)]
        assert is_error and "outside the allowed folders (none)" in text and not sent, text
        assert refusal_problems(text, is_error, "files") == []
