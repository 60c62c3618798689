"""What a person sees in the terminal for each feature's result: rich tables and short lines.

Ids (models, runs) are never cut: other columns wrap, and when even that cannot fit the ids, the rows
are stacked one under another. A feature without a view of its own prints its ``summary()``. Rich
writes no control codes when the output is not a terminal.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..features import FEATURES
from ..features.chat import ChatResult
from ..features.consensus import ConsensusResult, ModelResponse
from ..features.list_models import ModelList
from ..features.runs import RunsResult

STATUS_WORDS = {
    "ok": "answered",
    "done": "done",
    "error": "failed",
    "timeout": "timed out",
    "cancelled": "cancelled",
    "not_asked": "not asked",
    "running": "running",
}
GAP = 3  # between table columns: padding 1+1 and a divider
UNDER_MIN_WIDTH = 30  # a one-line text column narrower than this goes under its row instead
CELL_CHARS = 40  # a failure's reason longer than this is printed under the table, at full width
STATUS_STYLES = {"ok": "green", "done": "green", "error": "red", "timeout": "red", "cancelled": "yellow"}


@dataclass(frozen=True)
class Column:
    name: str
    right: bool = False
    min_width: int = 6  # the narrowest a wrapped column may get
    key: bool = False  # an id: never wrapped, never cut
    whole: bool = False  # a short value (a date) kept on one line; its full width is reserved
    cut: bool = False  # free text kept to one line, ended with "…" (never an id)


def show_rows(console: Console, columns: Sequence[Column], cells: Sequence[Sequence[str | Text]]) -> None:
    """A table whose key columns are never cut; a one-line ``cut`` column goes under each row when it would
    be too narrow beside the rest; the rows are stacked when even the ids cannot fit side by side.

    Plain strings are shown as they are, never read as markup (prompts and answers are user text)."""
    rows = [[Text(v) if isinstance(v, str) else v for v in row] for row in cells]
    natural = [_widest(rows, i, c) for i, c in enumerate(columns)]
    narrowest = [n if c.key or c.whole else min(c.min_width, n) for n, c in zip(natural, columns, strict=True)]
    cut = next((i for i, c in enumerate(columns) if c.cut), None)
    if cut is None:
        if _span(narrowest) <= console.width:
            _table(console, columns, rows, narrowest)
        else:
            _stacked(console, columns, rows)
        return
    rest = [i for i in range(len(columns)) if i != cut]
    left = console.width - _span(natural) + natural[cut]
    if left >= min(UNDER_MIN_WIDTH, natural[cut]):
        widths = [min(n, left) if i == cut else n for i, n in enumerate(natural)]
        for row in rows:
            row[cut].truncate(widths[cut], overflow="ellipsis")
        _table(console, columns, rows, widths)
    elif _span([natural[i] for i in rest]) <= console.width:
        _under(console, columns, rows, natural, cut)
    else:
        _stacked(console, columns, rows)


def _span(widths: Sequence[int]) -> int:
    return sum(widths) + GAP * (len(widths) - 1)


def _table(console: Console, columns: Sequence[Column], rows: list[list[Text]], widths: Sequence[int]) -> None:
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False, expand=False)
    for c, width in zip(columns, widths, strict=True):
        one_line = c.key or c.whole or c.cut
        table.add_column(c.name, justify="right" if c.right else "left", no_wrap=one_line, min_width=width,
                         max_width=width if c.cut else None, overflow="ellipsis" if c.cut else "fold")  # fmt: skip
    for row in rows:
        table.add_row(*row)
    console.print(table)


def _under(console: Console, columns: Sequence[Column], rows: list[list[Text]], widths: list[int], cut: int) -> None:
    """Each row on one line, its ``cut`` column on the next, indented and cut to the terminal's width."""

    def line(values: Sequence[Text]) -> Text:
        parts = []
        for i, (c, value) in enumerate(zip(columns, values, strict=True)):
            if i != cut:
                part = value.copy()
                part.align("right" if c.right else "left", widths[i])
                parts.append(part)
        return Text(" " * GAP).join(parts)

    console.print(line([Text(c.name, style="bold") for c in columns]), no_wrap=True, crop=False)
    console.print(Text("─" * min(console.width, _span([w for i, w in enumerate(widths) if i != cut]))))
    for row in rows:
        console.print(line(row), no_wrap=True, crop=False)
        below = Text("  ") + row[cut]
        below.truncate(console.width, overflow="ellipsis")
        below.stylize("dim")
        console.print(below, no_wrap=True)


