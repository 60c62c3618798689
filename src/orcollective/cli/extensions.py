"""Command-line options that only make sense in a terminal, added to a feature's generated command.

``bench`` reads prompts (and expected answers) from a JSONL file and writes the report to a file the
person names; the tool itself takes prompts as arguments and exports only inside the output folder.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console

from ..errors import InvalidArgument

FORMATS = {".md": "md", ".csv": "csv", ".json": "json", ".png": "png"}


@dataclass(frozen=True)
class Extension:
    """Extra parameters; ``prepare`` takes their values out of the command's values before validation;
    ``finish`` acts on the result with them."""

    params: tuple[inspect.Parameter, ...]
    prepare: Callable[[dict[str, Any]], dict[str, Any]]
    finish: Callable[[BaseModel, dict[str, Any], Console], None]


def _option(name: str, annotation: Any, *decls: str, help: str) -> inspect.Parameter:
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[annotation, typer.Option(*decls, help=help)],
    )


def read_prompts(path: Path) -> tuple[list[str], list[str]]:
    """Prompts and expected answers from JSONL: one ``{"prompt": ..., "expected": ...}`` object or one JSON
    string a line (blank lines skipped); ``expected`` is ``''`` where a line gives none."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"Cannot read --prompts-file {path}: {exc}; pass a UTF-8 JSONL file.") from exc
    prompts, expected = [], []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidArgument(
                f"--prompts-file line {number} is not JSON; write one object or string a line."
            ) from exc
        if isinstance(item, str):
            item = {"prompt": item}
        if not isinstance(item, dict) or not isinstance(item.get("prompt"), str):
            raise InvalidArgument(f'--prompts-file line {number} needs a "prompt" string.')
        answer = item.get("expected", "")
        prompts.append(item["prompt"])
        expected.append(answer if isinstance(answer, str) else json.dumps(answer))
    if not prompts:
        raise InvalidArgument(f"--prompts-file {path} holds no prompts.")
    return prompts, expected


def _bench_prepare(values: dict[str, Any]) -> dict[str, Any]:
    extra = {"prompts_file": values.pop("prompts_file", None), "out": values.pop("out", None)}
    if extra["out"] is not None and Path(extra["out"]).suffix.lower() not in FORMATS:
        raise InvalidArgument(f"--out must end in {', '.join(FORMATS)}; got {Path(extra['out']).name!r}.")
    if extra["prompts_file"] is not None:
        prompts, expected = read_prompts(Path(extra["prompts_file"]))
        given = list(values.get("prompts") or [])
        values["prompts"] = given + prompts
        if any(expected) or values.get("expected"):
            values["expected"] = list(values.get("expected") or [""] * len(given)) + expected
    return extra


def _bench_finish(result: BaseModel, extra: dict[str, Any], console: Console) -> None:
    out = extra.get("out")
    if out is None:
        return
    from ..features.benchmark_report import export

    path = Path(out).expanduser()
    try:
        path.write_bytes(export(result, FORMATS[path.suffix.lower()]))  # type: ignore[arg-type]
    except OSError as exc:
        raise InvalidArgument(f"Cannot write --out {path}: {exc.strerror}; pick a writable path.") from exc
    console.print(f"report written to {path}", highlight=False)


def _openrouter_prepare(values: dict[str, Any]) -> dict[str, Any]:
    files, web_search = values.pop("file", None), values.pop("web_search", None)
    options = {"files": list(files) if files else None, "web_search": web_search or None}
    if options := {k: v for k, v in options.items() if v is not None}:
        values["openrouter"] = options
    return {}


# The collective commands take chat's two most used OpenRouter options as flags of their own.
OPENROUTER = Extension(
    params=(
        _option("file", list[str] | None, "--file", help="A PDF or text file for the panel (repeat for more)"),
        _option("web_search", bool | None, "--web-search", help="Let the models search the web"),
    ),
    prepare=_openrouter_prepare,
    finish=lambda result, extra, console: None,
)

EXTENSIONS: dict[str, Extension] = {
    **dict.fromkeys(("consensus", "collaborate", "validate", "plan"), OPENROUTER),
    "bench": Extension(
        params=(
            _option(
                "prompts_file", Path | None, "--prompts-file", help='JSONL: {"prompt": ..., "expected": ...} a line'
            ),
            _option("out", Path | None, "--out", help="Write the report to FILE.md, .csv, .json or .png"),
        ),
        prepare=_bench_prepare,
        finish=_bench_finish,
    ),
}
