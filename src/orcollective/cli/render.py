"""What a person sees in the terminal for each feature's result (rich tables and short lines)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from ..catalog import price_text
from ..features.chat import ChatResult
from ..features.consensus import ConsensusResult
from ..features.list_models import ModelList
from ..features.runs import RunsResult


def models_table(result: ModelList, console: Console) -> None:
    table = Table(title=f"{result.total} models match", title_justify="left")
    for col in ("id", "context", "price", "flags"):
        table.add_column(col, justify="right" if col == "context" else "left")
    for m in result.models:
        flags = " ".join(f for f, on in (("vision", m.vision), ("free", m.free), ("tools", m.tools)) if on)
        table.add_row(m.id, str(m.context or "?"), price_text(m.prompt_per_mtok, m.completion_per_mtok), flags)
    console.print(table)


def chat_footer(result: ChatResult, console: Console) -> None:
    """The answer was streamed already: only who served it, the tokens and the cost."""
    cost = f"${result.cost_usd:.6f} ({result.cost_source})" if result.cost_usd is not None else "cost unknown"
    console.print(
        f"\n[dim]{result.model} via {result.provider or '?'} · {result.usage.prompt_tokens}+"
        f"{result.usage.completion_tokens} tokens · {result.latency_s:.2f}s · {cost}[/]"
    )


def consensus_table(result: ConsensusResult, console: Console) -> None:
    """Each model's answer, latency and cost; then the winner, confidence and total cost."""
    table = Table(title_justify="left")
    for col in ("model", "status", "answer", "latency", "cost"):
        table.add_column(col, justify="right" if col in ("latency", "cost") else "left")
    for r in result.responses:
        cost = f"${r.cost_usd:.6f}" if r.cost_usd is not None else "-"
        answer = r.answer if r.answer is not None else (r.error or "-")
        style = "green" if r.answer is not None and r.answer == result.answer else ""
        name = r.model if r.role == "panelist" else f"{r.model} ({r.role})"
        table.add_row(name, r.status, answer[:60], f"{r.latency_s:.2f}s", cost, style=style)
    console.print(table)
    conf = f"{result.confidence:.0%}" if result.confidence is not None else "unknown"
    agree = f"{result.agreement:.2f}" if result.agreement is not None else "-"
    console.print(f"[bold]Answer:[/] {result.answer}")
    console.print(
        f"confidence {conf} · agreement {agree} · {result.strategy} · {result.calls} calls"
        f"{' · stopped early' if result.stopped_early else ''} · ${result.cost_usd:.6f}"
        f" (estimated ${result.estimate_usd or 0:.6f}) · {result.latency_s:.2f}s"
    )
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    if result.run_id:
        console.print(f"[dim]run {result.run_id}[/]")


def runs_view(result: RunsResult, console: Console) -> None:
    if result.run is not None:
        console.print_json(json.dumps(result.run, default=str))
        return
    table = Table()
    for col in ("id", "tool", "status", "cost", "summary"):
        table.add_column(col)
    for r in result.runs:
        table.add_row(r["id"], r["tool"], r["status"], f"${r.get('cost_usd') or 0:.6f}", r.get("summary") or "")
    console.print(table)


RENDERERS: dict[str, Callable[[Any, Console], None]] = {
    "list_models": models_table,
    "chat": chat_footer,
    "consensus": consensus_table,
    "runs": runs_view,
}


def render(name: str, result: BaseModel, summary: Callable[[Any], str], out: Console, err: Console) -> None:
    """The feature's own view, or its summary text."""
    view = RENDERERS.get(name)
    if view is None:
        out.print(summary(result), markup=False, highlight=False)
    else:
        view(result, err if view is chat_footer else out)