def _stacked(console: Console, columns: Sequence[Column], rows: list[list[Text]]) -> None:
    """Each id on its own line, the row's other values under it as ``name value · name value``."""
    for row in rows:
        console.print(row[0], crop=False)
        pairs = [
            Text.assemble((f"{c.name} ", "dim"), v) for c, v in zip(columns[1:], row[1:], strict=True) if v.cell_len
        ]
        line = Text("  ") + Text(" · ").join(pairs)
        console.print(line)


def _widest(rows: Sequence[Sequence[Text]], i: int, c: Column) -> int:
    return max([len(c.name), *(row[i].cell_len for row in rows)])


def money(value: float | None) -> str:
    return f"${value:.6f}" if value is not None else "-"


def per_million(price: float | None) -> str:
    """A price per 1M tokens; routers, priced by the model they pick, say so."""
    if price is None:
        return "varies"
    return "free" if price == 0 else f"{price:g}"


def local_time(epoch: float | None, seconds: bool = False) -> str:
    """A stored unix time as the local date and time a person reads."""
    if epoch is None:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M", time.localtime(epoch))


LATENCY, COST = Column("latency", right=True, min_width=7), Column("cost", right=True, min_width=9)
MODEL, ANSWER = Column("model", key=True), Column("answer", min_width=10)
RESPONSE_COLUMNS = (MODEL, Column("status", min_width=9), ANSWER, LATENCY, COST)
CALL_COLUMNS = (MODEL, Column("role", min_width=6), ANSWER, LATENCY, COST)
MODEL_COLUMNS = (Column("id", key=True), Column("context", right=True, min_width=7),
                 Column("$ in/1M", right=True, min_width=7), Column("$ out/1M", right=True, min_width=8),
                 Column("flags", min_width=6))  # fmt: skip
RUN_COLUMNS = (Column("id", key=True), Column("started", whole=True), Column("tool", whole=True),
               Column("status", whole=True), COST, Column("prompt", min_width=12, cut=True))  # fmt: skip


def status_text(status: str) -> Text:
    return Text(STATUS_WORDS.get(status, status), style=STATUS_STYLES.get(status, ""))


# -- views, one per feature that has one -----------------------------------------------------------


def models_table(result: ModelList, console: Console) -> None:
    first, last = result.offset + 1, result.offset + len(result.models)
    if not result.models:
        console.print(f"{result.total} models match; none at offset {result.offset}.")
        return
    more = f"; next page: --offset {last}" if last < result.total else ""
    console.print(f"{result.total} models match; showing {first}–{last}{more}", highlight=False)
    rows = []
    for m in result.models:
        flags = " ".join(f for f, on in (("vision", m.vision), ("free", m.free), ("tools", m.tools)) if on)
        rows.append((Text(m.id, style="bold"), f"{m.context:,}" if m.context else "?",
                     per_million(m.prompt_per_mtok), per_million(m.completion_per_mtok), flags))  # fmt: skip
    show_rows(console, MODEL_COLUMNS, rows)


def chat_footer(result: ChatResult, console: Console) -> None:
    """The answer was streamed already: only who served it, the tokens and the cost."""
    cost = f"${result.cost_usd:.6f} ({result.cost_source})" if result.cost_usd is not None else "cost unknown"
    via = f" via {result.provider}" if result.provider else ""
    console.print(
        f"[dim]{result.model}{via} · {result.usage.prompt_tokens}+{result.usage.completion_tokens} tokens · "
        f"{result.latency_s:.2f}s · {cost}[/]",
        highlight=False,
    )


def response_rows(
    responses: Sequence[ModelResponse], winner: str | None
) -> tuple[list[tuple[str | Text, ...]], list[Text]]:
    """One row per call; failures whose reason is longer than a cell come back as lines to print below."""
    rows: list[tuple[str | Text, ...]] = []
    below: list[Text] = []
    for r in responses:
        name = Text(r.model, style="bold")
        if r.role != "panelist":
            name.append(f" ({r.role})", style="dim")
        if r.answer is not None:
            answer = Text(r.answer, style="green" if r.answer == winner else "")
        elif r.status == "ok":
            text = r.excerpt or ""
            answer = Text("(no answer found)" if r.role == "panelist" or len(text) > CELL_CHARS else text, style="dim")
        else:
            reason = r.error or ""
            if r.status == "cancelled" and reason.startswith("not needed"):
                reason = "not needed"  # stopped early: the rest could not change the answer
            if len(reason) > CELL_CHARS:
                below.append(Text.assemble(("✗ ", "red"), (r.model, "bold"), f": {reason}"))
                reason = "see below"
            answer = Text(reason, style="red" if r.status in ("error", "timeout") else "dim")
        latency = f"{r.latency_s:.2f}s" if r.status not in ("not_asked", "cancelled") else "-"
        rows.append((name, status_text(r.status), answer, latency, money(r.cost_usd)))
    return rows, below


def consensus_table(result: ConsensusResult, console: Console, *, run_line: bool = True) -> None:
    """Each model's answer, latency and cost; then the winner, how sure, who disagreed, the total cost."""
    rows, below = response_rows(result.responses, result.answer)
    show_rows(console, RESPONSE_COLUMNS, rows)
    for line in below:
        console.print(line)
    if result.answer is not None:
        console.print(Text.assemble(("Answer: ", "bold"), result.answer))
    else:
        console.print(Text("No answer could be read from the replies.", style="bold yellow"))
    facts = []
    if result.confidence is not None:
        facts.append(f"confidence {result.confidence:.0%}")
    if result.agreement is not None:
        facts.append(f"agreement {result.agreement:.2f}")
    panel = sum(r.role == "panelist" for r in result.responses)
    facts += [result.strategy, f"{result.answered}/{panel} answered", f"{result.calls} calls"]
    if result.stopped_early:
        facts.append("stopped early")
    estimate = f" (estimated ${result.estimate_usd:.6f})" if result.estimate_usd is not None else ""
    facts += [f"${result.cost_usd:.6f}{estimate}", f"{result.latency_s:.2f}s"]
    console.print(" · ".join(facts), highlight=False)
    if result.dissent:
        said = "; ".join(f"{d.model}: {d.answer or '(no answer)'}" for d in result.dissent)
        console.print(Text.assemble(("dissent: ", "yellow"), said))
    for i, source in enumerate(result.sources, 1):
        console.print(f"[{i}] {source.title or source.url} {source.url}", markup=False, highlight=False)
    for note in result.notes:
        console.print(Text.assemble(("note: ", "yellow"), note))
    if result.run_id and run_line:
        console.print(f"[dim]run {result.run_id} (orcollective runs {result.run_id})[/]", highlight=False)


def runs_view(result: RunsResult, console: Console) -> None:
    if result.run is not None:
        run_detail(result.run, console)
        return
    if not result.runs:
        console.print("No runs yet.")
        return
    rows = [
        (Text(r["id"], style="bold"), local_time(r.get("created_at")), r["tool"], status_text(r["status"]),
         money(r.get("cost_usd")), r.get("summary") or "")
        for r in result.runs
    ]  # fmt: skip
    show_rows(console, RUN_COLUMNS, rows)


def run_detail(run: dict, console: Console) -> None:
    """One stored run: when, what was asked, its answer, and every call with its cost."""
    took = f" ({run['finished_at'] - run['created_at']:.1f}s)" if run.get("finished_at") else ""
    console.print(
        Text.assemble(
            (f"run {run['id']}", "bold"),
            f" · {run['tool']} · ",
            status_text(run["status"]),
            f" · {local_time(run.get('created_at'), seconds=True)}{took} · {money(run.get('cost_usd'))}",
        )
    )
    prompt = (run.get("arguments") or {}).get("prompt")
    if isinstance(prompt, str):
        console.print(Text.assemble(("prompt: ", "bold"), prompt))
    if run.get("error"):
        console.print(Text.assemble(("error: ", "red"), str(run["error"])))
    result = _stored_result(run)
    if isinstance(result, ConsensusResult):
        consensus_table(result, console, run_line=False)
    elif result is not None:
        feature = next(f for f in FEATURES if f.name == run["tool"])
        console.print(feature.summary(result), markup=False, highlight=False)
    calls = run.get("calls") or []
    if calls and not isinstance(result, ConsensusResult):
        rows = [
            (Text(c["model"], style="bold"), c.get("role") or "", Text(c.get("answer") or c.get("error") or ""),
             f"{c['latency_s']:.2f}s" if c.get("latency_s") is not None else "-", money(c.get("cost_usd")))
            for c in calls
        ]  # fmt: skip
        show_rows(console, CALL_COLUMNS, rows)
    console.print(
        f"[dim]{len(calls)} calls stored; the raw record: orcollective runs {run['id']} --json[/]", highlight=False
    )


def _stored_result(run: dict) -> BaseModel | None:
    """The run's result as its feature's Result model, when the feature is known and the record fits."""
    feature = next((f for f in FEATURES if f.name == run.get("tool")), None)
    if feature is None or not run.get("result"):
        return None
    try:
        return feature.result.model_validate(run["result"])
    except ValidationError:
        return None


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
